"""The code location loads and validates the way `dagster dev` and the daemon load it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dagster import in_process_executor

from billing_assets.definitions import build_defs

REPO = Path(__file__).resolve().parent.parent


def test_dagster_definitions_validate(tmp_path: Path) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "BILLING_HOME": str(tmp_path / "home")}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run([str(dagster), "definitions", "validate", "-w", "workspace.yaml"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "All code locations passed validation" in result.stderr + result.stdout


def test_definitions_hold_the_graph_checks_jobs_and_sensors() -> None:
    defs = build_defs()
    keys = {spec.key.path[-1] for spec in defs.resolve_all_asset_specs()}
    assert keys == {"contracts", "raw_time_entries", "raw_expenses", "classified_time_entries", "review_queue",
                    "priced_line_items", "quickbooks_draft_invoices", "firm_overview"}
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert {"contract_valid", "inputs_readable", "priceable", "client_months_pushed",
            "hours_reconcile", "no_cross_file_duplicates", "sow_items_exist", "retainer_burn_before_20th"} <= checks
    assert {j.name for j in defs.jobs} >= {"month_close", "approve_invoices"}
    assert {s.name for s in defs.sensors} >= {"clients_from_contracts", "check_failure_alerts", "run_failure_alerts"}


def test_a_check_page_says_whether_a_failure_stops_the_push() -> None:
    """Dagster's own `blocking` flag is off for every per-client-month check (it would stop the whole run), so its
    page reads "non-blocking asset check": the description beside it says what a failure does."""
    graph = build_defs().resolve_asset_graph()
    specs = {key.name: graph.get_check_spec(key) for key in graph.asset_check_keys}
    assert specs["rates_present"].description == (
        "Rates present. Push gate: a failure keeps this client-month's invoice from being pushed or approved. "
        "Dagster's \"non-blocking\" above is about the run: its other client-months go on.")
    assert specs["hours_in_trailing_range"].description == (
        "Hours in trailing range. Warning: a failure is alerted and shown on the client-month; nothing is stopped.")
    assert not specs["rates_present"].blocking and not specs["hours_in_trailing_range"].blocking


def test_every_job_including_the_uis_implicit_asset_job_runs_in_process() -> None:
    """"Materialize" in the UI launches the implicit asset job; its steps must not each start a process."""
    repository = build_defs().get_repository_def()
    assert repository.get_job("__ASSET_JOB").executor_def is in_process_executor
    assert {job.name: job.executor_def.name for job in repository.get_all_jobs()} == {
        "__ASSET_JOB": "in_process", "approve_invoices": "in_process", "month_close": "in_process",
        "approve_client_month": "in_process", "whatif": "in_process"}


def test_the_instance_dequeues_runs_launched_from_the_ui_every_second(tmp_path: Path, monkeypatch) -> None:
    """The repo's dagster.yaml (copied into each DAGSTER_HOME) keeps a UI launch from waiting up to 5 s in the
    queue, and keeps the concurrency limits."""
    from dagster import DagsterInstance

    (tmp_path / "dagster.yaml").write_bytes((REPO / "dagster.yaml").read_bytes())
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        coordinator = instance.run_coordinator
        assert type(coordinator).__name__ == "QueuedRunCoordinator"
        assert coordinator.dequeue_interval_seconds == 1
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 4



KINDS = ("import json; from billing_assets.definitions import defs; "
         "print(json.dumps({s.key.path[-1]: sorted(s.kinds) for s in defs.resolve_all_asset_specs()}))")


def _kinds(billing_db: str, tmp_path: Path) -> dict[str, list[str]]:
    env = {**os.environ, "BILLING_DB": billing_db, "BILLING_HOME": str(tmp_path / "home"), "PYTHONWARNINGS": "ignore"}
    result = subprocess.run([sys.executable, "-c", KINDS], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def test_the_ui_names_the_warehouse_the_assets_write(tmp_path: Path) -> None:
    """Asset kinds (the badges of the asset graph) say postgres when BILLING_DB is a PostgreSQL URL, else duckdb."""
    postgres = _kinds("postgresql://billing@127.0.0.1:5432/billing", tmp_path)
    duckdb = _kinds(str(tmp_path / "billing.duckdb"), tmp_path)
    assert postgres["priced_line_items"] == ["postgres"] and duckdb["priced_line_items"] == ["duckdb"]
    assert postgres["raw_time_entries"] == ["csv", "postgres"]
    assert not any("duckdb" in kinds for kinds in postgres.values())
    assert {name for name, kinds in duckdb.items() if "duckdb" in kinds} == {
        name for name, kinds in postgres.items() if "postgres" in kinds}


def test_a_dagster_home_without_the_projects_settings_is_named_when_the_definitions_load(tmp_path: Path) -> None:
    """Found by an auditor: the UI started on an empty DAGSTER_HOME ran on Dagster's defaults (no duckdb pool, no
    run retries, an event log per run) without a word; the first `billing` command then installed dagster.yaml and
    the UI's history was hidden. Loading the definitions there now warns, saying what to run (the UI still loads:
    refusing would stop a firm that started it first); once a command has set the home up, nothing is said."""
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home"), "BILLING_HOME": str(tmp_path / "home")}
    (tmp_path / "dagster_home").mkdir()
    load = [sys.executable, "-c", "import billing_assets.definitions"]
    warned = subprocess.run(load, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert warned.returncode == 0, warned.stderr[-2000:]
    assert (f"UserWarning: DAGSTER_HOME {tmp_path / 'dagster_home'} has no dagster.yaml, so this instance runs "
            "without the project's settings") in warned.stderr
    billing = Path(sys.executable).parent / "billing"
    subprocess.run([str(billing), "validate"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert (tmp_path / "dagster_home" / "dagster.yaml").read_text() == (REPO / "dagster.yaml").read_text()
    loaded = subprocess.run(load, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert loaded.returncode == 0 and "has no dagster.yaml" not in loaded.stderr, loaded.stderr[-2000:]
