"""A row dated in a month already closed, arriving in a later month's export (August time in September's file),
was read by no close: September's close skips it, August's invoice stays short, and approval sends it. The close
now names every other priced month of its clients whose exports changed since it was closed."""

from __future__ import annotations

from decimal import Decimal

from billing_assets.cli import main
from tests.conftest import GOLDEN, partition_page


def test_the_close_names_a_closed_month_whose_exports_changed(closed_golden, capsys) -> None:
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
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


def test_the_warnings_pass_over_a_contract_broken_since_its_months_were_closed(closed_golden, capsys) -> None:
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    (home / "contracts" / "globex.yaml").write_text("client: globex\nname: Globex Corp\nterms_dayz: 30\n")
    assert main(["close", "--month", "2026-09"]) == 1
    out = capsys.readouterr().out
    assert "Traceback" not in out and "contracts/globex.yaml: terms_dayz: Extra inputs are not permitted" in out


def test_the_close_names_a_range_that_can_be_closed(closed_golden, capsys) -> None:
    """Found by an auditor: after an amendment from August and a close of August alone, the close told September
    and October each to "close it again (--month 2026-10)", which pricing refused (September first); and after a
    decision on September and a close of August, `--month 2026-09..2026-08`, which the command refuses."""
    home = closed_golden(GOLDEN / "01_retainer_rush_rollover", "2026-07..2026-10")
    contract = home / "contracts" / "northwind.yaml"
    contract.write_text(contract.read_text()
                        + "amendments:\n- effective_from: 2026-08\n  retainer:\n    included_hours: 30\n")
    capsys.readouterr()
    main(["close", "--month", "2026-08"])
    out = capsys.readouterr().out
    for month in ("2026-09", "2026-10"):
        assert (f"warning: northwind {month}: its contract (contracts/northwind.yaml) changed since it was closed, "
                "and the draft was priced under the earlier terms: close it again (`billing close --month "
                "2026-09..2026-10 --client northwind`) before approving it") in out, out
    assert main(["close", "--month", "2026-09..2026-10", "--client", "northwind"]) == 0


def test_a_changed_decision_is_told_a_range_that_ends_after_it_starts(closed_golden, capsys) -> None:
    """See above: `--month 2026-09..2026-08` ended at the run's last month."""
    home = closed_golden(GOLDEN / "03_caps_tiers_fixed_fee", "2026-08..2026-10")
    (home / "overrides").mkdir(exist_ok=True)
    (home / "overrides" / "2026-09.csv").write_text(
        "entry_id,work_type,sow_item,action,note\nhb1cad31e1a1faa36,,,write_off,not billable\n")
    capsys.readouterr()
    main(["close", "--month", "2026-08"])
    assert "(`billing close --month 2026-09..2026-10 --client initech`)" in capsys.readouterr().out


def test_close_them_in_order_names_the_first_month_priced_under_earlier_terms(billing_env, capsys) -> None:
    """Found by an auditor following the advice: a person added to `people` changes the terms of every month;
    closing September alone was refused with "close 2026-08..2026-09", which was refused in turn, naming
    2026-07..2026-08, and so on one month at a time. It names the first month priced under earlier terms."""
    home = billing_env(GOLDEN / "01_retainer_rush_rollover")
    with (home / "timesheets" / "harvest_time_b.csv").open("a") as sheet:
        sheet.write("2026-09-15,Northwind Traders,Brand Retainer,NW-BR,Design,Logo refresh review,3.00,3.00,Yes,No,"
                    "Yes,Zoe,Park,,,Yes,,,,,United States Dollar - USD,\n")
    assert main(["close", "--month", "2026-07..2026-09"]) == 1  # Zoe Park has no rate
    contract = home / "contracts" / "northwind.yaml"
    contract.write_text(contract.read_text().replace("  Lena Fischer: developer\n",
                                                     "  Lena Fischer: developer\n  Zoe Park: designer\n"))
    capsys.readouterr()
    assert main(["close", "--month", "2026-09"]) == 1
    assert "Close them in order: `billing close --month 2026-07..2026-09 --client northwind`" in \
        capsys.readouterr().out
    assert main(["close", "--month", "2026-07..2026-09", "--client", "northwind"]) == 0
