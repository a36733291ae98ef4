"""The Claude classifier inside a month close, through the real anthropic SDK against the loopback emulator:
retries on 429, labels outside the SOW go to review, and an unchanged re-run makes no API request."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from billing_assets.cli import main
from tests.conftest import partition_page
from tests.emulators.anthropic_server import AnthropicEmulator

CLASSIFY_DEV = Path(__file__).parent / "fixtures" / "classify_dev"  # a copy of shared/classify_dev


def classify_home(billing_env) -> Path:
    """classify_dev's Bramble & Oak client, September only (a small, real month of free-text notes)."""
    home = billing_env()
    source = CLASSIFY_DEV
    shutil.copy(source / "contracts" / "bramble-oak-coffee.yaml", home / "contracts")
    lines = (source / "timesheets" / "time.csv").read_text().splitlines()
    kept = [lines[0]] + [ln for ln in lines[1:] if ln.startswith("2026-09") and "Bramble" in ln]
    (home / "timesheets" / "time.csv").write_text("\n".join(kept) + "\n")
    return home


def classified(home: Path) -> list[tuple]:
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        return conn.execute("SELECT entry_id, sow_item, work_type, method, review_reasons, suggested_sow_item "
                            "FROM classified_time_entries ORDER BY entry_id").fetchall()


def usage(home: Path) -> tuple:
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        return conn.execute("SELECT classifier, requests, input_tokens, cached_answers, cost_usd "
                            "FROM classifier_usage").fetchone()


def test_claude_classifies_a_month_and_a_rerun_asks_nothing(billing_env, monkeypatch: pytest.MonkeyPatch,
                                                            capsys) -> None:
    home = classify_home(billing_env)
    with AnthropicEmulator() as emulator:
        monkeypatch.setenv("BILLING_CLASSIFIER", "claude")
        monkeypatch.setenv("ANTHROPIC_API_KEY", emulator.api_key)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", emulator.base_url)
        emulator.inject(429, retry_after=1)
        emulator.script_label(notes_contains="moodboards", sow_item="Z9")  # not a SOW id of this client
        assert main(["close", "--month", "2026-09"]) == 0, capsys.readouterr().out
        first_requests = len(emulator.message_requests())
        assert first_requests >= 2 and emulator.requests[0].status == 429
        rows = classified(home)
        assert rows and all(r[3] == "classifier" for r in rows)
        outside = [r for r in rows if r[5] is None and "unknown_sow_item" in r[4]]
        assert len(outside) == 1, "the label outside the SOW is held for review"
        assert all(r[1] in {f"B{i}" for i in range(1, 9)} for r in rows if r not in outside)
        name, requests, input_tokens, cached, cost = usage(home)
        assert name == "claude:claude-haiku-5-5:v1" and requests == first_requests  # incl. the 429
        assert input_tokens > 0 and cost > 0 and cached == 0
        # the client-month's own usage on its page
        page = partition_page("classified_time_entries", "bramble-oak-coffee", "2026-09")
        assert (page["classifier"], page["api_requests"], page["input_tokens"], page["cached_answers"]) == (
            name, requests, input_tokens, 0) and page["cost_usd"] == pytest.approx(float(cost))
        assert page["entries"] == len(rows) and page["held_entries"] == sum(1 for r in rows if r[4]) >= 1
        review = (home / "review" / "2026-09.csv").read_text(encoding="utf-8-sig")
        assert "unknown_sow_item" in review

        assert main(["close", "--month", "2026-09"]) == 0
        assert len(emulator.message_requests()) == first_requests, "an unchanged partition makes 0 requests"
        assert classified(home) == rows
        _, requests, _, cached, _ = usage(home)
        assert requests == 0 and cached == len(rows)  # a rejected label is remembered too: a person decides
        page = partition_page("classified_time_entries", "bramble-oak-coffee", "2026-09")
        assert (page["api_requests"], page["cached_answers"], page["cost_usd"]) == (0, len(rows), 0)


