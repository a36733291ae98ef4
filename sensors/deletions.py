"""Entries deleted in Harvest after their month was closed.

Harvest's `updated_since` never reports a deletion, so a time entry or expense deleted after the close stayed on
the draft (or on the sent invoice) with nobody told: an over-bill. Once an hour (`SWEEP_EVERY`) the late-entries
sensor lists, in Harvest, the closed months the warehouse may still bill from (`client_months_to_sweep.sql`: the
look-back window, and drafts not sent yet from the last `UNSENT_MONTHS` months) and re-closes each client-month
that holds an id Harvest no longer has. The re-close reads the month again, so the entry goes; for a month
already sent it becomes a late adjustment on the next invoice, as any late change does.

An id Harvest still lists (a timer restarted, an entry now of 0 h) is not deleted; an entry moved to another
month or client is reported by `updated_since` and re-closed there as well."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta

from billing_assets.core.months import add_months, first_day, last_day, month_index
from resources.harvest_changes import EXPENSE
from resources.timesource import HarvestTimeSource
from resources.warehouse import Warehouse, query, query_keyed

SWEEP_EVERY = timedelta(hours=1)
UNSENT_MONTHS = 6  # a draft older than this and never sent is not swept (a firm not approving through us)


def sweep_due(swept: datetime | None, now: datetime) -> bool:
    return swept is None or now - swept >= SWEEP_EVERY


def client_months_to_sweep(warehouse: Warehouse, since_month: str, current_month: str) -> list[tuple[str, str]]:
    """The closed client-months a deletion could still change (see the module's text); none before a close."""
    if not warehouse.exists():
        return []
    with warehouse.connect() as conn:
        rows = query(conn, "client_months_to_sweep",
                     {"since_month": since_month, "oldest_month": add_months(current_month, -UNSENT_MONTHS)})
    return [(r["client"], r["month"]) for r in rows if month_index(r["month"]) < month_index(current_month)]


def held_harvest_ids(warehouse: Warehouse, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    """(client, month) -> the Harvest ids its rows came from (expenses prefixed EXPENSE)."""
    with warehouse.connect() as conn:
        rows = query_keyed(conn, "source_ids_held", pairs)
    held: dict[tuple[str, str], set[str]] = {pair: set() for pair in pairs}
    for r in rows:
        if r["source_id"].removeprefix(EXPENSE).startswith("harvest:"):
            held[(r["client"], r["month"])].add(r["source_id"])
    return held


def harvest_ids(time_source: HarvestTimeSource, months: list[str]) -> dict[str, set[str]]:
    """month -> every id Harvest lists for it: time entries (finished, running or of 0 h) and expenses."""
    present: dict[str, set[str]] = {}
    with time_source.client() as client:
        for month in months:
            start, end = first_day(month), last_day(month)
            time = client.read_time_entries(start, end)
            spent = client.read_expenses(start, end)
            present[month] = ({e.entry_id for e in (*time.entries, *time.running, *time.zero)}
                              | {EXPENSE + x.expense_id for x in spent.expenses})
    return present


def deleted_ids(held: Mapping[tuple[str, str], set[str]], present: Mapping[str, set[str]]
                ) -> dict[tuple[str, str], list[str]]:
    """(client, month) -> the ids it bills from that Harvest no longer lists for the month, sorted."""
    gone = {pair: sorted(ids - present.get(pair[1], set())) for pair, ids in held.items()}
    return {pair: ids for pair, ids in gone.items() if ids}


def deletion_marker(ids: list[str]) -> str:
    """The run-key tail of a re-close for these deleted ids: the same deletions launch one run."""
    return hashlib.sha256("\x1f".join(sorted(ids)).encode()).hexdigest()[:12]


def find_deletions(time_source: HarvestTimeSource, warehouse: Warehouse, since_month: str,
                   current_month: str) -> dict[tuple[str, str], list[str]]:
    """One sweep: the closed client-months holding ids Harvest no longer has, with those ids."""
    pairs = client_months_to_sweep(warehouse, since_month, current_month)
    if not pairs:
        return {}
    held = held_harvest_ids(warehouse, pairs)
    months = sorted({month for (_, month), ids in held.items() if ids})
    return deleted_ids(held, harvest_ids(time_source, months)) if months else {}
