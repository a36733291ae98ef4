"""A month priced from ledgers that month-1 no longer leaves is stale: re-pricing August alone (a contract
amendment, a UI Materialize of one partition) left September priced from August's old rollover lots, shown as
`pushed` everywhere and approvable, 3,560.70 under-billed in the probe. The overview now says `stale`, approval
refuses it, and closing September again prices it as a close of the whole range would."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from billing_assets.cli import main
from tests.conftest import partition_observation

CONTRACT = """client: rcx
name: "RCX Ltd"
currency: USD
terms_days: 30
default_rate: 100
retainer:
  monthly_fee: 1000
  included_hours: 10
  overage_multiplier: 1.0
  rollover: {max_hours: 20, expires_after_months: 3}
"""
HARVEST = "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name\n"
ROWS = [("2026-08-05", "4"), ("2026-09-07", "14"), ("2026-10-06", "9")]


def _overview(db: Path) -> dict[str, tuple[str, Decimal]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return {m: (s, t) for m, s, t in conn.execute("SELECT month, status, total FROM firm_overview").fetchall()}


def _details(db: Path) -> dict[str, str]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return dict(conn.execute("SELECT month, detail FROM firm_overview WHERE status LIKE 'stale%'").fetchall())


AMENDED = ("amendments:\n  - {effective_from: 2026-08, retainer: {included_hours: 5}}\n"
           "  - {effective_from: 2026-09, retainer: {included_hours: 10}}\n")


def _rcx_closed(billing_env) -> None:
    home = billing_env()
    (home / "contracts" / "rcx.yaml").write_text(CONTRACT)
    (home / "timesheets" / "time.csv").write_text(HARVEST + "".join(
        f"{day},RCX Ltd,Ops,,Support,Work {day},{hours},Yes,Ann,Lee\n" for day, hours in ROWS))
    assert main(["close", "--month", "2026-08..2026-10"]) == 0


def _closed_rcx(built_home) -> tuple[Path, Path]:
    """A home of one rollover client with time in August-October, closed (once per process, a copy per test);
    (home, its contract file)."""
    home = built_home("stale_chain rcx closed 2026-08..2026-10", _rcx_closed)
    return home, home / "contracts" / "rcx.yaml"


def test_a_month_priced_before_its_previous_month_changed_is_stale_until_closed_again(built_home, capsys) -> None:
    home, contract = _closed_rcx(built_home)
    before = _overview(home / "billing.duckdb")
    assert before["2026-09"] == ("pushed", Decimal("1000.0000"))  # 14 h: 6 rolled over from August + 8 of 10

    contract.write_text(CONTRACT + AMENDED)
    assert main(["close", "--month", "2026-08"]) == 0  # August alone: it now carries 1 h, not 6
    assert ("warning: rcx 2026-09: priced from the ledgers of 2026-08 before it was priced again (retainer lots, "
            "lifetime cap totals): close it and the months after it again (`billing close --month 2026-09..2026-10 "
            "--client rcx`) before approving it") in capsys.readouterr().out
    stale = _overview(home / "billing.duckdb")
    assert stale["2026-09"] == ("stale: 2026-08 priced again since", Decimal("1000.0000"))
    assert stale["2026-10"][0] == "stale: 2026-08 priced again since"  # priced from September, itself stale
    # the months' own pages say so too (they showed their last materialization, "priced" and its total, as current)
    for asset in ("priced_line_items", "quickbooks_draft_invoices"):
        assert partition_observation(asset, "rcx", "2026-10") == {
            "status": "stale: priced from the ledgers of 2026-08 before it was priced again (retainer lots, "
                      "lifetime cap totals): close 2026-09..2026-10 again (approval refuses it until then)"}
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 1
    assert ("priced from the ledgers of 2026-08 before it was priced again (retainer lots, lifetime cap totals): "
            "close 2026-09 again") in capsys.readouterr().out
    # October is stale through September: closing October alone prices it from September's stale ledgers, so
    # every page names the range from September (they said "close 2026-10 again", which left it stale)
    assert _details(home / "billing.duckdb") == {
        "2026-09": "priced from the ledgers of 2026-08 before it was priced again (retainer lots, lifetime cap "
                   "totals): close 2026-09 again",
        "2026-10": "priced from the ledgers of 2026-08 before it was priced again (retainer lots, lifetime cap "
                   "totals): close 2026-09..2026-10 again"}
    assert main(["approve", "--month", "2026-10", "--by", "Dana"]) == 1
    assert ("rcx 2026-10 skipped priced from the ledgers of 2026-08 before it was priced again (retainer lots, "
            "lifetime cap totals): close 2026-09..2026-10 again, review the new draft, then approve"
            ) in " ".join(capsys.readouterr().out.split())
    assert main(["close", "--month", "2026-10"]) == 0  # it said nothing of October, still stale
    assert ("warning: rcx 2026-10: priced from the ledgers of 2026-08 before it was priced again (retainer lots, "
            "lifetime cap totals): close the months from 2026-09 (closing 2026-10 alone prices it from the stale "
            "month before it) again (`billing close --month 2026-09..2026-10 --client rcx`) before approving it"
            ) in capsys.readouterr().out
    assert _overview(home / "billing.duckdb")["2026-10"][0] == "stale: 2026-08 priced again since"

    assert main(["close", "--month", "2026-09..2026-10"]) == 0
    # as one close of the whole range prices it (by hand): August 5 h included, 4 used, 1 rolls over; September
    # 1 + 10 covered, 3 h overage at 100; October 9 of its 10
    assert _overview(home / "billing.duckdb") == {"2026-08": ("pushed", Decimal("1000.0000")),
                                                  "2026-09": ("pushed", Decimal("1300.0000")),
                                                  "2026-10": ("pushed", Decimal("1000.0000"))}


def test_a_month_is_not_priced_from_a_previous_month_priced_under_terms_its_contract_no_longer_has(built_home,
                                                                                                    capsys) -> None:
    """Found by an auditor: a UI backfill of September and October ran October's pricing before September's, from
    September's ledgers of before an amendment, and pushed that draft; only the overview said stale afterwards.
    October alone now refuses until September is priced again."""
    home, contract = _closed_rcx(built_home)
    contract.write_text(CONTRACT + AMENDED)
    assert main(["close", "--month", "2026-09", "--client", "rcx"]) == 1  # August changed and was not closed again
    assert ("rcx 2026-09: pricing needs 2026-08 priced again first (retainer rollover): 2026-08 was priced under "
            "other terms than its contract has now, and this month starts from its ledgers. Close them in order: "
            "`billing close --month 2026-08..2026-09 --client rcx`") in capsys.readouterr().out
    assert _overview(home / "billing.duckdb")["2026-09"][0] != "pushed"
    assert main(["close", "--month", "2026-08..2026-10"]) == 0
    assert _overview(home / "billing.duckdb") == {"2026-08": ("pushed", Decimal("1000.0000")),
                                                  "2026-09": ("pushed", Decimal("1300.0000")),
                                                  "2026-10": ("pushed", Decimal("1000.0000"))}


def test_a_first_month_is_stale_once_the_engagement_begins_earlier(billing_env, capsys) -> None:
    """Found by an auditor: September, priced as the engagement's first month (no lots), stayed `pushed` at 1,400
    after `start` moved back to August and August was closed, leaving a 6 h lot; no warning. It is stale now,
    and closing it again prices it from August's lot."""
    home = billing_env()
    contract = home / "contracts" / "rcx.yaml"
    contract.write_text(CONTRACT + "start: 2026-09\n")
    (home / "timesheets" / "time.csv").write_text(HARVEST + "".join(
        f"{day},RCX Ltd,Ops,,Support,Work {day},{hours},Yes,Ann,Lee\n" for day, hours in ROWS))
    assert main(["close", "--month", "2026-08..2026-09"]) == 0
    assert _overview(home / "billing.duckdb")["2026-09"] == ("pushed", Decimal("1400.0000"))  # 14 h: 4 over 10
    contract.write_text(CONTRACT + "start: 2026-08\n")
    capsys.readouterr()
    assert main(["close", "--month", "2026-08"]) == 0
    assert "warning: rcx 2026-09: priced from the ledgers of 2026-08 before it was priced again" in (
        capsys.readouterr().out)
    assert _overview(home / "billing.duckdb")["2026-09"][0] == "stale: 2026-08 priced again since"
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 1
    assert main(["close", "--month", "2026-09"]) == 0
    assert _overview(home / "billing.duckdb")["2026-09"] == ("pushed", Decimal("1000.0000"))  # 6 + 8 covered


