"""Ingest: validated contracts, raw time entries and raw expenses, per client-month."""


import json
from datetime import timedelta

from dagster import AssetExecutionContext, BackfillPolicy, FreshnessPolicy, MaterializeResult, MetadataValue, asset

from billing_assets.common import client_chunks, run_partitions
from billing_assets.core.errors import BillingInputError, RowProblem
from billing_assets.core.parsed import problems_for
from billing_assets.partitions import client_month_partitions
from billing_assets.tables import (
    RAW_EXPENSE_COLUMNS,
    RAW_TIME_COLUMNS,
    expense_row,
    markdown_table,
    time_entry_row,
)
from resources.home import BillingHome
from resources.timesource import TimeSource
from resources.warehouse import Warehouse, replace_partitions

CONTRACT_COLUMNS = ("client", "month", "name", "aliases", "currency", "terms_days", "fingerprint", "sow_version",
                    "contract_json", "source_file")
ASSET_DEFAULTS = dict(partitions_def=client_month_partitions, backfill_policy=BackfillPolicy.single_run(),
                      pool="duckdb")


@asset(group_name="ingest", kinds={"duckdb", "yaml"}, **ASSET_DEFAULTS)
def contracts(context: AssetExecutionContext, home: BillingHome, warehouse: Warehouse) -> MaterializeResult:
    """The client's contract as it applies in the month: contracts/<client>.yaml validated (every error names
    the file and key path) with amendments effective up to the month deep-merged. A bad contract fails only
    its own client's partitions."""
    rows = []
    for client, month in run_partitions(context):
        contract_file = home.contract_file(client)
        c = contract_file.for_month(month)
        rows.append((client, month, c.name, json.dumps(c.aliases), c.currency, c.terms_days, c.fingerprint(),
                     c.sow_version(), c.model_dump_json(), contract_file.label))
    with warehouse.connect() as conn:
        replace_partitions(conn, [(r[0], r[1]) for r in rows], {"contracts": (CONTRACT_COLUMNS, rows)})
    return MaterializeResult(metadata={
        "client_months": len(rows),
        "contracts": MetadataValue.md(markdown_table(("client", "month", "name", "currency", "fingerprint"),
                                                     [(r[0], r[1], r[2], r[4], r[6]) for r in rows])),
    })


def _problems(problems: list[RowProblem], folder: str, names: set[str], month: str) -> list[str]:
    """Unreadable rows and refused files of `folder` that concern this client-month (core.parsed.problems_for)."""
    return [str(p) for p in problems_for(problems, names, month, folder)]


def _client_names(home: BillingHome, client: str, month: str) -> set[str]:
    c = home.contract_file(client).for_month(month)
    return {c.name, *c.aliases}


# The month's time must be in by 09:00 UTC on the 2nd (the close runs on the 1st): a month whose entries were
# not ingested within the two days before that deadline shows as stale in the UI.
TIME_ENTRIES_FRESHNESS = FreshnessPolicy.cron(deadline_cron="0 9 2 * *", lower_bound_delta=timedelta(days=2))


@asset(group_name="ingest", kinds={"duckdb", "csv"}, deps=[contracts], freshness_policy=TIME_ENTRIES_FRESHNESS,
       **ASSET_DEFAULTS)
def raw_time_entries(context: AssetExecutionContext, home: BillingHome, time_source: TimeSource,
                     warehouse: Warehouse) -> MaterializeResult:
    """Time entries of the client-month from the time source (Harvest / Toggl / Clockify exports matched by
    header name, or the Harvest API), each with its stable entry_id. A row that cannot be read stops its
    client-month with an error naming the file and row; nothing is dropped silently."""
    pairs = run_partitions(context)
    parsed = time_source.load(sorted({m for _, m in pairs}))
    entries_by_key, _ = parsed.grouped()
    names = {pair: _client_names(home, *pair) for pair in pairs}
    problems = [p for pair in pairs for p in _problems(parsed.problems, "timesheets/", names[pair], pair[1])]
    if problems:
        raise BillingInputError("unreadable time export rows:\n" + "\n".join(sorted(set(problems))))
    summary = []
    with warehouse.connect() as conn:
        for chunk in client_chunks(pairs):
            rows = []
            for client, month in chunk:
                entries = sorted((e for name in sorted(names[(client, month)])
                                  for e in entries_by_key.get((name, month), [])), key=lambda e: e.order_key)
                rows += [time_entry_row(client, e) for e in entries]
                summary.append((client, month, len(entries), sum((e.hours for e in entries), 0),
                                sum((e.hours for e in entries if e.billable), 0)))
            replace_partitions(conn, chunk, {"raw_time_entries": (RAW_TIME_COLUMNS, rows)})
    files = {f.file: f.summary() for pair in pairs for f in parsed.files_of(names[pair], pair[1])}
    skipped = [str(w) for pair in pairs for w in problems_for(parsed.warnings, names[pair], pair[1])]
    return MaterializeResult(metadata={
        "entries": sum(s[2] for s in summary),
        "hours": float(sum(s[3] for s in summary)),
        "export_files": MetadataValue.md("\n".join(f"- {line}" for _, line in sorted(files.items())) or "none"),
        "skipped_rows": MetadataValue.md("\n".join(f"- {line}" for line in skipped) or "none"),
        "per_partition": MetadataValue.md(markdown_table(("client", "month", "entries", "hours", "billable hours"),
                                                         summary)),
    })


@asset(group_name="ingest", kinds={"duckdb", "csv"}, deps=[contracts], **ASSET_DEFAULTS)
def raw_expenses(context: AssetExecutionContext, home: BillingHome, time_source: TimeSource,
                 warehouse: Warehouse) -> MaterializeResult:
    """Expenses of the client-month (Harvest expense report), billable and not; markup is applied when
    pricing. An unreadable row stops its client-month with an error naming the file and row."""
    pairs = run_partitions(context)
    parsed = time_source.load(sorted({m for _, m in pairs}))
    _, expenses_by_key = parsed.grouped()
    rows, summary, problems = [], [], []
    for client, month in pairs:
        names = _client_names(home, client, month)
        problems += _problems(parsed.problems, "expenses/", names, month)
        expenses = sorted((x for name in sorted(names) for x in expenses_by_key.get((name, month), [])),
                          key=lambda x: x.order_key)
        rows += [expense_row(client, x) for x in expenses]
        summary.append((client, month, len(expenses), sum((x.amount for x in expenses if x.billable), 0)))
    if problems:
        raise BillingInputError("unreadable expense export rows:\n" + "\n".join(sorted(set(problems))))
    with warehouse.connect() as conn:
        replace_partitions(conn, pairs, {"raw_expenses": (RAW_EXPENSE_COLUMNS, rows)})
    return MaterializeResult(metadata={
        "expenses": len(rows),
        "per_partition": MetadataValue.md(markdown_table(("client", "month", "expenses", "billable amount"),
                                                         summary)),
    })
