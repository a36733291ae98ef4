"""The engine every export layout shares: find the layout's columns by header name, decide the file's number
format, date order and durations from all its values, then read each row into a TimeEntry or Expense, or into
a problem naming the file, the row and the cell.

A layout says which columns it needs and how its cells map onto the spec's fields; it holds no parsing of its
own. Rows of zero duration are skipped and counted; a running timer (an end column left empty and no duration,
or in QuickBooks Time a start without an end) is skipped with a warning naming the row, and is read once it has
stopped.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from billing_assets.core import formats
from billing_assets.core.clock_changes import (
    CLOCK_SLACK,
    REPORT_ROUNDINGS,
    clock_agrees,
    clock_offset,
    clock_shifts,
    file_roundings,
)
from billing_assets.core.csvfile import DELIMITERS, CsvFile, FileRefused, normal
from billing_assets.core.errors import RowProblem
from billing_assets.core.exports.rows import (
    Fields,
    Row,
    cached,
    date_label,
    first_with_seconds,
    split_rows,
)
from billing_assets.core.letters import visible
from billing_assets.core.model import Expense, TimeEntry
from billing_assets.core.money import shown_hours
from billing_assets.core.parsed import FileReport, ParsedSource, expense_id, invoiced_already, row_ranges


@dataclass(frozen=True)
class ReadSettings:
    """The billing home's settings.yaml for reading exports (each may be set per file too)."""

    date_order: str | None = None  # month_first | day_first, for files whose dates fit both
    number_format: str | None = None  # one of formats.NUMBER_FORMATS, for files whose numbers fit several
    encoding: str | None = None  # a Python codec name, for legacy files that read two ways
    for_this_file: frozenset[str] = frozenset()  # the settings set for the file itself (`files:`), not the home

    def for_file(self, overrides: dict[str, str] | None) -> ReadSettings:
        return ReadSettings(**{**self.__dict__, **(overrides or {}), "for_this_file": frozenset(overrides or ())})


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
    own_numbers: tuple[str, ...] = ()  # quantity columns written in a number format of their own (decided apart)
    billable: str = ""  # key of the Yes/No column; absent column = billable
    running_end: str = ""  # key of the end column whose emptiness marks a running timer
    running_has_duration: bool = False  # True: a running row shows the time so far (QuickBooks Time)
    running_start: str = ""  # key of the start column: with running_has_duration, a row without a start is manual
    not_billable: Callable[[Row], bool] = lambda row: False  # rows the tool marks as never billable (breaks)
    invoiced: str = ""  # key of the tool's own "invoiced" Yes/No column: such billable rows are warned of
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
    own_format: str = "1,234.50"  # of the layout's `own_numbers` columns
    date_order: str = "iso"
    report: FileReport = field(default_factory=lambda: FileReport(""))
    min_width: int = 0  # a row with fewer cells lacks a required column (truncated)
    usual_width: int = 0  # the most common number of cells (a tool writing a trailing delimiter on every row)
    dates: dict[str, object] = field(default_factory=dict)  # per-file parse caches by cell text
    values: dict[str, object] = field(default_factory=dict)
    own_values: dict[str, object] = field(default_factory=dict)  # the same, for the `own_numbers` columns
    flags: dict[str, object] = field(default_factory=dict)
    invoiced: dict[tuple[str, str], list[tuple[int, Decimal]]] = field(default_factory=dict)  # (client, month)
    as_written: dict[int, Fields] = field(default_factory=dict)  # rows whose names held invisible characters
    clocks: dict[str, object] = field(default_factory=dict)  # times of day by cell text
    to_second: dict[str, object] = field(default_factory=dict)  # whether a time of day is written to the second
    places: dict[str, object] = field(default_factory=dict)  # decimals of a decimal duration (None: not decimal)
    to_the_second: int = 0  # decimal durations read as their clock span, where that differs from the decimal
    currency: str = ""  # the one the header names (`Amount (USD)`), read once per file
    with_seconds: str = ""  # the first H:MM:SS duration of a file that has H:MM ones too, and its row
    clients: tuple[str, ...] = ()  # every Client of the file: a row whose cells shifted may be any one's
    whole_clients: frozenset[str] = frozenset()  # the Clients of rows as wide as the file's rows
    roundings: tuple[int, ...] = REPORT_ROUNDINGS  # the report roundings the file's durations allow (file_roundings)
    clock_rows: dict[tuple[str, ...], int] = field(default_factory=dict)  # person and clock times -> first row
    same_minutes: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (client, month) -> rows


