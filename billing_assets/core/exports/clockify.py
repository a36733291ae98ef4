"""Clockify detailed report CSV (api-facts.md): dates in the user's date format (MM/DD/YYYY, DD/MM/YYYY,
DD-MM-YYYY, DD.MM.YYYY, YYYY-MM-DD), `Duration (h)` in the user's duration format (Full H:MM:SS, Compact H:MM or
Decimal) beside `Duration (decimal)` (two decimals)."""

from __future__ import annotations

from decimal import Decimal

from billing_assets.core import formats
from billing_assets.core.exports.layout import Layout
from billing_assets.core.exports.rows import Row
from billing_assets.core.exports.toggl import currency_in_header, person_fields


def duration_column(row: Row) -> str:
    """The most exact duration of the row: `Duration (h)` when it is H:MM:SS (Clockify's "Full" format, exact as
    its own amounts), decimal ("Decimal": in the user's number format, as the money columns; `Duration (decimal)`
    may be written with a point beside them), or H:MM ("Compact") that `Duration (decimal)` agrees with to its
    rounding (0.005 h); else `Duration (decimal)` (rounded to 0.01 h: Compact drops the seconds, "0:13" for 0.23 h
    and "0:00" for 0.01 h)."""
    clock = row["duration_h"]
    kind = formats.duration_kind(clock) if clock else ""
    if kind in ("H:MM:SS", "decimal") or (kind == "H:MM" and _agrees(clock, row["duration_decimal"])):
        return "duration_h"
    if row["duration_decimal"] or not row.has("duration_h"):
        return "duration_decimal"
    return "duration_h"


def _agrees(clock: str, decimal_text: str) -> bool:
    """Whether an H:MM cell is the decimal hours beside it to their rounding (true when there is no decimal)."""
    hours, minutes = (int(part) for part in formats.clean(clock).split(":"))
    try:
        return abs(Decimal(hours) + Decimal(minutes) / 60 - Decimal(formats.clean(decimal_text).replace(",", "."))
                   ) <= Decimal("0.005")
    except ArithmeticError:  # no decimal to compare with ("", "NaN" and "1e999999" raised), or one the number
        return True  # checks refuse: the clock is what there is


NOT_WORK = {"break", "holiday", "time off", "timeoff"}  # Clockify's `Type` of entries that are not client work


def is_break(row: Row) -> bool:
    """A break or time-off entry (Clockify's `Type` column): never billed, whatever `Billable` says."""
    return row["type"].casefold().replace("_", " ") in NOT_WORK  # "TIME_OFF" as the API writes it


CLOCKIFY = Layout(
    name="Clockify detailed", source="clockify_csv", kind="time",
    columns={"user": ("User",), "client": ("Client",), "project": ("Project",), "task": ("Task",),
             "description": ("Description",), "billable": ("Billable",), "date": ("Start Date",),
             "start_time": ("Start Time",), "end_date": ("End Date",), "end_time": ("End Time",),
             "created": ("Date of creation",), "invoiced": ("Invoiced",),
             "duration_h": ("Duration (h)",), "duration_decimal": ("Duration (decimal)",),
             "rate": ("Billable Rate (*)",), "amount": ("Billable Amount (*)",), "type": ("Type",)},
    required=("user", "client", "project", "description", "date", ("duration_h", "duration_decimal")),
    date="date", quantity=duration_column, fields=person_fields, billable="billable", own_numbers=("duration_decimal",),
    other_dates=("end_date", "created"), numbers=("rate", "amount"), running_end="end_time",
    currency=currency_in_header("Billable Rate"), not_billable=is_break, invoiced="invoiced",
    notes="`Duration (h)` when H:MM:SS or decimal, or H:MM that `Duration (decimal)` agrees with; else "
          "`Duration (decimal)`.",
)
