"""Pricing one client-month (spec section 4): hours, fixed fees, rates, retainer, tiers, unit prices,
lines, caps, discount, minimum, expenses, total. Pure: everything arrives as arguments."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from billing_assets.core.adjustments import PeriodAdjustment
from billing_assets.core.contract import Cap, Contract
from billing_assets.core.model import (
    LINE_KIND_ORDER,
    NON_BILLABLE,
    Expense,
    InvoiceLine,
)
from billing_assets.core.money import WHOLE_SECONDS_WITHIN, ZERO, round2, round_hours, shown_hours, time_amount
from billing_assets.core.months import add_months, month_index
from billing_assets.core.rates import base_rate, resolve_role

ONE = Decimal("1")


@dataclass(frozen=True)
class PricingEntry:
    """A classified entry as pricing needs it. `held` entries are counted, never priced."""

    entry_id: str
    project: str
    person: str
    roles_column: str
    hours: Decimal
    work_type: str
    sow_item: str | None
    held: bool = False
    write_off: bool = False
    reasons: str = ""  # the review reasons that hold it, comma-separated


@dataclass(frozen=True)
class Lot:
    """Retainer hours with an origin month, carried from one month to the next."""

    origin_month: str
    hours: Decimal


@dataclass(frozen=True)
class LedgerState:
    """What month M-1 leaves for month M: retainer lots and lifetime cap totals (net billed in scope)."""

    lots: tuple[Lot, ...] = ()
    cap_billed: dict[str, Decimal] = field(default_factory=dict)


def ledger_text(state: LedgerState | None) -> str:
    """A ledger state as one comparable line (lots by origin month, lifetime totals by cap name; no state and an
    empty one read alike): what a month was priced from, and what it leaves for the next."""
    state = state or LedgerState()
    lots = ", ".join(f"{lot.origin_month} {lot.hours.normalize():f}"
                     for lot in sorted(state.lots, key=lambda lot: lot.origin_month))
    caps = ", ".join(f"{name} {total.normalize():f}" for name, total in sorted(state.cap_billed.items()))
    return f"lots: {lots}; caps: {caps}"


@dataclass(frozen=True)
class RetainerLedgerRow:
    origin_month: str
    hours_available: Decimal
    hours_used: Decimal
    hours_expired: Decimal
    hours_carried: Decimal


@dataclass(frozen=True)
class CapLedgerRow:
    cap_name: str
    charges: Decimal
    adjustment: Decimal
    billed_to_date: Decimal


@dataclass(frozen=True)
class EntryOutcome:
    """Where each source hour went, for the reconciliation of spec section 4."""

    entry_id: str
    outcome: str  # priced | fixed_fee | non_billable | written_off | held
    source_hours: Decimal
    billed_hours: Decimal  # after rounding; 0 unless priced or fixed_fee
    reason: str = ""


@dataclass(frozen=True)
class InvoiceTotals:
    fees: Decimal
    discount: Decimal
    minimum_adjustment: Decimal
    expenses: Decimal
    total: Decimal
    hours_billed: Decimal
    hours_covered: Decimal
    hours_held: Decimal


@dataclass(frozen=True)
class PricingResult:
    lines: list[InvoiceLine]
    line_entries: list[tuple[int, str, Decimal]]  # (line_no, entry_id, hours)
    retainer_ledger: list[RetainerLedgerRow]
    cap_ledger: list[CapLedgerRow]
    outcomes: list[EntryOutcome]
    totals: InvoiceTotals

    def carried(self) -> LedgerState:
        """The state month M+1 starts from."""
        return LedgerState(
            lots=tuple(Lot(r.origin_month, r.hours_carried) for r in self.retainer_ledger if r.hours_carried > 0),
            cap_billed={r.cap_name: r.billed_to_date for r in self.cap_ledger},
        )


@dataclass
class _Piece:
    entry_index: int
    entry_id: str
    kind: str  # retainer_covered | hourly | overage
    hours: Decimal
    rate: Decimal
    multiplier: Decimal
    role: str | None
    project: str
    sow_item: str | None
    work_type: str
    factor: Decimal = ONE


def needs_prior_month(contract: Contract, month: str) -> list[str]:
    """Why pricing `month` needs month-1's ledgers (rollover lots, lifetime caps), empty when it does not."""
    reasons = []
    if contract.retainer is not None and contract.retainer.rollover is not None:
        reasons.append("retainer rollover")
    for cap in contract.caps:
        if cap.period == "lifetime" and (cap.since is None or month_index(cap.since) < month_index(month)):
            reasons.append(f"lifetime cap {cap.name!r}")
    return reasons


