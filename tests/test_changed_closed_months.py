"""A row dated in a month already closed, arriving in a later month's export (August time in September's file),
was read by no close: September's close skips it, August's invoice stays short, and approval sends it. The close
now names every other priced month of its clients whose exports changed since it was closed."""

from __future__ import annotations

from decimal import Decimal

from billing_assets.cli import main
from tests.conftest import GOLDEN, partition_page


def test_the_close_names_a_closed_month_whose_exports_changed(billing_env, capsys) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    assert main(["close", "--month", "2026-08"]) == 0
    capsys.readouterr()
    sheet = home / "timesheets" / "harvest_time_b.csv"
    header, *rows = sheet.read_text().splitlines(keepends=True)
    september = next(r for r in rows if r.startswith("2026-09"))
    (home / "timesheets" / "harvest_time_b.csv").write_text(
        header + "".join(rows) + "2026-08-30" + september[10:])  # a late August row
    assert main(["close", "--month", "2026-09"]) == 0
    out = capsys.readouterr().out
    assert (f"warning: globex 2026-08: its exports changed since it was closed (1 row(s) new or edited: "
            f"timesheets/harvest_time_b.csv row {len(rows) + 1}; 0 gone or edited): close it again (`billing close "
            "--month 2026-08..2026-09 --client globex`)") in out
    assert main(["close", "--month", "2026-08"]) == 0  # closed again: its exports and rows agree
    assert "exports changed since" not in capsys.readouterr().out


def test_a_late_change_to_the_engagements_last_sent_month_is_named(billing_env, capsys) -> None:
    """A sent month's late change is carried by the next unsent month; after the engagement's `end` there is none,
    and the +125.00 of a month re-priced after it was sent was lost with exit 0."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text() + "end: 2026-08\n")
    assert main(["close", "--month", "2026-08"]) == 0
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    sheet = home / "timesheets" / "harvest_time_a.csv"
    header, *rows = sheet.read_text().splitlines(keepends=True)
    august = next(r for r in rows if r.startswith("2026-08"))
    sheet.write_text(header + "".join(rows) + "2026-08-30" + august[10:])  # late time in the sent month
    capsys.readouterr()
    assert main(["close", "--month", "2026-08"]) == 0
    warnings = [line for line in capsys.readouterr().out.splitlines() if "no later invoice" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: globex 2026-08: sent at 13,879.48, now prices ")
    assert warnings[0].endswith("the engagement ends 2026-08, so no later invoice carries the difference; bill or "
                                "credit it by hand, or move the contract's `end`")
    # the summary, the overview and the push page said "the next unsent month carries the difference" (an auditor)
    late = warnings[0].split("now prices ")[1].split(" ")[0]
    said = (f"now prices {late} USD (+{Decimal(late.replace(',', '')) - Decimal('13879.48'):,.2f}): the engagement "
            "ends 2026-08 and every month to then was sent, so no invoice carries it; bill or credit it by hand, or "
            "move the contract's `end`")
    assert partition_page("quickbooks_draft_invoices", "globex", "2026-08")["total"] == f"13,879.48 USD as sent; {said}"
    assert main(["close", "--month", "2026-08"]) == 0
    assert f"sent; {said}" in capsys.readouterr().out


def test_the_warnings_pass_over_a_contract_broken_since_its_months_were_closed(billing_env, capsys) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    assert main(["close", "--month", "2026-08"]) == 0
    (home / "contracts" / "globex.yaml").write_text("client: globex\nname: Globex Corp\nterms_dayz: 30\n")
    assert main(["close", "--month", "2026-09"]) == 1
    out = capsys.readouterr().out
    assert "Traceback" not in out and "contracts/globex.yaml: terms_dayz: Extra inputs are not permitted" in out
