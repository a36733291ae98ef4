"""A close SIGKILLed as each step starts (holding the `duckdb` pool slot) is followed by a command that cleans up
(the dead run failed, its slot freed, one line saying so), and the final re-run finishes within 120 s with the
golden prices and no duplicated row."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
from dagster import DagsterInstance, DagsterRunStatus

from tests.conftest import GOLDEN, REPO

CASE = GOLDEN / "02_rate_cards_rounding"
STEPS = ("contracts", "raw_expenses", "raw_time_entries", "raw_time_entry_checks", "classified_time_entries",
         "classified_entry_checks", "priced_line_items", "review_queue", "priced_checks",
         "quickbooks_draft_invoices")
CHECKS = {"raw_time_entry_checks", "classified_entry_checks", "priced_checks"}  # not in the duckdb pool
CLOSE = ["close", "--month", "2026-08"]
# Each killed close is a cold process (~8 s idle, ~40 s on a loaded 2-core machine). By default: the first step,
# an unpooled check, pricing and the push; BILLING_FAULT_STEPS=all kills at every step.
KILL_AT = STEPS if os.environ.get("BILLING_FAULT_STEPS") == "all" else (
    "contracts", "raw_time_entry_checks", "priced_line_items", "quickbooks_draft_invoices")


def billing(args: list[str], kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    command = [sys.executable, "-m", "billing_assets.cli", *args]
    if kill_at:
        env["BILLING_KILL_AT_STEP"] = kill_at
        command = [sys.executable, "-m", "tests.faults.kill_at_step", *args]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_sigkill_at_each_step_start_then_rerun_prices_exactly(billing_env) -> None:
    home = billing_env(CASE)
    dagster_home = Path(os.environ["DAGSTER_HOME"])
    for killed, step in enumerate(KILL_AT):
        done = billing(CLOSE, kill_at=step)
        assert done.returncode == -signal.SIGKILL, (step, done.returncode, done.stderr[-2000:])
        if killed:  # this command found the previous one's run dead and cleaned it before reaching `step`
            assert "billing: recovered from a crash: marked 1 run(s) of dead processes failed" in done.stderr
        with DagsterInstance.from_config(str(dagster_home)) as instance:
            run = instance.get_runs(limit=1)[0]
            assert run.status == DagsterRunStatus.STARTED
            info = instance.event_log_storage.get_concurrency_info("duckdb")
            holds = [] if step in CHECKS else [(run.run_id, step)]
            assert [(s.run_id, s.step_key) for s in info.claimed_slots] == holds
    started = time.monotonic()
    done = billing(CLOSE)
    assert time.monotonic() - started < 120
    assert done.returncode == 0, done.stdout + done.stderr
    assert "marked 1 run(s) of dead processes failed" in done.stderr
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs()
        assert [r.status for r in runs] == [DagsterRunStatus.SUCCESS] + [DagsterRunStatus.FAILURE] * len(KILL_AT)
        assert instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots == []
    want = json.loads((CASE / "expected.json").read_text())["globex|2026-08"]
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        totals = conn.execute("SELECT client, month, total FROM invoices").fetchall()
        assert totals == [("globex", "2026-08", Decimal(want["total"]))]
        for table in ("raw_time_entries", "classified_time_entries", "invoice_lines", "line_entries",
                      "entry_outcomes"):
            rows, distinct = conn.execute(f"SELECT count(*), count(DISTINCT t) FROM {table} t").fetchone()
            assert rows == distinct and rows > 0, table
        kinds = dict(conn.execute("SELECT kind, sum(amount) FROM invoice_lines GROUP BY kind").fetchall())
        assert kinds == {k: Decimal(v["amount"]) for k, v in want["kinds"].items()}
    outbox = list((home / "outbox").rglob("*.json"))
    assert [p.name for p in outbox] == ["globex.json"]
