"""Closing months from the CLI: register clients, then materialise the graph into the DAGSTER_HOME instance
(so the runs appear in the UI) in as few runs as possible: one run per contiguous block of healthy clients
over the month range, and one run per client-month for clients whose inputs have problems, so that a bad
contract or export row stops only its own client."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pandas as pd
from dagster import AssetKey, DagsterInstance, ExecuteInProcessResult

from billing_assets.core.contract import contract_paths
from billing_assets.instance_setup import open_instance, register_clients
from billing_assets.jobs import range_tags
from billing_assets.partitions import CLIENT_ID, client_month_key
from billing_assets.progress import CloseProgress
from billing_assets.settings import billing_db, billing_home, dagster_home
from billing_assets.validate import source_problems_by_client

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
REVIEW_ASSETS = ("contracts", "raw_time_entries", "classified_time_entries", "review_queue")


@dataclass
class CloseOutcome:
    months: list[str]
    clients: list[str]
    runs: list[tuple[str, bool, str]] = field(default_factory=list)  # (what, success, error)
    rows: list[dict] = field(default_factory=list)
    progress: CloseProgress | None = None

    @property
    def ok(self) -> bool:
        return all(success for _, success, _ in self.runs)


def contiguous_blocks(order: list[str], chosen: set[str]) -> list[list[str]]:
    """Split the chosen clients into runs of neighbours in partition order."""
    blocks, current = [], []
    for client in order:
        if client in chosen:
            current.append(client)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _failure_message(result: ExecuteInProcessResult) -> str:
    messages = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE" and event.step_failure_data:
            error = event.step_failure_data.error
            while error and error.cause and "Error occurred while executing" in error.message:
                error = error.cause
            messages.append(f"{event.step_key}: {error.message.strip() if error else 'failed'}")
    return "\n".join(messages) or "run failed"


def _execute(job, instance: DagsterInstance, what: str, outcome: CloseOutcome, selection, **kwargs) -> bool:
    run_id = str(uuid.uuid4())
    if outcome.progress:
        outcome.progress.watch(instance, run_id)
    result = job.execute_in_process(instance=instance, raise_on_error=False, asset_selection=selection,
                                    run_config=QUIET, run_id=run_id, **kwargs)
    outcome.runs.append((what, result.success, "" if result.success else _failure_message(result)))
    return result.success


def _run_block(job, instance: DagsterInstance, block: list[str], months: list[str], outcome: CloseOutcome,
               selection) -> bool:
    what = f"{block[0]}..{block[-1]} {months[0]}..{months[-1]}" if len(block) > 1 else f"{block[0]} " \
        f"{months[0]}..{months[-1]}"
    if len(block) == 1 and len(months) == 1:
        return _execute(job, instance, what, outcome, selection, partition_key=client_month_key(block[0], months[0]))
    return _execute(job, instance, what, outcome, selection,
                    tags=range_tags(block[0], block[-1], months[0], months[-1]))


def _blocked_clients(block: list[str], months: list[str]) -> set[str]:
    from resources.warehouse import Warehouse, rows_by_partition

    with Warehouse(database=str(billing_db())).connect() as conn:
        found = rows_by_partition(conn, "blocked_clients", [(c, m) for c in block for m in months])
    return {client for client, _ in found}


def _isolate(job, instance: DagsterInstance, block: list[str], months: list[str], order: list[str],
             outcome: CloseOutcome, selection) -> None:
    """A block run failed: run the clients whose checks failed on their own and the rest together again; if
    that still fails, every client on its own. The runs below supersede the failed block run's record."""
    outcome.runs.pop()
    culprits = _blocked_clients(block, months)
    rest = set(block) - culprits
    if culprits and rest:
        first = len(outcome.runs)
        if all([_run_block(job, instance, sub, months, outcome, selection)
                for sub in contiguous_blocks(order, rest)]):
            for client in sorted(culprits):
                _run_block(job, instance, [client], months, outcome, selection)
            return
        del outcome.runs[first:]
    for client in block:
        _run_block(job, instance, [client], months, outcome, selection)


