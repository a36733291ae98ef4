"""A row dated in a closed month that reaches the folder after its close (August time in a later export, a late
expense) was read by no close: approval sent August's short draft with exit 0, and nothing in the Dagster-native
close ever looked at August again. Approval now refuses such a month, naming the file and row, and the
`late_exports` sensor re-closes it once the folder has stopped changing."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    SensorResult,
    build_sensor_context,
)

from billing_assets.cli import main
from billing_assets.definitions import build_defs, build_resources
from billing_assets.partitions import client_month_key
from sensors.late_exports import build_late_exports_sensor
from tests.conftest import GOLDEN
from tests.test_ledes import LEDES_BLOCK

LATE_EXPENSE = ("Date,Client,Project,Project Code,Category,Notes,Amount,Billable?,Invoiced?,First Name,Last Name,"
                "Currency\n2026-08-20,Globex Corporation,Platform,,Travel,Taxi to the client,40.00,Yes,No,Raj,Patel,"
                "United States Dollar - USD\n")


def _table(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def add_late_august_row(home: Path) -> int:
    """A September row of the golden home written again dated 2026-08-30 at the end of the September export;
    returns its row number."""
    sheet = home / "timesheets" / "harvest_time_b.csv"
    header, *rows = sheet.read_text().splitlines(keepends=True)
    september = next(r for r in rows if r.startswith("2026-09"))
    sheet.write_text(header + "".join(rows) + "2026-08-30" + september[10:])
    return len(rows) + 1


def august_hours(home: Path) -> str:
    return str(_table(home, "SELECT sum(hours) FROM raw_time_entries WHERE client = 'globex' AND month = '2026-08'")
               [0][0])


def _september_refused_until_august_is_closed_then_carries_it(home: Path, capsys) -> None:
    """August sent and a late August row: September's approval is refused with the range to close, and after that
    close September carries August's difference."""
    capsys.readouterr()
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 1
    assert ("globex                       2026-09  skipped       2026-08 was sent and its exports changed since it "
            "was closed: this month carries the difference once 2026-08 is closed again: close 2026-08..2026-09 "
            "again, review the new draft, then approve") in capsys.readouterr().out
    assert main(["close", "--month", "2026-08..2026-09"]) == 0
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 0
    assert _table(home, "SELECT origin_month FROM sent_adjustments WHERE month = '2026-09'") == [("2026-08",)]


def test_approval_refuses_a_month_whose_exports_changed_since_its_close(closed_golden, capsys) -> None:
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08..2026-09")
    row = add_late_august_row(home)
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08..2026-09", "--by", "Dana"]) == 1
    out = capsys.readouterr().out
    assert (f"globex                       2026-08  skipped       its exports changed since it was closed (1 row(s) "
            f"new or edited: timesheets/harvest_time_b.csv row {row}; 0 gone or edited): close 2026-08 again, review "
            "the new draft, then approve") in out
    assert "globex                       2026-09  sent" in out  # September's rows are as closed
    assert _table(home, "SELECT month FROM sent_invoices") == [("2026-09",)]

    (home / "expenses").mkdir(exist_ok=True)
    (home / "expenses" / "late.csv").write_text(LATE_EXPENSE)
    assert main(["close", "--month", "2026-08", "--client", "globex"]) == 0  # the late time and expense billed
    capsys.readouterr()
    (home / "expenses" / "late2.csv").write_text(LATE_EXPENSE.replace("2026-08-20", "2026-08-21"))
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 1
    assert ("skipped       its exports changed since it was closed (1 row(s) new or edited: expenses/late2.csv row "
            "1; 0 gone or edited)") in capsys.readouterr().out
    assert main(["close", "--month", "2026-08", "--client", "globex"]) == 0
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    assert _table(home, "SELECT expense_date::VARCHAR, amount::VARCHAR FROM raw_expenses WHERE notes = 'Taxi to the "
                        "client' ORDER BY 1") == [("2026-08-20", "40.0000"), ("2026-08-21", "40.0000")]


