"""Harvest "Detailed time" and expense report CSVs (api-facts.md): columns by name, values as the account's
number, date and time-format settings wrote them (`1,5` hours, `26.01.2026`, `1:30` in hh:mm accounts)."""

from __future__ import annotations

from billing_assets.core.exports.layout import Layout
from billing_assets.core.exports.rows import Fields, Row


def _fields(row: Row) -> Fields:
    return Fields(client=row["client"], project=row["project"], project_code=row["project_code"], task=row["task"],
                  notes=row["notes"], first=row["first"], last=row["last"], roles=row["roles"],
                  category=row["category"], currency=row["currency"])


_COMMON = {"date": ("Date",), "client": ("Client",), "project": ("Project",), "project_code": ("Project Code",),
           "notes": ("Notes",), "billable": ("Billable?", "Billable"), "first": ("First Name",),
           "last": ("Last Name",), "currency": ("Currency",), "invoiced": ("Invoiced?",)}

HARVEST_TIME = Layout(
    name="Harvest detailed time", source="harvest_csv", kind="time",
    columns={**_COMMON, "task": ("Task",), "hours": ("Hours",), "roles": ("Roles",),
             "hours_rounded": ("Hours Rounded", "Rounded Hours"), "rate": ("Billable Rate",),
             "amount": ("Billable Amount",), "cost_rate": ("Cost Rate",), "cost": ("Cost Amount",)},
    required=("date", "client", "project", "task", "hours", "first", "last"),
    date="date", quantity=lambda row: "hours", fields=_fields, billable="billable",
    numbers=("rate", "amount", "cost_rate", "cost"), invoiced="invoiced",
    notes="Hours as decimal or hh:mm; billable from `Billable?` (absent: billable).",
)

HARVEST_EXPENSES = Layout(
    name="Harvest expense report", source="harvest_csv", kind="expense",
    columns={**_COMMON, "category": ("Category",), "amount": ("Amount",)},
    required=("date", "client", "project", "category", "amount"),
    date="date", quantity=lambda row: "amount", fields=_fields, billable="billable", invoiced="invoiced",
    notes="A negative amount is a credit.",
)
