"""The one Definitions: assets, checks, jobs, schedules, sensors and resources chosen by environment.

Environment: BILLING_HOME, BILLING_DB, BILLING_SOURCE (csv | harvest), BILLING_CLASSIFIER (auto | offline | cascade |
claude), BILLING_CLAUDE_MODEL, ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, BILLING_PUSH (outbox | qbo), HARVEST_*,
QBO_*, BILLING_ALERT_WEBHOOK, BILLING_UI_URL. With none set it runs embedded: CSV folder in, DuckDB file,
outbox of QuickBooks payloads out, offline classifier.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import Definitions, EnvVar, in_process_executor

from billing_assets.checks import CHECKS
from billing_assets.classify import classified_time_entries
from billing_assets.ingest import contracts, raw_expenses, raw_time_entries
from billing_assets.jobs import approve_invoices, close_previous_month, month_close_job
from billing_assets.price import priced_line_items
from billing_assets.push import quickbooks_draft_invoices
from billing_assets.review import review_queue
from billing_assets.settings import billing_db, billing_home
from resources.home import BillingHome
from resources.invoice_sink import InvoiceSink, OutboxSink
from resources.llm import classifier_from_env
from resources.notify import LogNotifier, Notifier, WebhookNotifier
from resources.quickbooks.sink import QuickBooksSink
from resources.timesource import CsvTimeSource, HarvestTimeSource, TimeSource
from resources.warehouse import Warehouse
from sensors.alerts import check_failure_alerts, run_failure_alerts
from sensors.clients import clients_from_contracts
from sensors.late_entries import build_late_entries_sensor


def _secret(name: str) -> EnvVar | None:
    """A secret read at run time through EnvVar (never stored in run config); None when unset."""
    return EnvVar(name) if os.environ.get(name) else None


def build_time_source(home: str) -> TimeSource:
    """BILLING_SOURCE: csv (default, the billing home's folders) | harvest (the API; secrets as EnvVar)."""
    source = os.environ.get("BILLING_SOURCE", "csv") or "csv"
    if source == "csv":
        return CsvTimeSource(home=home)
    if source == "harvest":
        return HarvestTimeSource(home=home, access_token=EnvVar("HARVEST_ACCESS_TOKEN"),
                                 account_id=EnvVar("HARVEST_ACCOUNT_ID"),
                                 base_url=os.environ.get("HARVEST_BASE_URL", ""),
                                 user_agent=os.environ.get("HARVEST_USER_AGENT", ""))
    raise ValueError(f"BILLING_SOURCE must be csv or harvest, got {source!r}")


def build_sink(home: str) -> InvoiceSink:
    """BILLING_PUSH: outbox (default, payload files in the billing home) | qbo (QuickBooks Online; secrets as
    EnvVar, resolved when a run starts, so a missing one fails the run naming the variable)."""
    push = os.environ.get("BILLING_PUSH", "outbox") or "outbox"
    if push == "outbox":
        return OutboxSink(home=home)
    if push == "qbo":
        env = os.environ.get
        return QuickBooksSink(
            home=home, client_id=EnvVar("QBO_CLIENT_ID"), client_secret=EnvVar("QBO_CLIENT_SECRET"),
            realm_id=EnvVar("QBO_REALM_ID"), refresh_token=EnvVar("QBO_REFRESH_TOKEN"),
            environment=env("QBO_ENVIRONMENT") or "sandbox", base_url=env("QBO_BASE_URL", ""),
            discovery_url=env("QBO_DISCOVERY_URL", ""), token_store=env("QBO_TOKEN_STORE", ""),
            minor_version=int(env("QBO_MINOR_VERSION") or 75), timeout=float(env("QBO_TIMEOUT") or 30),
            income_account=env("QBO_INCOME_ACCOUNT") or "Services")
    raise ValueError(f"BILLING_PUSH must be outbox or qbo, got {push!r}")


def build_notifier(home: str) -> Notifier:
    """BILLING_ALERT_WEBHOOK set: alerts go to that webhook (its URL an EnvVar secret); else to alerts.log."""
    ui = os.environ.get("BILLING_UI_URL", "http://127.0.0.1:3000")
    if os.environ.get("BILLING_ALERT_WEBHOOK"):
        return WebhookNotifier(webhook_url=EnvVar("BILLING_ALERT_WEBHOOK"), ui_base_url=ui)
    return LogNotifier(log_path=str(Path(home) / "alerts.log"), ui_base_url=ui)


def build_resources() -> dict:
    """Every resource, its variant chosen by the environment here and nowhere else."""
    home = str(billing_home())
    return {
        "home": BillingHome(path=home),
        "time_source": build_time_source(home),
        "classifier": classifier_from_env(),
        "warehouse": Warehouse(database=str(billing_db())),
        "sink": build_sink(home),
        "notifier": build_notifier(home),
    }


ASSETS = [contracts, raw_time_entries, raw_expenses, classified_time_entries, review_queue, priced_line_items,
          quickbooks_draft_invoices]

def build_defs() -> Definitions:
    """Definitions with resources read from the environment now (the CLI and tests call this per home).

    Every job runs its steps in one process, including the implicit asset job that "Materialize" in the UI
    launches: a step process per asset would pay Python and Dagster start-up per step (42-51 s for one
    client-month against 5 s in process), and the steps share one DuckDB writer anyway."""
    return Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=[month_close_job, approve_invoices],
        schedules=[close_previous_month],
        sensors=[clients_from_contracts, check_failure_alerts, run_failure_alerts, build_late_entries_sensor()],
        resources=build_resources(),
        executor=in_process_executor,
    )


defs = build_defs()
