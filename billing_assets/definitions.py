"""The one Definitions: assets, checks, jobs, schedules, sensors and resources chosen by environment.

Environment: BILLING_HOME, BILLING_DB, BILLING_SOURCE (csv | harvest), BILLING_CLASSIFIER (auto | offline | cascade |
claude), BILLING_CLAUDE_MODEL, ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, BILLING_PUSH (outbox | qbo), HARVEST_*,
QBO_*, BILLING_ALERT_WEBHOOK, BILLING_UI_URL. With none set it runs embedded: CSV folder in, DuckDB file,
outbox of QuickBooks payloads out, offline classifier.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from dagster import Definitions, in_process_executor

from billing_assets.checks import CHECKS
from billing_assets.classify import classified_time_entries
from billing_assets.environment import build_notifier, build_resources, build_sink, build_time_source
from billing_assets.ingest import contracts, raw_expenses, raw_time_entries
from billing_assets.jobs import approve_client_month, approve_invoices, close_previous_month, month_close_job
from billing_assets.overview import firm_overview
from billing_assets.price import priced_line_items
from billing_assets.push import quickbooks_draft_invoices
from billing_assets.review import review_queue
from billing_assets.whatif import whatif
from sensors.alerts import check_failure_alerts, run_failure_alerts
from sensors.clients import clients_from_contracts
from sensors.late_entries import build_late_entries_sensor
from sensors.late_exports import build_late_exports_sensor

ASSETS = [contracts, raw_time_entries, raw_expenses, classified_time_entries, review_queue, priced_line_items,
          quickbooks_draft_invoices, firm_overview]


def build_defs() -> Definitions:
    """Definitions with resources read from the environment now (the CLI and tests call this per home).

    Every job runs its steps in one process, including the implicit asset job that "Materialize" in the UI
    launches: a step process per asset would pay Python and Dagster start-up per step (42-51 s for one
    client-month against 5 s in process), and the steps share one DuckDB writer anyway."""
    return Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=[month_close_job, approve_invoices, approve_client_month, whatif],
        schedules=[close_previous_month],
        sensors=[clients_from_contracts, check_failure_alerts, run_failure_alerts, build_late_entries_sensor(),
                 build_late_exports_sensor()],
        resources=build_resources(),
        executor=in_process_executor,
    )


def instance_settings_missing() -> str:
    """What a Dagster process loading these definitions must say: DAGSTER_HOME is set, exists and has no
    dagster.yaml, so the webserver or daemon runs on Dagster's defaults (no "duckdb" pool, run retries or run
    monitoring; an event log per run), and once the first `billing` command installs this repo's dagster.yaml there,
    the UI's earlier history is hidden (found by an auditor). A warning, not a refusal: the UI works on the
    defaults, and refusing would stop a firm that started it first. "" when settings are in place or DAGSTER_HOME
    is not set."""
    home = os.environ.get("DAGSTER_HOME", "")
    if not home or not Path(home).is_dir() or (Path(home) / "dagster.yaml").exists():
        return ""
    return (f"DAGSTER_HOME {home} has no dagster.yaml, so this instance runs without the project's settings (the "
            "duckdb pool, run retries, run monitoring, one event log), and the runs made now are hidden once a "
            "`billing` command installs them: stop the UI and daemon, run any `billing` command once with this "
            "DAGSTER_HOME (e.g. `billing validate`; `make dev` does it), then start them again")


__all__ = ["ASSETS", "build_defs", "build_notifier", "build_resources", "build_sink", "build_time_source", "defs"]
if problem := instance_settings_missing():
    warnings.warn(problem, UserWarning, stacklevel=1)
defs = build_defs()
