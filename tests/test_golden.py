"""Every golden client-month reproduced to the cent through the real path: `billing close` over its months."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from billing_assets.cli import main
from tests.conftest import GOLDEN

CASES = sorted(p for p in GOLDEN.iterdir() if (p / "expected.json").exists())


def _actual(db: Path, client: str, month: str) -> dict:
    with duckdb.connect(str(db)) as conn:
        return actual_from(lambda sql, params: conn.execute(sql.replace("%s", "?"), params).fetchall(), client, month)


def actual_from(fetch, client: str, month: str) -> dict:
    """The invoice total, held hours, sums per line kind and carried lots of a client-month, read with
    `fetch(sql with %s parameters, params) -> rows` (DuckDB or PostgreSQL)."""
    invoice = fetch("SELECT total, hours_held FROM invoices WHERE client = %s AND month = %s", [client, month])
    kinds: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"amount": Decimal(0), "quantity": Decimal(0)})
    for kind, amount, quantity in fetch(
            "SELECT kind, amount, quantity FROM invoice_lines WHERE client = %s AND month = %s", [client, month]):
        kinds[kind]["amount"] += amount
        kinds[kind]["quantity"] += quantity
    lots = [tuple(lot) for lot in fetch("SELECT origin_month, hours_carried FROM retainer_ledger WHERE client = %s "
                                        "AND month = %s AND hours_carried > 0 ORDER BY origin_month", [client, month])]
    assert invoice, f"{client}|{month} was not priced"
    return {"total": invoice[0][0], "hours_held": invoice[0][1], "kinds": dict(kinds), "lots": lots}


def assert_golden(expected: dict, actual_of) -> None:
    """Every client-month of expected.json matches `actual_of(client, month)` to the cent."""
    for key, want in expected.items():
        client, month = key.split("|")
        got = actual_of(client, month)
        assert got["total"] == Decimal(want["total"]), key
        assert got["hours_held"] == Decimal(want["hours_held"]), key
        assert set(got["kinds"]) == set(want["kinds"]), key
        for kind, sums in want["kinds"].items():
            assert got["kinds"][kind]["amount"] == Decimal(sums["amount"]), (key, kind)
            assert got["kinds"][kind]["quantity"] == Decimal(sums["quantity"]), (key, kind)
        assert [(o, Decimal(h)) for o, h in want["lots_carried"]] == got["lots"], key


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case(case: Path, billing_env, capsys) -> None:
    home = billing_env(case)
    expected = json.loads((case / "expected.json").read_text())
    months = sorted({key.split("|")[1] for key in expected})
    assert main(["close", "--month", f"{months[0]}..{months[-1]}"]) == 0, capsys.readouterr().out
    assert_golden(expected, lambda client, month: _actual(home / "billing.duckdb", client, month))
