"""The engine every export layout shares: find the layout's columns by header name, decide the file's number
format, date order and durations from all its values, then read each row into a TimeEntry or Expense, or into
a problem naming the file, the row and the cell.

A layout says which columns it needs and how its cells map onto the spec's fields; it holds no parsing of its
own. Rows of zero duration are skipped and counted; a running timer (an end column left empty and no duration)
is skipped with a warning naming the row, and is read once it has stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from billing_assets.core import formats
from billing_assets.core.csvfile import MAX_CELL, CsvFile, FileRefused, normal
from billing_assets.core.errors import RowProblem
from billing_assets.core.model import Expense, TimeEntry
from billing_assets.core.parsed import FileReport, ParsedSource, expense_id


@dataclass(frozen=True)
class ReadSettings:
    """The billing home's settings.yaml for reading exports (each may be set per file too)."""

    date_order: str | None = None  # month_first | day_first, for files whose dates fit both
    number_format: str | None = None  # one of formats.NUMBER_FORMATS, for files whose numbers fit several
    encoding: str | None = None  # a Python codec name, for legacy files that read two ways

    def for_file(self, overrides: dict[str, str] | None) -> ReadSettings:
        return ReadSettings(**{**self.__dict__, **(overrides or {})})


class Row:
    """One data row seen through the layout's column names."""

    __slots__ = ("values", "index", "number")

    def __init__(self, values: list[str], index: dict[str, int], number: int):
        self.values, self.index, self.number = values, index, number

    def raw(self, key: str) -> str:
        i = self.index.get(key)
        return self.values[i] if i is not None and i < len(self.values) else ""

    def __getitem__(self, key: str) -> str:
        return self.raw(key).strip()

    def has(self, key: str) -> bool:
        return key in self.index


@dataclass(frozen=True)
class Fields:
    """What a layout takes from one row, besides date, quantity and billable: spec section 1's fields."""

    client: str
    project: str = ""
    project_code: str = ""
    task: str = ""
    notes: str = ""
    first: str = ""
    last: str = ""
    roles: str = ""
    category: str = ""  # expenses
    currency: str = ""  # when the row names one (else the layout's header may)


@dataclass(frozen=True)
class Layout:
    """One export format: its columns (logical key -> accepted header names) and how a row maps onto fields."""

    name: str
    source: str  # TimeEntry.source: harvest_csv | toggl_csv | clockify_csv | quickbooks_time_csv
    kind: str  # "time" (timesheets/) or "expense" (expenses/)
    columns: dict[str, tuple[str, ...]]
    required: tuple[str | tuple[str, ...], ...]  # keys; a tuple means one of them
    date: str  # the entry's date
    quantity: Callable[[Row], str]  # the key of the column holding this row's hours (or amount)
    fields: Callable[[Row], Fields]
    other_dates: tuple[str, ...] = ()  # more date columns: evidence for the file's date order
    numbers: tuple[str, ...] = ()  # more numeric columns: evidence for the file's number format
    billable: str = ""  # key of the Yes/No column; absent column = billable
    running_end: str = ""  # key of the end column whose emptiness marks a running timer
    running_has_duration: bool = False  # True: a running row shows the time so far (QuickBooks Time)
    currency: Callable[[list[str]], str] = lambda header: ""
    notes: str = ""  # one line for the README

    def resolve(self, header: list[str]) -> dict[str, int]:
        """Logical key -> column index, for the keys whose header names are present."""
        positions = {}
        for i, name in enumerate(header):
            positions.setdefault(normal(name), i)
        found = {}
        for key, names in self.columns.items():
            for name in names:
                i = _position(positions, normal(name))
                if i is not None:
                    found[key] = i
                    break
        return found

    def missing(self, header: list[str]) -> list[str]:
        """Required columns the header lacks, as header names (`A or B` for alternatives)."""
        found = self.resolve(header)
        out = []
        for need in self.required:
            keys = need if isinstance(need, tuple) else (need,)
            if not any(k in found for k in keys):
                out.append(" or ".join(self.columns[k][0] for k in keys))
        return out

    def known_columns(self) -> set[str]:
        return {normal(n) for names in self.columns.values() for n in names if not n.endswith("(*)")}


def _position(positions: dict[str, int], name: str) -> int | None:
    """Where a column is; a name ending in `(*)` matches any parenthesised suffix (`Amount (USD)`)."""
    if not name.endswith("(*)"):
        return positions.get(name)
    prefix = name[:-2]
    return next((i for n, i in positions.items() if n.startswith(prefix) and n.endswith(")")), None)


@dataclass
class _FileState:
    file: CsvFile
    layout: Layout
    index: dict[str, int]
    number_format: str = "1,234.50"
    date_order: str = "iso"
    report: FileReport = field(default_factory=lambda: FileReport(""))


