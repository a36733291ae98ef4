"""Where time entries and expenses come from: `TimeSource` and its variants, the CSV folder of the billing home
(the local twin) and the Harvest API v2 (live)."""

from __future__ import annotations

from abc import abstractmethod
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from dagster import ConfigurableResource

from billing_assets.core.errors import RowProblem
from billing_assets.core.money import shown_hours
from billing_assets.core.months import first_day, last_day
from billing_assets.core.parsed import FileReport, invoiced_already
from billing_assets.core.sources import SETTINGS_FILE, ParsedSource, read_folder
from resources.home import _stamp

if TYPE_CHECKING:
    from billing_assets.core.model import Expense
    from resources.harvest_api import HarvestClient, TimeRead

HARVEST_SOURCE = "Harvest API"  # how warnings and reports name the API (its entries have no source file)


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
        return _read_folder(Path(self.home).resolve(), self.stamp())

    def stamp(self) -> tuple:
        """What changes when an export, an expense file or the reading settings change (names, sizes, mtimes)."""
        root = Path(self.home).resolve()
        settings = root / SETTINGS_FILE  # how files are read: a changed setting must be read again at once
        return (_stamp(root / "timesheets") if (root / "timesheets").is_dir() else (),
                _stamp(root / "expenses") if (root / "expenses").is_dir() else (),
                _stamp(settings) if settings.is_file() else ())


class HarvestTimeSource(TimeSource):
    """The Harvest API v2 (time entries and expenses of the months asked). Secrets come as `EnvVar`s:
    HARVEST_ACCESS_TOKEN, HARVEST_ACCOUNT_ID. As with exports (spec section 1), 0-hour entries are skipped and
    counted (`files`), running timers skipped with a warning naming `harvest:<id>`, client and month."""

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
        if not months:
            return ParsedSource()
        return self._load(min(first_day(m) for m in months), max(last_day(m) for m in months))

    def _load(self, start: date, end: date) -> ParsedSource:
        with self.client() as client:
            time, spent = client.read_time_entries(start, end), client.read_expenses(start, end)
        return harvest_parsed(time, spent.expenses, start, end, spent.invoiced)


def harvest_parsed(time: TimeRead, expenses: list[Expense], start: date, end: date,
                   invoiced_expenses: dict[str, str] | None = None) -> ParsedSource:
    """A Harvest listing as a ParsedSource: billable entries, a warning per running timer, a warning per
    client-month of billable entries and expenses Harvest marks billed, one report counting what was read and
    skipped."""
    warnings = [RowProblem(HARVEST_SOURCE, e.source_row, f"{e.entry_id} ({e.person}, {e.date}): running timer "
                           "(no end yet): skipped until it is stopped", e.client_name, e.month)
                for e in time.running]
    warnings += _invoiced_warnings([e for e in time.entries if e.billable and e.entry_id in time.invoiced],
                                   time.invoiced, " h")
    spent = invoiced_expenses or {}
    warnings += _invoiced_warnings([x for x in expenses if x.billable and x.expense_id in spent], spent, "")
    report = FileReport(HARVEST_SOURCE, layout="Harvest API v2 time entries",
                        decisions={"from": str(start), "to": str(end)},
                        rows=len(time.entries) + len(time.running) + len(time.zero), read=len(time.entries),
                        zero_rows=len(time.zero), running_rows=[e.source_row for e in time.running])
    return ParsedSource(entries=list(time.entries), expenses=sorted(expenses, key=lambda x: x.order_key),
                        warnings=warnings, files=[report])


def _invoiced_warnings(rows: list, invoices: dict[str, str], unit: str) -> list[RowProblem]:
    """Per client-month, the billable rows Harvest marks billed on one of its invoices (`parsed.invoiced_already`,
    as exports' `Invoiced? = Yes`)."""
    by_month: dict[tuple[str, str], list] = {}
    for row in rows:
        by_month.setdefault((row.client_name, row.month), []).append(row)
    out = []
    for (client, month), found in sorted(by_month.items()):
        ids = [getattr(r, "entry_id", None) or r.expense_id for r in found]
        total = sum((getattr(r, "hours", None) if unit else r.amount for r in found), Decimal(0))
        shown = shown_hours(total) if unit else total.normalize()
        numbers = sorted({invoices[i] for i in ids if invoices[i]})
        kind = "time entr(ies)" if unit else "expense(s)"
        out.append(invoiced_already(HARVEST_SOURCE, found[0].source_row,
                                    f"{len(found)} billable {kind} ({shown:f}{unit}; {', '.join(ids[:3])}"
                                    f"{', ...' if len(ids) > 3 else ''}) marked billed in Harvest already"
                                    f"{' (invoice ' + ', '.join(numbers) + ')' if numbers else ''} are", client,
                                    month, expenses=not unit))
    return out
