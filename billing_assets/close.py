"""Closing months from the CLI, a thin client of the assets: register the clients, launch one run over the
rectangle of clients x months into the DAGSTER_HOME instance (the run shows in the UI), then summarise from the
warehouse. Isolation is the assets' own: a client-month whose contract, export rows, overrides, pricing or
blocking checks fail stops alone inside the run (see billing_assets/status.py), exactly as in the schedule's
run, a UI backfill or a sensor's run."""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal

from dagster import AssetKey, DagsterInstance, ExecuteInProcessResult

from billing_assets.close_again import (
    changed_closed_months,
    changed_contract_months,
    loaded_rows,
    stale_later_months,
    uncarried_changes,
)
from billing_assets.core.contract import contract_paths
from billing_assets.core.money import shown_hours
from billing_assets.core.overrides import read_decisions, unapplied_decisions
from billing_assets.core.parsed import name_key, stopping_nobody, stopping_nobody_line
from billing_assets.instance_setup import open_instance, register_clients
from billing_assets.jobs import range_tags
from billing_assets.partitions import CLIENT_ID, client_month_key
from billing_assets.progress import CloseProgress
from billing_assets.recovery import process_tags
from billing_assets.settings import billing_home, dagster_home

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}  # the run's log stays in the instance
REVIEW_ASSETS = ("contracts", "raw_time_entries", "classified_time_entries", "review_queue")


@dataclass
class CloseOutcome:
    months: list[str]
    clients: list[str]
    runs: list[tuple[str, bool, str]] = field(default_factory=list)  # (what, success, error)
    rows: list[dict] = field(default_factory=list)  # firm_overview rows of the selected client-months
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (client, month, problem)
    setup: list[str] = field(default_factory=list)  # clients that could not be launched (no contract file...)
    unclaimed: list[str] = field(default_factory=list)  # rows of the months that no contract's name claims
    skipped: list[str] = field(default_factory=list)  # running timers, rows the time tool marks invoiced
    undecided: list[str] = field(default_factory=list)  # reviewer decisions of the last close that are gone
    stale: list[str] = field(default_factory=list)  # later months priced from ledgers this close changed
    warned: list[str] = field(default_factory=list)  # failed warnings of its client-months (check_warnings)
    progress: CloseProgress | None = None

    @property
    def ok(self) -> bool:
        return all(success for _, success, _ in self.runs) and not self.problems and not self.setup


def contiguous_blocks(order: list[str], chosen: set[str]) -> list[list[str]]:
    """The chosen clients as runs of neighbours in partition order (a Dagster partition range is contiguous):
    all clients give one block, so one run."""
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


VERDICT_ERROR = "DagsterAssetCheckFailedError"  # the push step's blocking verdict: client-months held back