def read_file(csv_file: CsvFile, layout: Layout, settings: ReadSettings, out: ParsedSource) -> FileReport:
    """Read every row of one file with its layout into `out`; FileRefused when the file as a whole cannot be
    read one way (its numbers or dates fit several readings and no setting decides)."""
    index = layout.resolve(csv_file.header)
    rows = split_rows(csv_file.rows, index, len(csv_file.header))
    state = _FileState(csv_file, layout, index, report=FileReport(csv_file.label, layout.name,
                                                                   csv_file.decisions(), rows=len(rows)))
    state.currency = layout.currency(csv_file.header)
    fields = [_visible_fields(state, r, layout.fields(r)) for r in rows]
    clients = tuple(sorted({f.client for f in fields} - {""}))
    state.clients = clients
    _refuse_second_header(layout, csv_file, rows, clients)
    quantities = [layout.quantity(r) for r in rows]
    try:
        number = formats.decide_number_format(_number_cells(layout, rows, quantities), settings.number_format)
        own_cells = _number_cells(layout, rows, quantities, own=True)
        own = number if all(number.value in formats.fitting_number_formats(formats.clean(v)) for v in own_cells) \
            else formats.decide_number_format(own_cells, number.value)
        order = formats.decide_date_order({r[k] for r in rows for k in (layout.date, *layout.other_dates)},
                                          settings.date_order, for_this_file="date_order" in settings.for_this_file)
    except formats.FormatError as exc:
        raise FileRefused(_in_column(str(exc), exc.value, layout, rows, quantities), clients) from None
    state.number_format, state.own_format, state.date_order = number.value, own.value, order.value
    state.report.decisions.update({"numbers": str(number), "dates": date_label(order)})
    if own is not number:
        state.report.decisions["numbers"] += "; " + ", ".join(layout.columns[k][0] for k in layout.own_numbers) + \
            f" {own.value} ({own.how})"
    if layout.kind == "time":
        kinds = sorted({formats.duration_kind(t) for t in {r[q] for r, q in zip(rows, quantities, strict=True)}
                        if t})
        state.report.decisions["durations"] = " and ".join(kinds) or "none"
        if "H:MM" in kinds and "H:MM:SS" in kinds:
            state.with_seconds = first_with_seconds(rows, quantities)
        state.roundings = file_roundings(_unrounded(state, rows, quantities))
    needed = [index[k] for need in layout.required for k in (need if isinstance(need, tuple) else (need,))
              if k in index]
    state.min_width = max(needed) + 1 if needed else 0
    widths = Counter(r.width for r in rows)  # a tie (two rows, one with a cell deleted) goes to the header's width
    state.usual_width = max(widths, key=lambda width: (widths[width], width == len(csv_file.header))) if rows else 0
    state.whole_clients = frozenset(f.client for r, f in zip(rows, fields, strict=True)
                                    if r.width == state.usual_width) - {""}
    for row, row_fields, column in zip(rows, fields, quantities, strict=True):
        _read_row(state, row, row_fields, column, out)
    if rows and csv_file.cut_short and not csv_file.closed:
        _warn_cut(state, rows[-1], out)
    for (client, month), numbers in state.same_minutes.items():
        out.warnings.append(RowProblem(
            csv_file.label, numbers[0], f"{'it logs' if len(numbers) == 1 else f'rows {row_ranges(numbers)} log'} "
            "the same person's same minutes as an earlier row of the file (the same date, start and end time: rows "
            "pasted twice?); each is billed: remove the copies if so", client, month))
    if state.to_the_second:
        state.report.decisions["durations"] += (f" ({state.to_the_second} of them read to the second from their "
                                                "clock times, which they round)")
    _warn_invoiced(state, out)
    return state.report