def read_file(csv_file: CsvFile, layout: Layout, settings: ReadSettings, out: ParsedSource) -> FileReport:
    """Read every row of one file with its layout into `out`; FileRefused when the file as a whole cannot be
    read one way (its numbers or dates fit several readings and no setting decides)."""
    index = layout.resolve(csv_file.header)
    rows = [Row(values, index, n) for n, values in enumerate(csv_file.rows, start=1)]
    state = _FileState(csv_file, layout, index, report=FileReport(csv_file.label, layout.name,
                                                                   csv_file.decisions(), rows=len(rows)))
    clients = tuple(sorted({layout.fields(r).client for r in rows} - {""}))
    try:
        number = formats.decide_number_format(_number_cells(layout, rows), settings.number_format)
        order = formats.decide_date_order((r[k] for r in rows for k in (layout.date, *layout.other_dates)),
                                          settings.date_order)
    except formats.FormatError as exc:
        raise FileRefused(str(exc), clients) from None
    state.number_format, state.date_order = number.value, order.value
    state.report.decisions.update({"numbers": str(number), "dates": _date_label(order)})
    if layout.kind == "time":
        kinds = sorted({formats.duration_kind(r[layout.quantity(r)]) for r in rows if r[layout.quantity(r)]})
        state.report.decisions["durations"] = " and ".join(kinds) or "none"
    for row in rows:
        _read_row(state, row, out)
    return state.report


def _number_cells(layout: Layout, rows: list[Row]) -> list[str]:
    cells = [r[k] for r in rows for k in layout.numbers]
    cells += [v for r in rows if (v := r[layout.quantity(r)]) and ":" not in v]
    return cells


def _date_label(order: formats.Decision) -> str:
    names = {"iso": "YYYY-MM-DD or DD.MM.YYYY", "month_first": "MM/DD/YYYY", "day_first": "DD/MM/YYYY"}
    return f"{names[order.value]} ({order.how})"


def _read_row(state: _FileState, row: Row, out: ParsedSource) -> None:
    layout, label = state.layout, state.file.label
    fields = layout.fields(row)
    problem = _row_problem(state, row)
    if problem:
        out.problems.append(RowProblem(label, row.number, problem[0], fields.client, problem[1]))
        state.report.problems += 1
        return
    day = formats.parse_date(row[layout.date], state.date_order)
    month = f"{day.year:04d}-{day.month:02d}"
    column = layout.quantity(row)
    text = row[column]
    if layout.running_end and not row[layout.running_end] and (
            layout.running_has_duration or not text or _is_zero(text, state)):
        state.report.running_rows.append(row.number)
        out.warnings.append(RowProblem(label, row.number, "running timer (no end yet): skipped until it is "
                                                          "stopped", fields.client, month))
        return
    try:
        value = (formats.parse_duration(text, state.number_format) if layout.kind == "time"
                 else formats.parse_number(text, state.number_format))
        if value < 0 and layout.kind == "time":
            raise formats.FormatError(f"negative: {text!r}")
        billable = formats.parse_yes_no(row[layout.billable]) if row.has(layout.billable) else True
    except formats.FormatError as exc:
        which = layout.columns[layout.billable][0] if "Yes or No" in str(exc) else layout.columns[column][0]
        out.problems.append(RowProblem(label, row.number, f"{which}: {exc}", fields.client, month))
        state.report.problems += 1
        return
    if layout.kind == "time" and value == 0:
        state.report.zero_rows += 1
        return
    state.report.read += 1
    if layout.kind == "time":
        _add_entry(state, row, fields, day, value, billable, column, out)
    else:
        out.expenses.append(Expense(
            expense_id=expense_id(label, row.number), source_file=label, source_row=row.number, date=day,
            client_name=fields.client, project=fields.project, project_code=fields.project_code,
            category=fields.category, notes=fields.notes, amount=value, billable=billable,
            person=f"{fields.first} {fields.last}".strip(),
            currency=fields.currency or layout.currency(state.file.header)))


def _row_problem(state: _FileState, row: Row) -> tuple[str, str] | None:
    """(message, month) when the row cannot be read at all: truncated, or its date unreadable."""
    layout = state.layout
    needed = [state.index[k] for need in layout.required
              for k in (need if isinstance(need, tuple) else (need,)) if k in state.index]
    if needed and len(row.values) <= max(needed):
        return (f"only {len(row.values)} of {len(state.file.header)} cells (a truncated row?)", "")
    if any(len(v) > MAX_CELL for v in row.values):  # pragma: no cover - csvfile refuses such files
        return ("a cell is too large", "")
    try:
        formats.parse_date(row[layout.date], state.date_order)
    except formats.FormatError as exc:
        return (f"{layout.columns[layout.date][0]}: {exc}", "")
    return None


def _is_zero(text: str, state: _FileState) -> bool:
    try:
        return formats.parse_duration(text, state.number_format) == 0
    except formats.FormatError:
        return False


def _add_entry(state: _FileState, row: Row, f: Fields, day: date, hours: Decimal, billable: bool, column: str,
               out: ParsedSource) -> None:
    layout = state.layout
    identity = (row[layout.date], f.client, f.project, f.project_code, f.task, f.notes, row[column], f.first,
                f.last)
    out.add_entry(identity, TimeEntry(
        entry_id="", source=layout.source, source_file=state.file.label, source_row=row.number, date=day,
        client_name=f.client, project=f.project, project_code=f.project_code, task=f.task, notes=f.notes,
        hours=hours, billable=billable, person=f"{f.first} {f.last}".strip(), roles=f.roles,
        currency=f.currency or layout.currency(state.file.header)))
