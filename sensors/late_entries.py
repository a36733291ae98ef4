"""Late time entries: re-close closed client-months whose Harvest entries changed after the close.

Every tick polls Harvest `/v2/time_entries?updated_since=<cursor>` (and `/v2/expenses`, the same way: an
expense added or edited in a closed month is a late change too), maps each changed entry to its client
(contract `name` or `aliases` for the entry's month) and requests one `month_close` run per changed
client-month of a closed month (before the current month, UTC). Entries of the open month are left to the
month close; entries of unknown clients are logged, never requested.

Cursor: `{"since": "<ISO UTC>", "seen": [entry ids whose updated_at == since]}` - the newest `updated_at`
seen plus the ids already handled at exactly that second, because Harvest's `updated_since` is inclusive and
has one-second resolution (an edit in the same second as the last poll is neither lost nor repeated). A bare
ISO timestamp is accepted too (e.g. set by hand in the UI to rescan): everything up to and including it
counts as seen. Without a cursor the first tick looks back `lookback_days`.

Moved entries: Harvest reports where an entry is now, not where it was. For each changed entry the warehouse's
`raw_time_entries` says which client-months hold it since the last close; those are re-closed too when they
differ from its new one (a closed month), so an entry moved to another client or month is billed once.

Deletions: Harvest's `updated_since` does not report deleted entries; once an hour the sensor lists the closed months
it may still bill from and re-closes each client-month holding an id Harvest no longer has (sensors/deletions.py).
The cursor keeps when that last ran (`swept`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from dagster import (
    AddDynamicPartitionsRequest,
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from billing_assets.core.errors import BillingInputError
from billing_assets.core.months import month_index
from billing_assets.jobs import month_close_job, range_tags
from billing_assets.partitions import CLIENT_ID, FIRST_MONTH, client_month_key
from billing_assets.settings import firm_now
from resources.harvest_api import HarvestError
from resources.harvest_changes import Change, fetch_changes, held_client_months, month_of, parse_utc
from resources.home import BillingHome
from resources.timesource import HarvestTimeSource, TimeSource
from resources.warehouse import Warehouse, query
from sensors.deletions import deletion_marker, find_deletions, sweep_due
from sensors.follow_up import MAX_ATTEMPTS, follow, from_cursor, to_cursor

DEFAULT_INTERVAL_SECONDS = 300
DEFAULT_LOOKBACK_DAYS = 35
INTERVAL_ENV = "BILLING_LATE_ENTRIES_INTERVAL_SECONDS"
TRIGGER_TAG = "billing/trigger"

Resolver = Callable[[str, str], list[str]]


# --- pure logic ---------------------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    """`2026-11-01T12:00:00Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Cursor:
    """High-water mark: `since` and the ids handled at exactly `since` (None: all of them); `swept`: when the last
    sweep for deleted entries ran (None: never, or a cursor set by hand)."""

    since: datetime
    seen: frozenset[str] | None = None
    swept: datetime | None = None
    pending: Mapping[str, Any] = field(default_factory=dict)  # re-closes requested, no run of them succeeded yet

    @classmethod
    def parse(cls, text: str | None, default_since: datetime) -> Cursor:
        """From the sensor's cursor string: JSON, a bare ISO timestamp, or nothing (-> default_since, none seen)."""
        if not text:
            return cls(default_since, frozenset())
        if text.lstrip().startswith("{"):
            data = json.loads(text)
            swept = parse_utc(data["swept"]) if data.get("swept") else None
            seen = None if "seen" in data and data["seen"] is None else frozenset(data.get("seen") or ())
            return cls(parse_utc(data["since"]), seen, swept, dict(data.get("pending") or {}))
        return cls(parse_utc(text))

    def serialize(self) -> str:
        if self.seen is None and self.swept is None and not self.pending:
            return iso(self.since)
        return json.dumps({"since": iso(self.since), "seen": sorted(self.seen) if self.seen is not None else None,
                           **({"swept": iso(self.swept)} if self.swept else {}),
                           **({"pending": dict(self.pending)} if self.pending else {})})

    def is_new(self, change: Change) -> bool:
        if change.updated_at != self.since:
            return change.updated_at > self.since
        return self.seen is not None and change.entry_id not in self.seen

    def advance(self, changes: Iterable[Change]) -> Cursor:
        """The cursor after handling `changes` (every change the poll returned)."""
        changes = list(changes)
        newest = max([c.updated_at for c in changes] + [self.since])
        at_mark = frozenset(c.entry_id for c in changes if c.updated_at == newest)
        if newest > self.since:
            return Cursor(newest, at_mark, self.swept, self.pending)
        return self if self.seen is None else Cursor(newest, self.seen | at_mark, self.swept, self.pending)


@dataclass(frozen=True)
class LatePlan:
    """What one evaluation does: the client-months to re-close and what it leaves alone."""

    client_months: dict[tuple[str, str], datetime]  # (client, month) -> newest updated_at of its changes
    cursor: Cursor  # after this evaluation
    unknown: dict[tuple[str, str], int] = field(default_factory=dict)  # (client name, month) -> entries
    open_months: int = 0  # changed entries of months not closed yet (current month or later)

    def run_requests(self, last_priced: dict[str, str] | None = None) -> list[RunRequest]:
        """One run per client (`reclose_requests`); the run_key makes a repeated evaluation launch nothing."""
        by_client: dict[str, list[tuple[str, datetime]]] = {}
        for (client, month), newest in sorted(self.client_months.items()):
            by_client.setdefault(client, []).append((month, newest))
        return reclose_requests({client: [m for m, _ in changed] for client, changed in by_client.items()},
                                {client: iso(max(n for _, n in changed)) for client, changed in by_client.items()},
                                last_priced, "late")


def reclose_requests(months: Mapping[str, list[str]], markers: Mapping[str, str], last_priced: dict[str, str] | None,
                     trigger: str, tag: str = "") -> list[RunRequest]:
    """One run per client: its earliest changed month through the last month already priced for it (later months
    carry its retainer lots, cap totals and late-change adjustments), in month order; a single client-month when
    nothing after it was priced. Run key `<trigger>:<client>|<months>:<marker>`; tag `billing/trigger` = `tag`,
    else `late_entries[_<trigger>]`."""
    requests = []
    for client, changed in sorted(months.items()):
        first, last = min(changed), max(changed)
        last = max(last, (last_priced or {}).get(client, last))
        tags = {TRIGGER_TAG: tag or ("late_entries" if trigger == "late" else f"late_entries_{trigger}")}
        span = first if first == last else f"{first}..{last}"
        key = f"{trigger}:{client}|{span}:{markers[client]}"
        if first == last:
            requests.append(RunRequest(run_key=key, partition_key=client_month_key(client, first), tags=tags))
        else:
            requests.append(RunRequest(run_key=key, tags={**tags, **range_tags(client, client, first, last)}))
    return requests


def is_closed(month: str, current_month: str) -> bool:
    """A partition month before the current month."""
    return month_index(FIRST_MONTH) <= month_index(month) < month_index(current_month)


def plan_late_closes(changes: Iterable[Change], cursor: Cursor, current_month: str, resolve: Resolver,
                     held: Mapping[str, Iterable[tuple[str, str]]] | None = None) -> LatePlan:
    """The client-months whose finished entries changed after `cursor`, and the next cursor. `held`: entry id ->
    the (client, month)s the warehouse holds it in; a closed one it has left (moved entry) is re-closed too."""
    changes = list(changes)
    client_months: dict[tuple[str, str], datetime] = {}
    unknown: dict[tuple[str, str], int] = {}
    open_months = 0

    def request(key: tuple[str, str], change: Change) -> None:
        client_months[key] = max(client_months.get(key, change.updated_at), change.updated_at)

    for change in changes:
        if change.running or not cursor.is_new(change):
            continue
        for key in (held or {}).get(change.entry_id, ()):
            if is_closed(key[1], current_month):
                request(key, change)  # where it was billed; harmless when it is still there
        if not is_closed(change.month, current_month):
            open_months += 1
            continue
        clients = resolve(change.client_name, change.month)
        if not clients:
            key = (change.client_name, change.month)
            unknown[key] = unknown.get(key, 0) + 1
        for client in clients:
            request((client, change.month), change)
    return LatePlan(client_months, cursor.advance(changes), unknown, open_months)


class ContractNames:
    """Resolver (Harvest client name, month) -> client ids whose contract `name` or `aliases` match.

    Contracts that fail validation are skipped and listed in `problems`."""

    def __init__(self, home: BillingHome):
        self.home = home
        self.problems: dict[str, str] = {}
        self._by_month: dict[str, dict[str, list[str]]] = {}

    def __call__(self, client_name: str, month: str) -> list[str]:
        if month not in self._by_month:
            self._by_month[month] = self._names(month)
        return self._by_month[month].get(client_name, [])

    def _names(self, month: str) -> dict[str, list[str]]:
        names: dict[str, list[str]] = {}
        for client in self.home.client_ids():
            if not CLIENT_ID.fullmatch(client):
                continue
            try:
                contract = self.home.contract_file(client).for_month(month)
            except BillingInputError as exc:
                self.problems[client] = str(exc).splitlines()[0]
                continue
            for name in contract.names:
                names.setdefault(name, []).append(client)
        return names


# --- Harvest ------------------------------------------------------------------------------------------------


# --- the sensor ---------------------------------------------------------------------------------------------


def _log_plan(context: SensorEvaluationContext, plan: LatePlan, resolver: ContractNames) -> None:
    for client, problem in sorted(resolver.problems.items()):
        context.log.warning(f"late entries: contract of {client} is invalid, its entries are not matched: {problem}")
    for (name, month), count in sorted(plan.unknown.items()):
        context.log.warning(f"late entries: {count} changed entr{'y' if count == 1 else 'ies'} of unknown client "
                            f"{name!r} in {month} (no contract name or alias matches); not re-closed")
    if plan.open_months:
        context.log.info(f"late entries: {plan.open_months} changed entries of open months left to the month close")
    for (client, month), newest in sorted(plan.client_months.items()):
        context.log.info(f"late entries: re-closing {client} {month} (changed up to {iso(newest)})")


def priced_client_months(warehouse: Warehouse) -> set[tuple[str, str]]:
    """Every priced (closed) client-month; none before the first close."""
    if not warehouse.exists():
        return set()
    with warehouse.connect() as conn:
        return {(r["client"], r["month"]) for r in query(conn, "priced_months")}


def last_priced_months(warehouse: Warehouse) -> dict[str, str]:
    with warehouse.connect() as conn:
        return {r["client"]: r["last_month"] for r in query(conn, "last_priced_months")}


def evaluate(context: SensorEvaluationContext, time_source: TimeSource, home: BillingHome, warehouse: Warehouse,
             lookback_days: int) -> SensorResult:
    """One evaluation: poll, plan, register missing client partitions, request the re-closes."""
    if not isinstance(time_source, HarvestTimeSource):
        return SensorResult(skip_reason=f"time source is {time_source.kind!r}, not harvest", cursor=context.cursor)
    now = datetime.now(UTC)
    cursor = Cursor.parse(context.cursor, now - timedelta(days=lookback_days))
    resolver = ContractNames(home)
    changes = fetch_changes(time_source, cursor.since)
    held = held_client_months(warehouse, (c.entry_id for c in changes if cursor.is_new(c) and not c.running))
    current_month = month_of(firm_now())  # a month is closed once it has ended in the firm's zone
    plan = plan_late_closes(changes, cursor, current_month, resolver, held)
    priced = priced_client_months(warehouse)
    never = sorted(pair for pair in plan.client_months if pair not in priced)
    if never:  # a re-close of a month nobody closed would draft invoices nobody asked for (a new instance's first tick)
        context.log.info("late entries: never closed, left to their close: "
                         + ", ".join(f"{client} {month}" for client, month in never))
        plan = replace(plan, client_months={k: v for k, v in plan.client_months.items() if k in priced})
    _log_plan(context, plan, resolver)
    deleted: dict[tuple[str, str], list[str]] = {}
    next_cursor = plan.cursor
    if sweep_due(cursor.swept, now):
        try:
            deleted = find_deletions(time_source, warehouse, month_of(now - timedelta(days=lookback_days)),
                                     current_month)
            next_cursor = replace(next_cursor, swept=now.replace(microsecond=0))
        except HarvestError as exc:  # the late changes above still go; the sweep is tried again at the next tick
            context.log.warning(f"deleted entries not checked: {str(exc).splitlines()[0]}")
    late_clients = {client for client, _ in plan.client_months}
    deleted = {pair: ids for pair, ids in deleted.items() if pair[0] not in late_clients}  # next sweep, if left
    for (client, month), ids in sorted(deleted.items()):
        context.log.info(f"deleted in Harvest: re-closing {client} {month}: it bills {len(ids)} entr"
                         f"{'y' if len(ids) == 1 else 'ies'} Harvest no longer has ({', '.join(ids[:5])}"
                         f"{', ...' if len(ids) > 5 else ''})")
    if not plan.client_months and not deleted and not cursor.pending:
        return SensorResult(skip_reason=f"no late entries in closed months since {iso(cursor.since)}",
                            cursor=next_cursor.serialize())
    registered = set(context.instance.get_dynamic_partitions("client"))
    missing = sorted({client for client, _ in plan.client_months} - registered)
    last_priced: dict[str, str] = {}
    for client, month in priced:
        last_priced[client] = max(month, last_priced.get(client, month))
    gone_months: dict[str, list[str]] = {}
    gone_ids: dict[str, list[str]] = {}
    for (client, month), ids in deleted.items():
        gone_months.setdefault(client, []).append(month)
        gone_ids.setdefault(client, []).extend(ids)
    markers = {client: deletion_marker(ids) for client, ids in gone_ids.items()}
    new = plan.run_requests(last_priced) + reclose_requests(gone_months, markers, last_priced, "deleted")
    attempts = follow(context.instance, [*from_cursor(cursor.pending), *new])
    for a in attempts:
        if a.given_up:
            context.log.warning(f"late entries: the re-close {a.base_key} failed {MAX_ATTEMPTS} times; its change is "
                                "not on the invoice: see the failed runs, then close the month again")
    requests = list({a.request.run_key: a.request for a in attempts if not a.done and not a.given_up}.values())
    pending = to_cursor(a.request.with_replaced_attrs(run_key=a.base_key) for a in attempts
                        if not a.done and not a.given_up)
    return SensorResult(run_requests=requests, cursor=replace(next_cursor, pending=pending).serialize(),
                        dynamic_partitions_requests=[AddDynamicPartitionsRequest("client", missing)] if missing else [])


def build_late_entries_sensor(minimum_interval_seconds: int | None = None,
                              lookback_days: int = DEFAULT_LOOKBACK_DAYS) -> SensorDefinition:
    """The sensor; interval from the argument, else $BILLING_LATE_ENTRIES_INTERVAL_SECONDS, else 300 s.
    Running by default only when BILLING_SOURCE=harvest (read when this is called)."""
    interval = minimum_interval_seconds or int(os.environ.get(INTERVAL_ENV) or DEFAULT_INTERVAL_SECONDS)
    status = DefaultSensorStatus.RUNNING if os.environ.get("BILLING_SOURCE") == "harvest" \
        else DefaultSensorStatus.STOPPED

    @sensor(name="late_time_entries", job=month_close_job, minimum_interval_seconds=interval, default_status=status)
    def late_time_entries(context: SensorEvaluationContext, time_source: TimeSource,
                          home: BillingHome, warehouse: Warehouse) -> SensorResult:
        """Re-closes closed client-months whose Harvest time entries or expenses changed after they were closed
        (one month_close run per changed client), and, once an hour, those still billing an entry or expense
        deleted in Harvest since; entries of unknown clients are logged."""
        return evaluate(context, time_source, home, warehouse, lookback_days)

    return late_time_entries


late_time_entries = build_late_entries_sensor()
