"""Base-rate resolution (spec section 4 step 3) and role resolution (section 2 `people`)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from decimal import Decimal

from billing_assets.core.contract import Contract
from billing_assets.core.parsed import name_key


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


def misspelt_names(contract: Contract, persons: set[str], projects: set[str]) -> list[tuple[str, str, str]]:
    """(key path, name as the contract writes it, the spelling that has time) for each `people` or
    `rate_overrides` person, or rate override project, that no entry has while a close spelling does ("Raj Patl"
    beside "Raj Patel", "José" beside "Jose"): names match exactly (spec section 2), so the setting applies to
    nobody and that time is rated by the Roles column or `default_rate`. People listed who did not work are not
    typos: only a close spelling that worked is named."""
    named = [(f"people.{p}", p, persons, persons - set(contract.people)) for p in contract.people]
    for i, o in enumerate(contract.rate_overrides):
        # "Jan Smith" is no misspelling of "Jon Smith" when the same kind of setting names them both
        alike = {other.person for other in contract.rate_overrides if other.project == o.project}
        named.append((f"rate_overrides[{i}].person", o.person, persons, persons - alike))
        if o.project:
            named.append((f"rate_overrides[{i}].project", o.project, projects, projects))
    found = []
    for key, value, worked, seen in named:
        if value in worked:
            continue
        # "carl cons" beside "Carl Cons": difflib counts case and accents, so those are looked for first; names
        # apart only in their numbers ("Phase 1", "Phase 2") are two, not a misspelling
        bare = _bare(value)
        close = (sorted(s for s in seen if _bare(s) == bare)
                 or [s for s in difflib.get_close_matches(value, sorted(seen), n=3, cutoff=0.8)
                     if _NUMBERS.sub("#", s) != _NUMBERS.sub("#", value)][:1])
        if close:
            found.append((key, value, close[0]))
    return found


def unknown_roles(contract: Contract, persons: set[str]) -> list[tuple[str, str, str]]:
    """(key path, person, role) for each person with time whose `people` role is not in `roles`: the spec rates
    them at `default_rate` (a typo in the role bills them there in silence); without one they are held (no_rate)
    and `rates_present` names them."""
    if contract.default_rate is None:
        return []
    overridden = {o.person for o in contract.rate_overrides if o.project is None}  # rated whatever their role
    return [(f"people.{person}", person, role) for person, role in sorted(contract.people.items())
            if person in persons and person not in overridden and contract.role_rate(role) is None]


def mixed_rates(contract: Contract, worked: list[tuple[str, str, str]]) -> list[str]:
    """"person on project: 100.00 (Roles column 'analyst') and 90.00 (no role)" for each person, not in `people`,
    whose rows of one project give two base rates by their Roles column: a Harvest export carries Roles, Toggl's
    and Clockify's none (found by an auditor: one person billed at two rates in one invoice, with no word).
    `worked`: (person, project, Roles column) of the month's billable rows."""
    rates: dict[tuple[str, str], dict[Decimal, str]] = {}
    for person, project, roles in worked:
        if person in contract.people:
            continue
        role = resolve_role(contract, person, roles)
        rate = base_rate(contract, person, project, role)
        if rate is not None:
            said = f"Roles column {roles.split(',')[0].strip()!r}" if role else "no role: default_rate"
            rates.setdefault((person, project), {}).setdefault(rate, said)
    return [f"{person} on {project}: " + " and ".join(f"{rate:,.2f} ({said})" for rate, said in sorted(found.items()))
            for (person, project), found in sorted(rates.items()) if len(found) > 1]


_NUMBERS = re.compile(r"\d+")


def _bare(name: str) -> str:
    """A name without case, accents or repeated spaces: how two spellings of one person usually differ."""
    return name_key("".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)))