def _unrounded(state: _FileState, rows: list[Row], quantities: list[str]) -> Iterator[Decimal]:
    """The durations (seconds) of the rows written as their clock span (within CLOCK_SLACK): no report rounding
    that one of them is not a multiple of was applied to the file (`file_roundings`)."""
    for row, column in zip(rows, quantities, strict=True):
        own = column in state.layout.own_numbers
        number_format, values = (state.own_format, state.own_values) if own else (state.number_format, state.values)
        if not row[column] or not row["start_time"]:
            continue
        try:  # through the file's parse caches, which the rows' reading uses next
            seconds = cached(values, row[column], lambda t, f=number_format: formats.parse_duration(t, f)) * 3600
            span = _clock_span(state, row, cached(state.dates, row[state.layout.date],
                                                  lambda t: formats.parse_date(t, state.date_order)))
        except formats.FormatError:
            continue
        if span is not None and abs(seconds - span) <= CLOCK_SLACK:
            yield seconds


def _warn_cut(state: _FileState, row: Row, out: ParsedSource) -> None:
    """A warning on a last row read whole though the file ends inside it with no line break: its last cell may be cut
    ("12" of "12.75", "Pat" of "Patel": found by an auditor). A row narrower than the file's is refused instead."""
    label = state.file.label
    read = next((x for x in reversed([*out.entries, *out.expenses]) if x.source_file == label
                 and x.source_row == row.number), None)
    if read is not None:
        last = f"{state.file.header[-1]} {row.cells[-1].strip()[:60]!r}" if row.cells else "its last cell"
        out.warnings.append(RowProblem(label, row.number, f"the file ends inside this row, with no line break: "
                                       f"{last} may be cut (a download or copy cut off?); compare the row with the "
                                       "time tool, or export the file again", read.client_name, read.month))


def _refuse_second_header(layout: Layout, csv_file: CsvFile, rows: list[Row], clients: tuple[str, ...]) -> None:
    """FileRefused naming a row that is the layout's header in another column order (two exports joined): the rows
    after it would be read under the first header's names (First Name as Last Name, a rate as Hours). A header
    repeated as it is leaves the rows in place; its own row is refused (its Date is "Date")."""
    first = [normal(name) for name in csv_file.header]
    for row in rows:
        if not row[layout.date][:1].isalpha() or layout.missing(row.cells):
            continue  # not a header row
        if [normal(cell) for cell in row.cells] == first:
            _refuse_pasted_export(csv_file, rows, row.number, clients)
        else:
            found = layout.resolve(row.cells)
            column = _client_column(found)
            theirs = {r.cells[column].strip() for r in rows[row.number:]
                      if column is not None and len(r.cells) > column}
            raise FileRefused(f"row {row.number} is a header in another column order (two exports joined?): the rows "
                              "after it would be read under the first header's names; save them as two files",
                              tuple(sorted({*clients, *theirs} - {""})))


def _refuse_pasted_export(csv_file: CsvFile, rows: list[Row], header_at: int, clients: tuple[str, ...]) -> None:
    """FileRefused when rows after a header repeated as it is (row `header_at`) repeat rows above it: two exports
    of overlapping dates pasted into one file (the first half of a month, then the whole month), whose shared
    rows would be billed twice (found by an auditor; the same rows in two files stop their months)."""
    above = {tuple(cell.strip() for cell in r.cells) for r in rows[:header_at - 1]}
    again = [r.number for r in rows[header_at:] if tuple(cell.strip() for cell in r.cells) in above]
    if again:
        raise FileRefused(f"row {header_at} repeats the header and {len(again)} row(s) after it ({row_ranges(again)}) "
                          "repeat rows above it: two exports pasted into one file would bill those rows twice; keep "
                          "one export per file (the whole month alone)", clients)


def _warn_invoiced(state: _FileState, out: ParsedSource) -> None:
    """One warning per client-month of the billable rows the tool marks as invoiced already (Harvest's
    `Invoiced?`, Clockify's `Invoiced`; `parsed.invoiced_already`)."""
    column = state.layout.columns.get(state.layout.invoiced, ("",))[0]
    for (client, month), found in sorted(state.invoiced.items()):
        rows = [number for number, _ in found]
        hours = sum((value for _, value in found), Decimal(0))
        unit = "" if state.layout.kind == "expense" else " h"
        what = (f"billable row ({shown_hours(hours):f}{unit}) marked invoiced already ({column} = Yes) is"
                if len(rows) == 1 else f"{len(rows)} billable rows ({row_ranges(rows)}; {shown_hours(hours):f}{unit}) "
                f"marked invoiced already ({column} = Yes) are")
        out.warnings.append(invoiced_already(state.file.label, rows[0], what, client, month,
                                             state.layout.kind == "expense"))


