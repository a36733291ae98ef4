"""Classification: every entry gets a work type and SOW item (spec section 3); what is unsure is held."""


from collections import Counter

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from billing_assets import status
from billing_assets.classification_store import WarehouseSuggestionCache, labelled_history
from billing_assets.common import client_chunks, hours_text, not_active_metadata, partition_metadata, run_partitions
from billing_assets.core.classifier_api import ClassifierUsage
from billing_assets.core.classify import classify_entries
from billing_assets.ingest import ASSET_DEFAULTS, WAREHOUSE_KIND, raw_time_entries
from billing_assets.tables import CLASSIFIED_COLUMNS, classification_row, markdown_table, time_entry_from_row
from resources.home import BillingHome
from resources.llm import ClassifierResource
from resources.warehouse import Warehouse, replace_partitions, rows_by_partition

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
    summary = []
    total_usage = ClassifierUsage()
    reasons, methods = Counter(), Counter()
    with warehouse.connect() as conn:
        replace_partitions(conn, status.clearable(others), {"classified_time_entries": (CLASSIFIED_COLUMNS, []),
                                                "classifier_usage": (USAGE_COLUMNS, [])})
        history = labelled_history(conn, overrides)
        cache = WarehouseSuggestionCache(conn)
        for chunk in client_chunks(pairs):
            raw = rows_by_partition(conn, "raw_time_entries", chunk)
            rows, usage_rows = [], []
            for client, month in chunk:
                contract = home.contract_file(client).for_month(month)
                entries = [time_entry_from_row(r) for r in raw.get((client, month), [])]
                hits_before = cache.hits
                results, usage = classify_entries(contract, entries, overrides, model.classify, model.cache_id,
                                                  history, cache, getattr(model, "review_floor", 0.0))
                total_usage.add(usage)
                rows += [classification_row(client, month, c) for c in results]
                usage_rows.append((client, month, model.cache_id, usage.requests, usage.input_tokens,
                                   usage.output_tokens, usage.cache_creation_input_tokens,
                                   usage.cache_read_input_tokens, round(usage.cost_usd, 6), cache.hits - hits_before))
                summary.append((client, month, len(results), sum(1 for c in results if c.held),
                                sum((e.hours for e, c in zip(entries, results, strict=True) if c.held), 0)))
            replace_partitions(conn, chunk, {"classified_time_entries": (CLASSIFIED_COLUMNS, rows),
                                             "classifier_usage": (USAGE_COLUMNS, usage_rows)})
            reasons.update(r for row in rows for r in row[7].split(",") if r)
            methods.update(row[6] for row in rows)
    for client, month, count, held, held_hours in summary:
        partition_metadata(context, client, month, {"entries": count, "held_entries": held,
                                                    "held_hours": MetadataValue.text(hours_text(held_hours))})
    not_active_metadata(context, others)
    context.log.info(f"classified {sum(s[2] for s in summary)} entries of {len(summary)} client-month(s), "
                     f"{sum(s[3] for s in summary)} held")
    return MaterializeResult(metadata={  # the run's classifier usage (it is billed per run, not per client-month)
        "classifier": model.cache_id,
        "api_requests": total_usage.requests,
        "cached_answers": cache.hits,
        "input_tokens": total_usage.input_tokens,
        "output_tokens": total_usage.output_tokens,
        "cache_read_input_tokens": total_usage.cache_read_input_tokens,
        "cost_usd": round(total_usage.cost_usd, 6),
        "methods": MetadataValue.md(markdown_table(("method", "entries"), sorted(methods.items()))),
        "review_reasons": MetadataValue.md(markdown_table(("reason", "entries"), sorted(reasons.items()))),
    })
