"""Per-partition metadata of one ranged run: Dagster's public `add_asset_metadata(partition_key=...)` against the
step accumulator that billing_assets.common.partition_metadata uses.

    .venv/bin/python bench/metadata_calls.py N public|private
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from dagster import AssetExecutionContext, BackfillPolicy, DagsterInstance, MaterializeResult, asset, materialize

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from billing_assets.common import partition_metadata, run_partitions  # noqa: E402
from billing_assets.jobs import range_tags  # noqa: E402
from billing_assets.partitions import client_month_key, client_month_partitions  # noqa: E402

MONTH = "2026-10"


def main(n: int, mode: str) -> str:
    timings: dict[str, float] = {}

    @asset(partitions_def=client_month_partitions, backfill_policy=BackfillPolicy.single_run())
    def figures(context: AssetExecutionContext) -> MaterializeResult:
        started = time.time()
        for client, month in run_partitions(context):
            metadata = {"total": f"{client} {month}"}
            if mode == "public":
                context.add_asset_metadata(metadata, partition_key=client_month_key(client, month))
            else:
                partition_metadata(context, client, month, metadata)
        timings["calls"] = time.time() - started
        return MaterializeResult()

    with DagsterInstance.ephemeral() as instance:
        clients = [f"c{i:04d}" for i in range(n)]
        instance.add_dynamic_partitions("client", clients)
        started = time.time()
        result = materialize([figures], instance=instance, tags=range_tags(clients[0], clients[-1], MONTH, MONTH))
        events = result.get_asset_materialization_events()
        own = sum(1 for e in events if e.materialization.metadata["total"].value == f"{e.partition.split('|')[0]} "
                                                                                     f"{MONTH}")
        return (f"{mode} {n}: metadata calls {timings['calls']:.2f} s; run {time.time() - started:.1f} s; "
                f"{len(events)} materializations, {own} with their own client-month only")


if __name__ == "__main__":
    print(main(int(sys.argv[1]), sys.argv[2]))
