"""A month priced from the ledgers of a blocked month. July is blocked because Excel's copy of its export bills
every row twice; its retainer ledger still records the doubled hours. August was priced from those lots, pushed,
and `billing approve` sent it short. Now August is held back by the push, refused by approval, and named on the
overview until July is fixed and both months are closed again."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from billing_assets.cli import main
from tests.conftest import GOLDEN

CASE = GOLDEN / "01_retainer_rush_rollover"
REASON = ("priced from the ledgers of 2026-07, which is blocked (raw_time_entries.no_cross_file_duplicates): its "
          "retainer lots and cap totals are not final; fix 2026-07, then close 2026-07..2026-08 again")


def _table(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def overview(home: Path) -> dict[str, tuple]:
    return {m: (status, detail) for m, status, detail in _table(
        home, "SELECT month, status, detail FROM firm_overview ORDER BY month")}


def test_a_month_priced_from_a_blocked_months_ledgers_is_held_back(billing_env, capsys) -> None:
    home = billing_env(CASE)
    sheet = home / "timesheets" / "harvest_time_a.csv"
    header, *rows = sheet.read_text().splitlines(keepends=True)
    copy = home / "timesheets" / "harvest_time_a (copy).csv"
    copy.write_text(header + "".join(r for r in rows if r.startswith("2026-07")))

    assert main(["close", "--month", "2026-07..2026-08"]) == 1
    out = capsys.readouterr().out
    assert "no_cross_file_duplicates" in out and REASON in out
    status = overview(home)
    assert status["2026-07"][0] == "blocked: raw_time_entries.no_cross_file_duplicates"
    assert status["2026-08"] == ("blocked: 2026-07 is blocked", REASON)
    assert not list((home / "outbox").glob("2026-08/*.json"))  # held back: nothing pushed

    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 1
    assert f"skipped       blocking checks failed: {REASON}" in capsys.readouterr().out
    assert _table(home, "SELECT count(*) FROM sent_invoices") == [(0,)]

    copy.unlink()  # fixed: July closed again, August is stale until it is closed again too
    assert main(["close", "--month", "2026-07"]) == 0
    assert overview(home)["2026-08"][0] == "stale: 2026-07 priced again since"
    assert main(["close", "--month", "2026-08"]) == 0
    assert overview(home)["2026-08"][0] == "pushed"
    assert main(["approve", "--month", "2026-07..2026-08", "--by", "Dana"]) == 0

    expected = json.loads((CASE / "expected.json").read_text())  # the golden case's figures, unchanged
    assert {m: f"{t:.2f}" for m, t in _table(home, "SELECT month, total FROM sent_invoices")} == {
        m: expected[f"northwind|{m}"]["total"] for m in ("2026-07", "2026-08")}
