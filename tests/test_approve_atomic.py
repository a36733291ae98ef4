"""Approval freezes what was sent, whatever stops or races it: the `sent` record and the `sent_invoices` /
`sent_adjustments` snapshot are written together, a sent month found without its snapshot is repaired, and a
close that re-prices a month while its draft is being sent cannot leave the sent month unfrozen (late time is
then carried by the next unsent month, docs/DECISIONS.md "Time that changes after an invoice was sent")."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

import billing_assets.approve as approve_module
from billing_assets.cli import main
from resources.invoice_sink import OutboxSink
from tests.conftest import GOLDEN

LATE_ROW = ("2026-08-20,Globex Corporation,Strategy Review,GX-STR,Consulting,Extra workshop,10.00,10.00,Yes,No,"
            "Yes,Raj,Patel,,Consultant,Yes,,,,,United States Dollar - USD,\n")
LATE_AMOUNT = Decimal("1805.00")  # 10 h x August's 190, less the 5% discount


def add_late_august_time(home: Path) -> None:
    header = (home / "timesheets" / "harvest_time_a.csv").read_text().splitlines()[0]
    (home / "timesheets" / "late_august.csv").write_text(header + "\n" + LATE_ROW)


def rows(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        return conn.execute(sql, params or []).fetchall()


def invoice(home: Path, month: str) -> tuple[Decimal, str]:
    return rows(home, "SELECT total, content_hash FROM invoices WHERE client = 'globex' AND month = ?", [month])[0]


def carried(home: Path, month: str) -> list[tuple]:
    return rows(home, "SELECT origin_month, amount, hours FROM period_adjustments WHERE client = 'globex' "
                      "AND month = ? ORDER BY origin_month", [month])


def sent(home: Path, month: str) -> list[tuple]:
    return rows(home, "SELECT total, content_hash FROM sent_invoices WHERE client = 'globex' AND month = ?", [month])


def latest_push(home: Path, month: str) -> tuple[str, str]:
    return rows(home, "SELECT status, content_hash FROM invoice_pushes WHERE client = 'globex' AND month = ? "
                      "ORDER BY pushed_at DESC LIMIT 1", [month])[0]


class Crash(Exception):
    """The process stopping between two writes."""


def test_approve_stopped_after_the_sent_record_still_freezes_the_month(closed_golden, monkeypatch, capsys) -> None:
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08..2026-09")
    august, august_hash = invoice(home, "2026-08")
    september, _ = invoice(home, "2026-09")
    original = approve_module.append_rows

    def crash_after_record(conn, table, columns, records):
        original(conn, table, columns, records)
        if table == "invoice_pushes" and any(r[5] == "sent" for r in records):
            raise Crash("stopped after the `sent` record")

    monkeypatch.setattr(approve_module, "append_rows", crash_after_record)
    with pytest.raises(Crash):
        main(["approve", "--month", "2026-08", "--by", "Dana"])
    monkeypatch.setattr(approve_module, "append_rows", original)
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0  # retried by the person
    assert latest_push(home, "2026-08") == ("sent", august_hash)
    assert sent(home, "2026-08") == [(august, august_hash)], "what was sent is frozen"

    add_late_august_time(home)
    assert main(["close", "--month", "2026-08..2026-09"]) == 0, capsys.readouterr().out
    assert invoice(home, "2026-08")[0] == august + LATE_AMOUNT
    assert carried(home, "2026-09") == [("2026-08", LATE_AMOUNT, Decimal("10.0000"))]
    assert invoice(home, "2026-09")[0] == september + LATE_AMOUNT


def test_sent_month_without_its_snapshot_is_repaired_once(closed_golden, capsys) -> None:
    """A month recorded `sent` by an approval that stopped before its snapshot (as before the two were one
    transaction): the next approval of it says already_sent and freezes it from the recorded content hash."""
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08..2026-09")
    august, august_hash = invoice(home, "2026-08")
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    with duckdb.connect(str(home / "billing.duckdb")) as conn:  # the snapshot lost, the record kept
        conn.execute("DELETE FROM sent_invoices")
        conn.execute("DELETE FROM sent_adjustments")
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    assert "already_sent" in capsys.readouterr().out
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0  # idempotent: one snapshot, not two
    assert sent(home, "2026-08") == [(august, august_hash)]
    assert [r[0] for r in rows(home, "SELECT status FROM invoice_pushes WHERE month = '2026-08' AND status = "
                                     "'sent'")] == ["sent"], "no second `sent` record"

    add_late_august_time(home)
    assert main(["close", "--month", "2026-08..2026-09"]) == 0, capsys.readouterr().out
    assert carried(home, "2026-09") == [("2026-08", LATE_AMOUNT, Decimal("10.0000"))]


def test_close_repricing_while_the_draft_is_sent_cannot_lose_what_was_sent(closed_golden, monkeypatch,
                                                                           capsys) -> None:
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08..2026-09")
    august, august_hash = invoice(home, "2026-08")
    september, _ = invoice(home, "2026-09")
    original = OutboxSink.send
    raced = []

    def slow_send(self, known, approved_by):
        result = original(self, known, approved_by)
        if not raced:  # while QuickBooks answers: late time arrives and August is closed again
            raced.append(True)
            add_late_august_time(home)
            assert main(["close", "--month", "2026-08"]) == 0
        return result

    monkeypatch.setattr(OutboxSink, "send", slow_send)
    assert main(["approve", "--month", "2026-08", "--client", "globex", "--by", "Dana"]) == 0
    monkeypatch.setattr(OutboxSink, "send", original)
    assert raced
    repriced, repriced_hash = invoice(home, "2026-08")
    assert repriced == august + LATE_AMOUNT and repriced_hash != august_hash
    assert latest_push(home, "2026-08") == ("sent", august_hash), "the record names the draft that was sent"
    assert sent(home, "2026-08") == [(august, august_hash)], "what was sent is frozen, not the re-priced invoice"

    assert main(["close", "--month", "2026-09"]) == 0, capsys.readouterr().out
    assert carried(home, "2026-09") == [("2026-08", LATE_AMOUNT, Decimal("10.0000"))]
    assert invoice(home, "2026-09")[0] == september + LATE_AMOUNT
    overview = rows(home, "SELECT status FROM firm_overview WHERE client = 'globex' AND month = '2026-08'")
    assert overview == [("sent; changed since",)]  # the carry is September's; August's page shows what was sent


def test_on_postgres_a_close_waits_for_the_send_to_be_recorded_and_frozen(billing_env, monkeypatch, tmp_path,
                                                                         capsys) -> None:
    """PostgreSQL has concurrent writers: a close started while the draft is being sent waits on the month's
    partition lock until the `sent` record and its snapshot are committed, then finds the month sent."""
    import os
    import subprocess
    import sys
    import time

    import psycopg

    from tests.servers import create_database, postgres_cluster

    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    with postgres_cluster() as server:
        url = create_database(server, "approve_race")
        monkeypatch.setenv("BILLING_DB", url)
        monkeypatch.chdir(tmp_path)
        assert main(["close", "--month", "2026-08..2026-09"]) == 0, capsys.readouterr().out
        with psycopg.connect(url, autocommit=True) as db:
            def one(sql: str) -> list[tuple]:
                return db.execute(sql).fetchall()

            august, august_hash = one("SELECT total, content_hash FROM invoices WHERE month = '2026-08'")[0]
            original = OutboxSink.send
            closes: list[subprocess.Popen] = []

            def slow_send(self, known, approved_by):
                result = original(self, known, approved_by)
                add_late_august_time(home)
                closes.append(subprocess.Popen([sys.executable, "-m", "billing_assets.cli", "close", "--month",
                                                "2026-08"], env=dict(os.environ), stdout=subprocess.PIPE,
                                               stderr=subprocess.STDOUT, text=True))
                deadline = time.monotonic() + 180  # the close blocks on the month's lock (or, starting, on
                while not one("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'"):  # its schema check)
                    assert closes[0].poll() is None and time.monotonic() < deadline, "the close did not wait"
                    time.sleep(0.2)
                return result

            monkeypatch.setattr(OutboxSink, "send", slow_send)
            assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
            monkeypatch.setattr(OutboxSink, "send", original)
            output, _ = closes[0].communicate(timeout=300)
            assert closes[0].returncode == 0, output
            assert one("SELECT total, content_hash FROM sent_invoices WHERE month = '2026-08'") == [
                (august, august_hash)]
            pushes = one("SELECT status, content_hash FROM invoice_pushes WHERE month = '2026-08' ORDER BY pushed_at")
            assert pushes[-2:] == [("sent", august_hash), ("conflict_sent", pushes[-1][1])]
            assert main(["close", "--month", "2026-09"]) == 0, capsys.readouterr().out
            assert one("SELECT origin_month, amount, hours FROM period_adjustments WHERE month = '2026-09'") == [
                ("2026-08", LATE_AMOUNT, Decimal("10.0000"))]


def test_approving_again_after_a_kill_past_the_record_mends_the_overview_preview_and_page(closed_golden,
                                                                                          monkeypatch) -> None:
    """An approval killed after its `sent` record and before the rest left the overview `pushed`, the preview "not
    sent" and the partition page `push: created`; approving again said `already_sent` and left them so."""
    from tests.conftest import partition_page

    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")

    def killed(*args, **kwargs):
        raise SystemExit(-9)

    original = approve_module.mark_preview_sent
    monkeypatch.setattr(approve_module, "mark_preview_sent", killed)
    with pytest.raises(SystemExit):
        main(["approve", "--month", "2026-08", "--by", "Dana"])
    monkeypatch.setattr(approve_module, "mark_preview_sent", original)
    preview = home / "outbox" / "2026-08" / "globex.html"
    assert "not sent" in preview.read_text()
    assert rows(home, "SELECT status FROM firm_overview WHERE month = '2026-08'") == [("pushed",)]

    assert main(["approve", "--month", "2026-08", "--by", "Lee"]) == 0
    assert rows(home, "SELECT status FROM firm_overview WHERE month = '2026-08'") == [("sent",)]
    page = preview.read_text()
    assert "Sent: approved by Dana at " in page and "not sent" not in page  # who approved it, not who asked again
    assert partition_page("quickbooks_draft_invoices", "globex", "2026-08")["push"] == "sent"


