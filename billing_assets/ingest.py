"""Ingest: validated contracts, raw time entries and raw expenses, per client-month."""


import json
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from dagster import AssetExecutionContext, BackfillPolicy, FreshnessPolicy, MaterializeResult, MetadataValue, asset

from billing_assets import status
from billing_assets.common import (
    client_chunks,
    hours_text,
    money,
    not_active_metadata,
    partition_metadata,
    run_partitions,
)
from billing_assets.core.parsed import problems_for
from billing_assets.partitions import FIRM_TIMEZONE, client_month_partitions
from billing_assets.settings import warehouse_kind, warehouse_pool
from billing_assets.tables import RAW_EXPENSE_COLUMNS, RAW_TIME_COLUMNS, expense_row, time_entry_row
from resources.home import BillingHome
from resources.timesource import TimeSource
from resources.warehouse import Warehouse, query, query_keyed, replace_partitions

CONTRACT_COLUMNS = ("client", "month", "name", "aliases", "currency", "terms_days", "fingerprint", "sow_version",
                    "contract_json", "source_file")
WAREHOUSE_KIND = warehouse_kind()  # the kind tag the UI shows for the warehouse (BILLING_DB at load)
ASSET_DEFAULTS = dict(partitions_def=client_month_partitions, backfill_policy=BackfillPolicy.single_run(),
                      pool=warehouse_pool())


@asset(group_name="ingest", kinds={WAREHOUSE_KIND, "yaml"}, **ASSET_DEFAULTS)
def contracts(context: AssetExecutionContext, home: BillingHome, time_source: TimeSource,
              warehouse: Warehouse) -> MaterializeResult:
    """The client's contract as it applies in the month: contracts/<client>.yaml validated (every error names
    the file and key path) with amendments effective up to the month deep-merged. Decides each client-month's
    state for the run: outside the engagement (start..end) is never priced; a bad contract, export row or
    override blocks that client-month alone (checks contract_valid, inputs_readable); the rest is active."""
    pairs = run_partitions(context)
    known, sent = {}, set()
    if warehouse.exists():
        with warehouse.connect() as conn:
            if not time_source.full_history:  # an API loads the run's months only: earlier closes know the rest
                known = {c: {r["month"] for r in query(conn, "client_data_months", {"client": c})}
                         for c in sorted({c for c, _ in pairs})}
            # a sent month now outside the engagement: its rows were billed, and its pages say so
            sent = {(r["client"], r["month"]) for r in query_keyed(conn, "sent_snapshot_keys", pairs)}
    parsed = time_source.load(sorted({m for _, m in pairs}))
    states = status.evaluate(home, parsed, pairs, known, sent)
    if time_source.full_history and not parsed.files and warehouse.exists():  # no export file: is the folder here?
        with warehouse.connect() as conn:
            read_before = query(conn, "months_read_before")[0]["client_months"]
        if read_before:
            states = status.without_exports(states, read_before)
    rows = []
    for client, month in pairs:
        if states[(client, month)].state != status.ACTIVE:
            continue
        contract_file = home.contract_file(client)
        c = contract_file.for_month(month)
        rows.append((client, month, c.name, json.dumps(c.aliases), c.currency, c.terms_days, c.fingerprint(),
                     c.sow_version(), c.model_dump_json(), contract_file.label))
        partition_metadata(context, client, month, {
            "status": "active", "engagement": states[(client, month)].engagement, "contract": contract_file.label,
            "name": c.name, "currency": c.currency, "fingerprint": c.fingerprint()})
    with warehouse.connect() as conn:
        replace_partitions(conn, pairs, {"contracts": (CONTRACT_COLUMNS, rows),
                                         "partition_status": (status.STATUS_COLUMNS, status.status_rows(states))})
    others = {pair: s for pair, s in states.items() if s.state != status.ACTIVE}
    not_active_metadata(context, others)
    for (client, month), state in sorted(others.items()):
        if state.state == status.BLOCKED:
            context.log.error(f"{client}|{month} blocked ({state.check_name}), not priced:\n  "
                              + "\n  ".join(state.problems))
    outside = sum(1 for s in others.values() if s.state == status.OUTSIDE)
    if outside:
        context.log.info(f"{outside} client-month(s) outside their engagement: nothing priced for them")
    return MaterializeResult()


def _client_names(home: BillingHome, client: str, month: str) -> set[str]:
    c = home.contract_file(client).for_month(month)
    return c.names


