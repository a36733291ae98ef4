"""Clockify detailed report CSV (api-facts.md): dates in the user's date format (MM/DD/YYYY, DD/MM/YYYY,
DD-MM-YYYY, DD.MM.YYYY, YYYY-MM-DD), `Duration (h)` in the user's duration format (Full H:MM:SS, Compact H:MM or
Decimal) beside `Duration (decimal)` (two decimals)."""

from __future__ import annotations

from billing_assets.core import formats
from billing_assets.core.exports.layout import Layout, Row
from billing_assets.core.exports.toggl import currency_in_header, person_fields


def duration_column(row: Row) -> str:
    """The most exact duration of the row: `Duration (h)` when it is H:MM:SS or H:MM (seconds or minutes, as
    Clockify's own amounts use), else `Duration (decimal)` (rounded to 0.01 h), else `Duration (h)`."""
    clock = row["duration_h"]
    if clock and formats.duration_kind(clock) != "decimal":
        return "duration_h"
    if row["duration_decimal"] or not row.has("duration_h"):
        return "duration_decimal"
    return "duration_h"


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
    date="date", quantity=duration_column, fields=person_fields, billable="billable",
    other_dates=("end_date", "created"), numbers=("rate", "amount"), running_end="end_time",
    currency=currency_in_header("Billable Rate"), not_billable=is_break, invoiced="invoiced",
    notes="`Duration (h)` when H:MM:SS or H:MM, else `Duration (decimal)`.",
)