NAME_FIELDS = ("client", "project", "project_code", "task", "first", "last")


def _visible_fields(state: _FileState, row: Row, fields: Fields) -> Fields:
    """The row's names as a person sees them (letters.visible: no zero-width spaces or direction marks); the
    fields as written are kept for the entry id (spec section 1: its values as written in the file)."""
    if (fields.client + fields.project + fields.project_code + fields.task + fields.first + fields.last).isascii():
        return fields  # the hot path: nothing to clean
    names = {name: getattr(fields, name) for name in NAME_FIELDS}
    seen = {name: visible(value) for name, value in names.items()}
    if seen == names:
        return fields
    state.as_written[row.number] = fields
    return replace(fields, **seen)


def _in_column(message: str, value: str, layout: Layout, rows: list[Row], quantities: list[str]) -> str:
    """The refusal with the row and column of the cell it quotes first ("row 3: Billable Amount: numbers fit
    ...")."""
    if not value:
        return message
    for row, quantity in zip(rows, quantities, strict=True):
        for key in (quantity, *layout.numbers):
            if formats.clean(row[key]) == value:
                return f"row {row.number}: {layout.columns[key][0]}: {message}"
    return message


def _number_cells(layout: Layout, rows: list[Row], quantities: list[str], own: bool = False) -> set[str]:
    """The decimal cells that decide the file's number format (`own`: those of its `own_numbers` columns, which
    Clockify writes with a point beside money columns in the user's comma format)."""
    cells = set() if own else {r[k] for r in rows for k in layout.numbers}
    cells |= {v for r, q in zip(rows, quantities, strict=True)
              if (q in layout.own_numbers) == own and (v := r[q]) and ":" not in v}
    return cells


def _read_row(state: _FileState, row: Row, fields: Fields, column: str, out: ParsedSource) -> None:
    layout, label = state.layout, state.file.label
    shape, clients = _shape_problem(state, row, fields.client)
    if shape:
        _problem(state, out, row, shape, fields.client, "", clients)
        return
    try:
        day = cached(state.dates, row[layout.date], lambda t: formats.parse_date(t, state.date_order))
    except formats.FormatError as exc:
        _problem(state, out, row, f"{layout.columns[layout.date][0]}: {exc}", fields.client, "")
        return
    month = f"{day.year:04d}-{day.month:02d}"
    text = row[column]
    kind = formats.parse_duration if layout.kind == "time" else formats.parse_number
    own = column in layout.own_numbers
    number_format, values = (state.own_format, state.own_values) if own else (state.number_format, state.values)

    def parse(t: str) -> Decimal:  # in this column's number format
        return kind(t, number_format)

    if _is_running(layout, row, text, parse):
        state.report.running_rows.append(row.number)
        out.warnings.append(RowProblem(label, row.number, "running timer (no end yet): skipped until it is "
                                                          "stopped", fields.client, month))
        return
    try:
        value = cached(values, text, parse)
        if value < 0 and layout.kind == "time":
            raise formats.FormatError(f"negative: {text!r}")
        if layout.kind == "time" and ":" not in text and formats.grouped(text, number_format):
            raise formats.FormatError(f"{formats.clean(text)!r} has a thousands separator ({value.normalize():f} h in "
                                      f"the file's {number_format} format): no entry is that long; a decimal "
                                      "of the other convention? Correct the cell")
    except formats.FormatError as exc:
        _problem(state, out, row, f"{layout.columns[column][0]}: {exc}", fields.client, month)
        return
    try:
        billable = cached(state.flags, row[layout.billable], formats.parse_yes_no) if layout.billable in row \
            else True
    except formats.FormatError as exc:
        _problem(state, out, row, f"{layout.columns[layout.billable][0]}: {exc}", fields.client, month)
        return
    billable = billable and not layout.not_billable(row)
    if billable and layout.invoiced and row[layout.invoiced] and value != 0 and _is_yes(state, row[layout.invoiced]):
        state.invoiced.setdefault((fields.client, month), []).append((row.number, value))
    if layout.kind == "time" and value == 0:
        state.report.zero_rows += 1
        return
    span = _clock_span(state, row, day) if layout.kind == "time" else None
    if layout.kind == "time" and (clash := _clock_clash(state, row, value, column, span, day)):
        _problem(state, out, row, clash, fields.client, month)
        return
    if layout.kind == "time" and (places := cached(state.places, text, _decimal_places)) is not None:
        value = _exact_from_clock(state, row, places, value, span)
    elif layout.kind == "time" and not state.with_seconds and formats.duration_kind(text) == "H:MM":
        value = _exact_from_minutes(state, row, value, span)
    if state.with_seconds and formats.duration_kind(text) == "H:MM":
        # "0:45" beside "1:30:00" may be 45 minutes or 45 seconds (a minutes:seconds cell): neither is safe
        _problem(state, out, row, f"{layout.columns[column][0]}: {formats.clean(text)!r} has no seconds while the "
                 f"file's other durations do ({state.with_seconds}): hours:minutes or minutes:seconds? Export the "
                 "file again with one duration format", fields.client, month)
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
            currency=fields.currency or state.currency))