def rationales(home: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        return conn.execute("SELECT entry_id, rationale FROM classified_time_entries ORDER BY entry_id").fetchall()


def test_a_reply_cut_off_is_held_saying_so_and_asked_again_at_the_next_close(billing_env, capsys,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The cascade's Claude reply ends mid-JSON (as at max_tokens): its entries are held saying what happened, not
    remembered, so the next unchanged close asks again; once answered, a further close asks nobody."""
    home = classify_home(billing_env)
    with AnthropicEmulator() as emulator:
        monkeypatch.setenv("BILLING_CLASSIFIER", "cascade")
        monkeypatch.setenv("ANTHROPIC_API_KEY", emulator.api_key)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", emulator.base_url)
        emulator.script_reply('{"labels": [{"key": "e1", "sow_item": "B1", "work_type": "standard", "confidence": 0.9')
        main(["close", "--month", "2026-09"])
        first = len(emulator.message_requests())
        unread = [(e, r) for e, r in rationales(home) if "Claude's reply could not be read" in r]
        assert first == 1 and unread, capsys.readouterr().out
        assert all(r.startswith("rejected: Claude's reply could not be read") and
                   "asked again at the next close" in r and "disagree" not in r for _, r in unread)
        held = {r[0] for r in classified(home) if r[4]}
        assert {e for e, _ in unread} <= held
        assert "Claude's reply could not be read" in (home / "review" / "2026-09.csv").read_text(encoding="utf-8-sig")

        main(["close", "--month", "2026-09"])  # nothing changed: the unread entries are asked again
        second = len(emulator.message_requests())
        assert second > first
        assert not [r for _, r in rationales(home) if "could not be read" in r]
        answered = classified(home)

        assert main(["close", "--month", "2026-09"]) in (0, 1)
        assert len(emulator.message_requests()) == second, "answered entries are remembered: 0 requests"
        assert classified(home) == answered


def test_claude_failing_for_one_client_holds_back_that_client_month_alone(billing_env, capsys,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by an auditor: Claude answering 529 for good for one client failed the classify step for every
    client-month of the run, also those that needed no request, and the summary said "0 priced, 0 failed". Now
    that client-month is held back, named with Claude's error, and the others are priced and pushed."""
    from tests.conftest import GOLDEN

    home = billing_env(GOLDEN / "02_rate_cards_rounding")  # globex: no SOW, nothing to ask Claude
    source = CLASSIFY_DEV
    shutil.copy(source / "contracts" / "bramble-oak-coffee.yaml", home / "contracts")
    lines = (source / "timesheets" / "time.csv").read_text().splitlines()
    (home / "timesheets" / "bramble.csv").write_text(
        "\n".join([lines[0]] + [ln for ln in lines[1:] if ln.startswith("2026-09") and "Bramble" in ln]) + "\n")
    with AnthropicEmulator() as emulator:
        monkeypatch.setenv("BILLING_CLASSIFIER", "claude")
        monkeypatch.setenv("ANTHROPIC_API_KEY", emulator.api_key)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", emulator.base_url)
        emulator.inject(529, times=None)
        assert main(["close", "--month", "2026-09"]) == 1
        out = capsys.readouterr().out
        assert "1 client-month(s) priced, 1 failed" in out
        assert "bramble-oak-coffee 2026-09: not classified: " in out and "BILLING_CLASSIFIER=offline" in out
        assert (home / "outbox" / "2026-09" / "globex.json").exists()
        assert not (home / "outbox" / "2026-09" / "bramble-oak-coffee.json").exists()
        with duckdb.connect(str(home / "billing.duckdb")) as conn:
            assert conn.execute("SELECT client FROM invoices").fetchall() == [("globex",)]
            assert conn.execute("SELECT count(*) FROM classified_time_entries WHERE client = 'bramble-oak-coffee'"
                                ).fetchone() == (0,)
        page = partition_page("classified_time_entries", "bramble-oak-coffee", "2026-09")
        assert page["status"] == "blocked: not classified"

        emulator.clear_faults()  # Claude answers again: the next close prices it
        assert main(["close", "--month", "2026-09"]) == 0, capsys.readouterr().out
        assert (home / "outbox" / "2026-09" / "bramble-oak-coffee.json").exists()
