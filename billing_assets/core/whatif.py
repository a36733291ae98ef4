"""What-if backtest: a client's past months priced under a changed contract from the same classified entries,
compared with the invoices actually priced. Pure: everything arrives as arguments, nothing is written.

Retainer lots and lifetime cap totals chain month to month under the CHANGED contract, from the engagement's first
month, so a change of included hours or rollover changes every later month the way it would have."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

from billing_assets.core.adjustments import PeriodAdjustment
from billing_assets.core.contract import Contract
from billing_assets.core.model import Expense, InvoiceLine
from billing_assets.core.money import ZERO, normalize
from billing_assets.core.months import month_index
from billing_assets.core.pricing import LedgerState, PricingEntry, PricingResult, price_month

UNKNOWN_SOW_ITEM = "unknown_sow_item"


@dataclass(frozen=True)
class LineChange:
    """A line group (kind, SOW item, project, role, work type; expenses by description) whose quantity or
    amount differs between the real invoice and the what-if. A side without the group is 0."""

    kind: str
    sow_item: str | None
    description: str
    current_quantity: Decimal
    current_amount: Decimal
    whatif_quantity: Decimal
    whatif_amount: Decimal

    @property
    def difference(self) -> Decimal:
        return self.whatif_amount - self.current_amount


@dataclass(frozen=True)
class MonthReport:
    client: str
    month: str
    current_total: Decimal | None  # None: the month has no priced invoice
    whatif_total: Decimal | None  # None: not priced (a month never closed); 0.00 outside the changed engagement
    lines: list[LineChange] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    current_currency: str | None = None  # the real invoice's currency (None: no invoice)
    whatif_currency: str | None = None  # the changed contract's currency (None: not priced)
    outside: bool = False  # outside the changed contract's engagement: it bills nothing

    @property
    def currencies_differ(self) -> bool:
        """The invoice and the what-if are in different currencies: their totals are not comparable."""
        return None not in (self.current_currency, self.whatif_currency) and \
            self.current_currency != self.whatif_currency

    @property
    def difference(self) -> Decimal | None:
        if self.current_total is None or self.whatif_total is None or self.currencies_differ:
            return None
        return self.whatif_total - self.current_total


@dataclass(frozen=True)
class MonthInputs:
    """What the warehouse holds for one client-month: classified entries in processing order, raw expenses, the
    late-change adjustments the real invoice carried, and the real invoice (None when never priced)."""

    entries: Sequence[PricingEntry] = ()
    expenses: Sequence[Expense] = ()
    adjustments: Sequence[PeriodAdjustment] = ()
    current_total: Decimal | None = None
    current_lines: Sequence[InvoiceLine] = ()
    current_currency: str | None = None


def backtest(client: str, contract_for: Callable[[str], Contract], months: Sequence[str],
             report_from: str, inputs: Mapping[str, MonthInputs]) -> list[MonthReport]:
    """Price `months` (consecutive, from the engagement's first month under the changed contract) in order,
    chaining the ledgers; report the months from `report_from` on."""
    reports: list[MonthReport] = []
    prior: LedgerState | None = None
    for month in months:
        data = inputs.get(month, MonthInputs())
        contract = contract_for(month)
        entries, problems = _priceable(contract, data.entries)
        result = price_month(contract, month, entries, list(data.expenses), prior, data.adjustments)
        prior = result.carried()
        if month < report_from:
            continue
        problems += _held_by_contract(result, data.entries)
        reports.append(MonthReport(client, month, data.current_total, result.totals.total,
                                   moved_lines(data.current_lines, result.lines), problems,
                                   data.current_currency, contract.currency))
    return reports


def outside_report(client: str, month: str, data: MonthInputs, why: str) -> MonthReport:
    """A month outside the changed contract's engagement: it bills nothing (spec section 2), so its what-if total is
    0.00 and the difference is the whole invoice (found by an auditor: an `end` moved earlier showed "-" for the
    months it ended, and the total difference left them out)."""
    return MonthReport(client, month, data.current_total, ZERO,
                       moved_lines(data.current_lines, []), [f"bills nothing under the changed contract: {why}"],
                       data.current_currency, None, outside=True)


def not_closed_yet(months: Sequence[str], now: datetime | None = None) -> str | None:
    """Why `months` cannot be asked for: the last one is the current month (of `now`, the firm's time; UTC when not
    given) or later, so not closed yet. The one rule for `billing --month` (cli.parse_months) and the `whatif` job's
    `months`."""
    now = now or datetime.now(UTC)
    current = now.year * 12 + now.month - 1
    if month_index(months[-1]) > current:
        return f"{months[-1]} is in the future (the current month is {now:%Y-%m}, and it is excluded until it ends)"
    if month_index(months[-1]) == current:
        return f"{months[-1]} is not closed yet (the current month is excluded until it ends)"
    return None


CLASSIFYING = ("task_map", "rush_keywords", "require_project_code", "review")


def classification_notes(real: Contract, changed: Contract) -> list[str]:
    """What the changed contract changes that only classification reads (the what-if prices the stored
    classification, so such a change shows only once the months are re-classified by a close)."""
    keys = [k for k in CLASSIFYING if getattr(real, k) != getattr(changed, k)]

    def codes(contract: Contract) -> dict:
        return {i.id: (i.project_codes, i.description, i.name) for i in (contract.sow.items if contract.sow else [])}

    if codes(real) != codes(changed):
        keys.append("sow items (project codes, names or descriptions)")
    if not keys:
        return []
    return [f"the changed contract's {', '.join(keys)} differ from contracts/{real.client}.yaml: the what-if prices "
            "the stored classification, so those changes are not reflected until the months are re-classified"]


def matching_notes(real: Contract, changed: Contract) -> list[str]:
    """What the changed contract changes that decides which export rows are the client's (`name`, `aliases`,
    matched as written) or whether they can be billed (`currency`, the `currency_matches` check): the what-if
    prices the rows the current contract matched and was priced in, so such a change is said, never ignored."""
    notes = []
    before, after = real.names, changed.names
    if before != after:
        parts = [f"{label}: {', '.join(repr(n) for n in sorted(names))}"
                 for label, names in (("only in the changed contract", after - before),
                                      (f"only in contracts/{real.client}.yaml", before - after)) if names]
        notes.append(f"the changed contract's name or aliases differ from contracts/{real.client}.yaml "
                     f"({'; '.join(parts)}): the what-if prices the rows the current contract matched; a close under "
                     "the changed contract matches export rows by its own names")
    if real.currency != changed.currency:
        notes.append(f"the changed contract bills in {changed.currency}, contracts/{real.client}.yaml in "
                     f"{real.currency}: the what-if totals are in {changed.currency} and not compared with the "
                     f"invoices; a close under the changed contract stops months whose export amounts are in "
                     f"{real.currency} (currency_matches)")
    return notes


def _priceable(contract: Contract, entries: Sequence[PricingEntry]) -> tuple[list[PricingEntry], list[str]]:
    """Entries with a SOW item the changed contract lacks are held (their hours go unpriced) and reported; a written-off
    entry is never priced, whatever its item."""
    known = contract.sow_item_ids
    missing: dict[str, list[Decimal]] = defaultdict(list)
    result = []
    for entry in entries:
        if entry.sow_item is not None and entry.sow_item not in known and not entry.held and not entry.write_off:
            missing[entry.sow_item].append(entry.hours)
            entry = replace(entry, held=True, reasons=UNKNOWN_SOW_ITEM)
        result.append(entry)
    problems = [f"{len(hours)} entr{'y' if len(hours) == 1 else 'ies'} ({normalize(sum(hours, ZERO)):f} h) classified "
                f"to SOW item {item!r}, which the changed contract lacks: hours unpriced"
                for item, hours in sorted(missing.items())]
    return result, problems


def _held_by_contract(result: PricingResult, entries: Sequence[PricingEntry]) -> list[str]:
    """Entries the changed contract cannot rate (no_rate) while the real pricing could."""
    no_rate = [o for o in result.outcomes if o.outcome == "held" and o.reason == "no_rate"]
    if not no_rate:
        return []
    hours = sum((o.source_hours for o in no_rate), ZERO)
    return [f"{len(no_rate)} entr{'y' if len(no_rate) == 1 else 'ies'} ({normalize(hours):f} h) have no rate "
            "under the changed contract: hours unpriced"]


def _group_key(line: InvoiceLine) -> tuple:
    text = line.description if line.kind in ("expense", "prior_period_adjustment", "fixed_fee") else ""
    return (line.kind, line.sow_item or "", line.project or "", line.role or "", line.work_type or "", text)


def moved_lines(current: Sequence[InvoiceLine], whatif: Sequence[InvoiceLine]) -> list[LineChange]:
    """Line groups whose quantity or amount moved, in invoice line-kind order."""
    groups: dict[tuple, list] = {}
    for side, lines in ((0, current), (1, whatif)):
        for line in lines:
            group = groups.setdefault(_group_key(line), [line, [ZERO, ZERO], [ZERO, ZERO]])
            if side == 1:
                group[0] = line  # the what-if's description (its rate) wins
            group[1 + side][0] += line.quantity
            group[1 + side][1] += line.amount
    changes = []
    for line, (cur_q, cur_a), (new_q, new_a) in groups.values():
        if cur_q != new_q or cur_a != new_a:
            changes.append(LineChange(line.kind, line.sow_item, line.description, cur_q, cur_a, new_q, new_a))
    return changes


def report_json(report: MonthReport) -> dict:
    """The `--json` shape: decimal strings, money to 2 places as the invoice has them."""

    def money(value: Decimal | None) -> str | None:
        return None if value is None else f"{value:.2f}"

    def qty(value: Decimal) -> str:
        return f"{normalize(value):f}"

    return {
        "client": report.client, "month": report.month, "current_total": money(report.current_total),
        "whatif_total": money(report.whatif_total), "difference": money(report.difference),
        "current_currency": report.current_currency, "whatif_currency": report.whatif_currency,
        "lines": [{"kind": c.kind, "sow_item": c.sow_item, "description": c.description,
                   "current_quantity": qty(c.current_quantity), "current_amount": money(c.current_amount),
                   "whatif_quantity": qty(c.whatif_quantity), "whatif_amount": money(c.whatif_amount),
                   "difference": money(c.difference)} for c in report.lines],
        "problems": list(report.problems),
    }
