"""Approval of a month with nothing to send: "no pushed draft" is settled (exit 0) only when the month has nothing
to bill. A month never closed in this warehouse whose exports hold billable rows (approval run before the close, or
after the warehouse moved to PostgreSQL or a new file without it) was "skipped, no pushed draft" with exit 0."""

from __future__ import annotations

from billing_assets.cli import main
from tests.conftest import GOLDEN


def test_a_month_never_closed_here_is_not_settled_by_approval(billing_env, capsys, tmp_path, monkeypatch) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 1
    assert ("globex                       2026-08  skipped       2026-08 has no priced invoice in this warehouse, yet "
            "its exports hold 44 billable row(s) (timesheets/harvest_time_a.csv row 2, timesheets/harvest_time_a.csv "
            "row 5, timesheets/harvest_time_a.csv row 8): there is no draft of it to send (not closed yet, or the "
            "warehouse was moved or restored without it): close 2026-08, review the new draft, then approve\n"
            ) in capsys.readouterr().out
    assert main(["close", "--month", "2026-08"]) == 0
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    assert "globex                       2026-08  sent" in capsys.readouterr().out
    # October has no rows and no contract month after the data: nothing to bill, settled as before
    assert main(["approve", "--month", "2026-10", "--by", "Dana"]) == 0
    assert capsys.readouterr().out == "globex                       2026-10  skipped       no pushed draft\n"
    # the warehouse moved (a new file, as a move to PostgreSQL starts empty): September is unclosed there too
    monkeypatch.setenv("BILLING_DB", str(tmp_path / "moved.duckdb"))
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 1
    assert "2026-09 has no priced invoice in this warehouse, yet its exports hold 44 billable row(s)" in \
        capsys.readouterr().out
    assert (home / "outbox" / "2026-08" / "globex.json").exists()
    assert not (home / "outbox" / "2026-09").exists()


def test_a_month_that_bills_without_time_is_not_settled_either(billing_env, capsys) -> None:
    """Found by an auditor: a retainer month never closed, with no time in the exports, was "no pushed draft" with
    exit 0, while its close bills the retainer fee (spec section 4 step 4: with entries or not)."""
    billing_env(GOLDEN / "01_retainer_rush_rollover")
    assert main(["approve", "--month", "2026-10", "--by", "Dana"]) == 1
    assert capsys.readouterr().out == (
        "northwind                    2026-10  skipped       2026-10 has no priced invoice in this warehouse, yet its "
        "contract bills a retainer fee with or without time: there is no draft of it to send (not closed yet, or "
        "the warehouse was moved or restored without it): close 2026-10, review the new draft, then approve\n")


def test_the_ledes_export_of_a_month_never_priced_here_fails(billing_env, capsys, tmp_path, monkeypatch) -> None:
    """Found by an auditor: after the warehouse moved, `billing export ledes` of a month with billable rows said
    "skipped: no priced invoice" and exited 0, as for a month with nothing to bill."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    with (home / "contracts" / "globex.yaml").open("a") as contract:
        contract.write("ledes: {law_firm_id: 12-3456789, client_id: GLOBEX, matter_id: GX-1, task_code: L190}\n")
    assert main(["close", "--month", "2026-08"]) == 0
    monkeypatch.setenv("BILLING_DB", str(tmp_path / "moved.duckdb"))
    assert main(["close", "--month", "2026-09"]) == 0  # the new warehouse has September only
    capsys.readouterr()
    assert main(["export", "ledes", "--month", "2026-08..2026-09", "--out", str(tmp_path / "ledes")]) == 1
    out = capsys.readouterr().out
    assert ("globex 2026-08: not exported: 2026-08 has no priced invoice in this warehouse, yet its exports hold 44 "
            "billable row(s)") in out
    assert out.endswith("1 LEDES file(s) written to " + str(tmp_path / "ledes") + "\n")  # September's


def test_a_month_whose_only_row_the_task_map_makes_non_billable_has_nothing_to_approve(billing_env, capsys) -> None:
    """Found by an auditor: approval refused a month whose only row `task_map` makes non-billable (its close finds
    nothing to bill)."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    with (home / "contracts" / "globex.yaml").open("a") as contract:
        contract.write("task_map: {Internal: non_billable}\n")
    with (home / "timesheets" / "harvest_time_b.csv").open("a") as sheet:  # October: one internal row
        sheet.write("2026-10-02,Globex Corporation,Strategy Review,GX-STR,Internal,Team sync,1.00,1.00,Yes,No,Yes,"
                    "Raj,Patel,,,Yes,,,,,United States Dollar - USD,\n")
    assert main(["approve", "--month", "2026-10", "--by", "Dana"]) == 0
    assert capsys.readouterr().out == "globex                       2026-10  skipped       no pushed draft\n"