def test_approval_refuses_a_month_whose_rows_were_edited_in_place_where_their_ids_do_not_look(closed_golden,
                                                                                             capsys) -> None:
    """Found by an auditor: a time row's id is its Date, Client, Project, Code, Task, Notes, Hours and person, an
    expense's its file and row. Billable? set to No, an expense amount corrected and a Roles cell changed after the
    close kept every id, and approval sent the closed 13,879.48 with exit 0. Each is now an edit: approval refuses
    the month naming the row, and the close again bills the rows as they read now."""
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    time_a = home / "timesheets" / "harvest_time_a.csv"
    lines = time_a.read_text().splitlines(keepends=True)
    assert ",0.66,0.66,Yes,No,Yes,Raj,Patel," in lines[2]
    lines[2] = lines[2].replace(",0.66,0.66,Yes,", ",0.66,0.66,No,")  # Raj's 0.66 h at 210.00, now not billable
    time_a.write_text("".join(lines))
    expenses = home / "expenses" / "harvest_expenses.csv"
    expenses.write_text(expenses.read_text().replace(",412.37,Yes,", ",512.37,Yes,"))  # +100.00, 10% markup
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 1
    assert ("globex                       2026-08  skipped       its exports changed since it was closed (2 row(s) "
            "new or edited: expenses/harvest_expenses.csv row 1, timesheets/harvest_time_a.csv row 2; 2 gone or "
            "edited): close 2026-08 again") in capsys.readouterr().out
    assert _table(home, "SELECT count(*) FROM sent_invoices") == [(0,)]
    assert main(["close", "--month", "2026-08"]) == 0
    # 13,879.48 - 0.75 h (0.66 rounded up) x 210.00 x 0.95 + 100.00 x 1.10 = 13,839.86
    assert _table(home, "SELECT total::VARCHAR FROM invoices") == [("13839.8600",)]

    lines = time_a.read_text().splitlines(keepends=True)
    assert ",Sam,Ortiz,,Manager," in lines[11]
    lines[11] = lines[11].replace(",Manager,", ",Partner,")  # 1.5 h at 420.00 instead of 260.00
    time_a.write_text("".join(lines))
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 1
    assert ("(1 row(s) new or edited: timesheets/harvest_time_a.csv row 11; 1 gone or edited)"
            in capsys.readouterr().out)
    assert main(["close", "--month", "2026-08"]) == 0
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    # + 1.5 h x 160.00 x 0.95 = 228.00
    assert _table(home, "SELECT total::VARCHAR FROM sent_invoices") == [("14067.8600",)]


def test_an_expense_read_back_from_the_warehouse_reads_as_the_file_wrote_it(billing_env, capsys) -> None:
    """The warehouse keeps amounts to 4 decimals: 40.12345 comes back 40.1235, and 412.37 as 412.3700. Neither is
    an edit, or the month would be refused at every approval and closed again by the sensor for good."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    expenses = home / "expenses" / "harvest_expenses.csv"
    expenses.write_text(expenses.read_text().replace(",412.37,Yes,", ",40.12345,Yes,"))
    assert main(["close", "--month", "2026-08"]) == 0
    assert _table(home, "SELECT amount::VARCHAR FROM raw_expenses WHERE billable") == [("40.1235",)]
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    assert "globex                       2026-08  sent" in capsys.readouterr().out


def test_the_month_that_carries_a_sent_months_late_row_is_refused_until_that_month_is_closed(closed_golden,
                                                                                              capsys) -> None:
    """Found by an auditor (an alias moved, the same in effect): August sent, a late August row, September
    approved as closed before it: the difference waited for October. The month that carries it is refused until
    August is closed again, and then carries it."""
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08..2026-09")
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    add_late_august_row(home)
    _september_refused_until_august_is_closed_then_carries_it(home, capsys)


def test_a_month_with_nothing_to_bill_that_must_carry_a_sent_months_change_is_refused_not_settled(
        billing_env, capsys) -> None:
    """September with no time and no expenses has no draft: approval said "no pushed draft" with exit 0, while
    August, sent, had a late row that September must carry once August is closed again."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    late = home / "timesheets" / "harvest_time_b.csv"
    september = next(r for r in late.read_text().splitlines(keepends=True) if r.startswith("2026-09"))
    for sheet in [*(home / "timesheets").glob("*.csv"), *(home / "expenses").glob("*.csv")]:
        header, *rows = sheet.read_text().splitlines(keepends=True)
        sheet.write_text(header + "".join(r for r in rows if not r.startswith("2026-09")))
    assert main(["close", "--month", "2026-08"]) == 0
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    assert main(["close", "--month", "2026-09"]) == 0
    late.write_text(late.read_text() + "2026-08-30" + september[10:])  # a late August row
    _september_refused_until_august_is_closed_then_carries_it(home, capsys)


