"""Base-rate resolution (spec section 4 step 3) and role resolution (section 2 `people`)."""

from __future__ import annotations

from decimal import Decimal

from billing_assets.core.contract import Contract


def resolve_role(contract: Contract, person: str, roles_column: str) -> str | None:
    """The contract's role name for a person: the people map, else the first value of the source's Roles
    column, matched case-insensitively to the contract's roles (the raw value when not in `roles`)."""
    raw = contract.people.get(person)
    if raw is None:
        first = roles_column.split(",")[0].strip()
        raw = first or None
    if raw is None:
        return None
    matched = contract.role_rate(raw)
    return matched[0] if matched else raw


def base_rate(contract: Contract, person: str, project: str, role: str | None) -> Decimal | None:
    """First match: override for (person, project); override for person; roles[role]; default_rate."""
    for override in contract.rate_overrides:
        if override.person == person and override.project is not None and override.project == project:
            return override.rate
    for override in contract.rate_overrides:
        if override.person == person and override.project is None:
            return override.rate
    if role is not None:
        matched = contract.role_rate(role)
        if matched:
            return matched[1]
    return contract.default_rate