def test_start_moved_earlier_names_ranges_that_work_when_followed_literally(built_home, capsys) -> None:
    """Found by an auditor: with `start` moved before the first month priced, each message named a range from the
    first month priced under earlier terms, which pricing refused for the month before it; and the months left
    refused by the first close were never named again. Every command below is the one the previous one gave."""
    home, contract = _closed_rcx(built_home)
    contract.write_text(CONTRACT + "start: 2026-07\n")  # July: a quiet month, its retainer fee billed
    capsys.readouterr()
    assert main(["close", "--month", "2026-09..2026-10"]) == 1
    out = capsys.readouterr().out
    assert ("warning: rcx 2026-08: its contract (contracts/rcx.yaml) changed since it was closed, and the draft was "
            "priced under the earlier terms: close it again (`billing close --month 2026-07..2026-10 --client rcx`) "
            "before approving it") in out
    assert ("rcx 2026-09: pricing needs 2026-08 priced again first (retainer rollover): 2026-08 was priced under "
            "other terms than its contract has now, and this month starts from its ledgers. Close them in order: "
            "`billing close --month 2026-07..2026-09 --client rcx`") in out
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 1
    assert "close 2026-07..2026-08 again, review the new draft, then approve" in capsys.readouterr().out

    assert main(["close", "--month", "2026-07..2026-08"]) == 0  # as approval said; September and October are named
    assert ("warning: rcx 2026-09: not priced when it was last closed, as the months before it needed pricing first; "
            "they are priced now: close it again (`billing close --month 2026-09..2026-10 --client rcx`)"
            ) in capsys.readouterr().out
    assert main(["close", "--month", "2026-09..2026-10"]) == 0
    # by hand: July 10 h included, none used, 10 roll over; August 4 h from July's lot, 6 left + 10 -> max 20;
    # September 14 h covered; October 9 h covered: the fee alone each month
    assert _overview(home / "billing.duckdb") == {m: ("pushed", Decimal("1000.0000"))
                                                  for m in ("2026-07", "2026-08", "2026-09", "2026-10")}


