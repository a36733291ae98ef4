"""Helpers shared by the assets: partition keys of a run, metadata conventions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetRecordsFilter,
    MetadataValue,
    OpExecutionContext,
)
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

from billing_assets.core.money import round2, shown_hours
from billing_assets.partitions import client_month_key, split_key
from billing_assets.status import BLOCKED_HINT

# Runs over more client-months log a per-partition check evaluation event only for failures and for passes after a
# failure (each event is a write to the instance's event log, about 3 ms); every result is still kept in
# `check_results`. A client-month of such a run whose checks passed shows no evaluation of its new materialization
# on a check's Partitions tab (grey, not green).
DETAILED_PARTITIONS = 200


def single_partition(context: OpExecutionContext) -> tuple[str, str] | None:
    """The (client, month) of a run of one partition (a UI re-materialisation), whose check results Dagster records
    against that partition; None for a run over a range."""
    return split_key(context.partition_key) if context.has_partition_key else None


class PartitionEvaluations:
    """Logs check evaluations per client-month. Each names the partition's latest materialization of the checked
    asset as its target: the checks are partitioned, and Dagster shows a check's status on a partition only while
    its evaluation targets that partition's newest materialization (a new one without an evaluation shows none)."""

    def __init__(self, context: OpExecutionContext) -> None:
        self._context = context
        self._targets: dict[tuple[AssetKey, str], AssetCheckEvaluationTargetMaterializationData | None] = {}

    def log(self, asset_key: AssetKey, check_name: str, client: str, month: str, *, passed: bool,
            severity: AssetCheckSeverity, blocking: bool, description: str, metadata: dict) -> None:
        partition = str(client_month_key(client, month))
        self._context.log_event(AssetCheckEvaluation(
            asset_key=asset_key, check_name=check_name, passed=passed, severity=severity, blocking=blocking,
            partition=partition, description=description, metadata=metadata,
            target_materialization_data=self._target(asset_key, partition)))

    def _target(self, asset_key: AssetKey, partition: str) -> AssetCheckEvaluationTargetMaterializationData | None:
        if (asset_key, partition) not in self._targets:
            found = self._context.instance.fetch_materializations(
                AssetRecordsFilter(asset_key=asset_key, asset_partitions=[partition]), limit=1).records
            self._targets[(asset_key, partition)] = AssetCheckEvaluationTargetMaterializationData(
                storage_id=found[0].storage_id, run_id=found[0].run_id, timestamp=found[0].timestamp) \
                if found else None
        return self._targets[(asset_key, partition)]


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
