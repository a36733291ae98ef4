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
        invoice = conn.execute("SELECT total, hours_held FROM invoices WHERE client = ? AND month = ?",
                               [client, month]).fetchone()
        kinds: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"amount": Decimal(0), "quantity": Decimal(0)})
        for kind, amount, quantity in conn.execute(
                "SELECT kind, amount, quantity FROM invoice_lines WHERE client = ? AND month = ?", [client, month]
        ).fetchall():
            kinds[kind]["amount"] += amount
            kinds[kind]["quantity"] += quantity
        lots = conn.execute("SELECT origin_month, hours_carried FROM retainer_ledger WHERE client = ? AND month = ? "
                            "AND hours_carried > 0 ORDER BY origin_month", [client, month]).fetchall()
    assert invoice is not None, f"{client}|{month} was not priced"
    return {"total": invoice[0], "hours_held": invoice[1], "kinds": dict(kinds), "lots": lots}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case(case: Path, billing_env, capsys) -> None:
    home = billing_env(case)
    expected = json.loads((case / "expected.json").read_text())
    months = sorted({key.split("|")[1] for key in expected})
    assert main(["close", "--month", f"{months[0]}..{months[-1]}"]) == 0, capsys.readouterr().out
    for key, want in expected.items():
        client, month = key.split("|")
        got = _actual(home / "billing.duckdb", client, month)
        assert got["total"] == Decimal(want["total"]), key
        assert got["hours_held"] == Decimal(want["hours_held"]), key
        assert set(got["kinds"]) == set(want["kinds"]), key
        for kind, sums in want["kinds"].items():
            assert got["kinds"][kind]["amount"] == Decimal(sums["amount"]), (key, kind)
            assert got["kinds"][kind]["quantity"] == Decimal(sums["quantity"]), (key, kind)
        assert [(o, Decimal(h)) for o, h in want["lots_carried"]] == got["lots"], key