def _shape_problem(state: _FileState, row: Row, client: str) -> tuple[str, tuple[str, ...]]:
    """Why a row's cells cannot be taken by their header's names: a NUL character, too few (truncated, or a quote
    left open that swallowed the lines after it) or too many (an unquoted delimiter in a note shifts the cells
    after it); and, for a row whose cells shifted, the clients its problem stops (`_whose`, and the clients of the
    lines a quote swallowed)."""
    if nul := next((key for key, value in row.items() if "\x00" in value), None):
        # a damaged export (text cannot hold it; PostgreSQL refused the whole load)
        return (f"{state.layout.columns[nul][0]}: a NUL character inside the cell: the export is damaged; export it "
                "again"), _whose(state, row, "") if nul in CLIENT_KEYS else ()  # whose row is it?
    header = len(state.file.header)
    last = row.number == len(state.file.rows)
    narrow = row.width < state.usual_width
    swallowed = max((v.count("\n") for v in row.cells), default=0)
    # a quote left open: the lines after it are in one of its cells (a note's own line breaks hold no rows)
    short = row.width < state.min_width or (last and state.file.cut_short and (narrow or row.width < header)) or \
        (swallowed > 0 and (row.width < header or _holds_rows(state, row)))
    if not short and not (row.width > header and (row.spill or row.width != state.usual_width)):
        return "", ()
    clients = tuple(sorted({*_whose(state, row, client), *_swallowed_clients(state, row)}))
    if swallowed:
        cells = f"{row.width} cells where the header has {header}: " if row.width != header else ""
        return (f"{cells}a quote opened in this row is not closed on its line, so the {swallowed} line(s) after it "
                "were read into this row"), clients
    if short:
        cut = " and the file ends inside it: a download or copy cut off?" if last and state.file.cut_short else \
            " (a truncated row?)"
        return f"only {row.width} of {header} cells{cut}", clients
    return (f"{row.width} cells where the header has {header} (a delimiter inside an unquoted note shifts the cells "
            "after it)"), clients


CLIENT_KEYS = ("client", "customer")  # the logical key of a layout's Client column (QuickBooks Time: customer)


def _client_column(index: dict[str, int]) -> int | None:
    """The position of the Client column in a resolved header (`Layout.resolve`), if it has one."""
    return next((index[k] for k in CLIENT_KEYS if k in index), None)


def _whose(state: _FileState, row: Row, client: str) -> tuple[str, ...]:
    """Whose a row whose cells cannot be taken by their names is. Its Client cell's, when rows as wide as the file's
    carry that name: the shift came after it (a delimiter in a note), and one bad row of a firm-wide export stops
    its own client only. Else anyone's it may be: every client of the file and every cell of the row (a cut left
    the Client empty; a cell deleted moved it one column over; the row may be its client's only one)."""
    if client in state.whole_clients:
        return (client,)
    cells = {visible(cell.replace("\x00", "").strip()) for cell in row.cells if len(cell) <= 200}
    return tuple(sorted({*state.clients, *cells} - {""}))


