"""The engagement window (spec section 2): the months a client can be billed for."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from billing_assets.core.contract import ContractFile, names_in


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
