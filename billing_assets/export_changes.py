"""Closed client-months whose export rows changed since their close (the CSV folder source).

A row dated in a closed month can arrive after its close: August time in September's export, a corrected
re-export, an expense filed late. No close of a later month reads it, so August's invoice stays short until August
is closed again. This compares what each priced client-month was priced from (`entry_outcomes`, written with its
invoice; `priced_expenses`) with what the folder holds for it now. The close warns of it, approval refuses such a
month, and the `late_exports` sensor re-closes it (an API source has its own sensor: `late_time_entries`)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC

from billing_assets.core.contract import Contract
from billing_assets.core.engagement import engagement_window
from billing_assets.core.errors import BillingInputError, ContractError
from billing_assets.core.model import NON_BILLABLE
from billing_assets.core.months import month_index
from billing_assets.core.parsed import ParsedSource, entry_reading, expense_reading
from billing_assets.decision_changes import priced_up_to
from resources.home import BillingHome
from resources.timesource import TimeSource
from resources.warehouse import Warehouse, WarehouseConnection, query, query_keyed, rows_by_partition

Names = Callable[[str, str], "set[str] | None"]  # (client, month) -> its contract's names; None: unreadable
SHOWN_ROWS = 3  # file-and-row places named in a message
NO_PRICED_INVOICE = "has no priced invoice in this warehouse"


@dataclass(frozen=True)
class ExportChange:
    """One closed client-month whose exports no longer hold what it was closed with."""

    client: str
    month: str
    added: tuple[str, ...]  # ids of rows (time and expenses) new or edited since the close
    gone: tuple[str, ...]  # ids the close read that the exports no longer have (deleted or edited)
    where: tuple[str, ...]  # `file row N` of the added rows, at most SHOWN_ROWS

    @property
    def marker(self) -> str:
        """A short digest of the change: the same change gives the same sensor run key."""
        text = "\n".join([*sorted(self.added), "-", *sorted(self.gone)])
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def summary(self) -> str:
        where = f": {', '.join(self.where)}" if self.where else ""
        return (f"its exports changed since it was closed ({len(self.added)} row(s) new or edited{where}; "
                f"{len(self.gone)} gone or edited)")


def export_changes(conn: WarehouseConnection, parsed: ParsedSource, names: Names,
                   pairs: Sequence[tuple[str, str]]) -> list[ExportChange]:
    """The priced client-months among `pairs` whose time entries or expenses in `parsed` differ from the ones
    they were closed with. A client-month whose contract cannot be read is passed over (its close says why)."""
    priced = {(r["client"], r["month"]) for r in query(conn, "priced_months")}
    pairs = sorted(set(pairs) & priced)
    closed = rows_by_partition(conn, "closed_entry_ids", pairs)
    closed_expenses = rows_by_partition(conn, "closed_expense_ids", pairs)
    entries, expenses = parsed.grouped()
    out = []
    for client, month in pairs:
        client_names = names(client, month)
        if client_names is None:
            continue
        time_now = [e for n in sorted(client_names) for e in entries.get((n, month), [])]
        expenses_now = [x for n in sorted(client_names) for x in expenses.get((n, month), [])]
        rows = {e.entry_id: f"{e.source_file} row {e.source_row}" for e in time_now}
        rows |= {x.expense_id: f"{x.source_file} row {x.source_row}" for x in expenses_now}
        reading = {e.entry_id: entry_reading(e.billable, e.roles, e.currency) for e in time_now}
        reading |= {x.expense_id: expense_reading(x) for x in expenses_now}
        then = {r["entry_id"]: r["reading"] for r in closed.get((client, month), [])}
        then |= {r["expense_id"]: r["reading"] for r in closed_expenses.get((client, month), [])}
        # an id kept with another reading (Billable?, Roles, an expense's amount edited in place) is edited
        edited = {i for i, was in then.items() if was is not None and i in reading and reading[i] != was}
        added = sorted((set(rows) - set(then)) | edited)
        gone = sorted((set(then) - set(rows)) | edited)
        if added or gone:
            where = tuple(sorted({rows[i] for i in added})[:SHOWN_ROWS])
            out.append(ExportChange(client, month, tuple(added), tuple(gone), where))
    return out


def contract_names(home: BillingHome) -> Names:
    """(client, month) -> the names its contract claims in that month; None when the contract cannot be read."""

    def names(client: str, month: str) -> set[str] | None:
        try:
            return set(home.contract_file(client).for_month(month).names)
        except (ContractError, BillingInputError):
            return None

    return names


def changed_since_close(time_source: TimeSource, home: BillingHome, warehouse: Warehouse,
                        pairs: Sequence[tuple[str, str]]) -> list[ExportChange]:
    """`export_changes` of the pairs, reading the folder for their months. Empty for an API source (its sensor
    re-closes changed months) and before the first close."""
    if time_source.kind != "csv" or not pairs or not warehouse.exists():
        return []
    parsed = time_source.load(sorted({m for _, m in pairs}))
    with warehouse.connect() as conn:
        return export_changes(conn, parsed, contract_names(home), pairs)


def never_closed(time_source: TimeSource, home: BillingHome, warehouse: Warehouse,
                 pairs: Sequence[tuple[str, str]], engagement: bool = True) -> dict[tuple[str, str], str]:
    """The client-months of `pairs` this warehouse never priced that have something to bill: billable time or
    expenses of the client in the exports, or a fee the contract bills with no time at all (a retainer fee, a
    fixed fee due that month, a monthly minimum), inside its engagement. `engagement=False` (the what-if):
    billable rows only, inside the engagement or not (a fee without time is priced right from nothing; rows no
    close read are not). Approval has no draft of them to send (not closed yet, or the warehouse was moved or
    restored without them); it called such a month "no pushed draft" with exit 0, as it rightly does a month with
    nothing to bill. The folder source only."""
    if time_source.kind != "csv" or not pairs:
        return {}
    priced = set()
    if warehouse.exists():
        with warehouse.connect() as conn:
            priced = {(r["client"], r["month"]) for r in query(conn, "priced_months")}
    todo = sorted(set(pairs) - priced)
    if not todo:
        return {}
    entries, expenses = time_source.load(sorted({m for _, m in todo})).grouped()
    names = contract_names(home)
    out = {}
    for client, month in todo:
        client_names = names(client, month)
        if client_names is None:  # an unreadable contract: the close and validate say why
            continue
        contract_file = home.contract_file(client)
        data_months = {m for n, m in (*entries, *expenses) if n in client_names}
        inside = engagement_window(contract_file, data_months).contains(month)
        if engagement and not inside:
            continue
        contract = contract_file.for_month(month)
        rows = [f"{r.source_file} row {r.source_row}" for n in sorted(client_names)
                for r in (*entries.get((n, month), []), *expenses.get((n, month), []))
                if r.billable and contract.task_work_type(getattr(r, "task", "")) != NON_BILLABLE]
        fee = _fee_without_time(contract, month) if inside and engagement else None
        if rows:
            what = f"its exports hold {len(rows)} billable row(s) ({', '.join(rows[:SHOWN_ROWS])})"
        elif fee:
            what = f"its contract bills {fee} with or without time"
        else:
            continue
        out[(client, month)] = (f"{month} {NO_PRICED_INVOICE}, yet {what}: there is no draft of it to send (not "
                                "closed yet, or the warehouse was moved or restored without it)")
    return out


def _fee_without_time(contract: Contract, month: str) -> str | None:
    """What the contract bills in `month` whatever the time (spec section 4: the retainer fee, a fixed fee's
    scheduled amount, the monthly minimum), or None."""
    if contract.retainer is not None and contract.retainer.monthly_fee:
        return "a retainer fee"
    if any(item.schedule.get(month) for item in (contract.sow.items if contract.sow else [])):
        return "a fixed fee"
    if contract.minimum_monthly_fee:
        return "a monthly minimum"
    return None


def contract_refusals(home: BillingHome, warehouse: Warehouse,
                      pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The priced client-months whose contract, as it applies to the month, is not the one they were closed with:
    edited since (a cap lowered, `start` moved: the draft was priced under the old terms), or unreadable here (a
    folder without the contract cannot check anything)."""
    if not pairs:
        return {}
    with warehouse.connect() as conn:
        return changed_contracts(conn, home, pairs)


