"""The one Definitions: assets, checks, jobs, schedules, sensors and resources chosen by environment.

Environment: BILLING_HOME, BILLING_DB, BILLING_SOURCE (csv | harvest), BILLING_CLASSIFIER (auto | offline |
claude), BILLING_CLAUDE_MODEL, ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, BILLING_PUSH (outbox | qbo), HARVEST_*,
QBO_*, BILLING_ALERT_WEBHOOK, BILLING_UI_URL. With none set it runs embedded: CSV folder in, DuckDB file,
outbox of QuickBooks payloads out, offline classifier.
"""

from __future__ import annotations

import os

from dagster import Definitions, EnvVar

from billing_assets.checks import CHECKS
from billing_assets.classify import classified_time_entries
from billing_assets.ingest import contracts, raw_expenses, raw_time_entries
from billing_assets.jobs import approve_client_month, approve_invoices, close_previous_month, month_close_job
from billing_assets.overview import firm_overview
from billing_assets.price import priced_line_items
from billing_assets.push import quickbooks_draft_invoices
from billing_assets.review import review_queue
from billing_assets.settings import billing_db, billing_home
from resources.home import BillingHome
from resources.invoice_sink import InvoiceSink
from resources.llm import DEFAULT_MODEL, ClassifierResource
from resources.notify import Notifier
from resources.timesource import TimeSource
from resources.warehouse import Warehouse
from sensors.alerts import check_failure_alerts, run_failure_alerts
from sensors.clients import clients_from_contracts
from sensors.late_entries import build_late_entries_sensor


def _secret(name: str) -> EnvVar | None:
    """A secret read at run time through EnvVar (never stored in run config); None when unset."""
    return EnvVar(name) if os.environ.get(name) else None


def build_resources() -> dict:
    home = str(billing_home())
    return {
        "home": BillingHome(path=home),
        "time_source": TimeSource(kind=os.environ.get("BILLING_SOURCE", "csv"), home=home,
                                  harvest_access_token=_secret("HARVEST_ACCESS_TOKEN"),
                                  harvest_account_id=os.environ.get("HARVEST_ACCOUNT_ID"),
                                  harvest_base_url=os.environ.get("HARVEST_BASE_URL")),
        "classifier": ClassifierResource(kind=os.environ.get("BILLING_CLASSIFIER", "auto"),
                                         api_key=_secret("ANTHROPIC_API_KEY"),
                                         base_url=os.environ.get("ANTHROPIC_BASE_URL"),
                                         model=os.environ.get("BILLING_CLAUDE_MODEL", DEFAULT_MODEL),
                                         use_batches=os.environ.get("BILLING_CLAUDE_BATCHES", "") == "1"),
        "warehouse": Warehouse(database=str(billing_db())),
        "sink": InvoiceSink(kind=os.environ.get("BILLING_PUSH", "outbox"), home=home),
        "notifier": Notifier(webhook_url=os.environ.get("BILLING_ALERT_WEBHOOK") or None,
                             log_path=str(billing_home() / "alerts.log"),
                             ui_base_url=os.environ.get("BILLING_UI_URL", "http://127.0.0.1:3000")),
    }


ASSETS = [contracts, raw_time_entries, raw_expenses, classified_time_entries, review_queue, priced_line_items,
          quickbooks_draft_invoices, firm_overview]


def build_defs() -> Definitions:
    """Definitions with resources read from the environment now (the CLI and tests call this per home)."""
    return Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=[month_close_job, approve_invoices, approve_client_month],
        schedules=[close_previous_month],
        sensors=[clients_from_contracts, check_failure_alerts, run_failure_alerts, build_late_entries_sensor()],
        resources=build_resources(),
    )


defs = build_defs()
