"""Time and expense exports -> TimeEntry / Expense, matched by header name (spec section 1).

Recognised by header: Harvest "Detailed time", Harvest expense report; Toggl and Clockify detailed exports
are parsed by `billing_assets.core.exports`. Entry ids follow the spec: sha256 of the identifying fields plus
a counter of earlier identical rows, so re-exporting the same rows in any order gives the same ids.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from billing_assets.core.errors import RowProblem
from billing_assets.core.model import Expense, TimeEntry

HARVEST_TIME_REQUIRED = ("Date", "Client", "Project", "Project Code", "Task", "Notes", "Hours",
                         "Billable?", "First Name", "Last Name")
HARVEST_EXPENSE_REQUIRED = ("Date", "Client", "Project", "Project Code", "Category", "Notes", "Amount",
                            "Billable?")
# The identity of a CSV entry (spec section 1), in this order; parse_harvest_time builds it field by field.
ENTRY_ID_FIELDS = ("Date", "Client", "Project", "Project Code", "Task", "Notes", "Hours", "First Name",
                   "Last Name")


@dataclass
class ParsedSource:
    """Everything read from a folder of exports: good rows and the rows that could not be read."""

    entries: list[TimeEntry] = field(default_factory=list)
    expenses: list[Expense] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    _identities: list[tuple[str, ...]] = field(default_factory=list, repr=False)

    def add_entry(self, identity: tuple[str, ...], entry: TimeEntry) -> None:
        """Queue a CSV entry whose id `assign_ids` computes from its identity fields."""
        self._identities.append(identity)
        self.entries.append(entry)

    def grouped(self) -> tuple[dict[tuple[str, str], list[TimeEntry]], dict[tuple[str, str], list[Expense]]]:
        """Entries and expenses by (source client name, month), in processing order; computed once."""
        if not hasattr(self, "_groups"):
            entries: dict[tuple[str, str], list[TimeEntry]] = {}
            for e in self.entries:
                entries.setdefault((e.client_name, e.month), []).append(e)
            expenses: dict[tuple[str, str], list[Expense]] = {}
            for x in self.expenses:
                expenses.setdefault((x.client_name, x.month), []).append(x)
            self._groups = (entries, expenses)
        return self._groups

    def assign_ids(self) -> None:
        """Give queued CSV entries their ids, counting identical rows in processing order, then sort."""
        order = sorted(range(len(self.entries)), key=lambda i: self.entries[i].order_key)
        ids = csv_entry_ids(self._identities[i] for i in order)
        for i, entry_id in zip(order, ids, strict=True):
            if not self.entries[i].entry_id:  # set once, before anyone sees the entry (frozen afterwards)
                object.__setattr__(self.entries[i], "entry_id", entry_id)
        self.entries = [self.entries[i] for i in order]
        self._identities = [self._identities[i] for i in order]
        self.expenses.sort(key=lambda e: e.order_key)


def csv_entry_ids(identities: Iterable[tuple[str, ...]]) -> list[str]:
    """Ids for identity tuples given in processing order: "h" + sha256(F + "\\x1f" + k)[:16], where k counts
    earlier identical tuples."""
    seen: Counter[str] = Counter()
    ids = []
    for values in identities:
        joined = "\x1f".join(values)
        k = seen[joined]
        seen[joined] += 1
        ids.append("h" + hashlib.sha256(f"{joined}\x1f{k}".encode()).hexdigest()[:16])
    return ids


def expense_id(file: str, row: int) -> str:
    """An expense's id: its file and row (expense reports carry no identity of their own)."""
    return "x" + hashlib.sha256(f"{file}\x1f{row}".encode()).hexdigest()[:16]


def parse_date(text: str) -> date:
    """ISO `YYYY-MM-DD` (Harvest's export format)."""
    return date.fromisoformat(text.strip())


def parse_decimal(text: str) -> Decimal:
    """A decimal as written; thousands separators allowed, no floats involved."""
    cleaned = text.strip().replace(",", "")
    if not cleaned:
        raise InvalidOperation("empty")
    value = Decimal(cleaned)
    if not value.is_finite():
        raise InvalidOperation("not finite")
    return value


def parse_yes_no(text: str) -> bool:
    value = text.strip().lower()
    if value in ("yes", "y", "true", "1"):
        return True
    if value in ("no", "n", "false", "0"):
        return False
    raise ValueError(f"expected Yes or No, got {text!r}")


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV file (UTF-8 with or without BOM, any newline convention). Blank lines are
    skipped, short rows padded with "", cells beyond the header ignored."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [name.strip() for name in next(reader, [])]
        width = len(header)
        rows = []
        for values in reader:
            if not values:
                continue
            if len(values) < width:
                values += [""] * (width - len(values))
            rows.append(dict(zip(header, values, strict=False)))  # extra cells beyond the header are ignored
    return header, rows


