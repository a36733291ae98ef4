"""Issue 13 on real Dagster instances: the engagement window (backfills invent nothing), client isolation in the
schedule's run, per-partition metadata, nothing to bill, the firm overview and the close's messages."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
from dagster import AssetKey, DagsterInstance, build_schedule_context
from dagster._core.storage.partition_status_cache import get_and_update_asset_status_cache_value

from billing_assets.cli import main, prepare_environment
from billing_assets.close import register_clients
from billing_assets.core.months import month_range
from billing_assets.definitions import build_defs
from billing_assets.jobs import close_previous_month, range_tags
from billing_assets.partitions import client_month_key, client_month_partitions
from billing_assets.tables import markdown_table
from tests.conftest import GOLDEN

NORTHWIND = GOLDEN / "01_retainer_rush_rollover"
EXPECTED_01 = json.loads((NORTHWIND / "expected.json").read_text())


def _copy_case(home: Path, case: Path, prefix: str) -> None:
    for sub in ("contracts", "timesheets", "expenses"):
        for path in (case / sub).iterdir():
            shutil.copy(path, home / sub / (path.name if sub == "contracts" else f"{prefix}_{path.name}"))


def _backfill(clients: list[str], first: str, last: str):
    """What a UI backfill of a rectangle does with BackfillPolicy.single_run: one ranged run of month_close."""
    prepare_environment()  # DAGSTER_HOME with this repo's dagster.yaml, as `make dev` and the CLI use
    instance = DagsterInstance.get()
    register_clients(instance, clients)
    job = build_defs().resolve_job_def("month_close")
    return job.execute_in_process(instance=instance, raise_on_error=False,
                                  tags=range_tags(clients[0], clients[-1], first, last))


def _table(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        return conn.execute(sql).fetchall()


def _priced_months(home: Path, table: str = "invoices") -> list[str]:
    return [m for (m,) in _table(home, f"SELECT DISTINCT month FROM {table} ORDER BY month")]


def test_backfill_without_start_invents_nothing_and_leaves_real_months_exact(billing_env) -> None:
    home = billing_env(NORTHWIND)
    result = _backfill(["northwind"], "2026-01", "2026-10")
    assert result.success
    assert _priced_months(home) == ["2026-07", "2026-08", "2026-09", "2026-10"]
    for table in ("invoice_lines", "retainer_ledger", "raw_time_entries", "contracts"):
        assert min(_priced_months(home, table)) == "2026-07", table
    totals = dict(_table(home, "SELECT month, total FROM invoices"))
    assert totals == {k.split("|")[1]: Decimal(v["total"]) for k, v in EXPECTED_01.items()}
    assert sorted(p.name for p in (home / "outbox").iterdir()) == ["2026-07", "2026-08", "2026-09", "2026-10"]
    states = dict(_table(home, "SELECT month, state FROM partition_status"))
    assert {m for m, s in states.items() if s == "outside"} == set(month_range("2026-01", "2026-06"))
    # the materialization of a month before the engagement says so plainly
    before = [e for e in result.get_asset_materialization_events()
              if e.asset_key.path[-1] == "priced_line_items" and e.partition == "northwind|2026-03"]
    assert "outside the engagement" in before[0].materialization.metadata["status"].value
    assert "2026-07.." in before[0].materialization.metadata["problems"].value


def test_backfill_with_start_and_end_prices_only_the_engagement(billing_env) -> None:
    home = billing_env(NORTHWIND)
    contract = home / "contracts" / "northwind.yaml"
    contract.write_text(contract.read_text().replace("currency: USD", "currency: USD\nstart: 2026-08\nend: 2026-09"))
    assert _backfill(["northwind"], "2026-01", "2026-10").success
    assert _priced_months(home) == ["2026-08", "2026-09"]
    # 2026-08 is the first month: no lots from 2026-07 although 2026-07 has time, so no M-1 is needed
    origins = {o for (o,) in _table(home, "SELECT DISTINCT origin_month FROM retainer_ledger")}
    assert origins == {"2026-08", "2026-09"}
    assert _table(home, "SELECT count(*) FROM pricing_problems") == [(0,)]
    assert not (home / "outbox" / "2026-07").exists() and not (home / "outbox" / "2026-10").exists()


def test_amendments_cannot_move_the_engagement(billing_env, capsys) -> None:
    home = billing_env(NORTHWIND)
    contract = home / "contracts" / "northwind.yaml"
    contract.write_text(contract.read_text() + "amendments:\n  - {effective_from: 2026-09, end: 2026-09}\n")
    assert main(["close", "--month", "2026-07"]) == 1
    out = capsys.readouterr().out
    assert "FAILED northwind 2026-07:" in out
    assert "contracts/northwind.yaml: amendments[0].end: amendments may not change client, start, end" in out


def _schedule_home(billing_env) -> Path:
    """northwind (retainer, 2026-07 already closed), globex with an unreadable 2026-08 row, initech healthy and
    acme whose contract has a misspelt key."""
    home = billing_env()
    _copy_case(home, NORTHWIND, "nw")
    _copy_case(home, GOLDEN / "02_rate_cards_rounding", "gx")
    _copy_case(home, GOLDEN / "03_caps_tiers_fixed_fee", "it")
    (home / "contracts" / "acme.yaml").write_text(
        "client: acme\nname: Acme Corp\ncurrency: USD\ndefault_rate: 100\ndiscount_pct: 5\nterms_dayz: 30\n")
    sheet = home / "timesheets" / "gx_harvest_time_a.csv"
    lines = sheet.read_text().splitlines()
    lines[3] = lines[3].replace(",1.80,", ",two,", 1)
    sheet.write_text("\n".join(lines) + "\n")
    return home


def test_schedule_run_with_two_broken_clients_prices_and_pushes_the_healthy_ones(billing_env, capsys) -> None:
    home = _schedule_home(billing_env)
    assert main(["close", "--month", "2026-07", "--client", "northwind"]) == 0
    instance = DagsterInstance.get()
    context = build_schedule_context(instance=instance,
                                     scheduled_execution_time=datetime(2026, 9, 1, 6, tzinfo=UTC))
    request = close_previous_month(context)
    job = build_defs().resolve_job_def("month_close")
    result = job.execute_in_process(instance=instance, raise_on_error=False, tags=request.tags)

    totals = dict(((c, m), t) for c, m, t in _table(home, "SELECT client, month, total FROM invoices "
                                                          "WHERE month = '2026-08'"))
    assert totals == {("northwind", "2026-08"): Decimal("10570.00"), ("initech", "2026-08"): Decimal("11631.00")}
    assert (home / "outbox" / "2026-08" / "northwind.json").exists()
    assert (home / "outbox" / "2026-08" / "initech.json").exists()
    assert not (home / "outbox" / "2026-08" / "globex.json").exists()
    # the run reports the two: failing per-partition checks naming file and row / key, and ends failed
    failed = {(c, m, n): msg for c, m, n, msg in _table(
        home, "SELECT client, month, check_name, message FROM check_results WHERE NOT passed AND blocking")}
    assert "timesheets/gx_harvest_time_a.csv: row 3: Hours: not a number" in failed[("globex", "2026-08",
                                                                                       "inputs_readable")]
    assert "contracts/acme.yaml: terms_dayz: Extra inputs are not permitted" in failed[("acme", "2026-08",
                                                                                      "contract_valid")]
    assert not result.success
    step_failures = [(e.step_key, e.step_failure_data.error.cls_name) for e in result.all_events
                     if e.event_type_value == "STEP_FAILURE"]
    assert step_failures == [("quickbooks_draft_invoices", "DagsterAssetCheckFailedError")], \
        "every asset step did its work; only the push's verdict (its blocking check) failed"
    # the partition grid: the held-back client-months are failed, not "Materialized" (they were green before)
    pushed = get_and_update_asset_status_cache_value(instance, AssetKey("quickbooks_draft_invoices"),
                                                     client_month_partitions)
    assert sorted(pushed.deserialize_failed_partition_subsets(client_month_partitions).get_partition_keys()) == [
        "acme|2026-08", "globex|2026-08"]
    assert {"initech|2026-08", "northwind|2026-08"} <= set(
        pushed.deserialize_materialized_partition_subsets(client_month_partitions).get_partition_keys())
    held = [e for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
            and e.event_specific_data.check_name == "client_months_pushed" and not e.event_specific_data.passed
            and e.event_specific_data.partition]
    assert sorted(e.event_specific_data.partition for e in held) == ["acme|2026-08", "globex|2026-08"]
    overview = {(c, m): s for c, m, s in _table(home, "SELECT client, month, status FROM firm_overview "
                                                      "WHERE month = '2026-08'")}
    assert overview == {("northwind", "2026-08"): "pushed", ("initech", "2026-08"): "pushed, needs review",
                        ("globex", "2026-08"): "blocked: inputs_readable",
                        ("acme", "2026-08"): "blocked: contract_valid"}


def test_billing_close_prints_each_problem_once_without_tracebacks(billing_env, capsys) -> None:
    _schedule_home(billing_env)
    assert main(["close", "--month", "2026-07..2026-08"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "FAILED acme 2026-07:\n  contracts/acme.yaml: terms_dayz: Extra inputs are not permitted" in out
    assert "FAILED globex 2026-08:\n  timesheets/gx_harvest_time_a.csv: row 3: Hours: not a number" in out
    assert "FAILED northwind" not in out and "FAILED initech" not in out and "RUN FAILED" not in out
    assert out.count("FAILED ") == 3  # acme 2026-07, acme 2026-08, globex 2026-08
    capsys.readouterr()
    assert main(["close", "--month", "2026-07..2026-08", "--client", "initech", "--client", "northwind"]) == 0


def test_partition_metadata_names_only_its_own_client_month(billing_env) -> None:
    home = billing_env()
    _copy_case(home, NORTHWIND, "nw")
    _copy_case(home, GOLDEN / "02_rate_cards_rounding", "gx")
    result = _backfill(["globex", "northwind"], "2026-07", "2026-09")
    assert result.success
    events = {(e.asset_key.path[-1], e.partition): e.materialization.metadata
              for e in result.get_asset_materialization_events()}
    assert len([k for k in events if k[0] == "priced_line_items"]) == 6  # one event per client-month
    page = events[("priced_line_items", "globex|2026-08")]
    assert page["total"].value == "13,879.48 USD"
    assert "northwind" not in json.dumps({k: str(v.value) for k, v in page.items()})
    assert "client_months" not in page and "total_billed" not in page
    assert "13,879.48 USD" in page["invoice_lines"].value
    assert page["cap_ledger"].value == "none: no not-to-exceed cap this month"  # not an empty table
    assert events[("priced_line_items", "northwind|2026-08")]["total"].value == "10,570.00 USD"
    assert events[("priced_line_items", "globex|2026-07")]["status"].value.startswith("outside the engagement")
    # no document number on the push page of a month nothing was pushed for (found by an auditor)
    assert "doc_number" not in events[("quickbooks_draft_invoices", "globex|2026-07")]
    assert events[("quickbooks_draft_invoices", "globex|2026-08")]["doc_number"].value.startswith("GLOBEX-202608-")
    push = events[("quickbooks_draft_invoices", "globex|2026-08")]
    assert push["push"].value == "created" and push["preview"].value.endswith("outbox/2026-08/globex.html")
    overview = events[("firm_overview", None)]
    assert "| globex | 2026-08 | pushed | 13,879.48 USD |" in overview["overview"].value
    assert "| globex | 2026-07 | outside engagement |" in overview["overview"].value
    raw = events[("raw_time_entries", "globex|2026-08")]  # each file's rows, and how many are this page's
    took = [int(n) for n in re.findall(r"\((\d+) of them this client-month\)", raw["export_files"].value)]
    assert took and sum(took) == raw["entries"].value, raw["export_files"].value
    classified = events[("classified_time_entries", "globex|2026-08")]  # its own entries, reasons and cost
    own = _table(home, "SELECT method, count(*), count(*) FILTER (WHERE held) FROM classified_time_entries "
                       "WHERE client = 'globex' AND month = '2026-08' GROUP BY method ORDER BY method")
    assert classified["entries"].value == sum(n for _, n, _ in own) > 0
    assert classified["held_entries"].value == sum(h for _, _, h in own)
    assert classified["methods"].value == markdown_table(("method", "entries"), [(m, n) for m, n, _ in own])
    assert classified["api_requests"].value == 0 and classified["cached_answers"].value == 0
    review = events[("review_queue", "northwind|2026-08")]
    held = _table(home, "SELECT count(*) FROM review_queue WHERE client = 'northwind' AND month = '2026-08'")
    assert review["held_entries"].value == held[0][0]


def test_a_month_with_nothing_to_bill_is_not_pushed_and_not_an_error(billing_env, capsys) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text() + "start: 2026-08\n")
    assert main(["close", "--month", "2026-08..2026-10"]) == 0, capsys.readouterr().out
    assert _table(home, "SELECT total FROM invoices WHERE month = '2026-10'") == [(Decimal("0.00"),)]
    assert _table(home, "SELECT kind, amount FROM invoice_lines WHERE month = '2026-10'") == [
        ("discount", Decimal("0.00"))]  # DECISIONS: a discount line even on zero fees
    assert not (home / "outbox" / "2026-10").exists()
    assert _table(home, "SELECT status FROM firm_overview WHERE month = '2026-10'") == [("nothing to bill",)]


def test_approval_sends_where_it_was_pushed_and_one_launch_approves_a_partition(closed_golden, monkeypatch,
                                                                               capsys) -> None:
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08..2026-09")
    monkeypatch.setenv("BILLING_PUSH", "qbo")  # set now, after the drafts went to the outbox
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0, capsys.readouterr().out
    assert "globex                       2026-08  sent" in capsys.readouterr().out
    assert _table(home, "SELECT sink, status FROM invoice_pushes WHERE month = '2026-08' AND status = 'sent'") == [
        ("outbox", "sent")]

    monkeypatch.delenv("BILLING_PUSH")  # the job's own sink resource is the configured one (its secrets unset here)
    job = build_defs().get_job_def("approve_client_month")
    result = job.execute_in_process(instance=DagsterInstance.get(), partition_key=client_month_key("globex",
                                                                                                   "2026-09"),
                                    tags={"dagster/user": "lee@firm.example"})
    assert result.success
    assert _table(home, "SELECT month, approved_by FROM sent_invoices ORDER BY month") == [
        ("2026-08", "Dana"), ("2026-09", "lee@firm.example")]
    # the overview (table and the UI's materialization) says sent at once, not at the next close
    assert _table(home, "SELECT month, status FROM firm_overview ORDER BY month") == [
        ("2026-08", "sent"), ("2026-09", "sent")]
    overview = [e for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
                and e.asset_key.path == ["firm_overview"]]
    assert len(overview) == 1 and "| globex | 2026-09 | sent |" in overview[0].materialization.metadata[
        "overview"].value
    again = job.execute_in_process(instance=DagsterInstance.get(), raise_on_error=False,
                                   partition_key=client_month_key("globex", "2026-10"))
    assert not again.success  # nobody named, nothing pushed: refused, naming why


def test_a_folder_without_any_export_replaces_nothing(closed_golden, capsys) -> None:
    """Found by an auditor: a second machine sharing the PostgreSQL warehouse without the exports (or a share not
    mounted) closed or reviewed a month, and its rows were replaced by nothing: a sent invoice removed as outside
    the engagement, entries held for review gone. A folder with no export file at all, after earlier closes read
    entries, now stops every client-month and replaces nothing."""
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    db = home / "billing.duckdb"
    with duckdb.connect(str(db), read_only=True) as conn:
        before = conn.execute("SELECT count(*), sum(hours) FROM raw_time_entries").fetchone()
        total = conn.execute("SELECT total FROM invoices WHERE month = '2026-08'").fetchone()
    for folder in ("timesheets", "expenses"):
        for path in (home / folder).iterdir():
            path.unlink()
    capsys.readouterr()
    assert main(["close", "--month", "2026-08"]) == 1
    out = capsys.readouterr().out
    assert ("timesheets/ and expenses/ hold no export file, but earlier closes read time entries of 1 "
            "client-month(s): the folders, or the share they are on, are missing here; nothing was replaced") in out
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("SELECT count(*), sum(hours) FROM raw_time_entries").fetchone() == before
        assert conn.execute("SELECT total FROM invoices WHERE month = '2026-08'").fetchone() == total


def test_a_folder_without_contracts_closes_nothing_and_says_so(billing_env, capsys) -> None:
    """Found by an auditor: a close from a folder without `contracts/` (another machine on the shared warehouse)
    printed "0 client-month(s) priced" and exited 0."""
    billing_env()
    assert main(["close", "--month", "2026-09"]) == 1
    assert "no contract file (contracts/<client>.yaml): nothing to close" in capsys.readouterr().out


def test_the_firm_approval_job_sends_the_others_and_fails_naming_a_refused_client(billing_env, capsys) -> None:
    """Found by an auditor: `approve_invoices` launched from the UI on a month with one client blocked ended green
    (the refusal an INFO line), while `billing approve` exits 1 and the partition job fails."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    for path in (GOLDEN / "03_caps_tiers_fixed_fee").glob("*/*"):
        if path.parent.name in ("contracts", "timesheets", "expenses"):
            shutil.copy(path, home / path.parent.name / (path.name if path.parent.name == "contracts"
                                                         else f"i_{path.name}"))
    assert main(["close", "--month", "2026-08"]) == 0
    contract = home / "contracts" / "initech.yaml"
    contract.write_text(contract.read_text() + "bogus_key: 1\n")
    assert main(["close", "--month", "2026-08", "--client", "initech"]) == 1
    result = build_defs().get_job_def("approve_invoices").execute_in_process(
        instance=DagsterInstance.get(), raise_on_error=False,
        run_config={"ops": {"send_approved_invoices": {"config": {"month": "2026-08", "approved_by": "Dana"}}}})
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_failure_data.error.message.startswith(
        "dagster._core.definitions.events.Failure: 1 client-month(s) not sent: initech|2026-08: skipped: blocking "
        "checks failed: contracts.contract_valid")
    assert _table(home, "SELECT client FROM sent_invoices") == [("globex",)]  # the other one was sent
