"""With the Harvest API (which loads only the months a run asks for) and no contract `start`, the engagement
begins where the warehouse's earlier closes say, not at the first month of the latest run: the schedule's
one-month close of October once priced October as the first month (rollover lots dropped, lifetime cap reset,
2,000.00 where 1,000.00 was right), and a quiet September closed alone was called outside the engagement."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from billing_assets.cli import main
from tests.emulators.harvest_server import HarvestEmulator
from tests.test_stale_chain import CONTRACT as RETAINER

CONTRACT = RETAINER + 'caps:\n  - {name: "Lifetime NTE", period: lifetime, amount: 2500}\n'


def _invoices(home: Path) -> dict[str, tuple[Decimal, str]]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT i.month, i.total, s.engagement FROM invoices i JOIN partition_status s "
                            "USING (client, month) ORDER BY i.month").fetchall()
    return {month: (total, engagement) for month, total, engagement in rows}


@pytest.fixture
def harvest_home(billing_env, monkeypatch):
    home = billing_env()
    (home / "contracts" / "rcx.yaml").write_text(CONTRACT)
    with HarvestEmulator() as harvest:
        for name, value in {"BILLING_SOURCE": "harvest", "HARVEST_ACCESS_TOKEN": harvest.token,
                            "HARVEST_ACCOUNT_ID": harvest.account_id, "HARVEST_BASE_URL": harvest.base_url,
                            "BILLING_FIRST_MONTH": "2026-05"}.items():
            monkeypatch.setenv(name, value)
        yield home, harvest


def test_a_later_one_month_close_continues_the_engagement_the_warehouse_knows(harvest_home) -> None:
    home, harvest = harvest_home
    harvest.add_entries([{"spent_date": day, "client": "RCX Ltd", "hours": hours, "user": "Ann Lee",
                          "project": "Ops", "task": "Support", "notes": "support work"}
                         for day, hours in (("2026-08-05", "4"), ("2026-09-07", "4"), ("2026-10-06", "20"))])
    assert main(["close", "--month", "2026-08..2026-10"]) == 0
    whole = _invoices(home)
    assert whole["2026-10"] == (Decimal("1000.0000"), "2026-08..")  # 12 rolled-over hours cover October's 20
    assert main(["close", "--month", "2026-10"]) == 0  # what the monthly schedule runs
    assert main(["close", "--month", "2026-09"]) == 0  # a quiet month alone: still inside, its fee billed
    assert _invoices(home) == whole
