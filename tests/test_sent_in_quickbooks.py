"""A draft a person sends from QuickBooks itself, not through `billing approve`. Late time then re-priced the
month; the push found the invoice sent (`conflict_sent`) and left it, but nothing recorded what was sent, so the
next month carried nothing and its approval sent it short: the late hours were never billed. Now the push freezes
the version we last pushed as sent, and the next unsent month carries the difference."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from billing_assets.cli import main
from billing_assets.core.invoice import doc_number
from billing_assets.core.money import shown_hours
from billing_assets.push import SENT_IN_SINK

LATE_ROW = ("2026-08-28,Globex Corporation,Strategy Review,GX-STR,Consulting,Late entry: workshop follow-up,"
            "2.00,2.00,Yes,No,Yes,Raj,Patel,,Consultant,Yes,,,,,United States Dollar - USD,\n")


def _table(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_a_draft_sent_in_quickbooks_is_frozen_and_its_late_change_carried(qbo_home, capsys) -> None:
    home, emulator = qbo_home
    assert main(["close", "--month", "2026-08"]) == 0
    [(august_total,)] = _table(home, "SELECT total FROM invoices WHERE month = '2026-08'")
    [invoice_id] = [i for i, inv in emulator.invoices.items() if inv["DocNumber"] == doc_number("globex", "2026-08")]
    emulator.send_invoice(invoice_id)  # the bookkeeper sends it from QuickBooks

    header = (home / "timesheets" / "harvest_time_a.csv").read_text().splitlines()[0]
    (home / "timesheets" / "late.csv").write_text(header + "\n" + LATE_ROW)  # 2 h at the consultant's 190/h
    assert main(["close", "--month", "2026-08"]) == 0
    assert _table(home, "SELECT month, total, approved_by FROM sent_invoices") == [
        ("2026-08", august_total, SENT_IN_SINK)]
    [(now_total,)] = _table(home, "SELECT total FROM invoices WHERE month = '2026-08'")
    assert now_total > august_total
    assert _table(home, "SELECT status FROM firm_overview WHERE month = '2026-08'") == [("sent; changed since",)]
    [(sent_hours, now_hours)] = _table(home, "SELECT sent_hours, hours_billed FROM firm_overview "
                                             "WHERE month = '2026-08'")
    assert now_hours - sent_hours == 2  # the overview and the close show the hours as sent beside the sent total
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("globex")]
    # the billed-hours column of the second close's line (the first close's line showed the same hours)
    assert len(printed) == 2 and printed[1].split()[4] == f"{shown_hours(sent_hours):f}"
    assert shown_hours(sent_hours) != shown_hours(now_hours)

    assert main(["close", "--month", "2026-09"]) == 0
    assert _table(home, "SELECT origin_month, amount, hours FROM period_adjustments WHERE month = '2026-09'") == [
        ("2026-08", now_total - august_total, Decimal("2"))]
    # QuickBooks's August invoice was never touched, and approving August says it went out
    assert emulator.invoices[invoice_id]["EmailStatus"] == "EmailSent"
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    assert "already_sent  sent in QuickBooks by a person, not through approval" in capsys.readouterr().out


def test_a_customer_renamed_in_quickbooks_is_not_created_again(qbo_home, capsys) -> None:
    """A person renamed the client's customer in QuickBooks; the next month found no customer of the contract's
    name and created one, splitting the client's receivables in two without a word."""
    home, emulator = qbo_home
    assert main(["close", "--month", "2026-08"]) == 0
    [(customer_id, customer)] = list(emulator.customers.items())
    customer["DisplayName"] = "Globex Corp International"
    capsys.readouterr()
    assert main(["close", "--month", "2026-09"]) == 1
    out = capsys.readouterr().out
    assert (f"globex|2026-09: no QuickBooks customer is named 'Globex Corporation', but this client's "
            f"{doc_number('globex', '2026-08')} is billed to customer {customer_id}") in out
    assert list(emulator.customers) == [customer_id] and len(emulator.invoices) == 1


def test_approving_a_draft_a_person_edited_says_what_to_do(qbo_home, capsys) -> None:
    """Approval said "changed since it was approved" of a draft never approved, or "close the month again" when a
    close only found the person's edit again."""
    home, emulator = qbo_home
    assert main(["close", "--month", "2026-08"]) == 0
    [invoice_id] = list(emulator.invoices)
    for customer in emulator.customers.values():
        customer["PrimaryEmailAddr"] = {"Address": "ap@globex.example"}
    emulator.edit_invoice(invoice_id, {"CustomerMemo": {"value": "Thanks for your business"}})
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 1
    assert "was changed in QuickBooks since we pushed it" in capsys.readouterr().out

    header = (home / "timesheets" / "harvest_time_a.csv").read_text().splitlines()[0]
    (home / "timesheets" / "late.csv").write_text(header + "\n" + LATE_ROW)
    assert main(["close", "--month", "2026-08"]) == 0  # conflict_edited: the person's version stays
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 1
    assert (f"a person edited {doc_number('globex', '2026-08')} in QuickBooks, so the month's new draft was not "
            "pushed over it") in capsys.readouterr().out
    assert emulator.invoices[invoice_id].get("EmailStatus") != "EmailSent"
