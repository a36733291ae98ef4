"""QuickBooks as the push target of a month close, through python-quickbooks against the loopback emulator."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from billing_assets.cli import main
from tests.conftest import partition_page


def statuses(home: Path) -> list[tuple]:
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        return conn.execute("SELECT month, status FROM invoice_pushes ORDER BY pushed_at").fetchall()


def test_close_pushes_updates_and_never_touches_a_sent_invoice(qbo_home, capsys) -> None:
    home, emulator = qbo_home
    assert main(["close", "--month", "2026-08..2026-09", "--push", "qbo"]) == 0, capsys.readouterr().out
    assert len(emulator.invoices) == 2
    assert {inv["EmailStatus"] for inv in emulator.invoices.values()} == {"NotSet"}
    assert sorted(Decimal(str(inv["TotalAmt"])) for inv in emulator.invoices.values()) == [
        Decimal("13879.48"), Decimal("14360.42")]

    assert main(["close", "--month", "2026-08..2026-09"]) == 0
    assert len(emulator.invoices) == 2, "a second close creates nothing"
    assert statuses(home) == [("2026-08", "created"), ("2026-09", "created")]

    sheet = home / "timesheets" / "harvest_time_a.csv"
    sheet.write_text(sheet.read_text().replace("day 1,1.40,1.40", "day 1,2.40,2.40", 1))
    assert main(["close", "--month", "2026-08", "--client", "globex"]) == 0
    august = next(inv for inv in emulator.invoices.values() if inv["TxnDate"] == "2026-09-01")
    assert len(emulator.invoices) == 2 and august["SyncToken"] == "1"
    assert statuses(home)[-1] == ("2026-08", "updated")

    assert main(["approve", "--month", "2026-08", "--by", "Dana Finance"]) == 1, "no billing email yet"
    assert "BillEmail" in capsys.readouterr().out and august["EmailStatus"] == "NotSet"
    for customer in emulator.customers.values():  # the bookkeeper sets the customer's billing email in QBO
        customer["PrimaryEmailAddr"] = {"Address": "ap@globex.example"}
    assert main(["approve", "--month", "2026-08", "--by", "Dana Finance"]) == 0
    assert august["EmailStatus"] == "EmailSent"
    assert statuses(home)[-1] == ("2026-08", "sent")
    sent_total, sent_token = august["TotalAmt"], august["SyncToken"]

    sheet.write_text(sheet.read_text().replace("day 1,2.40,2.40", "day 1,3.40,3.40", 1))
    assert main(["close", "--month", "2026-08"]) == 0
    assert (august["TotalAmt"], august["SyncToken"]) == (sent_total, sent_token), "a sent invoice is never modified"
    assert statuses(home)[-1] == ("2026-08", "conflict_sent")
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        diff = conn.execute("SELECT diff FROM invoice_pushes WHERE status = 'conflict_sent'").fetchone()[0]
    assert diff, "the conflict carries a diff of what changed"
    assert len(emulator.invoices) == 2


def test_a_draft_a_person_deleted_is_reported_until_a_close_is_asked_to_draft_it_again(qbo_home, capsys) -> None:
    """Deleting our draft in QuickBooks is a person's decision: each close reports it (on the partition page too) and
    pushes nothing, until `billing close --recreate-deleted` drafts it again, once."""
    home, emulator = qbo_home
    assert main(["close", "--month", "2026-08", "--push", "qbo"]) == 0, capsys.readouterr().out
    ((deleted, invoice),) = emulator.invoices.items()
    emulator.delete_invoice(deleted)
    for _ in range(2):
        capsys.readouterr()
        assert main(["close", "--month", "2026-08"]) == 0
        said = (f"invoice {deleted} ({invoice['DocNumber']}) was deleted in QuickBooks; nothing was pushed. To draft "
                "it again: billing close --month 2026-08 --client globex --recreate-deleted (in the UI, launch the run "
                "with the tag billing/recreate_deleted=true)")
        assert f"\nwarning: globex 2026-08: {said}\n" in capsys.readouterr().out
        assert not emulator.invoices
        page = partition_page("quickbooks_draft_invoices", "globex", "2026-08")
        assert page["push"] == "conflict_deleted"
        assert said in page["conflict_diff"]
    assert statuses(home) == [("2026-08", "created"), ("2026-08", "conflict_deleted"), ("2026-08", "conflict_deleted")]
    with duckdb.connect(str(home / "billing_read.duckdb")) as conn:
        overview = conn.execute("SELECT status, detail FROM firm_overview WHERE month = '2026-08'").fetchall()
    assert overview == [("conflict_deleted", said)]  # one wording: the push's, on the page, the overview, the close
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana Finance"]) == 1
    assert capsys.readouterr().out.split() == ["globex", "2026-08", "failed", "QboError:", *(
        f"invoice {deleted} no longer exists in QuickBooks (a person deleted it); nothing was sent. To draft it "
        "again: billing close --recreate-deleted for its month and client").split()]

    assert main(["close", "--month", "2026-08", "--recreate-deleted"]) == 0
    ((created, again),) = emulator.invoices.items()
    assert created != deleted
    assert (again["DocNumber"], again["TotalAmt"]) == (invoice["DocNumber"], invoice["TotalAmt"])
    assert statuses(home)[-1] == ("2026-08", "created")
    assert main(["close", "--month", "2026-08", "--recreate-deleted"]) == 0
    assert list(emulator.invoices) == [created] and statuses(home)[-1] == ("2026-08", "created"), "drafted once"
