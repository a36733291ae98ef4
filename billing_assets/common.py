"""Helpers shared by the assets: partition keys of a run, metadata conventions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from dagster import AssetExecutionContext

from billing_assets.partitions import split_key

MAX_PARTITION_OBSERVATIONS = 200  # per-partition detail events (invoice lines, ledgers) in one run; above, summary


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
