"""Where time entries and expenses come from: the CSV folder (default) or the Harvest API v2."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from dagster import ConfigurableResource

from billing_assets.core.months import first_day, last_day
from billing_assets.core.sources import ParsedSource, read_folder
from resources.home import _stamp


@lru_cache(maxsize=4)
def _read_folder(home: Path, stamp: tuple) -> ParsedSource:
    """Parse the exports once per process while they are unchanged (a month close reads them once)."""
    return read_folder(home)


class TimeSource(ConfigurableResource):
    """`kind` csv reads `timesheets/*.csv` and `expenses/*.csv` of the billing home; harvest calls the API."""

    kind: str = "csv"
    home: str = "./billing_home"
    harvest_access_token: str | None = None
    harvest_account_id: str | None = None
    harvest_base_url: str | None = None

    def load(self, months: list[str]) -> ParsedSource:
        """Entries, expenses and unreadable rows covering at least the given months."""
        if self.kind == "csv":
            root = Path(self.home).resolve()
            stamp = (_stamp(root / "timesheets") if (root / "timesheets").is_dir() else (),
                     _stamp(root / "expenses") if (root / "expenses").is_dir() else ())
            return _read_folder(root, stamp)
        if self.kind == "harvest":
            return self._load_harvest(min(first_day(m) for m in months), max(last_day(m) for m in months))
        raise ValueError(f"BILLING_SOURCE must be csv or harvest, got {self.kind!r}")

    def _load_harvest(self, start: date, end: date) -> ParsedSource:
        from resources.harvest_api import DEFAULT_BASE_URL, HarvestClient

        with HarvestClient(self.harvest_access_token or "", self.harvest_account_id or "",
                           base_url=self.harvest_base_url or DEFAULT_BASE_URL) as client:
            out = ParsedSource(entries=client.time_entries(start, end), expenses=client.expenses(start, end))
        out.entries.sort(key=lambda e: e.order_key)
        out.expenses.sort(key=lambda e: e.order_key)
        return out