def close_months(months: list[str], clients: list[str] | None, stages: str = "all") -> CloseOutcome:
    """Materialise (clients x months); months in order within each run."""
    from billing_assets.definitions import build_defs

    defs = build_defs()
    home = billing_home()
    known = sorted(contract_paths(home / "contracts"))
    selected = sorted(clients) if clients else known
    good, bad = _load_selected(home, [c for c in selected if c in known])
    unknown = [c for c in selected if c not in known]
    outcome = CloseOutcome(months, selected)
    for client in unknown:
        outcome.runs.append((client, False, f"contracts/{client}.yaml: not found"))
    instance = open_instance(dagster_home())
    register_clients(instance, known, dagster_home())
    problems = source_problems_by_client(home, good, months)
    healthy = {c for c in selected if c in good and not problems.get(c)}
    job = defs.resolve_job_def("month_close")
    selection = [AssetKey(a) for a in REVIEW_ASSETS] if stages == "review" else None
    order = list(instance.get_dynamic_partitions("client"))
    assets = len(selection) if selection else sum(s.partitions_def is not None for s in defs.resolve_all_asset_specs())
    outcome.progress = CloseProgress(len(selected) * len(months), assets)
    for block in contiguous_blocks(order, healthy):
        if not _run_block(job, instance, block, months, outcome, selection) and len(block) > 1:
            _isolate(job, instance, block, months, order, outcome, selection)
    for client in selected:
        if client in healthy or client in unknown or not CLIENT_ID.fullmatch(client):
            if not CLIENT_ID.fullmatch(client):
                outcome.runs.append((client, False, f"contracts/{client}.yaml: file name is not a client id "
                                                    "[a-z0-9][a-z0-9_-]{0,62}"))
            continue
        for month in months:
            _execute(job, instance, f"{client} {month}", outcome, selection,
                     partition_key=client_month_key(client, month))
    outcome.progress.finish()
    outcome.rows = summary_rows(selected, months)
    return outcome


def _load_selected(home, clients: list[str]) -> tuple[dict, dict[str, list[str]]]:
    """The selected clients' contracts through the same per-process cache the assets read."""
    from billing_assets.core.errors import ContractError
    from resources.home import BillingHome

    resource = BillingHome(path=str(home))
    good, bad = {}, {}
    for client in clients:
        try:
            good[client] = resource.contract_file(client)
        except ContractError as exc:
            bad[client] = exc.problems
    return good, bad


def summary_rows(clients: list[str], months: list[str]) -> list[dict]:
    from resources.warehouse import Warehouse, query

    if not billing_db().exists():
        return []
    with Warehouse(database=str(billing_db())).connect() as conn:
        keys = pd.DataFrame([(c, m) for c in clients for m in months], columns=["client", "month"], dtype=object)
        conn.register("partition_keys", keys)
        return query(conn, "close_summary")


def print_summary(outcome: CloseOutcome) -> None:
    header = f"{'client':<28} {'month':<8} {'total':>14} {'cur':<4} {'billed h':>9} {'covered h':>9} " \
             f"{'held h':>7} {'status':<13} {'push':<9}"
    print(header)
    print("-" * len(header))
    for r in outcome.rows:
        print(f"{r['client']:<28} {r['month']:<8} {r['total']:>14,.2f} {r['currency']:<4} "
              f"{r['hours_billed'].normalize():>9f} {r['hours_covered'].normalize():>9f} "
              f"{r['hours_held'].normalize():>7f} {r['status']:<13} {r['push_status'] or '-':<9}")
    failed = [(what, error) for what, success, error in outcome.runs if not success]
    print(f"\n{len(outcome.rows)} client-month(s) priced, {len(outcome.runs) - len(failed)} run(s) succeeded, "
          f"{len(failed)} failed")
    for what, error in failed:
        print(f"\nFAILED {what}:\n  " + error.replace("\n", "\n  "))