def _holds_rows(state: _FileState, row: Row) -> bool:
    """Whether a line inside a cell splits into the cells a row of the file needs: rows a quote swallowed."""
    return any(len(next(csv.reader([text], delimiter=state.file.delimiter), [])) >= max(state.min_width, 2)
               for cell in row.cells for text in cell.splitlines()[1:])


def _swallowed_clients(state: _FileState, row: Row) -> set[str]:
    """The Client cells of the lines a quote left open read into this row (each line split on its own), and of a
    row too short for its cells (written with another delimiter, split on each)."""
    column = _client_column(state.index)
    if column is None:
        return set()
    pairs = [(text, state.file.delimiter) for cell in row.cells for text in cell.splitlines()[1:]]
    if row.width < state.min_width:
        pairs += [(state.file.delimiter.join(row.cells), delimiter) for delimiter in DELIMITERS]
    found = set()
    for text, delimiter in pairs:
        cells = next(csv.reader([" ".join(text.splitlines())], delimiter=delimiter), [])
        if len(cells) > column and cells[column].strip():
            found.add(visible(cells[column].strip()))
    return found


def _clock_span(state: _FileState, row: Row, day: date) -> int | None:
    """Seconds from the row's start to its end time (`start_time`, `end_time`, `end_date` keys; past midnight
    without an end date: the next day), or None when the clock times are absent or unreadable."""
    if not row["start_time"] or not row["end_time"]:
        return None
    start = cached(state.clocks, row["start_time"], formats.clock_seconds)
    end = cached(state.clocks, row["end_time"], formats.clock_seconds)
    if start is None or end is None:
        return None
    days = 1 if end < start else 0
    if row["end_date"]:
        try:
            days = (cached(state.dates, row["end_date"],
                            lambda t: formats.parse_date(t, state.date_order)) - day).days
        except formats.FormatError:
            return None
    offsets = (clock_offset(row["start_time"]), clock_offset(row["end_time"]))
    shift = offsets[0] - offsets[1] if None not in offsets else 0  # both written with UTC offsets: exact
    return days * 86400 + end - start + shift


def _to_the_second(state: _FileState, row: Row) -> bool:
    """Both clock times of the row written to the second."""
    return bool(cached(state.to_second, row["start_time"], formats.clock_has_seconds) and
                cached(state.to_second, row["end_time"], formats.clock_has_seconds))


