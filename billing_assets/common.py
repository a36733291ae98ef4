"""Helpers shared by the assets: partition keys of a run, metadata conventions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from dagster import AssetExecutionContext, MetadataValue

from billing_assets.core.money import round2, shown_hours
from billing_assets.partitions import client_month_key, split_key
from billing_assets.status import BLOCKED_HINT

# Runs over more client-months log a per-partition check evaluation event only for failures (each event is a write
# to the instance's event log); every result, passing or not, is still kept in `check_results`.
DETAILED_PARTITIONS = 24


def run_partitions(context: AssetExecutionContext) -> list[tuple[str, str]]:
    """The (client, month) pairs this run materialises, months in order (ledgers flow M-1 -> M)."""
    pairs = {split_key(key) for key in context.partition_keys}
    return sorted(pairs, key=lambda pair: (pair[1], pair[0]))


CHUNK_PARTITIONS = 100  # client-months whose rows one step holds in memory at a time


def client_chunks(pairs: list[tuple[str, str]], size: int = CHUNK_PARTITIONS) -> Iterator[list[tuple[str, str]]]:
    """The run's pairs in chunks of whole clients (all of a client's months together, so ledgers flow within a
    chunk), each chunk months in order. Memory then grows with the chunk, not with the run."""
    by_client: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for pair in pairs:
        by_client[pair[0]].append(pair)
    chunk: list[tuple[str, str]] = []
    for client in sorted(by_client):
        chunk += by_client[client]
        if len(chunk) >= size:
            yield sorted(chunk, key=lambda pair: (pair[1], pair[0]))
            chunk = []
    if chunk:
        yield sorted(chunk, key=lambda pair: (pair[1], pair[0]))


def money(amount: Decimal, currency: str) -> str:
    """`12,345.67 USD`: thousands separators, cents, the currency code."""
    return f"{round2(Decimal(amount)):,.2f} {currency}"


def hours_text(value: Decimal) -> str:
    """Hours as written, with thousands separators (`1,234.5 h`)."""
    return f"{shown_hours(value):,f} h"


def partition_metadata(context: AssetExecutionContext, client: str, month: str, metadata: dict) -> None:
    """Metadata of one client-month's materialization only (Dagster's partition-scoped asset metadata: the
    run's single materialization event per partition carries it; nothing from other client-months).

    `context.add_asset_metadata(partition_key=...)` re-lists the run's whole partition range (a dynamic-partition
    query) on every call to check the key: 40-100 s per step at 1,000 client-months (bench/RESULTS.md). The
    keys here come from the run's own range, so the step's metadata accumulator takes them directly; when a
    Dagster release changes that private attribute the public call is used."""
    key = client_month_key(client, month)
    step = getattr(context.op_execution_context, "_step_execution_context", None)
    accumulator = getattr(step, "_metadata_accumulator", None)
    if accumulator is None or not hasattr(accumulator, "with_additional_asset_metadata"):
        context.add_asset_metadata(metadata, partition_key=key)
        return
    step._metadata_accumulator = accumulator.with_additional_asset_metadata(  # type: ignore[union-attr]
        asset_key=context.assets_def.key, partition_key=key, metadata=metadata)


def not_active_metadata(context: AssetExecutionContext, states: dict) -> None:
    """Each blocked or outside client-month of the run says so on its own materialization."""
    for (client, month), state in states.items():
        what = "outside the engagement" if state.state == "outside" else \
            f"blocked by {state.check_name} {BLOCKED_HINT}"
        partition_metadata(context, client, month, {
            "status": MetadataValue.text(f"{what}: nothing priced" if state.state == "outside" else what),
            "problems": MetadataValue.md("\n".join(f"- {p}" for p in state.problems) or "none"),
        })


def advised(reason: str, advice: str) -> str:
    """A refusal's reason followed by what to do: "reason: advice", or "reason ... then advice" when the reason
    already names a first step (an unreadable contract: "correct or restore it first, then")."""
    return f"{reason} {advice}" if reason.endswith(" then") else f"{reason}: {advice}"
