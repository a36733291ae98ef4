"""Helpers shared by the assets: partition keys of a run, metadata conventions."""

from __future__ import annotations

from dagster import AssetExecutionContext

from billing_assets.partitions import split_key

MAX_PARTITION_OBSERVATIONS = 24  # per-partition detail events in one run; above this, summary only


def run_partitions(context: AssetExecutionContext) -> list[tuple[str, str]]:
    """The (client, month) pairs this run materialises, months in order (ledgers flow M-1 -> M)."""
    pairs = {split_key(key) for key in context.partition_keys}
    return sorted(pairs, key=lambda pair: (pair[1], pair[0]))
