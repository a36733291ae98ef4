"""The Dagster graph end to end on real instances: table contents, partition isolation, idempotence,
bad input stopping only its own client."""

from __future__ import annotations

import csv
import io
import os
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
from dagster import AssetKey, DagsterEventType, DagsterInstance

from billing_assets.cli import main
from billing_assets.definitions import build_defs
from billing_assets.partitions import client_month_key
from tests.conftest import GOLDEN, partition_page

TABLES = ("raw_time_entries", "classified_time_entries", "invoice_lines", "invoices", "line_entries",
          "retainer_ledger", "cap_ledger", "entry_outcomes", "review_queue")


def two_client_home(billing_env) -> Path:
    """Golden cases 01 (northwind, 2026-07..10) and 02 (globex, 2026-08..09) in one billing home."""
    home = billing_env()
    for case, prefix in (("01_retainer_rush_rollover", "nw"), ("02_rate_cards_rounding", "gx")):
        for sub in ("contracts", "timesheets", "expenses"):
            for path in (GOLDEN / case / sub).iterdir():
                name = path.name if sub == "contracts" else f"{prefix}_{path.name}"
                shutil.copy(path, home / sub / name)
    return home


def snapshot(home: Path) -> dict[str, list]:
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        return {t: conn.execute(f"SELECT * EXCLUDE (client, month), client, month FROM {t} "
                                "ORDER BY ALL").fetchall() for t in TABLES}


def rows_of(snap: dict[str, list], client: str, month: str) -> dict[str, list]:
    return {t: [r for r in rows if r[-2] == client and r[-1] == month] for t, rows in snap.items()}


def test_materialize_one_partition_with_a_real_instance(billing_env) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    defs = build_defs()
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("client", ["globex"])
        result = defs.resolve_job_def("month_close").execute_in_process(
            instance=instance, partition_key=client_month_key("globex", "2026-08"))
        assert result.success
        materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
        assert materialized == {"contracts", "raw_time_entries", "raw_expenses", "classified_time_entries",
                                "review_queue", "priced_line_items", "quickbooks_draft_invoices", "firm_overview"}
        priced = next(e for e in result.get_asset_materialization_events()
                      if e.asset_key.path[-1] == "priced_line_items")
        assert "invoice_lines" in priced.materialization.metadata
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        lines = conn.execute("SELECT line_no, kind, quantity, unit_price, amount FROM invoice_lines "
                             "WHERE client = 'globex' AND month = '2026-08' ORDER BY line_no").fetchall()
        total = conn.execute("SELECT total, status FROM invoices WHERE client = 'globex'").fetchall()
    kinds = [k for _, k, *_ in lines]
    assert kinds == sorted(kinds, key=["hourly", "discount", "expense"].index)
    assert sum(a for *_, a in lines) == total[0][0] == Decimal("13879.48")
    assert total[0][1] == "ready"
    assert (home / "outbox" / "2026-08" / "globex.json").exists()
    assert (home / "outbox" / "2026-08" / "globex.html").exists()


def test_rerun_one_client_month_leaves_others_untouched_and_is_idempotent(billing_env, capsys) -> None:
    home = two_client_home(billing_env)
    assert main(["close", "--month", "2026-07..2026-10"]) == 0, capsys.readouterr().out
    before = snapshot(home)
    assert main(["close", "--month", "2026-08..2026-09"]) == 0
    assert snapshot(home) == before, "an identical re-run must leave identical tables"

    sheet = home / "timesheets" / "gx_harvest_time_a.csv"
    sheet.write_text(sheet.read_text().replace("Workshop prep and stakeholder interviews day 1,1.40",
                                               "Workshop prep and stakeholder interviews day 1,2.40", 1))
    assert main(["close", "--month", "2026-08", "--client", "globex"]) == 0
    after = snapshot(home)
    for client, month in [("northwind", m) for m in ("2026-07", "2026-08", "2026-09", "2026-10")] + [
            ("globex", "2026-09")]:
        assert rows_of(after, client, month) == rows_of(before, client, month), (client, month)
    changed = rows_of(after, "globex", "2026-08")["invoices"][0]
    assert changed != rows_of(before, "globex", "2026-08")["invoices"][0]


def test_bad_row_and_bad_contract_stop_only_their_client(billing_env, capsys) -> None:
    home = two_client_home(billing_env)
    sheet = home / "timesheets" / "gx_harvest_time_a.csv"
    lines = sheet.read_text().splitlines()
    lines[3] = lines[3].replace(",1.80,", ",two,", 1)
    sheet.write_text("\n".join(lines) + "\n")
    assert main(["close", "--month", "2026-07..2026-08"]) == 1
    out = capsys.readouterr().out
    assert "timesheets/gx_harvest_time_a.csv: row 3: Hours: not a number in the 1,234.50 format: 'two'" in out
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        priced = conn.execute("SELECT client FROM invoices WHERE month = '2026-08'").fetchall()
    assert priced == [("northwind",)]

    (home / "contracts" / "northwind.yaml").write_text(
        (home / "contracts" / "northwind.yaml").read_text().replace("monthly_fee: 8000", "monthly_fee: -8000"))
    sheet.write_text(sheet.read_text().replace(",two,", ",1.80,"))
    assert main(["close", "--month", "2026-09"]) == 1
    out = capsys.readouterr().out
    assert "contracts/northwind.yaml: retainer.monthly_fee: Input should be greater than or equal to 0" in out
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        priced = conn.execute("SELECT client FROM invoices WHERE month = '2026-09'").fetchall()
    assert priced == [("globex",)]