def test_the_partition_approval_job_refuses_it_too(closed_golden) -> None:
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    add_late_august_row(home)
    result = build_defs().get_job_def("approve_client_month").execute_in_process(
        instance=DagsterInstance.get(), partition_key=client_month_key("globex", "2026-08"),
        tags={"dagster/user": "lee@firm.example"}, raise_on_error=False)
    assert not result.success
    assert _table(home, "SELECT count(*) FROM sent_invoices") == [(0,)]


def tick(instance: DagsterInstance, cursor: str | None) -> SensorResult:
    resources = {k: v for k, v in build_resources().items() if k in ("time_source", "home", "warehouse")}
    with build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
        result = build_late_exports_sensor()(context)
    assert isinstance(result, SensorResult)
    return result


def why(result: SensorResult) -> str:
    return result.skip_reason.skip_message if result.skip_reason else ""


def test_the_sensor_recloses_a_closed_month_once_its_exports_settle(closed_golden) -> None:
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08..2026-09")
    before = august_hours(home)
    with DagsterInstance.get() as instance:
        settled = tick(instance, tick(instance, None).cursor)  # first tick: stamp taken; then nothing changed
        assert not settled.run_requests
        assert why(settled) == "the exports hold what every closed client-month was closed with"
        assert why(tick(instance, settled.cursor)) == "no export changed since the last reading"

        add_late_august_row(home)
        waiting = tick(instance, settled.cursor)  # a file may still be being written: read at the next tick
        assert not waiting.run_requests and "once they have stopped changing" in why(waiting)
        running = instance.add_run(DagsterRun(job_name="month_close", run_id=str(uuid.uuid4()),
                                              status=DagsterRunStatus.STARTED))
        assert why(tick(instance, waiting.cursor)).startswith("a month close is running")
        instance.report_run_failed(running)
        result = tick(instance, waiting.cursor)
        [request] = result.run_requests
        assert request.run_key.startswith("exports:globex|2026-08..2026-09:")  # September carries August's ledgers
        assert request.tags["billing/trigger"] == "late_exports"
        assert request.tags["dagster/asset_partition_range_start"] == client_month_key("globex", "2026-08")
        assert request.tags["dagster/asset_partition_range_end"] == client_month_key("globex", "2026-09")
        again = tick(instance, waiting.cursor)  # evaluated again before the run: the same run key, one run
        assert [r.run_key for r in again.run_requests] == [request.run_key]

        run = build_defs().resolve_job_def("month_close").execute_in_process(
            instance=instance, tags={**request.tags, "dagster/run_key": request.run_key})  # as the daemon runs it
        assert run.success
        assert float(august_hours(home)) > float(before)
        os.utime(home / "timesheets" / "harvest_time_b.csv")  # touched, rows unchanged: nothing to re-close
        touched = tick(instance, tick(instance, result.cursor).cursor)
        assert not touched.run_requests and why(touched).startswith("the exports hold what every")


def test_the_sensor_runs_by_default_only_for_the_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BILLING_SOURCE", raising=False)
    assert build_late_exports_sensor().default_status == DefaultSensorStatus.RUNNING
    monkeypatch.setenv("BILLING_SOURCE", "harvest")
    assert build_late_exports_sensor().default_status == DefaultSensorStatus.STOPPED
    assert "late_exports" in {s.name for s in build_defs().sensors}