def changed_contracts(conn: WarehouseConnection, home: BillingHome,
                      pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """`contract_refusals` on an open connection."""
    closed = {(r["client"], r["month"]): r["fingerprint"] for r in query_keyed(conn, "closed_fingerprints", pairs)}
    out = {}
    for (client, month), then in sorted(closed.items()):
        try:
            now = home.contract_file(client).for_month(month).fingerprint()
        except (ContractError, BillingInputError) as exc:
            # the advice appended by approval and LEDES ("close again") needs a readable file first
            out[(client, month)] = (f"its contract cannot be read here ({str(exc).splitlines()[0]}), so what it "
                                    "was closed with cannot be checked; correct or restore it first, then")
            continue
        if now != then:
            out[(client, month)] = (f"its contract (contracts/{home.contract_path(client).name}) changed since it "
                                    "was closed, and the draft was priced under the earlier terms")
    return out


def source_refusals(time_source: TimeSource, home: BillingHome, warehouse: Warehouse,
                    pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """The pairs whose rows, or the rows of a month they are priced from, changed at the source since their close:
    (why, the first month to close again) by client-month. The months before them count too: a sent month whose
    rows changed since (an entry moved out of it into this month) is carried by the next unsent month only once
    it is closed again (found by an auditor: a Harvest entry moved from sent July into August was on both sent
    invoices)."""
    if time_source.kind not in ("csv", "harvest"):
        return {}
    clients = {c for c, _ in pairs}
    with warehouse.connect() as conn:
        priced = priced_up_to(conn, pairs)
        links = {(r["client"], r["month"]): r["prior_month"] for r in query(conn, "priced_from_months")
                 if r["client"] in clients}
        sent = {(r["client"], r["month"]) for r in query_keyed(conn, "sent_snapshot_keys", priced)} if priced \
            else set()
    if time_source.kind == "harvest":
        rows, changed = "entries in Harvest", harvest_refusals(time_source, home, warehouse, sorted({*priced, *pairs}))
    else:
        rows, changed = "exports", {(c.client, c.month): c.summary()
                   for c in changed_since_close(time_source, home, warehouse, priced)}
    out = {}
    for client, month in pairs:
        if (client, month) in changed:
            out[(client, month)] = (changed[(client, month)], month)
            continue
        carried = uncarried(client, month, changed, sent)
        if carried:
            out[(client, month)] = (f"{carried} was sent and its {rows} changed since it was closed: this month "
                                    f"carries the difference once {carried} is closed again", carried)
            continue
        prior, seen = links.get((client, month)), set()
        while prior and prior not in seen:
            seen.add(prior)
            if (client, prior) in changed:
                out[(client, month)] = (f"priced from the ledgers of {prior}, whose {rows} changed since it was "
                                        f"closed ({prior} carries its retainer lots or cap totals here)", prior)
                break
            prior = links.get((client, prior))
    return out


def uncarried(client: str, month: str, changed: Collection[tuple[str, str]], sent: set[tuple[str, str]]) -> str | None:
    """The earliest sent month before `month` among the `changed` client-months (its exports or its terms changed
    since its close) whose difference this month is the one to carry (every month between them was sent too), or
    None."""
    for earlier in sorted(m for c, m in changed if c == client and m < month and (c, m) in sent):
        between = {m for c, m in sent if c == client and earlier < m < month}
        if len(between) == month_index(month) - month_index(earlier) - 1:
            return earlier
    return None


def source_for_reading(time_source: TimeSource) -> TimeSource:
    """The time source ready to read outside a run: an API's EnvVar secrets resolved (the folder needs none)."""
    if time_source.kind == "csv":
        return time_source
    from billing_assets.environment import initialized

    return initialized(time_source)


def harvest_refusals(time_source: TimeSource, home: BillingHome, warehouse: Warehouse,
                     pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """With the Harvest API: the client-months with a finished entry or an expense updated in Harvest after their
    close began (`updated_since`: one listing of each), in the month it is dated in now or in a month that holds
    it (an entry moved to another client or month leaves that month short). The late-entries sensor re-closes
    them; this holds an approval made before it did, or without a daemon. Deletions are the sensor's alone
    (Harvest does not list them)."""
    from resources.harvest_api import HarvestError
    from resources.harvest_changes import fetch_changes, held_client_months

    with warehouse.connect() as conn:
        closed = {(r["client"], r["month"]): r["evaluated_at"].replace(tzinfo=UTC)
                  for r in query_keyed(conn, "closed_at", pairs)}
    if not closed:
        return {}
    try:
        changes = fetch_changes(time_source, min(closed.values()))
    except HarvestError as exc:  # unchecked is not unchanged: nothing is sent on a guess
        reason = f"Harvest could not be read to check for changes since its close: {str(exc).splitlines()[0]}"
        return dict.fromkeys(closed, reason)
    names = contract_names(home)
    by_name: dict[tuple[str, str], list[tuple[str, str]]] = {}  # (client name, month) -> the pairs it bills
    for pair in closed:
        for name in names(*pair) or ():
            by_name.setdefault((name, pair[1]), []).append(pair)
    finished = [change for change in changes if not change.running]
    held = held_client_months(warehouse, (change.entry_id for change in finished))
    counted: dict[tuple[str, str], set[str]] = {}
    for change in finished:
        for pair in {*by_name.get((change.client_name, change.month), []), *held.get(change.entry_id, ())}:
            if pair in closed and change.updated_at > closed[pair]:
                counted.setdefault(pair, set()).add(change.entry_id)
    return {pair: f"{len(ids)} entr{'y' if len(ids) == 1 else 'ies'} or expense(s) changed in Harvest since it "
                  "was closed" for pair, ids in counted.items()}