def price_month(contract: Contract, month: str, entries: list[PricingEntry], expenses: list[Expense],
                prior: LedgerState | None = None, adjustments: Sequence[PeriodAdjustment] = ()) -> PricingResult:
    """Price one client-month. `entries` are all the month's entries in processing order; `adjustments` are
    late changes to months already sent that this month carries (after discount and minimum)."""
    prior = prior or LedgerState()
    outcomes: list[EntryOutcome] = []
    billable: list[tuple[int, PricingEntry, Decimal, Decimal, str | None]] = []
    for index, entry in enumerate(entries):
        outcome = _route(contract, entry)
        if outcome is not None:
            billed = _rounded(contract, entry.hours) if outcome == "fixed_fee" else ZERO
            reason = entry.reasons if outcome == "held" else ""
            outcomes.append(EntryOutcome(entry.entry_id, outcome, entry.hours, billed, reason))
            continue
        role = resolve_role(contract, entry.person, entry.roles_column)
        rate = base_rate(contract, entry.person, entry.project, role)
        if rate is None:
            outcomes.append(EntryOutcome(entry.entry_id, "held", entry.hours, ZERO, "no_rate"))
            continue
        hours = _rounded(contract, entry.hours)
        outcomes.append(EntryOutcome(entry.entry_id, "priced", entry.hours, hours))
        billable.append((index, entry, hours, rate, role))

    pieces, retainer_rows = _apply_retainer(contract, month, billable, prior)
    pieces = _apply_tiers(contract, pieces)
    lines, line_entries = _time_lines(contract, pieces)
    lines += _fixed_fee_lines(contract, month)
    cap_lines, cap_rows = _apply_caps(contract, month, lines, prior)
    lines += cap_lines
    lines += _discount_and_minimum(contract, lines)
    lines += [_fee_line("prior_period_adjustment", _adjustment_text(a), a.amount) for a in adjustments]
    lines += _expense_lines(contract, expenses)
    lines, line_entries = _number(lines, line_entries)
    return PricingResult(lines, line_entries, retainer_rows, cap_rows, outcomes, _totals(lines, outcomes))


def _adjustment_text(adjustment: PeriodAdjustment) -> str:
    """What a late change to a sent month is, said as it is: its billed hours changed (late time, or entries a
    reviewer released or wrote off after sending), or only its charges did (a late expense, or a contract or a work
    type changed after the invoice was sent)."""
    shown = shown_hours(adjustment.hours)
    cause = f"billed hours changed after that invoice was sent ({shown:+f} h)" if shown else \
        "charges changed after that invoice was sent (expenses or prices), same billed hours"
    return f"Adjustment for {adjustment.origin_month}: {cause}"


def _route(contract: Contract, entry: PricingEntry) -> str | None:
    """The outcome of an entry that is not priced by the hour, or None when it is."""
    if entry.held:
        return "held"
    if entry.write_off:
        return "written_off"
    if entry.work_type == NON_BILLABLE:
        return "non_billable"
    item = contract.sow_item(entry.sow_item)
    if item is not None and item.billing == "fixed_fee":
        return "fixed_fee"
    return None


def _rounded(contract: Contract, hours: Decimal) -> Decimal:
    return round_hours(hours, contract.rounding.increment_hours, contract.rounding.mode)


