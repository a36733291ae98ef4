"""Toggl and Clockify detailed time exports -> TimeEntry, recognised by header name (spec section 1).

Both parsers mirror `sources.parse_harvest_time`: good rows go through `ParsedSource.add_entry` with the
spec's identity fields F mapped onto the export's columns; unreadable rows become `RowProblem`s naming the
file and the 1-based data row.

Mapping of F (values as written, trimmed):
    Date = the start date, Client, Project, Project Code = "" (neither tool has one), Task,
    Notes = Description, Hours = the duration column that was used, as written,
    First Name / Last Name = User split at the first space ("Mary Ann Lee" -> "Mary", "Ann Lee";
    a one-word user gives Last Name "").

Durations written as H:MM:SS become hours = seconds / 3600 quantized to 0.0001 with ROUND_HALF_UP
(`seconds_to_hours`). Clockify's `Duration (decimal)` is taken as written when the row has a value there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from billing_assets.core.errors import RowProblem
from billing_assets.core.model import TimeEntry
from billing_assets.core.sources import ParsedSource, parse_decimal, parse_yes_no

TOGGL_REQUIRED = ("User", "Client", "Project", "Description", "Billable", "Start date", "Duration")
CLOCKIFY_REQUIRED = ("User", "Client", "Project", "Description", "Billable", "Start Date")
CLOCKIFY_DURATIONS = ("Duration (decimal)", "Duration (h)")  # at least one

HOURS_QUANTUM = Decimal("0.0001")
_HMS = re.compile(r"^(\d+):([0-5]\d):([0-5]\d)$")
_CURRENCY_IN_HEADER = re.compile(r"\(([A-Z]{3})\)$")

TimeParser = Callable[[str, list[dict[str, str]], ParsedSource], None]


class RowError(ValueError):
    """A row that cannot be read; `month` is known when the date was readable."""

    def __init__(self, message: str, month: str = ""):
        super().__init__(message)
        self.month = month


def seconds_to_hours(seconds: int) -> Decimal:
    """Whole seconds -> hours, quantized to 0.0001 h with ROUND_HALF_UP (1 s = 0.0003 h)."""
    return (Decimal(seconds) / Decimal(3600)).quantize(HOURS_QUANTUM, rounding=ROUND_HALF_UP)


def parse_hms(text: str) -> Decimal:
    """`H:MM:SS` (any number of hour digits) -> Decimal hours; raises ValueError otherwise."""
    match = _HMS.match(text.strip())
    if not match:
        raise ValueError(f"not an H:MM:SS duration: {text!r}")
    h, m, s = (int(part) for part in match.groups())
    return seconds_to_hours(h * 3600 + m * 60 + s)


def parse_iso_date(text: str) -> date:
    """`YYYY-MM-DD` only."""
    value = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(f"not a YYYY-MM-DD date: {text!r}")
    return date.fromisoformat(value)


def parse_clockify_date(text: str) -> date:
    """Clockify's export dates: `MM/DD/YYYY` (its US default) or `YYYY-MM-DD`."""
    value = text.strip()
    if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", value):
        try:
            return datetime.strptime(value, "%m/%d/%Y").date()
        except ValueError:
            pass
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value)
    raise ValueError(f"not an MM/DD/YYYY or YYYY-MM-DD date: {text!r}")


def split_name(user: str) -> tuple[str, str]:
    """A user's display name -> (first, last), split at the first space."""
    first, _, last = user.strip().partition(" ")
    return first, last.strip()


def _currency(row: dict[str, str], prefix: str) -> str:
    """The ISO code in a column such as `Amount (USD)`, or ""."""
    for key in row:
        if key.startswith(prefix):
            match = _CURRENCY_IN_HEADER.search(key)
            if match:
                return match.group(1)
    return ""


def _cell(row: dict[str, str], column: str) -> str:
    return row.get(column, "").strip()


def _read_hours(column: str, text: str, hms: bool, month: str) -> Decimal:
    try:
        hours = parse_hms(text) if hms else parse_decimal(text)
    except (ValueError, InvalidOperation):
        kind = "an H:MM:SS duration" if hms else "a number"
        raise RowError(f"{column}: not {kind}: {text!r}", month) from None
    if hours < 0:
        raise RowError(f"{column}: negative: {hours}", month)
    return hours


def _read_billable(row: dict[str, str], month: str) -> bool:
    try:
        return parse_yes_no(row.get("Billable", ""))
    except ValueError as exc:
        raise RowError(f"Billable: {exc}", month) from None


