"""Hostile contract files beyond duplicated keys and encodings (tests/test_contract_set.py): numbers beyond the
warehouse, nesting that would exhaust the parser, alias bombs. Each is one message naming the file and key path,
never a traceback, and quickly."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from billing_assets.core.contract import ContractFile
from billing_assets.core.errors import ContractError

BASE = "client: acme\nname: Acme Corp\nroles: {senior: 250}\n"


def refused(tmp_path: Path, data: str) -> list[str]:
    path = tmp_path / "acme.yaml"
    path.write_text(data)
    with pytest.raises(ContractError) as caught:
        ContractFile(path)
    return caught.value.problems


@pytest.mark.parametrize("body, expected", [
    (BASE + "default_rate: 1e308\n", "contracts/acme.yaml: default_rate: 1e308 is beyond the amounts the warehouse "
                                     "holds (below 100,000,000,000,000)"),
    (BASE + "discount_pct: 123456789012345678\n", "contracts/acme.yaml: discount_pct: 123456789012345678 is beyond"),
    (BASE + "notes: " + "[" * 200 + "]" * 200 + "\n", "contracts/acme.yaml: notes"),
])
def test_huge_or_deep_contract_is_one_named_error(tmp_path: Path, body: str, expected: str) -> None:
    problems = refused(tmp_path, body)
    assert len(problems) == 1 and problems[0].startswith(expected), problems
    assert "\n" not in problems[0]


def test_alias_bomb_refused_fast(tmp_path: Path) -> None:
    lines = ["client: acme", "name: Acme Corp", "roles: {senior: 250}", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    lines.append("aliases: *a9")
    started = time.monotonic()
    problems = refused(tmp_path, "\n".join(lines) + "\n")
    assert time.monotonic() - started < 5
    assert problems == ["contracts/acme.yaml: (top level): more than 100,000 values once anchors and aliases are "
                        "expanded (an alias bomb?)"]


def test_merge_keys_and_exact_decimals_still_read(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text("client: acme\nname: Acme Corp\nroles: &r\n  senior: 250.10\n  junior: 99.999\n")
    contract = ContractFile(path).for_month("2026-10")
    assert str(contract.roles["senior"]) == "250.10" and str(contract.roles["junior"]) == "99.999"


def test_two_merged_blocks_giving_one_key_two_values_are_refused(tmp_path: Path) -> None:
    """Found by an auditor: `roles: {<<: [{senior: 200}, {senior: 300}]}` billed 300, where YAML's merge rule
    gives the first block's 200. Blocks that agree, and a key the mapping itself sets, still read."""
    assert refused(tmp_path, "client: acme\nname: Acme Corp\nroles: {<<: [{senior: 200}, {senior: 300}]}\n") == [
        "contracts/acme.yaml: roles.senior: set otherwise by two merged blocks (line 3); write it once"]
    # found by an adversarial reviewer: a key the mapping sets itself wins over every block, and 150 = 150.00
    path = tmp_path / "acme.yaml"
    path.write_text("client: acme\nname: Acme Corp\nroles:\n  <<: [{senior: 150, analyst: 120}, {senior: 160, "
                    "analyst: 120.00}]\n  senior: 170\n")
    assert ContractFile(path).for_month("2026-10").roles == {"senior": 170, "analyst": 120}
    path.write_text("client: acme\nname: Acme Corp\nroles:\n  <<: [{senior: 200, junior: 100}, {senior: 200}]\n"
                    "  junior: 120\n")
    assert ContractFile(path).for_month("2026-10").roles == {"senior": 200, "junior": 120}
