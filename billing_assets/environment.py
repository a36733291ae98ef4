"""The one place that picks each resource's variant from the environment (local twin or live), with secrets
as EnvVar: BILLING_HOME, BILLING_DB (a DuckDB file path, or postgresql://...), BILLING_DB_PASSWORD, BILLING_SOURCE
(csv | harvest), BILLING_CLASSIFIER, BILLING_PUSH (outbox | qbo), BILLING_ALERT_WEBHOOK, HARVEST_*, QBO_*,
ANTHROPIC_*. Used by the Definitions and by commands that need a resource outside a run (approval sends through the
sink each draft was pushed to)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import TypeVar

from dagster import ConfigurableResource, DagsterInstance, EnvVar, build_init_resource_context
from dagster._config.post_process import post_process_config

from billing_assets.settings import billing_db, billing_home, warehouse_url
from resources.home import BillingHome
from resources.invoice_sink import InvoiceSink, OutboxSink
from resources.llm import classifier_from_env
from resources.notify import LogNotifier, Notifier, WebhookNotifier
from resources.quickbooks.sink import QuickBooksSink
from resources.timesource import CsvTimeSource, HarvestTimeSource, TimeSource
from resources.warehouse import Warehouse
from resources.warehouse_duckdb import DuckDBWarehouse
from resources.warehouse_postgres import PostgresWarehouse


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


def build_sink(home: str, kind: str | None = None) -> InvoiceSink:
    """BILLING_PUSH (or `kind`: approval sends where a draft was pushed): outbox (default, payload files in the
    billing home) | qbo (QuickBooks Online; secrets as EnvVar, resolved when a run starts, so a missing one fails
    the run naming the variable)."""
    push = kind or os.environ.get("BILLING_PUSH", "outbox") or "outbox"
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


def build_warehouse() -> Warehouse:
    """BILLING_DB=postgresql://user@host:port/db: the warehouse in that PostgreSQL database (the URL, with any
    password in it, and BILLING_DB_PASSWORD read at run time as EnvVar); anything else: the DuckDB file at that
    path (default `<home>/billing.duckdb`), the embedded default."""
    if warehouse_url():
        return PostgresWarehouse(url=EnvVar("BILLING_DB"), password=_secret("BILLING_DB_PASSWORD"))
    return DuckDBWarehouse(database=str(billing_db()))


R = TypeVar("R", bound=ConfigurableResource)


def initialized(resource: R) -> R:
    """`resource.process_config_and_initialize()` (config checked, EnvVar secrets resolved) for use outside a run,
    with one in-memory Dagster instance per process: without one, Dagster builds a new instance per call (a
    quarter of a second: each of its storages stamps its schema), and a close initialises resources several
    times."""
    processed = post_process_config(resource._config_schema.config_type, resource._convert_to_config_dictionary())
    if not processed.success:
        return resource.process_config_and_initialize()  # raises Dagster's own DagsterInvalidConfigError
    return resource.from_resource_context(build_init_resource_context(config=processed.value,
                                                                      instance=_spare_instance()),
                                          nested_resources=resource.nested_resources)


@cache
def _spare_instance() -> DagsterInstance:
    return DagsterInstance.ephemeral()


def build_resources() -> dict:
    """Every resource, its variant chosen by the environment here and nowhere else."""
    home = str(billing_home())
    return {
        "home": BillingHome(path=home),
        "time_source": build_time_source(home),
        "classifier": classifier_from_env(),
        "warehouse": build_warehouse(),
        "sink": build_sink(home),
        "notifier": build_notifier(home),
    }
