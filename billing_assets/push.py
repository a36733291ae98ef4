"""The push: invoice drafts to the outbox or QuickBooks, only for partitions whose blocking checks passed."""


from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import duckdb
import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from billing_assets.common import run_partitions
from billing_assets.core.errors import BillingInputError
from billing_assets.core.invoice import doc_number
from billing_assets.core.model import InvoiceDraft
from billing_assets.core.months import first_day_after
from billing_assets.gate import blocking_failures
from billing_assets.ingest import ASSET_DEFAULTS
from billing_assets.price import priced_line_items
from billing_assets.review import review_queue
from billing_assets.tables import line_from_row, markdown_table
from resources.home import BillingHome
from resources.invoice_sink import InvoiceSink, KnownPush
from resources.warehouse import Warehouse, append_rows, query

PUSH_COLUMNS = ("client", "month", "sink", "doc_number", "content_hash", "status", "external_id", "sync_token",
                "location", "diff", "pushed_at")


def load_drafts(conn: duckdb.DuckDBPyConnection, home: BillingHome, pairs: list[tuple[str, str]]
                ) -> dict[tuple[str, str], InvoiceDraft]:
    """InvoiceDrafts of the priced client-months among `pairs`."""
    conn.register("partition_keys", pd.DataFrame(pairs, columns=["client", "month"], dtype=object))
    rows = query(conn, "draft_inputs")
    conn.unregister("partition_keys")
    heads, lines = {}, defaultdict(list)
    for r in rows:
        key = (r["client"], r["month"])
        if r["row_kind"] == "invoice":
            heads[key] = r
        else:
            lines[key].append(line_from_row(r))
    drafts = {}
    for (client, month), head in heads.items():
        contract = home.contract_file(client).for_month(month)
        invoice_date = first_day_after(month)
        drafts[(client, month)] = InvoiceDraft(
            client=client, month=month, customer_name=contract.name, currency=contract.currency,
            invoice_date=invoice_date, due_date=invoice_date + timedelta(days=contract.terms_days),
            lines=tuple(sorted(lines[(client, month)], key=lambda ln: ln.line_no)), total=Decimal(head["amount"]),
            content_hash=head["content_hash"])
    return drafts


def last_pushes(conn: duckdb.DuckDBPyConnection, sink: str, pairs: list[tuple[str, str]]
                ) -> dict[tuple[str, str], KnownPush]:
    conn.register("partition_keys", pd.DataFrame(pairs, columns=["client", "month"], dtype=object))
    rows = query(conn, "last_pushes", {"sink": sink})
    conn.unregister("partition_keys")
    return {(r["client"], r["month"]): KnownPush(r["content_hash"], r["external_id"], r["sync_token"], r["status"],
                                                 r["doc_number"]) for r in rows}


@asset(group_name="push", kinds={"quickbooks"}, deps=[priced_line_items, review_queue], **ASSET_DEFAULTS)
def quickbooks_draft_invoices(context: AssetExecutionContext, home: BillingHome, sink: InvoiceSink,
                              warehouse: Warehouse) -> MaterializeResult:
    """Invoice drafts as QuickBooks Online Invoice payloads (EmailStatus NotSet: nothing is sent without
    approval) with an HTML preview each. Pushes only partitions whose blocking data-quality checks passed in
    their latest evaluation, in this run or an earlier one. Idempotent: an unchanged invoice is not pushed
    again; an invoice someone sent or edited in QuickBooks is never modified."""
    pairs = run_partitions(context)
    blocked = blocking_failures(warehouse, pairs)
    if blocked:
        raise BillingInputError("not pushed, blocking checks failed:\n" + "\n".join(
            f"{c}|{m}: {', '.join(names)}" for (c, m), names in sorted(blocked.items())))
    with warehouse.connect() as conn:
        drafts = load_drafts(conn, home, pairs)
        known = last_pushes(conn, sink.kind, pairs)
    missing = [pair for pair in pairs if pair not in drafts]
    if missing:
        raise BillingInputError(f"not priced yet: {missing}")
    results, records = [], []
    for pair in pairs:
        draft = drafts[pair]
        preview = sink.preview(draft)
        result = sink.push(draft, known.get(pair))
        results.append((draft.client, draft.month, result.status, result.doc_number, draft.total, str(preview)))
        if result.status != "unchanged" or result.recovered:  # recovered: pushed earlier, never recorded
            status = "recovered" if result.status == "unchanged" else result.status
            records.append((draft.client, draft.month, sink.kind, result.doc_number, draft.content_hash,
                            status, result.external_id, result.sync_token, result.location, result.diff,
                            datetime.now(UTC).replace(tzinfo=None)))
            if result.recovered:
                context.log.warning(f"{draft.client}|{draft.month}: {result.doc_number} was found in {sink.kind} "
                                    f"without a record of its push (an earlier run stopped after the push); "
                                    f"recorded as {status}")
    with warehouse.connect() as conn:
        append_rows(conn, "invoice_pushes", PUSH_COLUMNS, records)
    conflicts = [r for r in records if r[5].startswith("conflict")]
    for r in conflicts:
        context.log.warning(f"{r[0]}|{r[1]}: {r[5]}: the invoice in {r[2]} was sent or edited by a person and was "
                            f"not modified; what changed:\n{r[9]}")
    metadata = {
        "sink": sink.kind,
        "pushed": len(records),
        "unchanged": sum(1 for r in results if r[2] == "unchanged"),
        "conflicts": sum(1 for r in results if r[2].startswith("conflict")),
        "drafts": MetadataValue.md(markdown_table(("client", "month", "status", "doc number", "total", "preview"),
                                                  results)),
        "conflict_diffs": MetadataValue.md("\n\n".join(f"**{r[0]}|{r[1]}** {r[5]}\n```\n{r[9]}\n```"
                                                         for r in conflicts) or "none"),
    }
    if len(results) == 1:
        metadata["preview"] = MetadataValue.url(f"file://{results[0][5]}")
        metadata["doc_number"] = doc_number(*pairs[0])
    return MaterializeResult(metadata=metadata)