def _read_common(name: str, number: int, row: dict[str, str], value_column: str, out: ParsedSource,
                 negative_ok: bool) -> tuple[date, Decimal, bool] | None:
    """Date, the Hours/Amount value and Billable? of a row, or None after recording why it is unreadable (the
    problem names the file, the row, the client and, when the date is readable, the month it blocks)."""
    client = row.get("Client", "").strip()
    try:
        day = parse_date(row.get("Date", ""))
    except ValueError:
        out.problems.append(RowProblem(name, number, f"Date: not a YYYY-MM-DD date: {row.get('Date')!r}", client))
        return None
    month = f"{day.year:04d}-{day.month:02d}"
    try:
        value = parse_decimal(row.get(value_column, ""))
        if value < 0 and not negative_ok:
            raise ValueError(f"negative: {value}")
        billable = parse_yes_no(row.get("Billable?", ""))
        return day, value, billable
    except InvalidOperation:
        message = f"{value_column}: not a number: {row.get(value_column)!r}"
    except ValueError as exc:
        message = f"{value_column}: {exc}" if str(exc).startswith("negative") else f"Billable?: {exc}"
    out.problems.append(RowProblem(name, number, message, client, month))
    return None


def _person(row: dict[str, str]) -> str:
    return f"{row.get('First Name', '').strip()} {row.get('Last Name', '').strip()}".strip()


def parse_harvest_time(name: str, rows: list[dict[str, str]], out: ParsedSource) -> None:
    """Harvest "Detailed time" rows -> entries; unreadable rows -> problems (file + row)."""
    for number, row in enumerate(rows, start=1):
        read = _read_common(name, number, row, "Hours", out, negative_ok=False)
        if read is None:
            continue
        day, hours, billable = read
        get = row.get
        client, project, code = get("Client", "").strip(), get("Project", "").strip(), get("Project Code", "").strip()
        task, notes = get("Task", "").strip(), get("Notes", "").strip()
        first, last = get("First Name", "").strip(), get("Last Name", "").strip()
        identity = (get("Date", "").strip(), client, project, code, task, notes, get("Hours", "").strip(), first, last)
        out.add_entry(identity, TimeEntry(
            entry_id="", source="harvest_csv", source_file=name, source_row=number, date=day, client_name=client,
            project=project, project_code=code, task=task, notes=notes, hours=hours, billable=billable,
            person=f"{first} {last}".strip(), roles=get("Roles", "").strip(), currency=get("Currency", "").strip(),
        ))


def parse_harvest_expenses(name: str, rows: list[dict[str, str]], out: ParsedSource) -> None:
    """Harvest expense report rows -> expenses (a negative amount is a credit); unreadable rows -> problems."""
    for number, row in enumerate(rows, start=1):
        read = _read_common(name, number, row, "Amount", out, negative_ok=True)
        if read is None:
            continue
        day, amount, billable = read
        out.expenses.append(Expense(
            expense_id=expense_id(name, number), source_file=name, source_row=number, date=day,
            client_name=row.get("Client", "").strip(), project=row.get("Project", "").strip(),
            project_code=row.get("Project Code", "").strip(), category=row.get("Category", "").strip(),
            notes=row.get("Notes", "").strip(), amount=amount, billable=billable, person=_person(row),
            currency=row.get("Currency", "").strip(),
        ))


TimeParser = Callable[[str, list[dict[str, str]], ParsedSource], None]


def time_parser_for(header: list[str]) -> TimeParser | None:
    """The parser whose required columns the header has, or None."""
    if all(col in header for col in HARVEST_TIME_REQUIRED):
        return parse_harvest_time
    try:
        from billing_assets.core import exports
    except ImportError:  # pragma: no cover - exports module is optional during bootstrap
        return None
    return exports.time_parser_for(header)


def read_folder(home: Path) -> ParsedSource:
    """Read `timesheets/*.csv` and `expenses/*.csv` of a billing home, files in name order."""
    out = ParsedSource()
    for path in sorted((home / "timesheets").glob("*.csv")):
        header, rows = read_csv(path)
        parser = time_parser_for(header)
        if parser is None:
            missing = [c for c in HARVEST_TIME_REQUIRED if c not in header]
            out.problems.append(RowProblem(f"timesheets/{path.name}", 0,
                                           f"unrecognised time export header; missing {missing}"))
            continue
        parser(f"timesheets/{path.name}", rows, out)
    for path in sorted((home / "expenses").glob("*.csv")):
        header, rows = read_csv(path)
        missing = [c for c in HARVEST_EXPENSE_REQUIRED if c not in header]
        if missing:
            out.problems.append(RowProblem(f"expenses/{path.name}", 0,
                                           f"unrecognised expense export header; missing {missing}"))
            continue
        parse_harvest_expenses(f"expenses/{path.name}", rows, out)
    out.assign_ids()
    return out