def _entry(source: str, name: str, number: int, row: dict[str, str], day: date, hours: Decimal,
           billable: bool, currency: str) -> TimeEntry:
    return TimeEntry(
        entry_id="", source=source, source_file=name, source_row=number, date=day,
        client_name=_cell(row, "Client"), project=_cell(row, "Project"), project_code="",
        task=_cell(row, "Task"), notes=_cell(row, "Description"), hours=hours, billable=billable,
        person=_cell(row, "User"), currency=currency,
    )


def _identity(row: dict[str, str], date_column: str, hours_column: str) -> tuple[str, ...]:
    """Spec F: Date, Client, Project, Project Code, Task, Notes, Hours, First Name, Last Name."""
    first, last = split_name(_cell(row, "User"))
    return (_cell(row, date_column), _cell(row, "Client"), _cell(row, "Project"), "", _cell(row, "Task"),
            _cell(row, "Description"), _cell(row, hours_column), first, last)


def _parse_rows(name: str, rows: list[dict[str, str]], out: ParsedSource,
                read: Callable[[dict[str, str]], tuple[date, Decimal, bool]],
                add: Callable[[int, dict[str, str], date, Decimal, bool], None]) -> None:
    """Shared loop: `read` a row or record its RowProblem, then `add` the good ones."""
    for number, row in enumerate(rows, start=1):
        try:
            day, hours, billable = read(row)
        except RowError as exc:
            out.problems.append(RowProblem(name, number, str(exc), _cell(row, "Client"), exc.month))
            continue
        add(number, row, day, hours, billable)


def _read_date(row: dict[str, str], column: str, parse: Callable[[str], date]) -> tuple[date, str]:
    try:
        day = parse(row.get(column, ""))
    except ValueError as exc:
        raise RowError(f"{column}: {exc}") from None
    return day, f"{day.year:04d}-{day.month:02d}"


def parse_toggl_time(name: str, rows: list[dict[str, str]], out: ParsedSource) -> None:
    """Toggl detailed CSV rows -> entries (source "toggl_csv"); unreadable rows -> problems."""
    currency = _currency(rows[0], "Amount") if rows else ""

    def read(row: dict[str, str]) -> tuple[date, Decimal, bool]:
        day, month = _read_date(row, "Start date", parse_iso_date)
        hours = _read_hours("Duration", row.get("Duration", ""), True, month)
        return day, hours, _read_billable(row, month)

    def add(number: int, row: dict[str, str], day: date, hours: Decimal, billable: bool) -> None:
        out.add_entry(_identity(row, "Start date", "Duration"),
                      _entry("toggl_csv", name, number, row, day, hours, billable, currency))

    _parse_rows(name, rows, out, read, add)


def clockify_duration_column(row: dict[str, str]) -> str:
    """`Duration (decimal)` when the row has a value there, else `Duration (h)`."""
    if _cell(row, "Duration (decimal)") or "Duration (h)" not in row:
        return "Duration (decimal)"
    return "Duration (h)"


def parse_clockify_time(name: str, rows: list[dict[str, str]], out: ParsedSource) -> None:
    """Clockify detailed CSV rows -> entries (source "clockify_csv"); unreadable rows -> problems.

    Hours come from `Duration (decimal)` as written when that cell has a value, else from `Duration (h)`.
    """
    currency = _currency(rows[0], "Billable Rate") if rows else ""

    def read(row: dict[str, str]) -> tuple[date, Decimal, bool]:
        day, month = _read_date(row, "Start Date", parse_clockify_date)
        column = clockify_duration_column(row)
        hours = _read_hours(column, row.get(column, ""), column == "Duration (h)", month)
        return day, hours, _read_billable(row, month)

    def add(number: int, row: dict[str, str], day: date, hours: Decimal, billable: bool) -> None:
        out.add_entry(_identity(row, "Start Date", clockify_duration_column(row)),
                      _entry("clockify_csv", name, number, row, day, hours, billable, currency))

    _parse_rows(name, rows, out, read, add)


def time_parser_for(header: list[str]) -> TimeParser | None:
    """The Toggl or Clockify parser whose required columns the header has (by name), or None."""
    names = {column.strip() for column in header}
    if all(column in names for column in TOGGL_REQUIRED):
        return parse_toggl_time
    if all(column in names for column in CLOCKIFY_REQUIRED) and any(c in names for c in CLOCKIFY_DURATIONS):
        return parse_clockify_time
    return None
