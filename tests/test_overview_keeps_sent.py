"""A client-month whose rows leave the warehouse (its contract's `end` moved before it, or a re-close blocked by
an unreadable export) still had a sent invoice or a pushed draft, but the overview showed only "outside
engagement" or "blocked" with no total: a 25,175.34 invoice the client received looked never billed."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal

import duckdb

from billing_assets.cli import main
from tests.conftest import GOLDEN


def _overview(home) -> dict[str, tuple]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return {m: (s, t) for m, s, t in conn.execute(
            "SELECT month, status, sent_total FROM firm_overview WHERE client = 'globex'").fetchall()}


def test_the_overview_keeps_a_sent_invoice_and_a_pushed_draft_of_a_month_no_longer_priced(closed_golden, capsys,
                                                                                          monkeypatch) -> None:
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08..2026-09")
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text() + "end: 2026-07\n")  # an engagement found to end earlier
    assert main(["close", "--month", "2026-08..2026-09"]) == 0
    overview = _overview(home)
    # the rows of the sent month were said to be "never billed" beside "sent; now outside engagement" (an auditor)
    warnings = [line for line in capsys.readouterr().out.splitlines() if "fall outside the engagement" in line]
    assert warnings == [
        "warning: globex 2026-08: 43 billable time row(s) (62.7 h) and 1 billable expense(s) (412.37) in "
        "expenses/harvest_expenses.csv, timesheets/harvest_time_a.csv fall outside the engagement (no month: the "
        "contract's end 2026-07 is before 2026-08, its first month of source data) now, but were billed on the "
        "invoice sent for 2026-08, which stays as sent: move the contract's start or end back "
        "if they belong to it, or credit them by hand",
        "warning: globex 2026-09: 43 billable time row(s) (62.7 h) and 1 billable expense(s) (412.37) in "
        "expenses/harvest_expenses.csv, timesheets/harvest_time_b.csv fall outside the engagement (no month: the "
        "contract's end 2026-07 is before 2026-08, its first month of source data): "
        "never billed; move the contract's start or end if they belong to it"]
    overview = _overview(home)
    assert overview["2026-08"] == ("sent; now outside engagement", Decimal("13879.4800"))
    assert overview["2026-09"] == ("outside engagement", None)  # its draft was withdrawn (tests/test_withdraw.py)
    assert not (home / "outbox" / "2026-09" / "globex.json").exists()
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:  # the detail beside the status
        (detail,) = conn.execute("SELECT detail FROM firm_overview WHERE month = '2026-08'").fetchone()
    assert "were billed on the invoice sent for 2026-08, which stays as sent" in detail, detail
    capsys.readouterr()
    # validate says it as the close does: it reads which months were sent from the warehouse (it said "never
    # billed" of both months)
    assert main(["validate"]) == 0
    assert [line for line in capsys.readouterr().out.splitlines() if "fall outside the engagement" in line] == warnings
    # a warehouse another process holds (a close running) is waited for a few seconds, not a close's 120 s
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); time.sleep(60)", str(home / "billing.duckdb")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["validate"]) == 0
    finally:
        holder.kill()
        holder.wait()
    out = capsys.readouterr().out
    assert f"warning: the warehouse was not read ({home / 'billing.duckdb'}: the warehouse lock is held by PID " \
           f"{holder.pid} (" in out, out
    # a warehouse it cannot reach does not stop it, and it says what it cannot know
    monkeypatch.setenv("BILLING_DB", "postgresql://billing@127.0.0.1:1/billing")
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "warning: the warehouse was not read (" in out, out
    assert ("a month whose invoice was sent is not known here, so its rows now outside an engagement are said never "
            "billed") in out
    assert "globex 2026-08: 43 billable time row(s) (62.7 h) and 1 billable expense(s) (412.37) in " \
           "expenses/harvest_expenses.csv, timesheets/harvest_time_a.csv fall outside the engagement " \
           "(no month: the contract's end 2026-07 is before 2026-08, its first month of source data): never " \
           "billed" in out


def test_a_sent_month_blocked_by_a_check_shows_what_was_sent(closed_golden, capsys) -> None:
    """Found by an auditor: a duplicate export dropped beside a sent month's (every row twice) failed its
    no_cross_file_duplicates check, and the close and the overview showed the blocked pricing's total (the time
    billed twice) beside "blocked", with no word that the sent invoice stands."""
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    sheet = home / "timesheets" / "harvest_time_a.csv"
    (home / "timesheets" / "harvest_time_a (1).csv").write_bytes(sheet.read_bytes())
    capsys.readouterr()
    assert main(["close", "--month", "2026-08"]) == 1
    row = [line for line in capsys.readouterr().out.splitlines() if line.startswith("globex")]
    assert row == [f"{'globex':<28} 2026-08       13,879.48 USD      66.25       0 sent; now blocked: "
                   "raw_time_entries.no_cross_file_duplicates"]  # the sent invoice's total and hours
    assert _overview(home)["2026-08"] == ("sent; now blocked: raw_time_entries.no_cross_file_duplicates",
                                          Decimal("13879.4800"))


def test_a_sent_month_closed_again_still_says_sent_on_its_page_and_who_approved_it(closed_golden, capsys) -> None:
    """Found by an auditor in the UI: after any later close, the push page of a sent month said `push: unchanged`
    with the draft's wording ("approving now sends the draft without them"), and no word of its approval."""
    from tests.conftest import partition_page

    home = closed_golden(GOLDEN / "03_caps_tiers_fixed_fee", "2026-08")
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    assert main(["close", "--month", "2026-08"]) == 0
    page = partition_page("quickbooks_draft_invoices", "initech", "2026-08")
    assert page["push"] == "sent"
    assert re.fullmatch(r"approved by Dana at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d; sent total 11,631\.00 USD",
                        page["approval"]), page["approval"]
    assert page["held_for_review"].startswith("2 h held for review were not on the sent invoice: ")
    assert "approving now" not in page["held_for_review"]
    priced = partition_page("priced_line_items", "initech", "2026-08")
    assert priced["sent"] == "11,631.00 USD as sent: this price is what was sent"
    contract = home / "contracts" / "initech.yaml"
    contract.write_text(contract.read_text().replace("lead: 250", "lead: 240"))  # edited, no amendment
    assert main(["close", "--month", "2026-08"]) == 0
    priced = partition_page("priced_line_items", "initech", "2026-08")
    assert priced["total"] != "11,631.00 USD"
    assert priced["sent"].startswith("11,631.00 USD as sent; now prices "), priced["sent"]
    assert priced["sent"].endswith(": the next unsent month carries the difference")
    page = partition_page("quickbooks_draft_invoices", "initech", "2026-08")
    assert page["push"] == "conflict_sent" and page["approval"].startswith("approved by Dana at ")


def test_a_sent_month_whose_contract_broke_since_shows_its_total_in_its_currency(closed_golden, capsys) -> None:
    """Found by an auditor in the UI: with the contract broken after a month was sent, the overview read
    "sent; now blocked: contract_valid | 11,631.00 None": the month's invoice is gone, and its currency with it."""
    from billing_assets.overview import as_shown

    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    (home / "contracts" / "globex.yaml").write_text("client: globex\nname: [unclosed\n")
    assert main(["close", "--month", "2026-08"]) == 1
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        cursor = conn.execute("SELECT * FROM firm_overview WHERE client = 'globex' AND month = '2026-08'")
        row = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
    assert (row["status"], row["total"], row["currency"]) == ("sent; now blocked: contract_valid", None, "USD")
    assert as_shown(row) == ("sent; now blocked: contract_valid", Decimal("13879.4800"))
