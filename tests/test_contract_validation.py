"""One test per contract validation error class: each names the file and the key path."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from billing_assets.core.contract import ContractFile
from billing_assets.core.errors import ContractError

BASE = "client: acme\nname: Acme Corp\nroles: {senior: 250}\n"


def problems(tmp_path: Path, body: str, name: str = "acme") -> list[str]:
    path = tmp_path / f"{name}.yaml"
    path.write_text(body)
    with pytest.raises(ContractError) as caught:
        ContractFile(path)
    return caught.value.problems


@pytest.mark.parametrize("body, expected", [
    (BASE + "colour: blue\n", "contracts/acme.yaml: colour: Extra inputs are not permitted"),
    (BASE + "discount_pc: 5\n", "contracts/acme.yaml: discount_pc: Extra inputs are not permitted (did you mean "
                                "discount_pct?)"),
    (BASE + "retainer: {monthly_fee: 100, included_hours: 10, rollovr: {}}\n",
     "contracts/acme.yaml: retainer.rollovr: Extra inputs are not permitted (did you mean rollover?)"),
    (BASE + "terms_days: thirty\n", "contracts/acme.yaml: terms_days: Input should be a valid integer"),
    (BASE + "retainer: {monthly_fee: -1, included_hours: 10}\n",
     "contracts/acme.yaml: retainer.monthly_fee: Input should be greater than or equal to 0"),
    (BASE + "retainer: {monthly_fee: 1, included_hours: 1, rollover: {max_hours: -2, expires_after_months: 1}}\n",
     "contracts/acme.yaml: retainer.rollover.max_hours: Input should be greater than or equal to 0"),
    ("client: acme\nname: Acme\nroles: {senior: -5}\n", "contracts/acme.yaml: roles.senior: must be >= 0"),
    (BASE + "task_map: {Rush: turbo}\n", "contracts/acme.yaml: task_map.Rush: unknown work type 'turbo'"),
    ("client: acme\nname: Acme\nroles: {senior: 1,500}\n", "contracts/acme.yaml: roles: '500' is a number where a "
     "name belongs (inside {...} a number written with a comma, such as 1,500, splits into two entries: write 1500)"),
    # found by an auditor: `Rush:` was a work type of its own, and the rush a keyword gives billed as standard
    (BASE + "work_types: {Rush: {multiplier: 1.5}}\n", "contracts/acme.yaml: work_types.Rush: same name as the "
     "built-in work type 'rush' but for case or spaces (work type names match as written): write it as 'rush'"),
    (BASE + "work_types: {Overtime: {multiplier: 2}, overtime: {multiplier: 2}}\n",
     "contracts/acme.yaml: work_types.overtime: same work type as 'Overtime' but for case or spaces: keep one"),
    # found by an auditor: the first of two rates for one person silently won
    (BASE + "rate_overrides: [{person: Pat Ray, rate: 180}, {person: Pat Ray, rate: 220}]\n",
     "contracts/acme.yaml: rate_overrides[1]: same person as rate_overrides[0], at another rate or the same: keep one"),
    (BASE + "tiers: [{from_hours: 10, factor: 1}]\n",
     "contracts/acme.yaml: tiers[0].from_hours: tiers must start at 0"),
    (BASE + "tiers: [{from_hours: 0, factor: 1}, {from_hours: 0, factor: 0.9}]\n",
     "contracts/acme.yaml: tiers[1].from_hours: must be strictly greater than the previous tier"),
    (BASE + "rollover: {max_hours: 5, expires_after_months: 1}\n",
     "contracts/acme.yaml: rollover: Extra inputs are not permitted (rollover belongs under retainer)"),
    (BASE + "caps: [{name: a, period: month, amount: 1}, {name: b, period: month, amount: 2}]\n",
     "contracts/acme.yaml: caps[1]: same scope as cap 'a'"),
    (BASE + "caps: [{name: a, period: month, amount: 1, project: X, sow_item: S1}]\n",
     "contracts/acme.yaml: caps[0]: a cap is scoped by project or by sow_item, not both"),
    (BASE + "caps: [{name: a, period: lifetime, amount: 1, since: 2026-1}]\n",
     "contracts/acme.yaml: caps[0].since: must be a YYYY-MM month"),
    (BASE + "amendments: [{effective_from: 2026-13, roles: {senior: 1}}]\n",
     "contracts/acme.yaml: amendments[0].effective_from: must be a YYYY-MM month"),
    (BASE + "amendments: [{effective_from: 2026-07, roles: {senior: oops}}]\n",
     "contracts/acme.yaml: amendments[0] -> roles.senior: Input should be a valid decimal"),
    (BASE + "sow: {items: [{id: P1, name: x, billing: weekly}]}\n",
     "contracts/acme.yaml: sow.items[0].billing: Input should be 'hourly' or 'fixed_fee'"),
    (BASE + "sow: {items: [{id: P1, name: x, billing: fixed_fee, schedule: {2026-10: -5}}]}\n",
     "contracts/acme.yaml: sow.items[0].schedule.2026-10: must be >= 0"),
    (BASE + "rounding: {mode: up}\n", "contracts/acme.yaml: rounding: increment_hours must be > 0"),
    (BASE + "require_project_code: yes please\n",
     "contracts/acme.yaml: require_project_code: Input should be a valid boolean"),
])
def test_each_error_names_file_and_key(tmp_path: Path, body: str, expected: str) -> None:
    found = problems(tmp_path, body)
    assert any(p.startswith(expected) for p in found), found


def test_a_misspelt_required_key_is_one_problem(tmp_path: Path) -> None:
    """Found by an auditor: "expires_after_months: Field required" came first, beside the "did you mean" that says
    what is wrong."""
    body = BASE + "retainer: {monthly_fee: 1, included_hours: 1, rollover: {max_hours: 2, expire_after_months: 1}}\n"
    assert problems(tmp_path, body) == ["contracts/acme.yaml: retainer.rollover.expire_after_months: Extra inputs are "
                                        "not permitted (did you mean expires_after_months?)"]


def test_client_must_equal_file_stem(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE, name="other") == [
        "contracts/other.yaml: client: must equal the file name stem 'other', got 'acme'"]


def test_invalid_yaml_is_reported(tmp_path: Path) -> None:
    assert problems(tmp_path, "client: [acme\n")[0].startswith("contracts/acme.yaml: not valid YAML")


def test_numbers_are_exact_decimals_and_amendments_merge(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text("client: acme\nname: Acme Corp\ndiscount_pct: 1.1\nroles: {senior: 250, analyst: 150}\n"
                    "amendments:\n  - {effective_from: 2026-07, roles: {senior: 275.10}}\n"
                    "  - {effective_from: 2026-09, rate_overrides: [{person: A, rate: 1}]}\n")
    contract_file = ContractFile(path)
    assert contract_file.for_month("2026-06").roles == {"senior": Decimal("250"), "analyst": Decimal("150")}
    july = contract_file.for_month("2026-07")
    assert july.roles == {"senior": Decimal("275.10"), "analyst": Decimal("150")}
    assert july.discount_pct == Decimal("1.1") and not july.rate_overrides
    assert len(contract_file.for_month("2026-09").rate_overrides) == 1


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    found = problems(tmp_path, BASE + "colour: blue\nterms_days: -3\n")
    assert len(found) == 2