def _usable_lots(contract: Contract, month: str, prior: LedgerState) -> list[list]:
    """[origin, available, used, expired] for carried lots (oldest first) then month's own hours."""
    retainer = contract.retainer
    assert retainer is not None
    lots: list[list] = []
    expires = retainer.rollover.expires_after_months if retainer.rollover else 0
    for lot in sorted(prior.lots, key=lambda lot: lot.origin_month):
        usable = month_index(month) <= month_index(lot.origin_month) + expires
        lots.append([lot.origin_month, lot.hours, ZERO, ZERO if usable else lot.hours])
    lots.append([month, retainer.included_hours, ZERO, ZERO])
    return lots


def _apply_retainer(contract: Contract, month: str, billable: list, prior: LedgerState
                    ) -> tuple[list[_Piece], list[RetainerLedgerRow]]:
    """Step 4: eligible entries draw on the lots in order; the rest of their hours are overage."""
    retainer = contract.retainer
    pieces: list[_Piece] = []
    lots = _usable_lots(contract, month, prior) if retainer else []
    for index, entry, hours, rate, role in billable:
        work_type = contract.work_type(entry.work_type)

        def piece(kind: str, h: Decimal, entry=entry, index=index, rate=rate, role=role,
                  multiplier=work_type.multiplier) -> _Piece:
            return _Piece(index, entry.entry_id, kind, h, rate, multiplier, role, entry.project, entry.sow_item,
                          entry.work_type)

        if retainer is None or not work_type.counts_against_retainer:
            pieces.append(piece("hourly", hours))
            continue
        remaining = hours
        for lot in lots:
            free = lot[1] - lot[2] - lot[3]
            if remaining <= 0 or free <= 0:
                continue
            take = min(free, remaining)
            lot[2] += take
            remaining -= take
        covered = hours - remaining
        if covered > 0 or hours == 0:
            pieces.append(piece("retainer_covered", covered))
        if remaining > 0:
            pieces.append(piece("overage", remaining))
    return pieces, _close_lots(contract, month, lots)


def _close_lots(contract: Contract, month: str, lots: list[list]) -> list[RetainerLedgerRow]:
    """Expire lots past their life, cut the rest to max_hours from the oldest, carry what is left."""
    retainer = contract.retainer
    if retainer is None:
        return []
    rollover = retainer.rollover
    remaining = []
    for origin, available, used, expired in lots:
        left = available - used - expired
        dust = left < WHOLE_SECONDS_WITHIN  # what durations kept to 1e-10 h leave of a lot they used up: not a lot
        alive = not dust and rollover is not None and \
            month_index(month) + 1 <= month_index(origin) + rollover.expires_after_months
        remaining.append([origin, available, used, expired + (ZERO if alive else left), left if alive else ZERO])
    excess = sum((lot[4] for lot in remaining), ZERO) - (rollover.max_hours if rollover else ZERO)
    for lot in remaining:
        if excess <= 0:
            break
        cut = min(lot[4], excess)
        lot[4] -= cut
        lot[3] += cut
        excess -= cut
    return [RetainerLedgerRow(origin, available, used, expired, carried)
            for origin, available, used, expired, carried in remaining]


def _apply_tiers(contract: Contract, pieces: list[_Piece]) -> list[_Piece]:
    """Step 5: cumulative hourly + overage hours in processing order; pieces crossing a band split."""
    if not contract.tiers:
        return pieces
    bounds = [(tier.from_hours, tier.factor) for tier in contract.tiers]
    result: list[_Piece] = []
    cumulative = ZERO
    for piece in pieces:
        if piece.kind == "retainer_covered":
            result.append(piece)
            continue
        left = piece.hours
        while True:
            band = max(i for i, (start, _) in enumerate(bounds) if start <= cumulative)
            next_start = bounds[band + 1][0] if band + 1 < len(bounds) else None
            take = left if next_start is None else min(left, next_start - cumulative)
            result.append(_Piece(**{**piece.__dict__, "hours": take, "factor": bounds[band][1]}))
            cumulative += take
            left -= take
            if left <= 0:
                break
    return result


