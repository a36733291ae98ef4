"""Time the per-partition metadata of one ranged run: Dagster's public add_asset_metadata(partition_key=) vs the
step accumulator (billing_assets.common.partition_metadata).  .venv/bin/python bench/metadata_calls.py N public|private"""
import sys
import time

from dagster import AssetExecutionContext, BackfillPolicy, DagsterInstance, MaterializeResult, asset, materialize

sys.path.insert(0, '.')
from billing_assets.common import partition_metadata, run_partitions
from billing_assets.partitions import client_month_key, client_month_partitions

N = int(sys.argv[1]); mode = sys.argv[2]
timings = {}
@asset(partitions_def=client_month_partitions, backfill_policy=BackfillPolicy.single_run())
def a(context: AssetExecutionContext):
    t = time.time()
    for c, m in run_partitions(context):
        md = {"total": f"{c} {m}"}
        if mode == "public":
            context.add_asset_metadata(md, partition_key=client_month_key(c, m))
        else:
            partition_metadata(context, c, m, md)
    timings["t"] = time.time() - t
    return MaterializeResult()
with DagsterInstance.ephemeral() as inst:
    clients = [f"c{i:04d}" for i in range(N)]
    inst.add_dynamic_partitions("client", clients)
    t0 = time.time()
    r = materialize([a], instance=inst, tags={"dagster/asset_partition_range_start": f"{clients[0]}|2026-10", "dagster/asset_partition_range_end": f"{clients[-1]}|2026-10"})
    ev = r.get_asset_materialization_events()
    own = sum(1 for e in ev if e.materialization.metadata["total"].value == f"{e.partition.split('|')[0]} 2026-10")
    print(mode, N, "metadata calls", round(timings["t"], 2), "s; run", round(time.time() - t0, 1), "s; events", len(ev), "own", own)
