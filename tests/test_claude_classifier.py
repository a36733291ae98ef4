"""ClaudeClassifier through the real anthropic SDK against the loopback Anthropic emulator."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import anthropic
import pytest

from billing_assets.core.classifier_api import ClassifyRequest, ClientContext, SowItemInfo
from billing_assets.core.model import TimeEntry
from resources.claude_classifier import (
    PRICES_PER_MTOK,
    ClaudeClassifier,
    ClaudeClassifierError,
    build_output_schema,
)
from tests.emulators.anthropic_server import AnthropicEmulator

CONTEXT = ClientContext(
    client="acme",
    client_name="Acme Corp",
    sow_items=(
        SowItemInfo("P1", "Phase 1: Discovery", "stakeholder interviews and requirements workshops"),
        SowItemInfo("P2", "Phase 2: Strategic Planning", "roadmap and budget planning", billing="fixed_fee"),
        SowItemInfo("P3", "Phase 3: Website Build", "frontend development and deployment"),
    ),
    work_types=("standard", "rush"),
    sow_version="sha-test",
)
MONTH_NOTES = [
    ("stakeholder interviews with the CFO", "P1", "standard"),
    ("roadmap draft, client moved up the board date to tonight", "P2", "rush"),
    ("frontend development of the pricing page", "P3", "standard"),
    ("requirements workshops prep", "P1", "standard"),
    ("budget planning session", "P2", "standard"),
    ("deployment to staging, planned weekend release", "P3", "standard"),
    ("interviews follow-up notes", "P1", "standard"),
]


def make_requests(
    notes: list[str], *, need_sow: bool = True, need_type: bool = True
) -> list[ClassifyRequest]:
    return [
        ClassifyRequest(
            entry=TimeEntry(
                entry_id=f"h{i:04d}",
                source="harvest_csv",
                source_file="time.csv",
                source_row=i + 1,
                date=date(2026, 10, 1 + i % 28),
                client_name="Acme Corp",
                project="Transformation",
                project_code="",
                task="Consulting",
                notes=note,
                hours=Decimal("1.5"),
                billable=True,
                person="Alice Ng",
            ),
            need_sow_item=need_sow,
            need_work_type=need_type,
        )
        for i, note in enumerate(notes)
    ]


MONTH = make_requests([n for n, _, _ in MONTH_NOTES])


@pytest.fixture
def emu() -> Iterator[AnthropicEmulator]:
    with AnthropicEmulator() as server:
        yield server


@pytest.fixture
def make_classifier(emu: AnthropicEmulator) -> Iterator:
    made: list[ClaudeClassifier] = []

    def make(**kwargs) -> ClaudeClassifier:
        kwargs.setdefault("max_retries", 2)
        kwargs.setdefault("timeout", 10.0)
        classifier = ClaudeClassifier(api_key=emu.api_key, base_url=emu.base_url, **kwargs)
        made.append(classifier)
        return classifier

    yield make
    for classifier in made:
        classifier.close()


def sent_entries(call) -> list[dict]:
    """The entries JSON of a recorded /v1/messages request (after the one-line instruction)."""
    return json.loads(call.body["messages"][0]["content"].split("\n", 1)[1])


def expected_cost(usage, model: str = "claude-haiku-5-5", discount: float = 1.0) -> float:
    price = PRICES_PER_MTOK[model]
    dollars = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_read_input_tokens * price.cache_read
        + usage.cache_creation_input_tokens * price.input * 1.25
    )
    return dollars / 1_000_000 * discount


def test_client_month_end_to_end(emu, make_classifier):
    classifier = make_classifier(batch_size=3)
    suggestions, usage = classifier.classify(CONTEXT, MONTH)

    assert [(s.sow_item, s.work_type) for s in suggestions] == [(sow, wt) for _, sow, wt in MONTH_NOTES]
    assert all(s.confidence > 0.9 and s.rationale for s in suggestions)
    calls = emu.message_requests()
    assert len(calls) == 3 and usage.requests == 3
    assert classifier.cache_id == "claude:claude-haiku-5-5:v1"

    first = calls[0]
    assert first.headers["authorization"] == f"Bearer {emu.api_key}"
    assert first.headers["anthropic-version"]
    assert first.body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert first.body["output_config"]["format"] == {
        "type": "json_schema",
        "schema": build_output_schema(CONTEXT),
    }
    sent = sent_entries(first)
    assert [e["key"] for e in sent] == ["e1", "e2", "e3"]
    assert sent[1]["notes"] == MONTH_NOTES[1][0] and sent[0]["need"] == ["sow_item", "work_type"]
    assert len({json.dumps(c.body["system"]) for c in calls}) == 1  # one cached prefix for the month

    counters = [c.response["usage"] for c in calls]
    assert counters[0]["cache_creation_input_tokens"] > 0 and counters[0]["cache_read_input_tokens"] == 0
    assert all(u["cache_read_input_tokens"] > 0 for u in counters[1:])
    assert usage.input_tokens == sum(u["input_tokens"] for u in counters)
    assert usage.output_tokens == sum(u["output_tokens"] for u in counters)
    assert usage.cache_creation_input_tokens == counters[0]["cache_creation_input_tokens"]
    assert usage.cache_read_input_tokens == sum(u["cache_read_input_tokens"] for u in counters)
    assert usage.cost_usd == pytest.approx(expected_cost(usage)) and usage.cost_usd > 0


@pytest.mark.parametrize(("n_entries", "batch_size"), [(1, 40), (9, 4), (80, 40), (81, 40)])
def test_requests_are_batched(emu, make_classifier, n_entries, batch_size):
    requests = make_requests([f"budget planning item {i}" for i in range(n_entries)])
    suggestions, usage = make_classifier(batch_size=batch_size).classify(CONTEXT, requests)

    calls = emu.message_requests()
    assert len(calls) == math.ceil(n_entries / batch_size) == usage.requests
    sizes = sorted(len(sent_entries(c)) for c in calls)
    remainder = [n_entries % batch_size] if n_entries % batch_size else []
    assert sizes == sorted([batch_size] * (n_entries // batch_size) + remainder)
    assert len(suggestions) == n_entries and all(s.sow_item == "P2" for s in suggestions)


def test_429_waits_for_retry_after_then_succeeds(emu, make_classifier):
    emu.inject(429, retry_after=1)
    suggestions, usage = make_classifier().classify(CONTEXT, MONTH[:2])

    calls = emu.message_requests()
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].headers["x-stainless-retry-count"] == "1"
    assert calls[1].received_at - calls[0].received_at >= 1.0
    assert usage.requests == 2 and [s.sow_item for s in suggestions] == ["P1", "P2"]


def test_529_overloaded_then_succeeds(emu, make_classifier):
    emu.inject(529, retry_after_ms=50)
    suggestions, usage = make_classifier().classify(CONTEXT, MONTH[:1])

    calls = emu.message_requests()
    assert [c.status for c in calls] == [529, 200]
    assert calls[0].response["error"]["type"] == "overloaded_error"
    assert calls[1].received_at - calls[0].received_at >= 0.05
    assert usage.requests == 2 and suggestions[0].sow_item == "P1"


def test_persistent_500_raises_a_clear_error(emu, make_classifier):
    emu.inject(500, times=None, retry_after_ms=10)
    with pytest.raises(ClaudeClassifierError, match=r"client acme: request 1/1 .*HTTP 500 api_error"):
        make_classifier(max_retries=2).classify(CONTEXT, MONTH[:3])
    assert [c.status for c in emu.message_requests()] == [500, 500, 500]


def test_wrong_key_is_not_retried(emu):
    with (
        ClaudeClassifier(api_key="sk-wrong", base_url=emu.base_url, max_retries=3) as classifier,
        pytest.raises(ClaudeClassifierError, match="HTTP 401 authentication_error"),
    ):
        classifier.classify(CONTEXT, MONTH[:1])
    assert [c.status for c in emu.message_requests()] == [401]


@pytest.mark.parametrize(
    ("script", "expect"),
    [
        ({"sow_item": "P9"}, "sow_item 'P9' is not one of the client's SOW items"),
        ({"sow_item": ["P1"]}, "sow_item ['P1'] is not one of the client's SOW items"),  # unhashable: no crash
        ({"sow_item": {"id": "P1"}}, "sow_item {'id': 'P1'} is not one of the client's SOW items"),
        ({"work_type": "emergency"}, "work_type 'emergency' is not an allowed work type"),
        ({"confidence": 1.7}, "confidence 1.7 is not a number in [0, 1]"),
        ({"omit": True}, "no label returned for e5"),
    ],
)
def test_bad_label_goes_to_review_without_raising(emu, make_classifier, script, expect):
    emu.script_label(notes_contains="budget planning", **script)
    suggestions, usage = make_classifier().classify(CONTEXT, MONTH)

    bad = suggestions[4]
    assert bad.confidence == 0.0 and expect in bad.rationale
    if "sow_item" in script or "omit" in script:
        assert bad.sow_item is None
    if "work_type" in script or "omit" in script:
        assert bad.work_type is None
    others = suggestions[:4] + suggestions[5:]
    assert [s.sow_item for s in others] == [sow for i, (_, sow, _) in enumerate(MONTH_NOTES) if i != 4]
    assert all(s.confidence > 0.9 for s in others)
    assert usage.notes == [f"1 of {len(MONTH)} Claude labels rejected (sent to review)"]


def test_unusable_reply_sends_the_whole_request_to_review(emu, make_classifier):
    emu.script_reply("Sorry, I cannot help with that.")
    suggestions, _ = make_classifier(batch_size=10).classify(CONTEXT, MONTH[:3])
    assert all(s.sow_item is None and s.work_type is None and s.confidence == 0.0 for s in suggestions)
    assert "not JSON" in suggestions[0].rationale


def test_only_needed_fields_are_returned(emu, make_classifier):
    requests = make_requests(["budget planning session"], need_sow=False)
    suggestions, _ = make_classifier().classify(CONTEXT, requests)
    assert suggestions[0].sow_item is None and suggestions[0].work_type == "standard"
    assert sent_entries(emu.message_requests()[0])[0]["need"] == ["work_type"]


def test_message_batches_path(emu, make_classifier):
    classifier = make_classifier(batch_size=3, use_batches=True, poll_interval=0.01)
    suggestions, usage = classifier.classify(CONTEXT, MONTH)

    assert [(s.sow_item, s.work_type) for s in suggestions] == [(sow, wt) for _, sow, wt in MONTH_NOTES]
    assert emu.message_requests() == []
    creates = [r for r in emu.requests if r.method == "POST" and r.path == "/v1/messages/batches"]
    assert len(creates) == 1 and [r["custom_id"] for r in creates[0].body["requests"]] == [
        "chunk-0",
        "chunk-1",
        "chunk-2",
    ]
    results = [r for r in emu.requests if r.path.endswith("/results")]
    assert len(results) == 1 and results[0].status == 200
    assert usage.requests == len(emu.requests)  # create, polls, retrieve + results
    assert usage.cost_usd == pytest.approx(expected_cost(usage, discount=0.5))


def test_batch_item_that_errored_is_resent_directly(emu, make_classifier):
    emu.set_batch_outcome("chunk-1", "errored")
    classifier = make_classifier(batch_size=3, use_batches=True, poll_interval=0.01)
    suggestions, usage = classifier.classify(CONTEXT, MONTH)

    assert [s.sow_item for s in suggestions] == [sow for _, sow, _ in MONTH_NOTES]
    assert len(emu.message_requests()) == 1
    assert any("resent via Messages API" in note for note in usage.notes)


def test_emulator_rejects_unsupported_schema_and_missing_version(emu):
    client = anthropic.Anthropic(api_key=emu.api_key, base_url=emu.base_url, max_retries=0)
    schema = {"type": "object", "properties": {"n": {"type": "number", "minimum": 0}}, "required": ["n"]}
    schema["additionalProperties"] = False
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(
            model="claude-haiku-5-5",
            max_tokens=10,
            messages=[{"role": "user", "content": "hi"}],
            output_config={"format": {"type": "json_schema", "schema": schema}},
        )
    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert "'minimum' is not supported" in caught.value.body["error"]["message"]
    assert caught.value.response.headers["request-id"] == caught.value.body["request_id"]
    with pytest.raises(anthropic.BadRequestError, match="anthropic-version"):
        client.messages.create(
            model="claude-haiku-5-5",
            max_tokens=10,
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"anthropic-version": anthropic.Omit()},
        )
    client.close()


def test_short_prefix_is_not_cached_like_the_real_api():
    with (
        AnthropicEmulator(min_cacheable_tokens=100_000) as server,
        ClaudeClassifier(api_key=server.api_key, base_url=server.base_url, batch_size=3) as classifier,
    ):
        _, usage = classifier.classify(CONTEXT, MONTH)
    assert usage.cache_creation_input_tokens == 0 and usage.cache_read_input_tokens == 0


def test_no_requests_means_no_http(emu, make_classifier):
    suggestions, usage = make_classifier().classify(CONTEXT, [])
    assert suggestions == [] and usage.requests == 0 and emu.requests == []
