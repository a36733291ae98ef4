"""Column lists of the DuckDB tables and conversions between rows and core objects."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from billing_assets.core.model import Classification, Expense, InvoiceLine, TimeEntry

RAW_TIME_COLUMNS = ("client", "month", "entry_id", "source", "source_file", "source_row", "entry_date",
                    "client_name", "project", "project_code", "task", "notes", "hours", "billable", "person",
                    "roles", "currency")
RAW_EXPENSE_COLUMNS = ("client", "month", "expense_id", "source_file", "source_row", "expense_date", "client_name",
                       "project", "project_code", "category", "notes", "amount", "billable", "person", "currency")
CLASSIFIED_COLUMNS = ("client", "month", "entry_id", "work_type", "sow_item", "confidence", "method",
                      "review_reasons", "suggested_sow_item", "action", "rationale", "held")


def time_entry_row(client: str, e: TimeEntry) -> tuple:
    return (client, e.month, e.entry_id, e.source, e.source_file, e.source_row, e.date, e.client_name, e.project,
            e.project_code, e.task, e.notes, e.hours, e.billable, e.person, e.roles, e.currency)


def time_entry_from_row(row: dict[str, Any]) -> TimeEntry:
    return TimeEntry(entry_id=row["entry_id"], source=row["source"], source_file=row["source_file"],
                     source_row=row["source_row"], date=row["entry_date"], client_name=row["client_name"],
                     project=row["project"], project_code=row["project_code"], task=row["task"], notes=row["notes"],
                     hours=Decimal(row["hours"]), billable=row["billable"], person=row["person"], roles=row["roles"],
                     currency=row["currency"])


def expense_row(client: str, x: Expense) -> tuple:
    return (client, x.month, x.expense_id, x.source_file, x.source_row, x.date, x.client_name, x.project,
            x.project_code, x.category, x.notes, x.amount, x.billable, x.person, x.currency)


def expense_from_row(row: dict[str, Any]) -> Expense:
    return Expense(expense_id=row["expense_id"], source_file=row["source_file"], source_row=row["source_row"],
                   date=row["expense_date"], client_name=row["client_name"], project=row["project"],
                   project_code=row["project_code"], category=row["category"], notes=row["notes"],
                   amount=Decimal(row["amount"]), billable=row["billable"], person=row["person"],
                   currency=row["currency"])


def classification_row(client: str, month: str, c: Classification) -> tuple:
    return (client, month, c.entry_id, c.work_type, c.sow_item, Decimal(str(c.confidence)), c.method,
            ",".join(c.review_reasons), c.suggested_sow_item, c.action, c.rationale, c.held)


def line_from_row(row: dict[str, Any]) -> InvoiceLine:
    return InvoiceLine(row["line_no"], row["kind"], row["description"], row["sow_item"], row["project"], row["role"],
                       row["work_type"], Decimal(row["quantity"]), Decimal(row["unit_price"]), Decimal(row["amount"]))


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], limit: int = 60) -> str:
    """A small markdown table for Dagster metadata (at most `limit` rows, then a count of the rest)."""
    def cell(value: Any) -> str:
        if value is None:
            return ""
        text = format(value, "f") if isinstance(value, Decimal) else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"\n… and {len(rows) - limit} more rows")
    return "\n".join(lines)
