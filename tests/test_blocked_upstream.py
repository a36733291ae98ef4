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


def test_the_months_after_a_month_now_blocked_are_told_to_fix_it_first(closed_golden, capsys) -> None:
    """Found by an auditor following the advice: a review decision with a typo blocked August; the close told
    September and October that August was "priced again" and to close 2026-09..2026-10, which pricing refused
    (August must be priced first), and their drafts were lost on the way. They are told to fix August first."""
    home = closed_golden(GOLDEN / "03_caps_tiers_fixed_fee", "2026-08..2026-10")
    (home / "overrides").mkdir(exist_ok=True)
    (home / "overrides" / "2026-08-review.csv").write_text(
        "entry_id,work_type,sow_item,action,note\nh74557e8db666fd12,standard,S2,bil,hosting work\n")
    capsys.readouterr()
    assert main(["close", "--month", "2026-08"]) == 1
    out = capsys.readouterr().out
    assert "priced again" not in out, out
    for month in ("2026-09", "2026-10"):
        assert f"warning: initech {month}: priced from the ledgers of 2026-08, which is blocked (" in out, out
    assert "fix 2026-08, then close 2026-08..2026-09 again" in out
