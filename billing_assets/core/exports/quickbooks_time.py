"""QuickBooks Time (formerly TSheets) timesheet export CSV: one row per timesheet with `fname`, `lname`,
`local_date`, `hours` (decimal) and the job code path `jobcode_1` (the customer) .. `jobcode_N`; `notes`,
`service item` and `billable` when the account tracks them; `local_end_time` is empty while someone is still
on the clock (the start is filled), and both are empty on a manual timesheet (hours only), which is read. The
customer is the client, `jobcode_2` the project, the service item the task."""

from __future__ import annotations

from billing_assets.core.exports.layout import Layout
from billing_assets.core.exports.rows import Fields, Row


def _fields(row: Row) -> Fields:
    return Fields(client=row["customer"], project=row["project"], task=row["service_item"], notes=row["notes"],
                  first=row["first"], last=row["last"])


QUICKBOOKS_TIME = Layout(
    name="QuickBooks Time timesheets", source="quickbooks_time_csv", kind="time",
    columns={"first": ("fname",), "last": ("lname",), "date": ("local_date",), "hours": ("hours",),
             "customer": ("jobcode_1", "jobcode", "customer"), "project": ("jobcode_2",), "notes": ("notes",),
             "service_item": ("service item", "service_item"), "billable": ("billable",),
             "end_time": ("local_end_time",), "start_time": ("local_start_time",)},
    required=("first", "last", "date", "hours", "customer"),
    date="date", quantity=lambda row: "hours", fields=_fields, billable="billable", running_end="end_time",
    running_has_duration=True, running_start="start_time",
    notes="Client = jobcode_1, project = jobcode_2, task = service item; hours decimal.",
)
