"""A file's data rows as the readers take them (`Row`, keyed by each layout's logical column names), what a layout
takes from one (`Fields`), and the small per-file helpers every reading step shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter

from billing_assets.core import formats


class Row(dict):
    """One data row as {logical key: trimmed cell} for the layout's columns present in the file; a missing
    key reads as "" (`key in row` says whether the file has the column). `number` is the 1-based data row."""

    __slots__ = ("number", "width", "spill", "cells")

    def __missing__(self, key: str) -> str:
        return ""

    def has(self, key: str) -> bool:
        return key in self


def split_rows(table: list[list[str]], index: dict[str, int], header_width: int) -> list[Row]:
    """Rows of a file as Row dicts (the hot loop of reading: one itemgetter and one strip per cell). `spill`: the
    row has text in cells past the header's last column (a row longer than the file's other rows is refused too:
    an unquoted delimiter in a note shifts the cells after it, "Call, 2" putting 2 in Hours)."""
    keys = list(index)
    width = max(index.values(), default=-1) + 1
    getter = itemgetter(*index.values()) if len(index) > 1 else (lambda values: (values[index[keys[0]]],))
    pad = [""] * width
    rows = []
    for number, values in enumerate(table, start=1):
        cells = getter(values if len(values) >= width else values + pad[len(values):])
        row = Row(zip(keys, map(str.strip, cells), strict=True))
        row.number, row.width, row.cells = number, len(values), values
        row.spill = len(values) > header_width and any(cell.strip() for cell in values[header_width:])
        rows.append(row)
    return rows


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


def first_with_seconds(rows: list[Row], quantities: list[str]) -> str:
    """The file's first H:MM:SS duration and its row, quoted where an H:MM beside it is refused."""
    return next(f"{formats.clean(row[q])!r} in row {row.number}" for row, q in zip(rows, quantities, strict=True)
                if row[q] and formats.duration_kind(row[q]) == "H:MM:SS")


def date_label(order: formats.Decision) -> str:
    """`YYYY-MM-DD` / `DD.MM.YYYY` (they carry their order), or the decided order of NN/NN/YYYY dates."""
    if order.value == "iso":
        return order.how
    return f"{'MM/DD/YYYY' if order.value == 'month_first' else 'DD/MM/YYYY'} ({order.how})"


def cached(cache: dict[str, object], text: str, parse: Callable[[str], object]) -> object:
    """parse(text) once per distinct text of a file (dates, durations and flags repeat); a FormatError is
    remembered and raised again."""
    try:
        found = cache[text]
    except KeyError:
        try:
            found = parse(text)
        except formats.FormatError as exc:
            found = exc
        cache[text] = found
    if isinstance(found, formats.FormatError):
        raise found
    return found
