"""LEDES 1998B: one priced client-month as the pipe-delimited e-billing file law-firm clients load into their
e-billing systems. Pure: the invoice lines, the entries behind them and the contract arrive as arguments.

One record per fee entry on each time line (units = billed hours, unit cost = the rate applied), per expense
(UTBMS E-code when the category names one) and per invoice-level adjustment (IF: cap, discount, minimum, late
changes). LINE_ITEM_TOTAL = round2(units x unit cost) + LINE_ITEM_ADJUSTMENT_AMOUNT on every record, and the records
sum to INVOICE_TOTAL = the invoice's total, to the cent."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing_assets.core.activity_codes import OTHER, classify_activity
from billing_assets.core.contract import Contract
from billing_assets.core.invoice import FEE_ADJUSTMENTS, doc_number
from billing_assets.core.ledes_terms import LedesTerms
from billing_assets.core.model import Expense, InvoiceLine
from billing_assets.core.money import ZERO, normalize, round2, shown_hours
from billing_assets.core.months import first_day, first_day_after, last_day

FORMAT_LINE = "LEDES1998B[]"
FIELDS = ("INVOICE_DATE", "INVOICE_NUMBER", "CLIENT_ID", "LAW_FIRM_MATTER_ID", "INVOICE_TOTAL", "BILLING_START_DATE",
          "BILLING_END_DATE", "INVOICE_DESCRIPTION", "LINE_ITEM_NUMBER", "EXP/FEE/INV_ADJ_TYPE",
          "LINE_ITEM_NUMBER_OF_UNITS", "LINE_ITEM_ADJUSTMENT_AMOUNT", "LINE_ITEM_TOTAL", "LINE_ITEM_DATE",
          "LINE_ITEM_TASK_CODE", "LINE_ITEM_EXPENSE_CODE", "LINE_ITEM_ACTIVITY_CODE", "TIMEKEEPER_ID",
          "LINE_ITEM_DESCRIPTION", "LAW_FIRM_ID", "LINE_ITEM_UNIT_COST", "TIMEKEEPER_NAME",
          "TIMEKEEPER_CLASSIFICATION", "CLIENT_MATTER_ID")
RECORD_END = "[]"
NEWLINE = "\r\n"
DESCRIPTION_MAX = 1000
TIME_KINDS = ("retainer_covered", "hourly", "overage")

# UTBMS expense codes by words of the expense's category (then its notes); first match wins
EXPENSE_CODES = (
    ("E110", ("airfare", "flight", "air travel", "hotel", "lodging", "out-of-town", "travel")),
    ("E109", ("mileage", "taxi", "parking", "uber", "lyft", "local travel", "train")),
    ("E111", ("meal", "meals", "dinner", "lunch", "breakfast")),
    ("E101", ("copy", "copies", "copying", "photocopy", "photocopies")),
    ("E102", ("printing", "print")),
    ("E104", ("fax", "facsimile")),
    ("E105", ("telephone", "phone", "conference call")),
    ("E106", ("westlaw", "lexis", "online research", "pacer", "research")),
    ("E107", ("courier", "messenger", "delivery", "fedex", "ups", "dhl")),
    ("E108", ("postage", "mail", "mailing")),
    ("E112", ("filing fee", "court fee", "court fees", "filing")),
    ("E113", ("subpoena",)),
    ("E114", ("witness fee", "witness")),
    ("E115", ("deposition transcript", "transcript")),
    ("E119", ("expert",)),
    ("E121", ("mediator", "arbitrator", "mediation")),
)


@dataclass(frozen=True)
class FeePiece:
    """One entry's hours on one time line (line_entries) with what the source says about it."""

    line_no: int
    entry_id: str
    hours: Decimal
    entry_date: date | None
    person: str
    notes: str


@dataclass(frozen=True)
class ReviewItem:
    """A fee record whose activity code the scorer is unsure of (the entry is billed all the same)."""

    line_item: int
    entry_id: str
    entry_date: str
    timekeeper: str
    hours: Decimal
    narrative: str
    activity_code: str
    confidence: float
    evidence: str


@dataclass(frozen=True)
class LedesFile:
    text: str
    records: list[list[str]]
    review: list[ReviewItem]
    warnings: list[str]


