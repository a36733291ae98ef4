"""Lifetime caps whose history the ledgers cannot give (spec section 4 step 8). Pure.

A lifetime cap's room is its amount less the net charges billed in scope in the months since `since`. The
ledgers carry that total from month to month by cap name, so it is known only for a cap that priced the month
before under the same name, scope, period and `since`. A cap added by an amendment with a `since` (or no `since`:
all history) reaching back into months already billed, renamed, re-scoped, or turned from monthly to lifetime
started from zero: 1,000.00 over its not-to-exceed amount, in silence. Such a month is refused, naming the cap."""

from __future__ import annotations

from billing_assets.core.contract import Cap, ContractFile
from billing_assets.core.months import add_months


def _same_history(before: Cap | None, now: Cap) -> bool:
    return before is not None and before.period == "lifetime" and before.scope == now.scope \
        and before.since == now.since


def cap_history_problem(contract_file: ContractFile, month: str, start: str) -> str | None:
    """Why `month` cannot be priced: a lifetime cap whose months in scope before `month` (from `since`, else the
    engagement's `start`) were priced without it as it is now; None when every lifetime cap's total is carried."""
    previous = add_months(month, -1)
    if not start or previous < start:
        return None
    now, before = contract_file.for_month(month), contract_file.for_month(previous)
    earlier = {cap.name: cap for cap in before.caps}
    for cap in now.caps:
        first = max(cap.since or start, start)
        if cap.period != "lifetime" or first > previous or _same_history(earlier.get(cap.name), cap):
            continue
        reach = f"since: {cap.since}" if cap.since else "no `since` (all history)"
        return (f"{contract_file.label}: caps: lifetime cap {cap.name!r} ({reach}) is new or changed in {month} "
                f"(name, scope, period or since), so the charges billed in its scope in {first}..{previous} are "
                f"not counted and its room would be too large; give it `since: {month}`, or keep its name, scope, "
                "period and since as they were")
    return None