def test_the_ledes_export_refuses_it_until_it_is_closed_again(billing_env, capsys) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text() + LEDES_BLOCK)
    assert main(["close", "--month", "2026-08"]) == 0
    row = add_late_august_row(home)
    out = home.parent / "ledes"
    capsys.readouterr()
    assert main(["export", "ledes", "--month", "2026-08", "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    assert (f"globex 2026-08: not exported: its exports changed since it was closed (1 row(s) new or edited: "
            f"timesheets/harvest_time_b.csv row {row}; 0 gone or edited): close 2026-08 again") in printed
    assert not (out / "globex_2026-08.ledes").exists()
    assert main(["close", "--month", "2026-08"]) == 0
    assert main(["export", "ledes", "--month", "2026-08", "--out", str(out)]) == 0
    assert (out / "globex_2026-08.ledes").exists()


def test_approval_refuses_a_month_priced_from_a_changed_month(closed_golden, capsys) -> None:
    """Found by an auditor: August refused for its late row, September, priced from August's retainer lots,
    was sent 10 hours short."""
    home = closed_golden(GOLDEN / "01_retainer_rush_rollover", "2026-07..2026-08")
    sheet = home / "timesheets" / "harvest_time_a.csv"
    header, *rows = sheet.read_text().splitlines(keepends=True)
    july = next(r for r in rows if r.startswith("2026-07"))
    (home / "timesheets" / "late.csv").write_text(header + "2026-07-30" + july[10:])
    capsys.readouterr()
    assert main(["approve", "--month", "2026-07..2026-08", "--by", "Dana"]) == 1
    out = capsys.readouterr().out
    assert "northwind                    2026-07  skipped       its exports changed since it was closed" in out
    assert ("northwind                    2026-08  skipped       priced from the ledgers of 2026-07, whose exports "
            "changed since it was closed (2026-07 carries its retainer lots or cap totals here): close "
            "2026-07..2026-08 again, review the new draft, then approve") in out


def test_a_close_that_has_read_the_late_row_but_not_priced_it_does_not_hide_it(closed_golden, capsys) -> None:
    """Found by an auditor: approval during a close compared the folder with raw_time_entries, which the close had
    already rewritten before pricing, and sent the short draft. The comparison is with what the invoice was priced
    from (entry_outcomes). Here the ingest step is materialised alone, as a close would stand between its steps."""
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    add_late_august_row(home)
    ingest = build_defs().resolve_job_def("month_close").execute_in_process(
        instance=DagsterInstance.get(), partition_key=client_month_key("globex", "2026-08"),
        asset_selection=[AssetKey("contracts"), AssetKey("raw_time_entries")])
    assert ingest.success
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 1
    assert "skipped       its exports changed since it was closed (1 row(s) new or edited" in capsys.readouterr().out
    assert _table(home, "SELECT count(*) FROM sent_invoices") == [(0,)]


def test_a_close_that_has_read_the_late_expense_but_not_priced_it_does_not_hide_it(closed_golden, capsys) -> None:
    """The same race for a late expense: the comparison is with the expense ids the invoice was priced with
    (priced_expenses), not with raw_expenses, which the ingest step has already rewritten."""
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    priced = _table(home, "SELECT count(*) FROM priced_expenses WHERE client = 'globex' AND month = '2026-08'")
    assert priced == _table(home, "SELECT count(*) FROM raw_expenses WHERE client = 'globex' AND month = '2026-08'")
    (home / "expenses" / "late.csv").write_text(LATE_EXPENSE)
    ingest = build_defs().resolve_job_def("month_close").execute_in_process(
        instance=DagsterInstance.get(), partition_key=client_month_key("globex", "2026-08"),
        asset_selection=[AssetKey("contracts"), AssetKey("raw_expenses")])
    assert ingest.success
    assert _table(home, "SELECT count(*) FROM raw_expenses WHERE source_file = 'expenses/late.csv'") == [(1,)]
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 1
    assert ("skipped       its exports changed since it was closed (1 row(s) new or edited: expenses/late.csv row 1"
            in capsys.readouterr().out)
    assert _table(home, "SELECT count(*) FROM sent_invoices") == [(0,)]
    before = _table(home, "SELECT expenses FROM invoices WHERE client = 'globex' AND month = '2026-08'")[0][0]
    assert main(["close", "--month", "2026-08"]) == 0
    after = _table(home, "SELECT expenses FROM invoices WHERE client = 'globex' AND month = '2026-08'")[0][0]
    assert after > before  # the taxi is on the invoice approval sends
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    assert _table(home, "SELECT count(*) FROM sent_invoices WHERE client = 'globex'") == [(1,)]


def test_a_month_priced_before_priced_expenses_existed_is_compared_with_its_raw_expenses(closed_golden, capsys) -> None:
    """A warehouse from before priced_expenses: its months with expenses have no rows there, and fall back to
    raw_expenses (approval neither refuses every such month nor misses a late expense)."""
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        assert conn.execute("DELETE FROM priced_expenses").fetchone()[0] > 0
    (home / "expenses" / "late.csv").write_text(LATE_EXPENSE)
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 1
    assert "1 row(s) new or edited: expenses/late.csv row 1" in capsys.readouterr().out
    (home / "expenses" / "late.csv").unlink()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0


def test_approval_refuses_a_month_whose_contract_changed_since_its_close(closed_golden, capsys) -> None:
    """Found by an auditor: a cap lowered in the contract, one earlier partition re-materialised, and approval sent
    the next month's draft priced under the old cap. A month whose contract (as it applies to it) is not the one
    it was closed with is refused, as is one whose contract cannot be read here."""
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08..2026-09")
    contract = home / "contracts" / "globex.yaml"
    original = contract.read_text()
    contract.write_text(original + "minimum_monthly_fee: 1\n")
    capsys.readouterr()
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 1
    # August's contract changed too, and September is priced after it: the months from August (found by an auditor:
    # a range was named by the close, the month alone by approval)
    assert ("skipped       its contract (contracts/globex.yaml) changed since it was closed, and the draft was "
            "priced under the earlier terms: close 2026-08..2026-09 again, review the new draft, then approve"
            ) in capsys.readouterr().out
    assert main(["close", "--month", "2026-08"]) == 0  # the close names the other month priced under old terms
    assert ("warning: globex 2026-09: its contract (contracts/globex.yaml) changed since it was closed, and the "
            "draft was priced under the earlier terms: close it again (`billing close --month 2026-09 --client "
            "globex`) before approving it") in capsys.readouterr().out
    contract.write_text("client: globex\nname: [unclosed\n")
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 1
    said = capsys.readouterr().out
    assert "skipped       its contract cannot be read here (contracts/globex.yaml" in said
    # found by an auditor: the advice was "close again", which a broken file cannot do
    assert ("cannot be checked; correct or restore it first, then close 2026-08..2026-09 again, review the new "
            "draft") in said
    assert main(["close", "--month", "2026-10"]) == 1  # the close's warning reads the same way (it said "then: close")
    out = capsys.readouterr().out  # from the first month priced under what it cannot check (2026-09 alone was refused)
    assert ("warning: globex 2026-09: its contract cannot be read here (contracts/globex.yaml: not valid YAML: did not "
            "find expected ',' or ']' (line 3, column 1)), so what it was closed with cannot be checked; correct or "
            "restore it first, then close it again (`billing close --month 2026-08..2026-10 --client globex`) before "
            "approving it") in out
    contract.write_text(original)  # back as it was closed: nothing to close again
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 0
    assert _table(home, "SELECT month FROM sent_invoices") == [("2026-09",)]
    [(total,)] = _table(home, "SELECT total FROM sent_invoices")
    assert f"; total {total:,.2f} USD" in capsys.readouterr().out  # what was sent, said (the outbox has no tax)
