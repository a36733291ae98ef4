"""The engagement window (spec section 2): the months a client can be billed for."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

from billing_assets.core.contract import ContractFile, names_in
from billing_assets.core.money import shown_hours
from billing_assets.core.parsed import ParsedSource


@dataclass(frozen=True)
class Window:
    """Months `start`..`end` (both included; `end` None: open). `start` None: no source data yet, so no month."""

    start: str | None
    end: str | None
    start_from: str  # "contract" or "first source data"

    def contains(self, month: str) -> bool:
        return self.start is not None and self.start <= month and (self.end is None or month <= self.end)

    @property
    def label(self) -> str:
        if self.start is None:
            return "no source data yet and no contract start"
        if self.end is not None and self.end < self.start:  # `end` before the first month of source data
            return f"no month: the contract's end {self.end} is before {self.start}, its first month of source data"
        return f"{self.start}..{self.end or ''}"

    def outside_message(self, month: str) -> str:
        return f"{month} is outside the engagement ({self.label}; start from {self.start_from})"


def schedule_months(contract_file: ContractFile) -> set[str]:
    """Months of every fixed-fee schedule, in the base contract and in each amended version."""
    versions = [contract_file.for_month("0000-01")] + [contract_file.for_month(m) for m, _ in contract_file.amendments]
    return {month for c in versions for item in (c.sow.items if c.sow else []) for month in item.schedule}


def client_names(contract_file: ContractFile) -> set[str]:
    """Every name and alias the client has in any version of its contract (the set the clash check uses)."""
    return names_in(contract_file.path, contract_file)


def engagement_window(contract_file: ContractFile, data_months: Iterable[str]) -> Window:
    """The contract's `start`/`end` (amendments cannot move them); without `start`, the earliest of the months
    with source data of the client (time or expense rows, billable or not) and its fixed-fee schedule months."""
    base = contract_file.for_month("0000-01")
    if base.start:
        return Window(base.start, base.end, "contract")
    months = set(data_months) | schedule_months(contract_file)
    return Window(min(months) if months else None, base.end, "first source data")


def rows_outside(client: str, contract_file: ContractFile, parsed: ParsedSource,
                 sent: Collection[str] = ()) -> list[str]:
    """Billable time and expenses of the client dated outside its engagement: never priced (spec section 2), and
    said, per month, so that a wrong `start`/`end` or a mistyped date does not leave them unbilled in silence.
    `sent`: the client's months whose invoice was sent (their rows were billed: `unbilled_outside`)."""
    names = client_names(contract_file)
    entries, expenses = parsed.grouped()
    data_months = {m for n, m in [*entries, *expenses] if n in names}
    window = engagement_window(contract_file, data_months)
    rows = [f"{client} {month}: {said}" for month in sorted(data_months) if not window.contains(month)
            and (said := unbilled_outside(names, window, parsed, month, month in sent))]
    return rows + fees_outside(client, contract_file, window)


def fees_outside(client: str, contract_file: ContractFile, window: Window) -> list[str]:
    """Fixed fees scheduled in months outside the engagement: never billed (spec section 2), and said, so that a
    `start`/`end` or a schedule month typed wrong does not drop contract money in silence."""
    if window.start is None:
        return []
    out = []
    for month in sorted(m for m in schedule_months(contract_file) if not window.contains(m)):
        contract = contract_file.for_month(month)
        for item in contract.sow.items if contract.sow else []:
            if month in item.schedule:
                out.append(f"{client} {month}: fixed fee {item.id} ({item.schedule[month]:,.2f} {contract.currency}) "
                           f"is scheduled outside the engagement ({window.label}): never billed; move the contract's "
                           "start or end, or the schedule, if it belongs to it")
    return out


def unbilled_outside(names: set[str], window: Window, parsed: ParsedSource, month: str, sent: bool = False) -> str:
    """What the client's billable rows of a month outside its engagement leave unbilled ("" when there are none).
    A month whose invoice was sent before its `start` or `end` moved: its rows were billed, and that is said (an
    auditor found "never billed" beside "sent; now outside engagement")."""
    entries, expenses = parsed.grouped()
    time = [e for n in names for e in entries.get((n, month), []) if e.billable]
    spent = [x for n in names for x in expenses.get((n, month), []) if x.billable]
    if not time and not spent:
        return ""
    hours = sum((e.hours for e in time), Decimal(0))
    amount = sum((x.amount for x in spent), Decimal(0))
    files = ", ".join(sorted({r.source_file or "Harvest API" for r in [*time, *spent]})[:3])
    what = " and ".join([*([f"{len(time)} billable time row(s) ({shown_hours(hours):f} h)"] if time else []),
                         *([f"{len(spent)} billable expense(s) ({amount.normalize():f})"] if spent else [])])
    if sent:
        return (f"{what} in {files} fall outside the engagement ({window.label}) now, but were billed on the invoice "
                f"sent for {month}, which stays as sent: move the contract's start or end back if they belong to it, "
                "or credit them by hand")
    return (f"{what} in {files} fall outside the engagement ({window.label}): never billed; move the contract's "
            "start or end if they belong to it")


def from_start(month: str, start: str | None, priced: Iterable[str]) -> str:
    """The first month to close with `month`, priced under earlier terms: the engagement's `start` when it is earlier
    and none of the client's months from it to `month` was priced (`start` moved earlier: pricing refuses `month`
    until they are; found by an auditor), else `month`."""
    if not start or start >= month or any(start <= m < month for m in priced):
        return month
    return start
