"""The shapes every stage hands to the next: time entries, expenses and their classification."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from billing_assets.core.qbo_settings import QuickBooksSettings

STANDARD = "standard"
RUSH = "rush"
NON_BILLABLE = "non_billable"


@dataclass(frozen=True, slots=True)
class TimeEntry:
    """One time entry from any source, in the shape the spec's section 1 describes."""

    entry_id: str
    source: str  # "harvest_csv" | "toggl_csv" | "clockify_csv" | "harvest" (API)
    source_file: str  # file name (CSV) or "" for API sources
    source_row: int  # 1-based data row (CSV) or the source's numeric id (API)
    date: date
    client_name: str  # the source's Client column, as written
    project: str
    project_code: str
    task: str
    notes: str
    hours: Decimal
    billable: bool
    person: str
    roles: str = ""  # the source's Roles column, as written (comma-separated)
    currency: str = ""

    @property
    def month(self) -> str:
        return f"{self.date.year:04d}-{self.date.month:02d}"

    @property
    def order_key(self) -> tuple:
        """Processing order: (date, file name, row number); for API sources (date, source id)."""
        return (self.date, self.source_file, self.source_row)


@dataclass(frozen=True, slots=True)
class Expense:
    """One expense row (Harvest expense report)."""

    expense_id: str
    source_file: str
    source_row: int
    date: date
    client_name: str
    project: str
    project_code: str
    category: str
    notes: str
    amount: Decimal
    billable: bool
    person: str = ""
    currency: str = ""

    @property
    def month(self) -> str:
        return f"{self.date.year:04d}-{self.date.month:02d}"

    @property
    def order_key(self) -> tuple:
        return (self.date, self.source_file, self.source_row)


@dataclass(frozen=True)
class Suggestion:
    """A classifier's answer for one entry. Either field may be None when not asked for."""

    sow_item: str | None
    work_type: str | None
    confidence: float  # in [0, 1]; the lower of the two fields' confidences
    rationale: str = ""


@dataclass
class Classification:
    """The decided work type and SOW item of one entry, with how they were decided."""

    entry_id: str
    work_type: str
    sow_item: str | None
    confidence: float
    method: str  # e.g. "override", "rule", "project_code", "only_item", "offline", "claude", "default"
    review_reasons: list[str] = field(default_factory=list)
    suggested_sow_item: str | None = None
    action: str = ""  # reviewer action from overrides: "", "bill", "hold", "write_off"
    rationale: str = ""  # why: the classifier's evidence or the rule that decided

    @property
    def held(self) -> bool:
        return bool(self.review_reasons)


LINE_KIND_ORDER = ("retainer_fee", "fixed_fee", "retainer_covered", "hourly", "overage", "cap_adjustment",
                   "discount", "minimum_adjustment", "prior_period_adjustment", "expense")
TIME_KINDS = ("retainer_covered", "hourly", "overage")


@dataclass(frozen=True)
class InvoiceLine:
    """One row of `invoice_lines` (spec section 5)."""

    line_no: int
    kind: str  # one of LINE_KIND_ORDER
    description: str
    sow_item: str | None
    project: str | None
    role: str | None
    work_type: str | None
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class InvoiceDraft:
    """What the push step sends: one client-month's priced invoice, plus what QuickBooks needs."""

    client: str  # slug
    month: str  # YYYY-MM
    customer_name: str  # contract `name`: QuickBooks Customer DisplayName
    currency: str
    invoice_date: date  # the first day after the month
    due_date: date  # invoice_date + terms_days
    lines: tuple[InvoiceLine, ...]
    total: Decimal
    content_hash: str  # sha256 over the lines and totals: changes iff the invoice changes
    quickbooks: QuickBooksSettings | None = None  # the contract's tax codes and exchange rate

    @property
    def key(self) -> str:
        return f"{self.client}|{self.month}"


def nothing_to_bill(total: Decimal, amounts: list[Decimal]) -> bool:
    """Spec section 4: a client-month with no lines has nothing to bill and is not pushed. Lines that all
    amount to 0 (a 0.00 discount line on a month without work) are read the same way."""
    return total == 0 and all(a == 0 for a in amounts)