def test_pricing_out_of_order_names_the_missing_month(billing_env, capsys) -> None:
    billing_env(GOLDEN / "01_retainer_rush_rollover")
    assert main(["close", "--month", "2026-09"]) == 1
    out = capsys.readouterr().out
    assert "northwind 2026-09: pricing needs 2026-08 priced first (retainer rollover)" in out
    assert "billing close --month 2026-07..2026-09 --client northwind" in out


def test_review_command_counts_entries_and_shows_the_suggestion(billing_env, capsys) -> None:
    """`billing review` counts CSV records (a note with a line break is one entry) and the file shows the
    suggested work type beside the suggested SOW item."""
    home = billing_env(GOLDEN / "03_caps_tiers_fixed_fee")
    sheet = home / "timesheets" / "harvest_time_a.csv"
    text = sheet.read_text(encoding="utf-8")
    assert text.count(",Forgot the code on this one,") == 1
    sheet.write_text(text.replace(",Forgot the code on this one,", ',"Forgot the code on this one\nsee email",'),
                     encoding="utf-8")
    assert main(["review", "--month", "2026-08"]) == 0
    assert f"{home / 'review' / '2026-08.csv'}: 1 entry to review" in capsys.readouterr().out
    with (home / "review" / "2026-08.csv").open(encoding="utf-8-sig", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["notes"] == "Forgot the code on this one\nsee email"
    assert row["suggested_work_type"] == "standard" and "missing_project_code" in row["reasons"]


def test_override_releases_a_held_entry_and_survives_reruns(closed_golden, capsys) -> None:
    """The review file, filled in and saved as Excel with German settings saves it (Windows-1252, semicolons under
    a `sep=;` line, decimal commas and day-first dates in the columns the reviewer did not touch), put under
    overrides/: the reviewer's choice releases the entry, keeps their note, and survives re-runs."""
    home = closed_golden(GOLDEN / "03_caps_tiers_fixed_fee", "2026-08")
    review = (home / "review" / "2026-08.csv").read_text(encoding="utf-8-sig").splitlines()
    assert review[0].startswith("entry_id,client,date,person,project,notes,hours,reasons,suggestion,"
                                "suggested_work_type,confidence")
    with (home / "review" / "2026-08.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1 and "missing_project_code" in rows[0]["reasons"]
    client = rows[0]["client"]
    assert partition_page("quickbooks_draft_invoices", client, "2026-08")["held_for_review"] == (
        f"{rows[0]['hours']} h held for review are not on this draft: fill in review/2026-08.csv, save it under "
        "overrides/ and close the month again (approving now sends the draft without them; reviewed later, "
        "they are carried by the next unsent month as a late change)")
    row = dict(rows[0], sow_item="S1", action="bill", note="geprüft – Müller",
               hours=rows[0]["hours"].replace(".", ","), date="10.08.2026")
    text = io.StringIO()
    text.write("sep=;\r\n")
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows([list(row), list(row.values())])
    (home / "overrides").mkdir(exist_ok=True)
    (home / "overrides" / "review-2026-08.csv").write_bytes(text.getvalue().encode("cp1252"))
    for _ in range(2):
        assert main(["close", "--month", "2026-08"]) == 0
        with duckdb.connect(str(home / "billing.duckdb")) as conn:
            held, total = conn.execute("SELECT hours_held, total FROM invoices WHERE month = '2026-08'").fetchone()
            decided = conn.execute("SELECT method, sow_item, rationale FROM classified_time_entries "
                                   "WHERE entry_id = ?", [row["entry_id"]]).fetchone()
        assert held == 0 and total > 11631
        assert decided == ("override", "S1", "reviewer: geprüft – Müller")
        assert "held_for_review" not in partition_page("quickbooks_draft_invoices", client, "2026-08")


def test_unreadable_expense_row_names_file_and_row(billing_env, capsys) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    sheet = home / "expenses" / "harvest_expenses.csv"
    sheet.write_text(sheet.read_text().replace("412.37", "4l2.37", 1))
    assert main(["close", "--month", "2026-08..2026-09"]) == 1
    out = capsys.readouterr().out
    assert "expenses/harvest_expenses.csv: row 1: Amount: not a number in the 1,234.50 format: '4l2.37'" in out
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        priced = conn.execute("SELECT month FROM invoices").fetchall()
    assert priced == [("2026-09",)], "the month with the unreadable row stops; the other month closes"


def test_one_run_over_many_partitions_records_every_partition_in_the_instance(closed_golden) -> None:
    """Batched event writes (FastSqliteEventLogStorage.store_event_batch) keep one planned event and one
    materialization per asset partition, so the UI shows each client-month as materialised."""
    closed_golden(GOLDEN / "01_retainer_rush_rollover", "2026-07..2026-10")
    instance = DagsterInstance.get()
    assert type(instance.event_log_storage).__name__ == "FastSqliteEventLogStorage"
    assert os.environ["DAGSTER_EVENT_BATCH_SIZE"] == "1000"  # set by FastSqliteEventLogStorage
    keys = {client_month_key("northwind", m) for m in ("2026-07", "2026-08", "2026-09", "2026-10")}
    for asset in ("raw_time_entries", "classified_time_entries", "priced_line_items", "quickbooks_draft_invoices"):
        assert instance.get_materialized_partitions(AssetKey(asset)) == {str(k) for k in keys}, asset
    planned = instance.get_records_for_run(instance.get_runs()[0].run_id,
                                           of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED).records
    assert len([r for r in planned if r.asset_key == AssetKey("priced_line_items")]) == 4