def _unit_price(contract: Contract, piece: _Piece) -> Decimal:
    """Step 6: round2(base rate x work type multiplier x overage multiplier x tier factor)."""
    if piece.kind == "retainer_covered":
        return ZERO
    overage = contract.retainer.overage_multiplier if piece.kind == "overage" and contract.retainer else ONE
    return round2(piece.rate * piece.multiplier * overage * piece.factor)


def _describe(kind: str, project: str, role: str | None, work_type: str, sow_item: str | None,
              contract: Contract) -> str:
    label = {"retainer_covered": "Retainer hours", "hourly": "Hourly", "overage": "Overage"}[kind]
    item = contract.sow_item(sow_item)
    parts = [p for p in (item.name if item else None, project or None, role) if p]
    suffix = "" if work_type == "standard" else f" ({work_type})"
    return f"{label}: {' / '.join(parts) or 'time'}{suffix}"


def _time_lines(contract: Contract, pieces: list[_Piece]) -> tuple[list[InvoiceLine], list]:
    """Step 7: pieces with the same (kind, sow_item, project, role, work_type, unit_price) form one line."""
    groups: dict[tuple, list[_Piece]] = defaultdict(list)
    for piece in pieces:
        key = (piece.kind, piece.sow_item, piece.project, piece.role, piece.work_type, _unit_price(contract, piece))
        groups[key].append(piece)
    lines, provenance = [], []
    for (kind, sow_item, project, role, work_type, unit_price), members in groups.items():
        quantity = sum((p.hours for p in members), ZERO)
        line = InvoiceLine(0, kind, _describe(kind, project, role, work_type, sow_item, contract), sow_item,
                           project, role, work_type, quantity, unit_price, time_amount(quantity, unit_price))
        hours_by_entry: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for p in members:
            hours_by_entry[p.entry_id] += p.hours
        lines.append(line)
        provenance.append(list(hours_by_entry.items()))
    # lines apart only by their rate (a person's override, a tier's factor) say it: the same words twice on an
    # invoice read as a duplicate
    said = Counter(line.description for line in lines)
    lines = [replace(ln, description=f"{ln.description} at {ln.unit_price:,.2f}") if said[ln.description] > 1 else ln
             for ln in lines]
    return lines, provenance


def _fee_line(kind: str, description: str, amount: Decimal, sow_item: str | None = None) -> InvoiceLine:
    """A line that is not time: quantity 1, unit price = amount (in cents)."""
    amount = round2(amount)
    return InvoiceLine(0, kind, description, sow_item, None, None, None, ONE, amount, amount)


def _fixed_fee_lines(contract: Contract, month: str) -> list[InvoiceLine]:
    """Step 2 (fees) and the retainer fee of step 4."""
    lines = []
    if contract.retainer is not None:
        lines.append(_fee_line("retainer_fee", f"Monthly retainer {month}", contract.retainer.monthly_fee))
    for item in contract.sow.items if contract.sow else []:
        if item.billing == "fixed_fee" and month in item.schedule:
            lines.append(_fee_line("fixed_fee", f"{item.name} ({month})", item.schedule[month], item.id))
    return lines


def _in_scope(cap: Cap, line: InvoiceLine) -> bool:
    if line.kind not in ("hourly", "overage"):
        return False
    if cap.project is not None:
        return line.project == cap.project
    if cap.sow_item is not None:
        return line.sow_item == cap.sow_item
    return True


