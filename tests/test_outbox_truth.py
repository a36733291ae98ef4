"""The outbox payload is what the warehouse priced: a close killed after writing a re-priced payload and before
recording its push left that payload (15,684.48) under the old record (13,879.48); once the timesheet was reverted,
the next close called the draft unchanged by its hash and approval sent the wrong file."""

from __future__ import annotations

import json
from decimal import Decimal

import duckdb

from billing_assets.cli import main
from tests.conftest import GOLDEN


def test_an_outbox_file_that_differs_from_its_record_is_written_again(closed_golden, capsys) -> None:
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    draft = home / "outbox" / "2026-08" / "globex.json"
    priced = json.loads(draft.read_text())
    left_behind = {**priced, "Line": priced["Line"][:1]}  # what a killed close's re-priced write left there
    draft.write_text(json.dumps(left_behind, indent=2) + "\n")
    assert main(["close", "--month", "2026-08"]) == 0
    assert json.loads(draft.read_text()) == priced
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        statuses = [s for (s,) in conn.execute("SELECT status FROM invoice_pushes WHERE client = 'globex' AND "
                                               "month = '2026-08' ORDER BY pushed_at").fetchall()]
        total = conn.execute("SELECT total FROM invoices WHERE client = 'globex' AND month = '2026-08'").fetchone()[0]
    assert statuses == ["created", "updated"] and total == Decimal("13879.48")
    capsys.readouterr()


def test_a_sent_outbox_file_written_in_an_earlier_format_is_never_written_again(closed_golden, capsys) -> None:
    """Found by an auditor: after an upgrade that writes payloads otherwise (the same invoice, `"Qty": 1.0` now
    `1`), closing a sent month again rewrote its sent file and recorded `updated` after `sent`: the month was a
    draft again, its preview "not sent", approval called it sent by a person, and a late row was billed both in
    the rewritten sent file and as the next month's adjustment."""
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    sent = home / "outbox" / "2026-08" / "globex.json"
    as_written_then = json.dumps(json.loads(sent.read_text()), indent=4) + "\n"  # an earlier release's layout
    sent.write_text(as_written_then)
    capsys.readouterr()
    assert main(["close", "--month", "2026-08"]) == 0
    assert sent.read_text() == as_written_then
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        statuses = [s for (s,) in conn.execute("SELECT status FROM invoice_pushes WHERE client = 'globex' AND "
                                               "month = '2026-08' ORDER BY pushed_at").fetchall()]
    assert statuses == ["created", "sent"]
    assert "Sent: approved by Dana at " in (home / "outbox" / "2026-08" / "globex.html").read_text()
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Eve"]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert said == "globex 2026-08 already_sent sent earlier"  # it said "sent in QuickBooks by a person""


def test_a_month_the_outbox_says_was_sent_is_not_drafted_again_over_a_restored_warehouse(billing_env,
                                                                                          capsys) -> None:
    """Found by an auditor: billing.duckdb restored from a backup made before August was sent; the next close
    drafted August again over the file the client received, and approval sent it a second time (another name)."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    db = home / "billing.duckdb"
    assert main(["close", "--month", "2026-08"]) == 0
    backup = db.read_bytes()  # last week's backup: August pushed, not yet sent
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    sent = (home / "outbox" / "2026-08" / "globex.json").read_text()
    db.write_bytes(backup)
    (home / "billing_read.duckdb").unlink(missing_ok=True)
    capsys.readouterr()
    main(["close", "--month", "2026-08"])
    assert "globex                       2026-08       13,879.48 USD      66.25       0 sent" in capsys.readouterr().out
    assert (home / "outbox" / "2026-08" / "globex.json").read_text() == sent
    assert "Sent: approved by Dana at " in (home / "outbox" / "2026-08" / "globex.html").read_text()
    assert main(["approve", "--month", "2026-08", "--by", "Frank"]) == 0  # nothing sent again, and not by Frank
    assert " ".join(capsys.readouterr().out.split()) == (
        "globex 2026-08 already_sent the outbox marks it sent, but the warehouse had no record of the sending "
        "(restored from an earlier backup?); what was sent is frozen")
    with duckdb.connect(str(db), read_only=True) as conn:
        assert [s for (s,) in conn.execute("SELECT status FROM invoice_pushes ORDER BY pushed_at").fetchall()] == [
            "created", "conflict_sent"]
        assert conn.execute("SELECT approved_by, total FROM sent_invoices").fetchall() == [
            ("an approval the warehouse has no record of (the outbox marks it sent: restored from a backup?)",
             Decimal("13879.4800"))]


def test_a_draft_deleted_from_the_outbox_is_not_recorded_sent(closed_golden, capsys) -> None:
    """Found by an auditor: approval of a month whose outbox payload a person deleted said "sent", exit 0, with
    nothing there to send. It is skipped, saying to close the month again; the close writes it again."""
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    payload = home / "outbox" / "2026-08" / "globex.json"
    written = payload.read_text()
    payload.unlink()
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 1
    assert " ".join(capsys.readouterr().out.split()) == (
        "globex 2026-08 skipped outbox/2026-08/globex.json is missing (deleted since its push?): nothing was sent; "
        "close 2026-08 again to write it, review it, then approve")
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM sent_invoices").fetchone() == (0,)
    assert main(["close", "--month", "2026-08"]) == 0
    assert payload.read_text() == written
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