def test_start_moved_after_a_sent_month_leaves_the_new_first_month_not_stale(built_home, capsys) -> None:
    """Found by an auditor: `start` moved after a sent month, the new first month (priced from empty ledgers, as the
    spec says) stayed stale on the sent month's lots, whatever range was closed; approval refused it for good."""
    home, contract = _closed_rcx(built_home)
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    contract.write_text(CONTRACT + "start: 2026-09\n")
    assert main(["close", "--month", "2026-09"]) == 0
    # September is the engagement's first month: 14 h, 10 included, 4 over at 100 (August's 6 h lot is gone)
    assert _overview(home / "billing.duckdb")["2026-09"] == ("pushed", Decimal("1400.0000"))
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 0


def test_a_first_month_is_stale_once_a_late_row_begins_the_engagement_earlier(billing_env, capsys) -> None:
    """The same with no `start` (the engagement begins at the first month of data): a late August row."""
    home = billing_env()
    (home / "contracts" / "rcx.yaml").write_text(CONTRACT)
    sheet = home / "timesheets" / "time.csv"
    sheet.write_text(HARVEST + "".join(
        f"{day},RCX Ltd,Ops,,Support,Work {day},{hours},Yes,Ann,Lee\n" for day, hours in ROWS[1:]))
    assert main(["close", "--month", "2026-09"]) == 0
    assert _overview(home / "billing.duckdb")["2026-09"] == ("pushed", Decimal("1400.0000"))
    (home / "timesheets" / "late.csv").write_text(HARVEST + "2026-08-05,RCX Ltd,Ops,,Support,Late,4,Yes,Ann,Lee\n")
    assert main(["close", "--month", "2026-08"]) == 0
    assert _overview(home / "billing.duckdb")["2026-09"][0] == "stale: 2026-08 priced again since"
    assert main(["close", "--month", "2026-09"]) == 0
    assert _overview(home / "billing.duckdb")["2026-09"] == ("pushed", Decimal("1000.0000"))


def test_a_month_after_start_is_not_priced_as_the_first_when_the_months_before_it_are_quiet(billing_env,
                                                                                            capsys) -> None:
    """Found by an auditor: `start: 2026-08`, a 5 h retainer with rollover, the first time on 1 October. October
    closed alone was priced as the engagement's first month (5 h covered, 2 h overage: 1,200.00) and approved,
    while August and September each leave a 5 h lot (7 h covered: 1,000.00). It is refused now, naming the months
    to close, and closing them in order prices it from their lots."""
    home = billing_env()
    (home / "contracts" / "rcx.yaml").write_text(
        CONTRACT.replace("included_hours: 10", "included_hours: 5").replace("max_hours: 20", "max_hours: 10")
        + "start: 2026-08\n")
    (home / "timesheets" / "time.csv").write_text(HARVEST + "2026-10-01,RCX Ltd,Ops,,Support,Work,7,Yes,Ann,Lee\n")
    assert main(["close", "--month", "2026-10"]) == 1
    assert ("rcx 2026-10: pricing needs 2026-09 priced first (retainer rollover); the client's engagement has months "
            "to bill from 2026-08. Close the months in order, e.g. `billing close --month 2026-08..2026-10 --client "
            "rcx`, or, if the months before 2026-10 were billed outside this product, set `start: 2026-10` in its "
            "contract.") in capsys.readouterr().out
    assert "2026-10" not in _overview(home / "billing.duckdb") or \
        not _overview(home / "billing.duckdb")["2026-10"][0].startswith("pushed")
    assert main(["approve", "--month", "2026-10", "--by", "Dana"]) == 1
    assert main(["close", "--month", "2026-08..2026-10"]) == 0
    assert {m: t for m, (_, t) in _overview(home / "billing.duckdb").items()} == {
        "2026-08": Decimal("1000.0000"), "2026-09": Decimal("1000.0000"), "2026-10": Decimal("1000.0000")}