def clean_text(text: str, limit: int = DESCRIPTION_MAX) -> str:
    """A text field LEDES 1998B can carry: ASCII (accents folded, the rest dropped), `|` -> `/`, `[` `]` -> `(` `)`,
    line breaks and runs of spaces -> one space, cut to `limit`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    ascii_text = ascii_text.replace("|", "/").replace("[", "(").replace("]", ")")
    return " ".join(ascii_text.split())[:limit]


def ledes_date(value: date) -> str:
    return value.strftime("%Y%m%d")


def money(value: Decimal) -> str:
    return f"{round2(value):.2f}"


def units(value: Decimal) -> str:
    return format(normalize(value), "f")


def unit_cost(value: Decimal) -> str:
    return money(value) if value == round2(value) else format(normalize(value), "f")


def timekeeper_id(terms: LedesTerms, person: str) -> str:
    """The contract's id for the person, else the name's letters (at most 15) and 4 hex digits of its hash."""
    if person in terms.timekeepers:
        return terms.timekeepers[person]
    letters = re.sub(r"[^A-Z0-9]", "", clean_text(person).upper())[:15] or "TK"
    return f"{letters}-{hashlib.sha256(person.encode()).hexdigest()[:4].upper()}"


TIMEKEEPER_NAME_MAX = 30  # LEDES 1998B: TIMEKEEPER_NAME is Character * 30


def timekeeper_name(person: str) -> str:
    """`Last, First` (the e-billing convention), at most 30 characters: the first names are cut first
    ("Konstantinopolous-Whitfield, Maximiliana Alexandrovna" -> "Konstantinopolous-Whitfield, M")."""
    parts = clean_text(person, 60).split(" ")
    name = f"{parts[-1]}, {' '.join(parts[:-1])}" if len(parts) > 1 else parts[0]
    return name[:TIMEKEEPER_NAME_MAX].rstrip(", ")


def classification(terms: LedesTerms, role: str | None) -> str:
    """The contract's code for the role, else from its name: partner PT, associate AS, counsel OC, paralegal PL,
    legal assistant LA, anything else OT."""
    name = (role or "").strip().lower()
    for key, code in terms.classifications.items():
        if key.lower() == name:
            return code
    for word, code in (("partner", "PT"), ("associate", "AS"), ("counsel", "OC"), ("paralegal", "PL"),
                       ("assistant", "LA")):
        if word in name:
            return code
    return "OT"


def expense_code(category: str, notes: str = "") -> str:
    """The UTBMS E-code the category (else the notes) names, or "" when none does."""
    for text in (category, notes):
        words = f" {' '.join(re.findall(r'[a-z0-9-]+', text.lower()))} "
        for code, cues in EXPENSE_CODES:
            if any(f" {cue} " in words for cue in cues):
                return code
    return ""


def build_ledes(contract: Contract, client: str, month: str, total: Decimal, lines: Sequence[InvoiceLine],
                pieces: Sequence[FeePiece], expenses: Sequence[Expense]) -> LedesFile:
    """The LEDES 1998B file of a priced client-month. `pieces` are the entries behind the time lines; `expenses`
    the month's billable expenses in processing order (one per expense line)."""
    terms = contract.ledes
    if terms is None:
        raise ValueError(f"{client}: the contract has no ledes: block")
    end = last_day(month)
    head = [ledes_date(first_day_after(month)), doc_number(client, month), terms.client_id, terms.matter_id,
            money(total), ledes_date(first_day(month)), ledes_date(end),
            clean_text(f"{contract.name}: services {first_day(month).strftime('%B %Y')}")]
    tail_ids = (terms.law_firm_id, terms.client_matter_id or "")
    by_line: dict[int, list[FeePiece]] = defaultdict(list)
    for piece in pieces:
        by_line[piece.line_no].append(piece)
    records: list[list[str]] = []
    review: list[ReviewItem] = []
    warnings: list[str] = []
    no_task = 0
    billable = [x for x in expenses if x.billable]
    expense_lines = [ln for ln in lines if ln.kind == "expense"]
    if len(billable) != len(expense_lines):
        warnings.append(f"{client} {month}: {len(expense_lines)} expense lines but {len(billable)} billable expenses "
                        "in the warehouse: expense codes and dates from the line descriptions only")
        billable = []

    def record(kind: str, qty: Decimal, adjustment: Decimal, amount: Decimal, when: date, task: str, exp_code: str,
               activity: str, person: str | None, description: str, cost: Decimal, role: str | None) -> int:
        tk = (timekeeper_id(terms, person), timekeeper_name(person), classification(terms, role)) if person \
            else ("", "", "")
        records.append([*head, str(len(records) + 1), kind, units(qty), money(adjustment), money(amount),
                        ledes_date(when), task, exp_code, activity, tk[0], clean_text(description), tail_ids[0],
                        unit_cost(cost), tk[1], tk[2], tail_ids[1]])
        return len(records)

    def task_of(line: InvoiceLine) -> str:
        nonlocal no_task
        item = contract.sow_item(line.sow_item)
        code = (item.utbms_task if item else None) or terms.task_code or ""
        no_task += not code
        return code

    for line in lines:
        if line.kind in TIME_KINDS:
            behind = by_line.get(line.line_no) or []
            # a split at a retainer or tier boundary can leave a piece of under 0.00005 h (durations kept to 1e-10
            # h): 0 units for 0.00, no record of its own
            behind = [p for p in behind if shown_hours(p.hours) != 0] or behind[-1:]
            if not behind:
                warnings.append(f"{client} {month}: line {line.line_no}: no entries behind the line; one fee record")
                adjustment = line.amount - round2(shown_hours(line.quantity) * line.unit_price)
                record("F", shown_hours(line.quantity), adjustment, line.amount, end, task_of(line), "", OTHER, None,
                       line.description, line.unit_price, line.role)
                continue
            # units to 0.0001 h (a 1:20:00 entry is 1.3333), each record's total from its own units x cost; the
            # line's amount, priced from the hours as kept, is what the records add up to
            shown = [shown_hours(p.hours) for p in behind]
            rounded = [round2(units * line.unit_price) for units in shown]
            residual = line.amount - sum(rounded, ZERO)  # cents the per-entry rounding moved; on the last record
            suffix = " (covered by the retainer)" if line.kind == "retainer_covered" else ""
            for i, piece in enumerate(behind):
                adjustment = residual if i == len(behind) - 1 else ZERO
                activity = classify_activity(piece.notes)
                narrative = clean_text(piece.notes or line.description, DESCRIPTION_MAX - len(suffix)) + suffix
                number = record("F", shown[i], adjustment, rounded[i] + adjustment, piece.entry_date or end,
                                task_of(line), "", activity.code, piece.person, narrative, line.unit_price,
                                line.role)
                if activity.unsure:
                    review.append(ReviewItem(number, piece.entry_id, (piece.entry_date or end).isoformat(),
                                             piece.person, piece.hours, piece.notes, activity.code,
                                             activity.confidence, activity.evidence))
        elif line.kind in ("retainer_fee", "fixed_fee"):
            record("F", Decimal(1), ZERO, line.amount, end, task_of(line), "", OTHER, None, line.description,
                   line.amount, None)
        elif line.kind in FEE_ADJUSTMENTS:
            record("IF", ZERO, line.amount, line.amount, end, "", "", "", None, line.description, ZERO, None)
        elif line.kind == "expense":
            expense = billable[expense_lines.index(line)] if billable else None
            text = line.description.split(": ", 1)[-1]
            code = expense_code(expense.category, expense.notes) if expense else expense_code(text)
            record("E", Decimal(1), ZERO, line.amount, expense.date if expense else end, "", code, "", None, text,
                   line.amount, None)
        else:
            raise ValueError(f"{client} {month}: line {line.line_no}: unknown line kind {line.kind!r}")
    if no_task:
        warnings.append(f"{client} {month}: {no_task} fee record(s) without a UTBMS task code (no utbms_task on the "
                        "SOW item and no ledes.task_code)")
    summed = sum((Decimal(r[12]) for r in records), ZERO)
    if summed != round2(total):
        raise ValueError(f"{client} {month}: LEDES records sum to {summed}, the invoice total is {total}")
    text = NEWLINE.join([FORMAT_LINE, "|".join(FIELDS) + RECORD_END,
                         *("|".join(r) + RECORD_END for r in records)]) + NEWLINE
    return LedesFile(text, records, review, warnings)
