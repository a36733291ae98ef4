"""What changed in Harvest since a moment: time entries and expenses updated at or after it, as far as the
late-entries sensor and approval need them (`updated_since` listings, with `updated_at`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from resources.timesource import HarvestTimeSource
from resources.warehouse import Warehouse, query

EXPENSE = "expense:"  # an expense's id among the sensor's ids: "expense:harvest:<id>"


def parse_utc(text: str) -> datetime:
    """An ISO 8601 timestamp (`Z` or offset; naive = UTC) as an aware UTC datetime."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def month_of(day: date | datetime) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class Change:
    """One changed Harvest time entry (or expense, its id prefixed EXPENSE)."""

    entry_id: str  # "harvest:<id>", as in raw_time_entries
    client_name: str
    month: str  # month of spent_date
    updated_at: datetime
    running: bool = False


def change_from_api(raw: Mapping[str, Any], prefix: str = "") -> Change:
    """One `/v2/time_entries` (or, with `prefix` EXPENSE, `/v2/expenses`) object -> Change."""
    return Change(entry_id=f"{prefix}harvest:{raw['id']}",
                  client_name=str((raw.get("client") or {}).get("name") or ""),
                  month=month_of(date.fromisoformat(raw["spent_date"])), updated_at=parse_utc(raw["updated_at"]),
                  running=bool(raw.get("is_running")))


def fetch_changes(time_source: HarvestTimeSource, since: datetime) -> list[Change]:
    """Every time entry (running or not) and expense updated at or after `since`, with its updated_at (an
    expense added or edited in a closed month was never re-closed, so its change was never billed).

    `HarvestClient.changed_since` drops `updated_at`, so this reads the raw objects through the client's
    paging (same headers, rate limit, retries, same-origin `links.next`)."""
    with time_source.client() as client:
        raws, spent = client.time_entry_changes(since), client.expense_changes(since)
    return [change_from_api(raw) for raw in raws] + [change_from_api(raw, EXPENSE) for raw in spent]


def held_client_months(warehouse: Warehouse, entry_ids: Iterable[str]) -> dict[str, set[tuple[str, str]]]:
    """Entry id -> the (client, month)s whose raw_time_entries (raw_expenses for an EXPENSE id) hold it (none
    before the first close)."""
    ids = sorted(set(entry_ids))
    if not ids or not warehouse.exists():
        return {}
    held: dict[str, set[tuple[str, str]]] = {}
    with warehouse.connect() as conn, conn.staged("changed_entries", ["entry_id"],
                                                  [(i.removeprefix(EXPENSE),) for i in ids]):
        for row in query(conn, "entries_held"):
            held.setdefault(row["entry_id"], set()).add((row["client"], row["month"]))
        for row in query(conn, "expenses_held"):
            held.setdefault(EXPENSE + row["entry_id"], set()).add((row["client"], row["month"]))
    return held