def test_approving_a_range_with_a_month_outside_the_engagement_succeeds(billing_env, capsys) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text() + "start: 2026-09\n")
    assert main(["close", "--month", "2026-08..2026-09"]) == 0
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08..2026-09", "--by", "Dana"]) == 0
    lines = [" ".join(line.split()) for line in capsys.readouterr().out.splitlines()]
    assert "globex 2026-08 skipped outside the engagement (2026-09..): nothing to approve" in lines, lines
    assert any(line.startswith("globex 2026-09 sent approved by Dana at ") for line in lines), lines
    # the UI says what the CLI's validate says: August's billable time is never billed (it said only "outside")
    from tests.conftest import partition_page

    # the review step says so too (it said "0 held entries"), and writes no header-only review/2026-08.csv
    assert partition_page("review_queue", "globex", "2026-08")["status"] == "outside the engagement: nothing priced"
    assert not (home / "review" / "2026-08.csv").exists() and (home / "review" / "2026-09.csv").exists()
    problems = partition_page("priced_line_items", "globex", "2026-08")["problems"]
    assert problems == (
        "- 2026-08 is outside the engagement (2026-09..; start from contract)\n"
        "- 43 billable time row(s) (62.7 h) and 1 billable expense(s) (412.37) in expenses/harvest_expenses.csv, "
        "timesheets/harvest_time_a.csv fall outside the engagement (2026-09..): never billed; move the contract's "
        "start or end if they belong to it")


def test_approval_without_a_name_or_with_an_unknown_client_says_so_in_one_line(closed_golden, monkeypatch,
                                                                               capsys) -> None:
    """Found by an auditor: with no $USER and no --by, approval ended in a traceback; a mistyped --client was
    "skipped, no pushed draft" with exit 0, as if that client had nothing due."""
    closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", " "]) == 2
    assert capsys.readouterr().err == ("billing: approval records who approved: give your name with --by (no $USER "
                                       "to default to)\n")
    assert main(["approve", "--month", "2026-08", "--client", "globx", "--by", "Dana"]) == 1
    said = capsys.readouterr()
    assert said.err == "billing: no client globx: no contracts/<client>.yaml and nothing priced for 2026-08\n"
    assert said.out == ""
    assert main(["approve", "--month", "2026-08", "--client", "globex", "--by", "Dana"]) == 0
    assert "globex                       2026-08  sent" in capsys.readouterr().out
