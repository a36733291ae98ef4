"""The cascade (offline first, Claude for the rest) through the real anthropic SDK against the emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dagster import EnvVar

from bench.calibrate import HELDOUT_HOME
from bench.cascade import DictCache, run_home
from billing_assets.core.cascade import CascadeClassifier
from billing_assets.core.classify import classify_entries
from billing_assets.core.contract import Contract
from billing_assets.core.offline_classifier import OfflineClassifier
from billing_assets.core.sources import read_folder
from resources.claude_classifier import ClaudeClassifier
from resources.llm import ClaudeClassifierResource, OfflineClassifierResource, classifier_from_env
from tests.emulators.anthropic_server import AnthropicEmulator


@pytest.fixture
def emu() -> Iterator[AnthropicEmulator]:
    with AnthropicEmulator() as server:
        yield server


def _winery() -> tuple[Contract, list]:
    import yaml

    doc = yaml.safe_load((HELDOUT_HOME / "contracts" / "kessler-winery.yaml").read_text(encoding="utf-8"))
    contract = Contract.model_validate(doc)
    entries = [e for e in read_folder(HELDOUT_HOME).entries
               if e.client_name == contract.name and e.month == "2026-09"]
    return contract, entries


def _entries_sent(emu: AnthropicEmulator) -> int:
    import json

    total = 0
    for r in emu.message_requests():
        user = r.body["messages"][-1]["content"]
        text = user if isinstance(user, str) else user[0]["text"]
        total += len(json.loads(text[text.index("["):]))
    return total


def test_only_what_the_offline_model_is_unsure_of_goes_to_claude(emu):
    contract, entries = _winery()
    offline = OfflineClassifier()
    cascade = CascadeClassifier(OfflineClassifier(), ClaudeClassifier(api_key=emu.api_key, base_url=emu.base_url))
    alone, _ = classify_entries(contract, entries, {}, offline.classify, offline.cache_id, (), None,
                                offline.review_floor)
    results, usage = classify_entries(contract, entries, {}, cascade.classify, cascade.cache_id, (), DictCache(),
                                      cascade.review_floor)
    unsure = sum(1 for c in alone if "low_confidence" in c.review_reasons)
    assert 0 < cascade.last_sent == unsure < len(entries)
    assert _entries_sent(emu) == unsure and usage.requests == len(emu.message_requests()) >= 1
    assert usage.cost_usd > 0
    for a, c in zip(alone, results, strict=True):
        if "low_confidence" not in a.review_reasons:
            assert (c.sow_item, c.work_type, c.confidence) == (a.sow_item, a.work_type, a.confidence)


def test_disagreement_goes_to_review_naming_both(emu):
    contract, entries = _winery()
    offline = OfflineClassifier()
    alone, _ = classify_entries(contract, entries, {}, offline.classify, offline.cache_id, (), None,
                                offline.review_floor)
    unsure = [(e, c) for e, c in zip(entries, alone, strict=True) if "low_confidence" in c.review_reasons]
    entry, local = unsure[0]
    other = next(i for i in ("A1", "A2", "A3", "A4", "A5") if i != local.sow_item)
    emu.script_label(notes_contains=entry.notes, sow_item=other, confidence=0.97)
    cascade = CascadeClassifier(OfflineClassifier(), ClaudeClassifier(api_key=emu.api_key, base_url=emu.base_url))
    results, _ = classify_entries(contract, [entry], {}, cascade.classify, cascade.cache_id, (), DictCache(),
                                  cascade.review_floor)
    assert results[0].sow_item == other and "low_confidence" in results[0].review_reasons
    assert "disagree" in results[0].rationale and f"offline: {local.suggested_sow_item}" in results[0].rationale


def test_cascade_cost_and_unchanged_rerun_sends_nothing(emu):
    run = run_home(HELDOUT_HOME, emu)
    assert run.entries == 210
    assert 0 < run.sent < run.entries * 0.6
    assert run.usage.requests == len(emu.message_requests())
    assert run.usage.cache_read_input_tokens > 0  # the system prompt is cached across a client's requests
    assert run.rerun_requests == 0


def test_classifier_resource_is_chosen_by_environment():
    assert isinstance(classifier_from_env({}), OfflineClassifierResource)
    assert isinstance(classifier_from_env({"BILLING_CLASSIFIER": "offline", "ANTHROPIC_API_KEY": "k"}),
                      OfflineClassifierResource)
    auto = classifier_from_env({"ANTHROPIC_API_KEY": "k"})
    assert isinstance(auto, ClaudeClassifierResource) and auto.cascade
    assert isinstance(auto.api_key, EnvVar) and auto.api_key.env_var_name == "ANTHROPIC_API_KEY"
    assert not classifier_from_env({"BILLING_CLASSIFIER": "claude", "ANTHROPIC_API_KEY": "k"}).cascade
    with pytest.raises(ValueError, match="needs ANTHROPIC_API_KEY"):
        classifier_from_env({"BILLING_CLASSIFIER": "cascade"})
    with pytest.raises(ValueError, match="must be auto, offline, cascade or claude"):
        classifier_from_env({"BILLING_CLASSIFIER": "gpt"})
    assert not classifier_from_env({"BILLING_CLASSIFIER": " Claude ", "ANTHROPIC_API_KEY": "k"}).cascade


def test_a_classifier_setting_no_resource_can_be_built_from_is_one_line(billing_env, monkeypatch, capsys):
    """Found by an auditor: BILLING_CLASSIFIER=cascade without a key ended a close in a 20-line traceback."""
    from billing_assets.cli import main

    billing_env()
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("BILLING_CLASSIFIER", "cascade")
    assert main(["close", "--month", "2026-09"]) == 2
    err = capsys.readouterr().err  # (with pytest's warnings plugin off, a Dagster beta warning may come first)
    assert "Traceback" not in err and err.splitlines()[-1] == (
        "billing: BILLING_CLASSIFIER=cascade needs ANTHROPIC_API_KEY (or BILLING_CLASSIFIER=offline)")
    monkeypatch.setenv("BILLING_CLASSIFIER", "gpt")
    assert main(["validate"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "billing: BILLING_CLASSIFIER must be auto, offline, cascade or claude, got 'gpt'")


def test_a_missing_label_is_asked_again_and_an_unsure_answer_is_remembered(emu):
    """A label Claude did not return is held saying so and not remembered; a deliberate answer, even unsure, is."""
    contract, entries = _winery()
    offline = OfflineClassifier()
    alone, _ = classify_entries(contract, entries, {}, offline.classify, offline.cache_id, (), None,
                                offline.review_floor)
    unsure = [e for e, c in zip(entries, alone, strict=True) if "low_confidence" in c.review_reasons]
    unique = [e for e in unsure if e.notes and sum(e.notes.lower() in x.notes.lower() for x in entries) == 1]
    missing, doubtful = unique[0], unique[1]
    emu.script_label(notes_contains=missing.notes, omit=True)
    emu.script_label(notes_contains=doubtful.notes, confidence=0.3)
    cascade = CascadeClassifier(OfflineClassifier(), ClaudeClassifier(api_key=emu.api_key, base_url=emu.base_url))
    cache = DictCache()
    first, _ = classify_entries(contract, entries, {}, cascade.classify, cascade.cache_id, (), cache,
                                cascade.review_floor)
    by_id = {c.entry_id: c for c in first}
    held = by_id[missing.entry_id]
    assert held.review_reasons and held.rationale.startswith("rejected: no label returned for e")
    assert held.rationale.split("; ")[1] == "asked again at the next close" and "disagree" not in held.rationale
    assert by_id[doubtful.entry_id].review_reasons and "asked again" not in by_id[doubtful.entry_id].rationale
    assert cache.items and not [s for s in cache.items.values() if "no label" in s.rationale]
    sent = _entries_sent(emu)

    again, usage = classify_entries(contract, entries, {}, cascade.classify, cascade.cache_id, (), cache,
                                    cascade.review_floor)
    assert _entries_sent(emu) - sent == 1 and usage.requests == 1, "only the entry without a label is asked again"
    assert [(c.entry_id, c.rationale) for c in again if c.entry_id != missing.entry_id] == [
        (c.entry_id, c.rationale) for c in first if c.entry_id != missing.entry_id]