def _failure_message(result: ExecuteInProcessResult) -> str:
    """Unexpected step failures (a bug or an unreachable service, never bad input): their errors, no trace.
    "" when the only failure is the run's verdict on held-back client-months."""
    messages = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE" and event.step_failure_data:
            error = event.step_failure_data.error
            if error is not None and error.cls_name == VERDICT_ERROR:
                continue
            while error and error.cause and "Error occurred while executing" in error.message:
                error = error.cause
            messages.append(f"{event.step_key}: {error.message.strip() if error else 'failed'}")
    skipped = [e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"]
    if skipped and not messages:
        messages.append(f"steps skipped: {', '.join(skipped)}")
    return "\n".join(messages)


def _launch(job, instance: DagsterInstance, block: list[str], months: list[str], selection,
            progress: CloseProgress | None = None, extra_tags: dict[str, str] | None = None) -> tuple[str, bool, str]:
    what = f"{block[0]}..{block[-1]} {months[0]}..{months[-1]}" if len(block) > 1 else \
        f"{block[0]} {months[0]}..{months[-1]}"
    one = len(block) == 1 and len(months) == 1
    kwargs = {"partition_key": client_month_key(block[0], months[0])} if one else {}
    tags = {**({} if one else range_tags(block[0], block[-1], months[0], months[-1])),
            **process_tags(),  # so a later command can tell whether this process died (billing_assets.recovery)
            **(extra_tags or {})}
    run_id = str(uuid.uuid4())
    if progress:
        progress.watch(instance, run_id)
    result = job.execute_in_process(instance=instance, raise_on_error=False, asset_selection=selection,
                                    run_config=QUIET, tags=tags, run_id=run_id, **kwargs)
    error = "" if result.success else _failure_message(result)
    return what, not error, error


def close_months(months: list[str], clients: list[str] | None, stages: str = "all",
                 instance: DagsterInstance | None = None, tags: dict[str, str] | None = None) -> CloseOutcome:
    """Materialise (clients x months) in one run (one per contiguous block of a --client selection); `instance`:
    the one the command set up, else it is opened here; `tags`: added to each run's tags."""
    from billing_assets.definitions import build_defs
    from billing_assets.environment import build_warehouse
    from billing_assets.reclassified import classified_states, reclassified

    defs = build_defs()
    home = billing_home()
    known = sorted(contract_paths(home / "contracts"))
    selected = sorted(clients) if clients else known
    outcome = CloseOutcome(months, selected)
    if not known:  # a folder without contracts (another machine, a share not mounted) closes nothing: say so
        outcome.setup.append(f"{home / 'contracts'}: no contract file (contracts/<client>.yaml): nothing to close")
    for client in selected:
        if client not in known:
            outcome.setup.append(f"contracts/{client}.yaml: not found")
        elif not CLIENT_ID.fullmatch(client):
            outcome.setup.append(f"contracts/{client}.yaml: file name is not a client id [a-z0-9][a-z0-9_-]{{0,62}}")
    instance = instance or open_instance(dagster_home())
    register_clients(instance, known, dagster_home())
    job = defs.resolve_job_def("month_close")
    selection = [AssetKey(a) for a in REVIEW_ASSETS] if stages == "review" else None
    runnable = {c for c in selected if c in known and CLIENT_ID.fullmatch(c)}
    assets = len(selection) if selection else sum(s.partitions_def is not None for s in defs.resolve_all_asset_specs())
    outcome.progress = CloseProgress(len(runnable) * len(months), assets)
    pairs = [(c, m) for c in sorted(runnable) for m in months]
    decided_before = reviewer_decisions(pairs)
    classified_before = classified_states(build_warehouse(), pairs)
    for block in contiguous_blocks(list(instance.get_dynamic_partitions("client")), runnable):
        outcome.runs.append(_launch(job, instance, block, months, selection, outcome.progress, tags))
    outcome.progress.finish()
    warehouse = build_warehouse()
    with warehouse.held_open() if warehouse.exists() else nullcontext():  # the summary's reads: one opening
        outcome.rows, outcome.problems = summarise(pairs)
        decided_after = reviewer_decisions(pairs)
        classified_after = classified_states(warehouse, pairs)
        outcome.stale = (stale_later_months(pairs) + changed_closed_months(defs, pairs)
                         + changed_contract_months(defs, pairs) + uncarried_changes(defs, pairs))
        outcome.warned = check_warnings(pairs)
    outcome.setup += unattributed_files(defs)
    rows = SourceRows(defs, months)  # one read of the source for both warnings (an API listing is not cached)
    outcome.unclaimed = unclaimed_rows(defs, months, rows) + stray_months(defs, sorted(runnable), rows)
    outcome.skipped = source_warnings(defs, pairs, rows)
    outcome.undecided = dropped_decisions(defs, months, decided_before, decided_after, rows)
    outcome.undecided += unmatched_decisions(defs, months, rows)
    outcome.undecided += reclassified(classified_before, classified_after)
    decisions = read_decisions(home / "overrides")
    outcome.undecided += decisions[2]  # two rounds deciding one entry otherwise
    outcome.undecided += unapplied_decisions(home / "review", decisions[0])  # a review file filled in place
    return outcome


class SourceRows:
    """The time source's rows of the close's months, read at most once outside the run for all its warnings:
    the Harvest listing of a month is read once more per close, not once per warning. A failed read is kept and
    raised again to each caller (the run failed on it too)."""

    def __init__(self, defs, months: list[str]) -> None:
        self.defs, self.months = defs, months
        self._read: tuple[object, Exception | None] | None = None

    def get(self):
        from dagster import DagsterError

        from resources.harvest_api import HarvestError

        if self._read is None:
            try:
                self._read = (loaded_rows(self.defs, self.months), None)
            except (HarvestError, DagsterError) as exc:
                self._read = (None, exc)
        parsed, error = self._read
        if error is not None:
            raise error
        return parsed


def reviewer_decisions(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    """Entry ids a reviewer's override decided, per client-month, as the warehouse holds them now."""
    from billing_assets.environment import build_warehouse
    from resources.warehouse import rows_by_partition

    warehouse = build_warehouse()
    if not warehouse.exists() or not pairs:
        return {}
    with warehouse.connect() as conn:
        found = rows_by_partition(conn, "reviewer_decisions", pairs)
    return {pair: {r["entry_id"] for r in rows} for pair, rows in found.items()}


def check_warnings(pairs: list[tuple[str, str]]) -> list[str]:
    """The close's client-months' failed warnings (checks that stop nothing: an hours spike, a person's day over
    24 h, a name in the contract that rates nobody...): the command line says them as the UI's Checks tab and the
    alerts do (found by an auditor: a month of three times its hours read "pushed" and nothing else). Rows under
    no contract's name are said once for the firm (`unclaimed_rows`), not per client-month."""
    from billing_assets.environment import build_warehouse
    from resources.warehouse import query_keyed

    warehouse = build_warehouse()
    if not warehouse.exists() or not pairs:
        return []
    with warehouse.connect() as conn:
        failed = query_keyed(conn, "check_warnings", pairs)
    return [f"{r['client']} {r['month']}: {r['check_name']}: {r['message']}" for r in failed
            if r["check_name"] != "known_clients"]


def blocked_pairs(pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """The client-months among `pairs` whose recorded state is blocked."""
    from billing_assets import status
    from billing_assets.environment import build_warehouse

    warehouse = build_warehouse()
    if not pairs or not warehouse.exists():
        return set()
    with warehouse.connect() as conn:
        return {pair for pair, state in status.recorded(conn, list(pairs)).items() if state.state == status.BLOCKED}


def dropped_decisions(defs, months: list[str], before: dict[tuple[str, str], set[str]],
                      after: dict[tuple[str, str], set[str]], rows: SourceRows | None = None) -> list[str]:
    """Entries still in the exports that a reviewer had decided at the last close and that no override decides
    now: an overrides file saved over or deleted (the next review round's file saved over the first's) drops
    write-offs and bills without a word, so the close names them (a warning: a reviewer may mean it)."""
    if not before:
        return []
    from dagster import DagsterError

    from resources.harvest_api import HarvestError

    try:
        present = {e.entry_id for e in (rows or SourceRows(defs, months)).get().entries}
    except (HarvestError, DagsterError):  # the source is down: the run failed on it and says so
        return []
    out, blocked = [], blocked_pairs(list(before))
    for (client, month), ids in sorted(before.items()):
        if (client, month) in blocked:
            continue  # not classified this run: its decisions are not gone, the close names what stopped it
        gone = sorted((ids - after.get((client, month), set())) & present)
        if gone:
            one = len(gone) == 1
            out.append(f"{client} {month}: {len(gone)} entr{'y' if one else 'ies'} decided by a reviewer at the last "
                       f"close {'has' if one else 'have'} no override now ({_some(gone)}): was an overrides file "
                       "replaced or deleted?")
        left = sorted(ids - present)  # an edited row is a new entry: a write-off of the old one bills it now
        if left:
            one = len(left) == 1
            out.append(f"{client} {month}: {len(left)} entr{'y' if one else 'ies'} decided by a reviewer at the last "
                       f"close {'is' if one else 'are'} no longer in the exports ({_some(left)}): a row edited since "
                       "(its notes, hours or date) is a new entry, which the decision does not reach: it is "
                       "classified and held as any new entry; decide it again under its new id (review/<month>.csv)")
    return out


def unmatched_decisions(defs, months: list[str], rows: SourceRows) -> list[str]:
    """Decision rows whose entry id names no entry of the exports (a typed or pasted id, an id in other capitals):
    they apply to nothing, and a reviewer who runs only the close would not know (`billing validate` says so too).
    Only with a source that holds every month (the CSV folder); an API source's other months are not read."""
    from dagster import DagsterError

    from resources.harvest_api import HarvestError

    if not defs.resources["time_source"].full_history:
        return []
    overrides = defs.resources["home"].overrides()
    try:
        present = {e.entry_id for e in rows.get().entries}
    except (HarvestError, DagsterError):
        return []
    lost = sorted((o for o in overrides.values() if o.entry_id not in present), key=lambda o: o.source)
    if not lost:
        return []
    where = ", ".join(o.where for o in lost[:3]) + (f" and {len(lost) - 3} more" if len(lost) > 3 else "")
    # found by an auditor: an edited row's decision was told "copy the id as it is written" at every close after the
    # first, which had said to decide it again under its new id
    return [f"{len(lost)} decision row(s) name an entry id no export holds ({where}): they decide nothing; the row "
            "decided was edited or removed since (decide it again under the id review/<month>.csv shows now), or "
            "the id was mistyped (copy it from review/<month>.csv as it is written)"]


def _some(ids: list[str]) -> str:
    return ", ".join(ids[:3]) + (", ..." if len(ids) > 3 else "")


def unclaimed_rows(defs, months: list[str], rows: SourceRows | None = None) -> list[str]:
    """Time under a Client no contract names (by name or alias) in its month, per month and name: it bills nobody
    (a name an amendment replaced names nobody after it). A warning,
    not a failure (firms keep internal or unbilled clients in their time tool), but never left unsaid: a
    contract file the close cannot see, or a name spelled another way (a client renamed in Harvest), leaves that
    client's invoice short. Rows are named by their files; API entries (no file) by their source ("Harvest API").
    Unreadable rows under such a Client (a totals row a spreadsheet added) come first: they stop nobody either."""
    source = defs.resources.get("time_source")
    if source is None or not months:
        return []
    from dagster import DagsterError

    from resources.harvest_api import HarvestError

    home = defs.resources["home"]
    try:  # outside a run: resolve its EnvVar secrets (Harvest) first
        parsed = (rows or SourceRows(defs, months)).get()
    except (HarvestError, DagsterError) as exc:  # the run failed on it too and says so; the summary still prints
        return [f"time under client names no contract knows was not checked: {str(exc).splitlines()[0]}"]
    named = {"harvest": "Harvest API"}
    nameless = home.nameless_contracts()
    unread = (f" ({', '.join(nameless)} could not be read: {'it' if len(nameless) == 1 else 'one'} may be theirs)"
              if nameless else "")
    entries, _ = parsed.grouped()
    claimed = set().union(*(home.claimed_names(month) for month in months))
    out = [stopping_nobody_line(p) for p in stopping_nobody(parsed.problems, claimed) if p.month in (*months, "")]
    for (name, month), found in sorted(entries.items()):
        if month in months and name not in home.claimed_names(month):
            billable = sum((e.hours for e in found if e.billable), Decimal(0))
            files = ", ".join(sorted({e.source_file or named.get(e.source, e.source) for e in found}))
            near = sorted(n for n in home.claimed_names(month) if name_key(n) == name_key(name))
            # found by an auditor: "bill nobody" beside the month they stop
            fate = (f"{near[0]!r} but for case, spaces or punctuation, so they stop that client's month until the "
                    "name is one of its aliases" if near else
                    f"no {'readable ' if nameless else ''}contract's name or alias, so they bill nobody{unread}")
            out.append(f"{month}: {len(found)} row(s), {shown_hours(billable):f} h billable, under client {name!r} "
                       f"({files}): {fate}")
    return out


def source_warnings(defs, pairs: list[tuple[str, str]], rows: SourceRows) -> list[str]:
    """What the source read but did not bill as written, per client-month of the close: a timer still running
    (skipped until it stops) and rows the time tool marks invoiced (billed, and named). They were on the
    ingest step's page only."""
    from dagster import DagsterError

    from billing_assets.core.parsed import problems_for
    from billing_assets.export_changes import contract_names
    from resources.harvest_api import HarvestError

    try:
        warnings = rows.get().warnings
    except (HarvestError, DagsterError):  # the run failed on it and says so
        return []
    names = contract_names(defs.resources["home"])
    return [f"{client} {month}: {w}" for client, month in pairs
            for w in problems_for(warnings, names(client, month) or set(), month)]


def stray_months(defs, clients: list[str], rows: SourceRows) -> list[str]:
    """The clients' few rows months away from all their other time (a mistyped year), billable rows outside their
    engagement, and blocks of rows pasted twice into a file, from exports (which hold every month; an API source
    loads only the close's months)."""
    from dagster import DagsterError

    from billing_assets.core.engagement import client_names, rows_outside
    from billing_assets.core.errors import BillingInputError, ContractError
    from billing_assets.core.parsed import repeated_rows, stray_rows
    from billing_assets.environment import build_warehouse
    from billing_assets.status import sent_months

    if getattr(defs.resources.get("time_source"), "kind", "") != "csv" or not clients:
        return []
    try:
        parsed = rows.get()
    except DagsterError:  # the run failed on the same read and says why
        return []
    client_of, outside = {}, []
    sent = sent_months(build_warehouse(), clients)
    for client in clients:
        try:
            contract_file = defs.resources["home"].contract_file(client)
        except (ContractError, BillingInputError):  # its own failure says why
            continue
        client_of.update(dict.fromkeys(client_names(contract_file), client))
        outside += rows_outside(client, contract_file, parsed, sent.get(client, set()))
    # a block pasted twice into one file is billed twice, as the spec bills equal rows: said by the close too
    return stray_rows(parsed, client_of) + outside + repeated_rows(parsed)



def unattributed_files(defs) -> list[str]:
    """Export files refused as a whole in which no client name could be found: they stop every client-month
    (core.parsed.problems_for), and the close names each once, apart from the client-months it stopped. The
    exports are the ones the run just read (the time source's per-process cache)."""
    source = defs.resources.get("time_source")
    if getattr(source, "kind", "") != "csv":  # API sources name no files
        return []
    parsed = source.load([])
    return [f"{p} (no client named in it: every client-month waits until it is fixed or removed)"
            for p in parsed.problems if p.row == 0 and not p.clients]


def summarise(pairs: list[tuple[str, str]]) -> tuple[list[dict], list[tuple[str, str, str]]]:
    """(firm_overview rows, one (client, month, problem) per problem) of the client-months, from the warehouse."""
    from billing_assets.environment import build_warehouse
    from billing_assets.gate import push_refusals
    from billing_assets.overview import refresh
    from resources.warehouse import query_keyed

    warehouse = build_warehouse()
    if not warehouse.exists() or not pairs:
        return [], []
    with warehouse.connect() as conn:
        rows = refresh(conn)
        problems = query_keyed(conn, "close_problems", pairs)
        refused = [{"client": client, "month": month, "problem": reason}
                   for (client, month), reason in push_refusals(conn, pairs).items()]
    problems = sorted(problems + refused, key=lambda r: (r["client"], r["month"]))  # stable: refusals last
    wanted = set(pairs)
    return ([r for r in rows if (r["client"], r["month"]) in wanted],
            [(r["client"], r["month"], line) for r in problems for line in r["problem"].split("\n") if line])


def print_summary(outcome: CloseOutcome) -> None:
    from billing_assets.overview import as_shown, hours_shown

    header = f"{'client':<28} {'month':<8} {'total':>14} {'cur':<4} {'billed h':>9} {'held h':>7} {'status':<20}"
    if any(not success and error for _, success, error in outcome.runs):  # stopped before its steps ended
        print("warning: the run failed before it finished (RUN FAILED below): a client-month it did not reach shows "
              "what an earlier close left, not its data now\n")
    print(header)
    print("-" * len(header))
    for r in sorted(outcome.rows, key=lambda r: (r["client"], r["month"])):
        if r["status"] == "outside engagement":
            continue
        status, amount = as_shown(r)
        total = f"{amount:>14,.2f}" if amount is not None else f"{'-':>14}"
        billed = f"{shown_hours(hours_shown(r)):>9f}" if hours_shown(r) is not None else f"{'-':>9}"
        held = f"{shown_hours(r['hours_held']):>7f}" if r["hours_held"] is not None else f"{'-':>7}"
        print(f"{r['client']:<28} {r['month']:<8} {total} {r['currency'] or '':<4} {billed} {held} {status:<20}")
    outside = [r for r in outcome.rows if r["status"] == "outside engagement"]
    failed = sorted({(c, m) for c, m, _ in outcome.problems})
    priced = sum(1 for r in outcome.rows if r["total"] is not None)
    print(f"\n{priced} client-month(s) priced, {len(failed)} failed, {len(outside)} outside the engagement "
          "(nothing priced)")
    for r in sorted(outcome.rows, key=lambda r: (r["client"], r["month"])):
        if r["status"] == "conflict_deleted":  # nothing is pushed until a person says so: say how
            print(f"warning: {r['client']} {r['month']}: {r['detail']}")
    print_problems(outcome)


def print_problems(outcome: CloseOutcome) -> None:
    """Per failed client-month, one line per problem (file and row or key); then unexpected run failures."""
    failed = sorted({(c, m) for c, m, _ in outcome.problems})
    for line in outcome.setup:
        print(f"FAILED {line}")
    for line in outcome.unclaimed + outcome.skipped + outcome.undecided + outcome.stale + outcome.warned:
        print(f"warning: {line}")
    for client, month in failed:
        print(f"\nFAILED {client} {month}:")
        for c, m, problem in outcome.problems:
            if (c, m) == (client, month):
                print(f"  {problem}")
    for what, success, error in outcome.runs:
        if not success:
            print(f"\nRUN FAILED {what} (see the run in the Dagster UI):\n  " + error.replace("\n", "\n  "))
