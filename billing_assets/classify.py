"""Classification: every entry gets a work type and SOW item (spec section 3); what is unsure is held."""


from collections import Counter
from decimal import Decimal

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from billing_assets import status
from billing_assets.classification_store import WarehouseSuggestionCache, labelled_history
from billing_assets.common import client_chunks, hours_text, not_active_metadata, partition_metadata, run_partitions
from billing_assets.core.classifier_api import ClassifierUsage
from billing_assets.core.classify import classify_entries
from billing_assets.core.errors import ClassifierUnavailable
from billing_assets.core.model import Classification, TimeEntry
from billing_assets.ingest import ASSET_DEFAULTS, WAREHOUSE_KIND, raw_time_entries
from billing_assets.tables import CLASSIFIED_COLUMNS, classification_row, markdown_table, time_entry_from_row
from resources.home import BillingHome
from resources.llm import ClassifierResource
from resources.warehouse import Warehouse, replace_partitions, rows_by_partition

CLASSIFIED_CHECK = "classifier_answered"  # the partition state's check name of a month the classifier failed
USAGE_COLUMNS = ("client", "month", "classifier", "requests", "input_tokens", "output_tokens",
                 "cache_creation_input_tokens", "cache_read_input_tokens", "cost_usd", "cached_answers")


@asset(group_name="classify", kinds={WAREHOUSE_KIND, "anthropic"}, deps=[raw_time_entries], **ASSET_DEFAULTS)
def classified_time_entries(context: AssetExecutionContext, home: BillingHome, classifier: ClassifierResource,
                            warehouse: Warehouse) -> MaterializeResult:
    """Each entry's work type and SOW item: reviewer overrides, then rules (Billable?, task map, rush
    keywords), then project codes, then the classifier (Claude or the offline classifier) for free-text notes.
    Entries with a review reason (low confidence, unknown SOW item, missing project code, no rate, held by a
    reviewer) are held: not priced, listed in the review queue."""
    pairs, others = status.split_pairs(warehouse, run_partitions(context))
    overrides = home.overrides()
    model = classifier.build()
    pages: dict[tuple[str, str], dict] = {}
    total_usage = ClassifierUsage()
    failed: dict[tuple[str, str], str] = {}  # client-months the classifier could not answer for: why
    with warehouse.connect() as conn:
        # a sent month keeps what it billed: one sent by a release that froze less is frozen as it stands, before
        # this step classifies it again or clears it (a contract now refused)
        with conn.transaction(), conn.staged("partition_keys", ("client", "month"), [*pairs, *others]):
            conn.run("queries/snapshot_unfrozen_sent_entries.sql")
        replace_partitions(conn, status.clearable(others), {"classified_time_entries": (CLASSIFIED_COLUMNS, []),
                                                "classifier_usage": (USAGE_COLUMNS, [])})
        history = labelled_history(conn, overrides)
        cache = WarehouseSuggestionCache(conn)
        for chunk in client_chunks(pairs):
            raw = rows_by_partition(conn, "raw_time_entries", chunk)
            sent = rows_by_partition(conn, "sent_entry_labels", chunk)  # a sent month keeps what it billed
            rows, usage_rows = [], []
            for client, month in chunk:
                contract = home.contract_file(client).for_month(month)
                entries = [time_entry_from_row(r) for r in raw.get((client, month), [])]
                hits_before = cache.hits
                try:
                    results, usage = classify_entries(
                        contract, entries, overrides, model.classify, model.cache_id, history, cache,
                        getattr(model, "review_floor", 0.0),
                        {r["entry_id"]: (r["sow_item"], r["work_type"]) for r in sent.get((client, month), [])
                         if r["sow_item"] or not contract.sow_item_ids})  # '': frozen without SOW items
                except ClassifierUnavailable as exc:  # this client-month is held back; the others go on
                    failed[(client, month)] = (f"{client} {month}: not classified: {' '.join(str(exc).split())[:600]}"
                                               f"; close it again once the classifier answers (or with "
                                               f"BILLING_CLASSIFIER=offline)")
                    continue
                total_usage.add(usage)
                rows += [classification_row(client, month, c) for c in results]
                usage_rows.append((client, month, model.cache_id, usage.requests, usage.input_tokens,
                                   usage.output_tokens, usage.cache_creation_input_tokens,
                                   usage.cache_read_input_tokens, round(usage.cost_usd, 6), cache.hits - hits_before))
                pages[(client, month)] = _page(model.cache_id, usage, cache.hits - hits_before, entries, results)
            replace_partitions(conn, chunk, {"classified_time_entries": (CLASSIFIED_COLUMNS, rows),
                                             "classifier_usage": (USAGE_COLUMNS, usage_rows)})
        if failed:
            with conn.transaction(), conn.staged("blocked", ("client", "month", "check_name", "problems"),
                                                 [(c, m, CLASSIFIED_CHECK, p) for (c, m), p in sorted(failed.items())]):
                conn.run("partition_status/block.sql")
    for (client, month), problem in sorted(failed.items()):
        context.log.error(problem)
        partition_metadata(context, client, month, {"status": "blocked: not classified",
                                                    "problems": MetadataValue.md(f"- {problem}")})
    for (client, month), page in pages.items():
        partition_metadata(context, client, month, page)
    not_active_metadata(context, others)
    context.log.info(f"classified {sum(p['entries'] for p in pages.values())} entries of {len(pages)} "
                     f"client-month(s), {sum(p['held_entries'] for p in pages.values())} held; classifier "
                     f"{model.cache_id}: {total_usage.requests} request(s), cost {round(total_usage.cost_usd, 6)} USD, "
                     f"{cache.hits} cached answer(s)")
    return MaterializeResult()


def _page(classifier_id: str, usage: ClassifierUsage, cached: int, entries: list[TimeEntry],
          results: list[Classification]) -> dict:
    """One client-month's partition page: its entries, what is held and why, and what classifying it cost."""
    held = [(e, c) for e, c in zip(entries, results, strict=True) if c.held]
    return {
        "entries": len(results),
        "held_entries": len(held),
        "held_hours": MetadataValue.text(hours_text(sum((e.hours for e, _ in held), Decimal(0)))),
        "methods": MetadataValue.md(markdown_table(("method", "entries"),
                                                   sorted(Counter(c.method for c in results).items()))),
        "review_reasons": MetadataValue.md(markdown_table(
            ("reason", "entries"), sorted(Counter(r for c in results for r in c.review_reasons).items()))),
        "classifier": classifier_id,
        "api_requests": usage.requests,
        "cached_answers": cached,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens,
        "cost_usd": round(usage.cost_usd, 6),
    }