def _clock_changes(row: Row, day: date, seconds: int) -> frozenset[int]:
    """What a daylight-saving change may add to the row's clock span (`clock_shifts` over its days); nothing when
    both times are written with their UTC offset (`_clock_span` is then exact)."""
    if clock_offset(row["start_time"]) is not None and clock_offset(row["end_time"]) is not None:
        return frozenset()
    return clock_shifts(day, day + timedelta(days=max(0, (seconds + 7200) // 86400)))


def _exact_from_clock(state: _FileState, row: Row, places: int, hours: Decimal, seconds: int | None) -> Decimal:
    """A decimal duration that is its clock span rounded (Toggl's "decimal" format writes 1:20:00 as 1.33, as
    QuickBooks Time writes hours) is that span: to the second, when both clock times are written to the second
    and the decimal, written with 2 or more decimals, is the span to those decimals. Otherwise (a report rounding
    to 15 minutes, clock times to the minute) the decimal as written. `places`: the decimals it was written with."""
    if places < 2 or not _to_the_second(state, row):
        return hours
    if not seconds or seconds < 0 or abs(hours * 3600 - seconds) > Decimal(1800) / 10 ** places:
        return hours
    exact = formats.seconds_to_hours(seconds)
    state.to_the_second += exact != hours
    return exact


def _exact_from_minutes(state: _FileState, row: Row, hours: Decimal, seconds: int | None) -> Decimal:
    """An H:MM duration that is its clock span without the seconds (Clockify's "Compact" format writes 3:31:24 as
    3:31) is that span, to the second, when both clock times are written to the second and the span is within the
    minute (cut, or rounded to the nearest minute). Otherwise the H:MM as written."""
    if not seconds or seconds < 0 or not _to_the_second(state, row):
        return hours
    if not -30 <= seconds - hours * 3600 < 60:
        return hours
    exact = formats.seconds_to_hours(seconds)
    state.to_the_second += exact != hours
    return exact


def _decimal_places(text: str) -> int | None:
    """How many decimals a decimal duration cell was written with; None for an H:MM(:SS) one."""
    return formats.written_decimals(text) if formats.duration_kind(text) == "decimal" else None


def _clock_clash(state: _FileState, row: Row, hours: Decimal, column: str, seconds: int | None, day: date) -> str:
    """Why a row's duration cannot be its start and end times (`clock_agrees`), as when minutes were written as
    hours ("20" for 09:00 to 09:20) or Excel turned a duration into minutes:seconds ("00:45" for 45 seconds read
    as 45 minutes); "" when they agree or the clock times are absent or unreadable. `seconds`: the row's
    `_clock_span`; `day` its date."""
    if seconds is None or seconds < 0 or clock_agrees(hours * 3600, seconds, _clock_changes(row, day, seconds),
                                                       _to_the_second(state, row), state.roundings):
        return ""
    span = Decimal(seconds) / 3600
    names = state.layout.columns
    return (f"{names[column][0]} {row[column]!r} is {shown_hours(hours):f} h, but {names['start_time'][0]} "
            f"{row['start_time']} to {names['end_time'][0]} {row['end_time']} is {span:.2f} h (a duration "
            "written in other units?)")


def _is_running(layout: Layout, row: Row, text: str, parse: Callable[[str], Decimal]) -> bool:
    """A timer still running: the file has the end column and this row's is empty, and either no duration so far
    or (QuickBooks Time, whose running rows show the time so far) a start time. A row with neither start nor end
    is a manual (duration-only) timesheet: it is read."""
    if not layout.running_end or not row.has(layout.running_end) or row[layout.running_end]:
        return False
    if layout.running_has_duration:
        return bool(row[layout.running_start]) if layout.running_start else True
    return not text or _is_zero(text, parse)


def _problem(state: _FileState, out: ParsedSource, row: Row, message: str, client: str, month: str,
             clients: tuple[str, ...] = ()) -> None:
    """A row that is not read. Its cells shifted when it is narrower than the file's rows (a cell deleted): its Client
    may be another cell's (`_whose`)."""
    clients = clients or (_whose(state, row, client) if row.width < state.usual_width else ())
    out.problems.append(RowProblem(state.file.label, row.number, message, client, month, clients=clients))
    state.report.problems += 1


def _is_yes(state: _FileState, text: str) -> bool:
    try:
        return bool(cached(state.flags, text, formats.parse_yes_no))
    except formats.FormatError:
        return False


def _is_zero(text: str, parse: Callable[[str], Decimal]) -> bool:
    try:
        return parse(text) == 0
    except formats.FormatError:
        return False


def _add_entry(state: _FileState, row: Row, f: Fields, day: date, hours: Decimal, billable: bool, column: str,
               out: ParsedSource) -> None:
    layout = state.layout
    if row["start_time"] and row["end_time"]:  # one person cannot log the same minutes twice
        clock = (f.first, f.last, row[layout.date], row["start_time"], row["end_date"], row["end_time"])
        if clock in state.clock_rows:
            state.same_minutes.setdefault((f.client, f"{day.year:04d}-{day.month:02d}"), []).append(row.number)
        else:
            state.clock_rows[clock] = row.number
    w = state.as_written.get(row.number, f)
    identity = (row[layout.date], w.client, w.project, w.project_code, w.task, w.notes, row[column], w.first,
                w.last)
    out.add_entry(identity, TimeEntry(
        entry_id="", source=layout.source, source_file=state.file.label, source_row=row.number, date=day,
        client_name=f.client, project=f.project, project_code=f.project_code, task=f.task, notes=f.notes,
        hours=hours, billable=billable, person=f"{f.first} {f.last}".strip(), roles=f.roles,
        currency=f.currency or state.currency))
