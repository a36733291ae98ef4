"""Where time entries and expenses come from: `TimeSource` and its variants, the CSV folder of the billing home
(the local twin) and the Harvest API v2 (live)."""

from __future__ import annotations

from abc import abstractmethod
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from dagster import ConfigurableResource

from billing_assets.core.months import first_day, last_day
from billing_assets.core.sources import SETTINGS_FILE, ParsedSource, read_folder
from resources.home import _stamp

if TYPE_CHECKING:
    from resources.harvest_api import HarvestClient


@lru_cache(maxsize=4)
def _read_folder(home: Path, stamp: tuple) -> ParsedSource:
    """Parse the exports once per process while they are unchanged (a month close reads them once)."""
    return read_folder(home)


class TimeSource(ConfigurableResource):
    """Entries and expenses for the months asked. `kind` names the variant; `full_history` says whether
    `load` returns every month the source holds (then pricing can see a client's earlier time)."""

    kind: ClassVar[str]
    full_history: ClassVar[bool]
    home: str = "./billing_home"

    @abstractmethod
    def load(self, months: list[str]) -> ParsedSource:
        """Entries, expenses and unreadable rows covering at least the given months."""


class CsvTimeSource(TimeSource):
    """`timesheets/*.csv` and `expenses/*.csv` of the billing home (every month they hold)."""

    kind: ClassVar[str] = "csv"
    full_history: ClassVar[bool] = True

    def load(self, months: list[str]) -> ParsedSource:
        root = Path(self.home).resolve()
        settings = root / SETTINGS_FILE  # how files are read: a changed setting must be read again at once
        stamp = (_stamp(root / "timesheets") if (root / "timesheets").is_dir() else (),
                 _stamp(root / "expenses") if (root / "expenses").is_dir() else (),
                 _stamp(settings) if settings.is_file() else ())
        return _read_folder(root, stamp)


class HarvestTimeSource(TimeSource):
    """The Harvest API v2 (time entries and expenses of the months asked). Secrets come as `EnvVar`s:
    HARVEST_ACCESS_TOKEN, HARVEST_ACCOUNT_ID."""

    kind: ClassVar[str] = "harvest"
    full_history: ClassVar[bool] = False
    access_token: str
    account_id: str
    base_url: str = ""  # default https://api.harvestapp.com/v2
    user_agent: str = ""  # Harvest asks for one naming the app and a contact; default names this project

    def client(self) -> HarvestClient:
        from resources.harvest_api import DEFAULT_BASE_URL, DEFAULT_USER_AGENT, HarvestClient

        return HarvestClient(self.access_token, self.account_id, base_url=self.base_url or DEFAULT_BASE_URL,
                             user_agent=self.user_agent or DEFAULT_USER_AGENT)

    def load(self, months: list[str]) -> ParsedSource:
        return self._load(min(first_day(m) for m in months), max(last_day(m) for m in months))

    def _load(self, start: date, end: date) -> ParsedSource:
        with self.client() as client:
            out = ParsedSource(entries=client.time_entries(start, end), expenses=client.expenses(start, end))
        out.entries.sort(key=lambda e: e.order_key)
        out.expenses.sort(key=lambda e: e.order_key)
        return out
