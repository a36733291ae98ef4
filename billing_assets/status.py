"""Which client-months of a run can be priced: active, outside the engagement, or blocked by their own inputs.

The contracts step decides it for every client-month of the run and records it in `partition_status`; every
later step reads that record and works only on the active client-months, so one client's bad contract, export
row or override stops that client-month alone and every other client-month of the same run prices and pushes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from billing_assets.core.contract import ContractFile
from billing_assets.core.engagement import Window, client_names, engagement_window, unbilled_outside
from billing_assets.core.errors import BillingInputError, ContractError, RowProblem
from billing_assets.core.overrides import contradicted
from billing_assets.core.parsed import (
    ParsedSource,
    foreign_expenses,
    near_client_rows,
    problems_for,
    renamed_rows,
    unclaimed_names,
)
from resources.home import BillingHome
from resources.warehouse import Warehouse, WarehouseConnection, query, rows_by_partition

STATUS_COLUMNS = ("client", "month", "state", "check_name", "problems", "engagement", "evaluated_at")
ACTIVE, OUTSIDE, BLOCKED, UNKNOWN = "active", "outside", "blocked", "unknown"
EXPORTS_PRESENT = "exports_present"  # blocked: the folder holds no export at all, after closes that read some
# later steps read the state the contracts step recorded: materialising one of them alone after a fix showed the
# old problem with a successful run
BLOCKED_HINT = ("(as the contracts step last recorded it: once fixed, materialize contracts and the assets after "
                "it, or close the month again)")


@dataclass(frozen=True)
class PartitionState:
    state: str  # active | outside | blocked
    check_name: str = ""  # blocked: contract_valid or inputs_readable
    problems: tuple[str, ...] = field(default_factory=tuple)  # each names the file and key path or row
    engagement: str = ""  # the window, e.g. "2026-07.." (start..end)

    @property
    def message(self) -> str:
        return "; ".join(self.problems)


def contract_fixed_since(state: PartitionState, home: BillingHome, client: str) -> str:
    """For a client-month the contracts step blocked on its contract, what to say when the file reads without error
    now (else ""): re-executing a run from failure after the fix runs only the failed steps (the push), which read
    the old record and gave its error as current."""
    if state.check_name != "contract_valid" or state.state != BLOCKED:
        return ""
    try:
        home.contract_file(client)
    except (ContractError, BillingInputError):
        return ""
    return (f"as the contracts step recorded it; contracts/{home.contract_path(client).name} reads without error "
            "now: materialize contracts and the assets after it, or close the month again; re-executing a run from "
            "failure runs only its failed steps")


def recorded_block(state: PartitionState, fixed: str) -> str:
    """A blocked client-month's problems as the contracts step recorded them, and what to do (`fixed`: what
    `contract_fixed_since` says of its contract)."""
    return f"{state.message} ({fixed})" if fixed else f"{state.message} {BLOCKED_HINT}"


def input_problems(parsed: ParsedSource, overrides: Sequence[RowProblem], names: set[str], month: str,
                   override_owner: dict[str, set[str]]) -> list[str]:
    """The one selection of the unreadable export rows, refused files and bad override rows that stop this
    client-month. Export problems: core.parsed.problems_for. An override row stops the client-month of the entry
    it names (`override_owner`: entry id -> {"name|month"}); a refused override file stops everyone."""
    found = [str(p) for p in problems_for(parsed.problems, names, month)]
    for p in overrides:
        if p.row == 0 or any(f"{n}|{month}" in override_owner.get(p.entry_id, ()) for n in names):
            found.append(str(p))
    return sorted(set(found))


def _override_owners(parsed: ParsedSource, overrides: Sequence[RowProblem]) -> dict[str, set[str]]:
    wanted = {p.entry_id for p in overrides if p.entry_id}
    owners: dict[str, set[str]] = {}
    for e in parsed.entries if wanted else []:
        if e.entry_id in wanted:
            owners.setdefault(e.entry_id, set()).add(f"{e.client_name}|{e.month}")
    return owners


def _data_months(parsed: ParsedSource) -> dict[str, set[str]]:
    """Source client name -> months with any time or expense row (billable or not), unreadable rows included
    (a row whose hours cannot be read is still the client's source data in its month)."""
    entries, expenses = parsed.grouped()
    months: dict[str, set[str]] = {}
    for name, month in [*entries, *expenses, *((p.client_name, p.month) for p in parsed.problems
                                               if p.row > 0 and p.client_name and p.month)]:
        months.setdefault(name, set()).add(month)
    return months


def evaluate(home: BillingHome, parsed: ParsedSource, pairs: Sequence[tuple[str, str]],
             known_months: dict[str, set[str]] | None = None, sent: Collection[tuple[str, str]] = ()
             ) -> dict[tuple[str, str], PartitionState]:
    """The state of each (client, month): contract problems first, then the engagement window, then the rows.
    `known_months` (client -> months the warehouse holds source rows or invoices of) widens the months seen for
    a window without `start` when the source loads only the run's months (an API). `sent`: the client-months
    whose invoice was sent (outside the engagement now, their rows were billed all the same)."""
    overrides = home.override_problems()
    decisions = home.overrides()
    entries_by_key = parsed.grouped()[0]
    owners = _override_owners(parsed, overrides)
    months_by_name = _data_months(parsed)
    unclaimed = unclaimed_names(parsed, home.known_client_names())
    files: dict[str, ContractFile | list[str]] = {}
    windows: dict[str, Window] = {}
    states = {}
    for client, month in pairs:
        if client not in files:
            try:
                files[client] = home.contract_file(client)
            except ContractError as exc:
                files[client] = exc.problems
            except BillingInputError as exc:
                files[client] = [str(exc)]
        contract_file = files[client]
        if isinstance(contract_file, list):
            states[(client, month)] = PartitionState(BLOCKED, "contract_valid", tuple(contract_file))
            continue
        names = client_names(contract_file)
        if client not in windows:
            windows[client] = engagement_window(
                contract_file, {m for n in names for m in months_by_name.get(n, ())}
                | (known_months or {}).get(client, set()))
        window = windows[client]
        contract = contract_file.for_month(month)
        names_now = contract.names
        found = input_problems(parsed, overrides, names_now, month, owners)
        found += foreign_expenses(parsed, names_now, month, contract.currency)
        found += near_client_rows(parsed, names_now, month, unclaimed)
        found += renamed_rows(parsed, client_names(contract_file) - names_now, month, home.claimed_names(month))
        found += contradicted(decisions, [e for n in names_now for e in entries_by_key.get((n, month), [])], client,
                              names_now)
        # no start and no readable data, but a refused file names the client: its window is unknown, so blocked
        if not window.contains(month) and not (window.start is None and found):
            # the billable rows it leaves unbilled, as `billing validate` says, on the partition's pages too
            unbilled = unbilled_outside(names, window, parsed, month, (client, month) in sent)
            states[(client, month)] = PartitionState(OUTSIDE, "", (window.outside_message(month),
                                                                   *([unbilled] if unbilled else [])), window.label)
            continue
        states[(client, month)] = (PartitionState(BLOCKED, "inputs_readable", tuple(found), window.label) if found
                                   else PartitionState(ACTIVE, "", (), window.label))
    return states


def without_exports(states: dict[tuple[str, str], PartitionState], read_before: int
                    ) -> dict[tuple[str, str], PartitionState]:
    """The states when the folder holds no export file at all but earlier closes read `read_before` client-months
    of time entries: the folder (or the share it is on) is missing here, so every client-month waits rather than
    being replaced by nothing (or called outside an engagement its rows define). A broken contract keeps its own
    problem."""
    problem = (f"timesheets/ and expenses/ hold no export file, but earlier closes read time entries of "
               f"{read_before} client-month(s): the folders, or the share they are on, are missing here; nothing "
               "was replaced (put the exports back, or run where they are)")
    return {pair: state if state.check_name == "contract_valid" and state.state == BLOCKED
            else PartitionState(BLOCKED, EXPORTS_PRESENT, (problem,), state.engagement)
            for pair, state in states.items()}


def status_rows(states: dict[tuple[str, str], PartitionState]) -> list[tuple]:
    now = datetime.now(UTC).replace(tzinfo=None)
    return [(c, m, s.state, s.check_name, "\n".join(s.problems), s.engagement, now)
            for (c, m), s in sorted(states.items())]


def recorded(conn: WarehouseConnection, pairs: Sequence[tuple[str, str]]
             ) -> dict[tuple[str, str], PartitionState]:
    """The states the contracts step recorded; a client-month it never saw is `unknown`: skipped (its rows kept)
    until the contracts step has run for it."""
    found = rows_by_partition(conn, "partition_status", list(pairs))
    states = {}
    for pair in pairs:
        rows = found.get(pair)
        if rows:
            r = rows[0]
            states[pair] = PartitionState(r["state"], r["check_name"],
                                          tuple(p for p in r["problems"].split("\n") if p), r["engagement"])
        else:
            states[pair] = PartitionState(UNKNOWN, "contract_valid",
                                          (f"{pair[0]}|{pair[1]}: contracts not materialized for this client-month; "
                                           "materialize contracts first",))
    return states


def sent_months(warehouse: Warehouse, clients: Collection[str]) -> dict[str, set[str]]:
    """The clients' months whose invoice was sent (their rows were billed, whatever the engagement says now); none
    before the warehouse's first close."""
    if not warehouse.exists():
        return {}
    with warehouse.connect() as conn:
        rows = query(conn, "sent_months")
    out: dict[str, set[str]] = {}
    for r in rows:
        if r["client"] in clients:
            out.setdefault(r["client"], set()).add(r["month"])
    return out


def split_pairs(warehouse: Warehouse, pairs: Sequence[tuple[str, str]]
                ) -> tuple[list[tuple[str, str]], dict[tuple[str, str], PartitionState]]:
    """(active pairs in the run's order, {other pair: its state})."""
    with warehouse.connect() as conn:
        states = recorded(conn, pairs)
    active = [p for p in pairs if states[p].state == ACTIVE]
    return active, {p: s for p, s in states.items() if s.state != ACTIVE}


def clearable(others: dict[tuple[str, str], PartitionState]) -> list[tuple[str, str]]:
    """The non-active client-months whose rows a step removes: blocked or outside, not merely unknown, nor waiting
    for a folder that is missing here (`EXPORTS_PRESENT`: its rows stay as the last close left them)."""
    return [pair for pair, state in others.items()
            if state.state == OUTSIDE or (state.state == BLOCKED and state.check_name != EXPORTS_PRESENT)]
