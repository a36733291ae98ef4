"""Time that changes after a month's invoice was sent: the sent invoice is never rewritten; the difference is
carried once by the next unsent month, flagged for review, and hours reconcile across the months."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from billing_assets.cli import main
from tests.conftest import GOLDEN

LATE_ROW = ("2026-08-28,Globex Corporation,Strategy Review,GX-STR,Consulting,Late entry: workshop follow-up,"
            "{hours},{hours},Yes,No,Yes,Raj,Patel,,Consultant,Yes,,,,,United States Dollar - USD,\n")


def add_late_august_time(home: Path, hours: str, name: str) -> None:
    header = (home / "timesheets" / "harvest_time_a.csv").read_text().splitlines()[0]
    (home / "timesheets" / name).write_text(header + "\n" + LATE_ROW.format(hours=hours))


def invoice(home: Path, month: str) -> tuple[Decimal, list[tuple]]:
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        total = conn.execute("SELECT total FROM invoices WHERE month = ?", [month]).fetchone()[0]
        adjustments = conn.execute("SELECT origin_month, amount, hours FROM period_adjustments WHERE month = ?",
                                   [month]).fetchall()
    return total, adjustments


def hours(home: Path) -> tuple[Decimal, Decimal]:
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        raw = conn.execute("SELECT sum(hours) FROM raw_time_entries").fetchone()[0]
        out = conn.execute("SELECT sum(source_hours) FROM entry_outcomes").fetchone()[0]
    return raw, out


def test_late_time_after_sending_is_carried_once(closed_golden, capsys) -> None:
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08..2026-09")
    august_sent, _ = invoice(home, "2026-08")
    september_before, _ = invoice(home, "2026-09")
    outbox = (home / "outbox" / "2026-08" / "globex.json").read_text()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0

    add_late_august_time(home, "2.00", "late_1.csv")  # 2 h x 205 (Sept rate? no: August's 190) = 380 less 5%
    assert main(["close", "--month", "2026-08..2026-09"]) == 0, capsys.readouterr().out
    august_now, _ = invoice(home, "2026-08")
    assert august_now - august_sent == Decimal("361.00")  # 2 h x 190 = 380, less the 5% discount
    assert (home / "outbox" / "2026-08" / "globex.json").read_text() == outbox, "the sent invoice is untouched"
    september, adjustments = invoice(home, "2026-09")
    assert adjustments == [("2026-08", Decimal("361.00"), Decimal("2.00"))]
    assert september == september_before + Decimal("361.00")
    assert main(["close", "--month", "2026-08..2026-09"]) == 0
    assert invoice(home, "2026-09") == (september, adjustments), "re-closing carries it once, not twice"
    raw, accounted = hours(home)
    assert raw == accounted
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        flagged = conn.execute("SELECT passed FROM check_results WHERE month = '2026-09' "
                               "AND check_name = 'late_changes_carried'").fetchone()[0]
        pushed = conn.execute("SELECT status FROM invoice_pushes WHERE month = '2026-08' "
                              "ORDER BY pushed_at DESC LIMIT 1").fetchone()[0]
    assert flagged is False and pushed == "conflict_sent"

    # September goes out with the adjustment; then more August time arrives: October carries only the new part
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 0
    add_late_august_time(home, "1.00", "late_2.csv")
    capsys.readouterr()
    assert main(["close", "--month", "2026-08..2026-10"]) == 0
    # the summary said "(+541.50): the next unsent month carries the difference", of which September carried 361.00
    assert (f"sent; now prices {august_sent + Decimal('541.50'):,.2f} USD (+541.50 since sent, +180.50 still to "
            "carry): the next unsent month carries the difference") in capsys.readouterr().out
    assert invoice(home, "2026-09") == (september, adjustments), "a sent month keeps what it carried"
    october, carried = invoice(home, "2026-10")
    assert carried == [("2026-08", Decimal("180.50"), Decimal("1.00"))]
    assert october == Decimal("180.50")
    total_sent_and_owed = august_sent + september + october
    assert total_sent_and_owed == invoice(home, "2026-08")[0] + september_before


def test_an_adjustment_says_whether_hours_or_only_prices_changed() -> None:
    """A sent month repriced with the same hours (a contract's rate edited after sending) is not "time changed"."""
    from billing_assets.core.adjustments import PeriodAdjustment
    from billing_assets.core.contract import Contract
    from billing_assets.core.pricing import price_month

    contract = Contract.model_validate({"client": "acme", "name": "Acme", "default_rate": Decimal("100")})
    result = price_month(contract, "2026-10", [], [], None, [
        PeriodAdjustment("2026-08", Decimal("12.50"), Decimal("0")),
        PeriodAdjustment("2026-09", Decimal("-150.00"), Decimal("-1.5"))])
    assert [(line.description, line.amount) for line in result.lines] == [
        ("Adjustment for 2026-08: charges changed after that invoice was sent (expenses or prices), same billed "
         "hours", Decimal("12.50")),
        ("Adjustment for 2026-09: billed hours changed after that invoice was sent (-1.5 h)", Decimal("-150.00"))]


def overview_status(home: Path, month: str) -> str:
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        return conn.execute("SELECT status FROM firm_overview WHERE client = 'globex' AND month = ?",
                            [month]).fetchone()[0]


def test_a_draft_priced_before_a_sent_month_changed_is_not_sent_without_the_change(closed_golden, capsys) -> None:
    """August sent, September's draft pushed; then late August time and only August closed again. September's
    draft did not carry the +361.00, approval sent it as it was, and closing September again found it sent: the
    difference was lost with exit 0 (a client without retainer lots or lifetime caps was never stale)."""
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08..2026-09")
    september_before, _ = invoice(home, "2026-09")
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    add_late_august_time(home, "2.00", "late_1.csv")
    capsys.readouterr()
    assert main(["close", "--month", "2026-08"]) == 0
    out = capsys.readouterr().out
    assert ("globex 2026-09: priced before the sent 2026-08 was priced again, so it does not carry 2026-08's late "
            "change as it is now: close it and the months after it again (`billing close --month 2026-09..2026-09 "
            "--client globex`) before approving it") in out
    assert overview_status(home, "2026-09") == "stale: 2026-08 priced again since (its late change to carry)"
    with duckdb.connect(str(home / "billing.duckdb")) as conn:  # it said "priced from the ledgers of 2026-08"
        (detail,) = conn.execute("SELECT detail FROM firm_overview WHERE month = '2026-09'").fetchone()
    assert detail == ("priced before the sent 2026-08 was priced again, so it does not carry 2026-08's late change "
                      "as it is now: close 2026-09 again")

    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 1
    said = capsys.readouterr().out.split()
    assert said[:3] == ["globex", "2026-09", "skipped"]
    assert " ".join(said[3:]) == ("priced before the sent 2026-08 was priced again, so it does not carry 2026-08's "
                                  "late change as it is now: close 2026-09 again, review the new draft, then approve")
    assert main(["close", "--month", "2026-09"]) == 0
    september, carried = invoice(home, "2026-09")
    assert carried == [("2026-08", Decimal("361.00"), Decimal("2.00"))]
    assert september == september_before + Decimal("361.00")
    assert overview_status(home, "2026-09") == "pushed"
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 0


def test_a_late_change_no_unsent_month_of_the_engagement_can_carry_is_named(billing_env, capsys) -> None:
    """Every month up to the engagement's `end` sent, then late time in an earlier one: no invoice can carry it."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text() + "end: 2026-09\n")
    assert main(["close", "--month", "2026-08..2026-09"]) == 0
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 0
    add_late_august_time(home, "2.00", "late_1.csv")
    capsys.readouterr()
    assert main(["close", "--month", "2026-08"]) == 0
    warnings = [line for line in capsys.readouterr().out.splitlines() if "no later invoice" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: globex 2026-08: sent at ")
    assert warnings[0].endswith("(+361.00 not carried): the engagement ends 2026-09 and every month after it up to "
                                "2026-09 was sent, so no later invoice carries the difference; bill or credit it by "
                                "hand, or move the contract's `end`")


def test_approving_a_draft_with_held_hours_says_so_and_the_next_month_carries_them_once_reviewed(
        billing_env, capsys) -> None:
    """Approval sent a "pushed, needs review" draft without a word about the hours held off it."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    add_late_august_time(home, "25.00", "long.csv")  # one entry over 24 h: held (implausible_hours)
    assert main(["close", "--month", "2026-08..2026-09"]) == 0
    september_before, _ = invoice(home, "2026-09")
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "; 25 h held for review are not on it: once reviewed and 2026-08 closed again, the next unsent month " \
           "carries them" in said
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        entry = conn.execute("SELECT entry_id FROM review_queue WHERE month = '2026-08'").fetchone()[0]
    (home / "overrides").mkdir(exist_ok=True)
    (home / "overrides" / "2026-08.csv").write_text(f"entry_id,action\n{entry},bill\n")
    assert main(["close", "--month", "2026-08..2026-09"]) == 0
    september, carried = invoice(home, "2026-09")
    assert carried == [("2026-08", Decimal("4512.50"), Decimal("25.00"))]  # 25 h x 190, less the 5% discount
    assert september == september_before + Decimal("4512.50")


def test_the_pages_of_a_sent_month_priced_again_show_what_was_sent(closed_golden, capsys) -> None:
    """After late time on a sent month, the overview said "conflict_sent" with a total never sent, the push's page
    showed the re-priced total, and its preview was rewritten with it under "Draft for review: not sent"; after
    the approval the partition page still said `push: created` and the preview "not sent"."""
    from dagster import AssetKey, DagsterInstance

    from billing_assets.overview import as_shown
    from tests.conftest import partition_page

    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08..2026-09")
    sent_total, _ = invoice(home, "2026-08")
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    page = partition_page("quickbooks_draft_invoices", "globex", "2026-08")
    assert page["push"] == "sent" and page["approval"].startswith("approved by Dana at ")
    preview = home / "outbox" / "2026-08" / "globex.html"
    sent_page = preview.read_text()
    assert "Sent: approved by Dana at " in sent_page and "not sent" not in sent_page

    add_late_august_time(home, "2.00", "late_1.csv")
    assert main(["close", "--month", "2026-08"]) == 0
    assert preview.read_text() == sent_page, "the preview of the sent invoice stays what was sent"
    assert partition_page("quickbooks_draft_invoices", "globex", "2026-08")["total"] == (
        f"{sent_total:,.2f} USD as sent; now prices {sent_total + 361:,.2f} USD (+361.00): the next unsent month "
        "carries the difference")
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        cursor = conn.execute("SELECT * FROM firm_overview WHERE client = 'globex' AND month = '2026-08'")
        row = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
    assert row["status"] == "sent; changed since"
    assert as_shown(row) == (f"sent; now prices {sent_total + 361:,.2f} USD (+361.00): the next unsent month carries "
                             "the difference", sent_total)
    with DagsterInstance.get() as instance:  # the overview's page in the UI
        overview = instance.fetch_materializations(AssetKey("firm_overview"), limit=1).records[0] \
            .asset_materialization.metadata["overview"].value
    assert (f"| globex | 2026-08 | sent; now prices {sent_total + 361:,.2f} USD (+361.00): the next unsent month "
            f"carries the difference | {sent_total:,.2f} USD |") in overview