# The month's time must be in by 09:00 on the 2nd in the firm's time zone (the close runs on the 1st): a month
# whose entries were not ingested within the two days before that deadline shows as stale in the UI.
TIME_ENTRIES_FRESHNESS = FreshnessPolicy.cron(deadline_cron="0 9 2 * *", lower_bound_delta=timedelta(days=2),
                                              timezone=FIRM_TIMEZONE)


@asset(group_name="ingest", kinds={WAREHOUSE_KIND, "csv"}, deps=[contracts], freshness_policy=TIME_ENTRIES_FRESHNESS,
       **ASSET_DEFAULTS)
def raw_time_entries(context: AssetExecutionContext, home: BillingHome, time_source: TimeSource,
                     warehouse: Warehouse) -> MaterializeResult:
    """Time entries of the client-month from the time source (Harvest / Toggl / Clockify exports matched by
    header name, or the Harvest API), each with its stable entry_id. A row that cannot be read stops its
    client-month with an error naming the file and row; nothing is dropped silently."""
    all_pairs = run_partitions(context)
    parsed = time_source.load(sorted({m for _, m in all_pairs}))  # before the file is held: an API is slow
    entries_by_key, _ = parsed.grouped()
    summary = []
    with warehouse.held_open(), warehouse.connect() as conn:  # one opening for the states and the writes
        pairs, others = status.split_pairs(warehouse, all_pairs)
        names = {pair: _client_names(home, *pair) for pair in pairs}
        replace_partitions(conn, status.clearable(others), {"raw_time_entries": (RAW_TIME_COLUMNS, [])})
        for chunk in client_chunks(pairs):
            rows = []
            for client, month in chunk:
                entries = sorted((e for name in sorted(names[(client, month)])
                                  for e in entries_by_key.get((name, month), [])), key=lambda e: e.order_key)
                rows += [time_entry_row(client, e) for e in entries]
                summary.append((client, month, len(entries), sum((e.hours for e in entries), 0),
                                sum((e.hours for e in entries if e.billable), 0),
                                Counter(e.source_file for e in entries)))
            replace_partitions(conn, chunk, {"raw_time_entries": (RAW_TIME_COLUMNS, rows)})
    for client, month, count, hours, billable, per_file in summary:
        files = sorted(f.summary() + (f" ({per_file[f.file]} of them this client-month)" if per_file[f.file] else "")
                       for f in parsed.files_of(names[(client, month)], month))
        skipped = [str(w) for w in problems_for(parsed.warnings, names[(client, month)], month)]
        partition_metadata(context, client, month, {
            "entries": count, "hours": MetadataValue.text(hours_text(hours)),
            "billable_hours": MetadataValue.text(hours_text(billable)),
            "export_files": MetadataValue.md("\n".join(f"- {line}" for line in files) or "none"),
            "skipped_rows": MetadataValue.md("\n".join(f"- {line}" for line in skipped) or "none")})
    not_active_metadata(context, others)
    return MaterializeResult()


@asset(group_name="ingest", kinds={WAREHOUSE_KIND, "csv"}, deps=[contracts], **ASSET_DEFAULTS)
def raw_expenses(context: AssetExecutionContext, home: BillingHome, time_source: TimeSource,
                 warehouse: Warehouse) -> MaterializeResult:
    """Expenses of the client-month (Harvest expense report), billable and not; markup is applied when
    pricing. An unreadable row stops its client-month with an error naming the file and row."""
    all_pairs = run_partitions(context)
    parsed = time_source.load(sorted({m for _, m in all_pairs}))  # before the file is held: an API is slow
    _, expenses_by_key = parsed.grouped()
    rows = []
    with warehouse.held_open():  # one opening of the file for the states and the writes
        pairs, others = status.split_pairs(warehouse, all_pairs)
        for client, month in pairs:
            names = _client_names(home, client, month)
            expenses = sorted((x for name in sorted(names) for x in expenses_by_key.get((name, month), [])),
                              key=lambda x: x.order_key)
            rows += [expense_row(client, x) for x in expenses]
            currency = home.contract_file(client).for_month(month).currency
            partition_metadata(context, client, month, {
                "expenses": len(expenses),
                "billable_amount": MetadataValue.text(money(sum((x.amount for x in expenses if x.billable),
                                                                Decimal(0)), currency))})
        with warehouse.connect() as conn:
            replace_partitions(conn, pairs + status.clearable(others), {"raw_expenses": (RAW_EXPENSE_COLUMNS, rows)})
    not_active_metadata(context, others)
    return MaterializeResult()