def _apply_caps(contract: Contract, month: str, lines: list[InvoiceLine], prior: LedgerState
                ) -> tuple[list[InvoiceLine], list[CapLedgerRow]]:
    """Step 8: scoped caps first, then the unscoped cap on charges net of earlier adjustments."""
    adjustments: list[InvoiceLine] = []
    rows: list[CapLedgerRow] = []
    ordered = sorted(contract.caps, key=lambda cap: cap.scope[0] == "all")
    for cap in ordered:
        if cap.period == "lifetime" and cap.since is not None and month_index(month) < month_index(cap.since):
            continue
        charges = sum((line.amount for line in lines if _in_scope(cap, line)), ZERO)
        if cap.scope[0] == "all":
            charges += sum((adj.amount for adj in adjustments), ZERO)
        before = ZERO
        if cap.period == "lifetime" and (cap.since is None or month_index(cap.since) < month_index(month)):
            before = prior.cap_billed.get(cap.name, ZERO)
        room = max(cap.amount - before, ZERO)
        adjustment = -(charges - room) if charges > room else ZERO
        if adjustment:
            adjustments.append(_fee_line("cap_adjustment", f"Not-to-exceed: {cap.name}", adjustment))
        billed = charges + adjustment
        rows.append(CapLedgerRow(cap.name, charges, adjustment, before + billed if cap.period == "lifetime"
                                 else billed))
    return adjustments, rows


def _discount_and_minimum(contract: Contract, lines: list[InvoiceLine]) -> list[InvoiceLine]:
    """Steps 9-10."""
    fee_kinds = ("retainer_fee", "fixed_fee", "hourly", "overage", "cap_adjustment")
    fees = sum((line.amount for line in lines if line.kind in fee_kinds), ZERO)
    result = []
    discount = ZERO
    if contract.discount_pct > 0:
        discount = -round2(fees * contract.discount_pct / 100)
        result.append(_fee_line("discount", f"Discount {contract.discount_pct.normalize():f}%", discount))
    if fees + discount < contract.minimum_monthly_fee:
        result.append(_fee_line("minimum_adjustment", "Monthly minimum fee adjustment",
                                contract.minimum_monthly_fee - (fees + discount)))
    return result


def _expense_lines(contract: Contract, expenses: list[Expense]) -> list[InvoiceLine]:
    """Step 11: one line per billable expense, marked up."""
    factor = 1 + contract.expenses.markup_pct / 100
    lines = []
    for expense in expenses:
        if not expense.billable:
            continue
        text = " - ".join(p for p in (expense.category, expense.notes) if p)
        amount = round2(expense.amount * factor)
        lines.append(_fee_line("expense", f"Expense {expense.date.isoformat()}: {text}", amount))
    return lines


def _number(lines: list[InvoiceLine], provenance: list) -> tuple[list[InvoiceLine], list]:
    """Order lines by kind (stable within a kind) and number them from 1; attach provenance."""
    time_count = len(provenance)
    indexed = sorted(enumerate(lines), key=lambda pair: (LINE_KIND_ORDER.index(pair[1].kind), pair[0]))
    numbered, line_entries = [], []
    for line_no, (original, line) in enumerate(indexed, start=1):
        numbered.append(InvoiceLine(line_no, *[getattr(line, f) for f in (
            "kind", "description", "sow_item", "project", "role", "work_type", "quantity", "unit_price", "amount")]))
        if original < time_count:
            line_entries.extend((line_no, entry_id, hours) for entry_id, hours in provenance[original])
    return numbered, line_entries


def _totals(lines: list[InvoiceLine], outcomes: list[EntryOutcome]) -> InvoiceTotals:
    by_kind: dict[str, Decimal] = defaultdict(lambda: ZERO)
    qty: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        by_kind[line.kind] += line.amount
        qty[line.kind] += line.quantity
    fees = sum((by_kind[k] for k in ("retainer_fee", "fixed_fee", "hourly", "overage", "cap_adjustment")), ZERO)
    return InvoiceTotals(
        fees=fees, discount=by_kind["discount"], minimum_adjustment=by_kind["minimum_adjustment"],
        expenses=by_kind["expense"], total=sum((line.amount for line in lines), ZERO),
        hours_billed=qty["hourly"] + qty["overage"], hours_covered=qty["retainer_covered"],
        hours_held=sum((o.source_hours for o in outcomes if o.outcome == "held"), ZERO),
    )


def previous_month(month: str) -> str:
    return add_months(month, -1)
