"""`billing export ledes` of months a LEDES file must not be written for: a sent month re-priced since (its file
would put the re-priced total under the sent invoice number, while a later month's invoice already carries the
difference: billed twice), and a stale month (priced from ledgers its previous month no longer leaves)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from billing_assets.cli import main
from billing_assets.core.invoice import doc_number
from tests.conftest import GOLDEN
from tests.test_ledes import LEDES_BLOCK, check_ledes_1998b
from tests.test_stale_chain import CONTRACT as RCX_CONTRACT
from tests.test_stale_chain import HARVEST, ROWS

LATE_ROW = ("2026-08-28,Globex Corporation,Strategy Review,GX-STR,Consulting,Late entry: workshop follow-up,"
            "{hours},{hours},Yes,No,Yes,Raj,Patel,,Consultant,Yes,,,,,United States Dollar - USD,\n")
RCX_LEDES = """ledes:
  law_firm_id: 12-3456789
  client_id: RCX
  matter_id: RCX-001
  client_matter_id: OPS-1
  task_code: L190
"""


def add_late_august_time(home: Path, hours: str, name: str) -> None:
    header = (home / "timesheets" / "harvest_time_a.csv").read_text().splitlines()[0]
    (home / "timesheets" / name).write_text(header + "\n" + LATE_ROW.format(hours=hours))


def invoice(home: Path, month: str) -> tuple[Decimal, list[tuple]]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        total = conn.execute("SELECT total FROM invoices WHERE month = ?", [month]).fetchone()[0]
        adjustments = conn.execute("SELECT origin_month, amount, hours FROM period_adjustments WHERE month = ?",
                                   [month]).fetchall()
    return total, adjustments


def _sent(home: Path, month: str) -> tuple[Decimal, str]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return conn.execute("SELECT total, content_hash FROM sent_invoices WHERE month = ?", [month]).fetchone()


def test_a_sent_month_re_priced_since_is_not_exported_under_its_sent_number(billing_env, capsys) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text() + LEDES_BLOCK)
    assert main(["close", "--month", "2026-08..2026-09"]) == 0
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    sent_total, _ = _sent(home, "2026-08")

    # sent and unchanged: exported as it was sent
    out = home.parent / "ledes_sent"
    capsys.readouterr()
    assert main(["export", "ledes", "--month", "2026-08", "--out", str(out)]) == 0
    records = check_ledes_1998b((out / "globex_2026-08.ledes").read_bytes().decode("ascii"))
    assert Decimal(records[0]["INVOICE_TOTAL"]) == sent_total
    assert records[0]["INVOICE_NUMBER"] == doc_number("globex", "2026-08")

    # late August time: August is re-priced, September carries the difference
    add_late_august_time(home, "2.00", "late_1.csv")
    assert main(["close", "--month", "2026-08..2026-09"]) == 0, capsys.readouterr().out
    august_now, _ = invoice(home, "2026-08")
    september, adjustments = invoice(home, "2026-09")
    assert august_now - sent_total == Decimal("361.00") and adjustments == [("2026-08", Decimal("361.00"),
                                                                            Decimal("2.00"))]

    out = home.parent / "ledes_late"
    capsys.readouterr()
    assert main(["export", "ledes", "--month", "2026-08..2026-09", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert not (out / "globex_2026-08.ledes").exists(), "the re-priced total under the sent invoice number"
    assert (f"globex 2026-08: skipped: sent as {doc_number('globex', '2026-08')} for {sent_total:,.2f} and "
            f"re-priced since (now {august_now:,.2f}); the difference of +361.00 is billed on later months' "
            "invoices as a prior-period adjustment, so the LEDES file of this month is the one exported when it "
            "was sent") in printed, printed
    assert "1 LEDES file(s) written" in printed
    records = check_ledes_1998b((out / "globex_2026-09.ledes").read_bytes().decode("ascii"))
    assert Decimal(records[0]["INVOICE_TOTAL"]) == september  # carries the 361.00 once
    assert [r["LINE_ITEM_TOTAL"] for r in records if r["EXP/FEE/INV_ADJ_TYPE"] == "IF"
            and r["LINE_ITEM_TOTAL"] == "361.00"] == ["361.00"]


def test_a_stale_month_is_not_exported_and_the_command_fails(billing_env, capsys) -> None:
    home = billing_env()
    contract = home / "contracts" / "rcx.yaml"
    contract.write_text(RCX_CONTRACT + RCX_LEDES)
    (home / "timesheets" / "time.csv").write_text(HARVEST + "".join(
        f"{day},RCX Ltd,Ops,,Support,Work {day},{hours},Yes,Ann,Lee\n" for day, hours in ROWS))
    assert main(["close", "--month", "2026-08..2026-10"]) == 0
    contract.write_text(RCX_CONTRACT + RCX_LEDES
                        + "amendments:\n  - {effective_from: 2026-08, retainer: {included_hours: 5}}\n"
                          "  - {effective_from: 2026-09, retainer: {included_hours: 10}}\n")
    assert main(["close", "--month", "2026-08"]) == 0  # August alone: September is now stale

    out = home.parent / "ledes_stale"
    capsys.readouterr()
    assert main(["export", "ledes", "--month", "2026-08..2026-09", "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    assert not (out / "rcx_2026-09.ledes").exists()
    assert ("rcx 2026-09: not exported: priced from the ledgers of 2026-08 before it was priced again (retainer "
            "lots, lifetime cap totals): close 2026-09 again (`billing close --month 2026-09 --client rcx`)"
            ) in printed, printed
    assert (out / "rcx_2026-08.ledes").exists() and "1 LEDES file(s) written" in printed

    assert main(["close", "--month", "2026-09..2026-10"]) == 0
    capsys.readouterr()
    assert main(["export", "ledes", "--month", "2026-09", "--out", str(out)]) == 0
    records = check_ledes_1998b((out / "rcx_2026-09.ledes").read_bytes().decode("ascii"))
    assert Decimal(records[0]["INVOICE_TOTAL"]) == Decimal("1300.00")  # 1 h rolled over, 3 h overage
