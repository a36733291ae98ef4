"""Two commands started at the same instant on a new DAGSTER_HOME both set it up and close (issue 14)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb

from tests.conftest import GOLDEN, REPO

BILLING = [sys.executable, "-m", "billing_assets.cli"]


def test_two_closes_started_together_on_a_fresh_dagster_home_both_succeed(tmp_path: Path) -> None:
    dagster_home = tmp_path / "dagster_home"  # does not exist yet: both commands create it
    processes = []
    for name, case, client, month in (("a", "01_retainer_rush_rollover", "northwind", "2026-07"),
                                      ("b", "02_rate_cards_rounding", "globex", "2026-08")):
        home = tmp_path / name
        shutil.copytree(GOLDEN / case, home, ignore=shutil.ignore_patterns("expected.json", "CASE.md"))
        env = {**os.environ, "BILLING_HOME": str(home), "BILLING_DB": str(home / "billing.duckdb"),
               "DAGSTER_HOME": str(dagster_home), "BILLING_SERVER": "off", "BILLING_CLASSIFIER": "offline"}
        env.pop("ANTHROPIC_API_KEY", None)
        want = json.loads((GOLDEN / case / "expected.json").read_text())[f"{client}|{month}"]["total"]
        processes.append((home, client, month, Decimal(want), subprocess.Popen(
            BILLING + ["close", "--month", month, "--client", client], env=env, cwd=REPO,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
    for home, client, month, want, process in processes:
        out, _ = process.communicate(timeout=300)
        assert process.returncode == 0, out
        assert "already exists" not in out and "UNIQUE constraint" not in out
        with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
            totals = conn.execute("SELECT client, month, total FROM invoices").fetchall()
        assert totals == [(client, month, want)]


def test_a_dagster_home_whose_set_up_was_killed_is_made_again_and_one_that_ran_never(tmp_path: Path) -> None:
    """A close killed 1.8 s into its first run, while Dagster created the SQLite storages, left an empty event log:
    every later close failed asking for `dagster instance migrate`, which failed too."""
    home, dagster_home = tmp_path / "home", tmp_path / "dagster_home"
    shutil.copytree(GOLDEN / "02_rate_cards_rounding", home, ignore=shutil.ignore_patterns("expected.json", "CASE.md"))
    env = {**os.environ, "BILLING_HOME": str(home), "BILLING_DB": str(home / "billing.duckdb"),
           "DAGSTER_HOME": str(dagster_home), "BILLING_CLASSIFIER": "offline"}
    env.pop("ANTHROPIC_API_KEY", None)

    def close() -> subprocess.CompletedProcess:
        return subprocess.run(BILLING + ["close", "--month", "2026-08"], env=env, cwd=REPO, capture_output=True,
                              text=True, timeout=300)

    dagster_home.mkdir()
    shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
    subprocess.run([sys.executable, "-c", "from dagster import DagsterInstance; DagsterInstance.get().get_runs()"],
                   env=env, cwd=REPO, check=True, capture_output=True)  # the run storage made, no run in it
    (dagster_home / "event_log.db").write_bytes(b"")  # killed while the event log was being created
    done = close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"billing: the Dagster instance in {dagster_home} was never fully set up" in done.stderr
    aside = [p.name for p in dagster_home.iterdir() if p.name.startswith(".unfinished-setup-")]
    assert len(aside) == 1 and (dagster_home / aside[0] / "event_log.db").stat().st_size == 0
    ready = dagster_home / ".billing-instance-ready"
    assert ready.exists()

    for marked in (True, False):  # broken later, finished (marked) or of an earlier release (runs, no mark)
        (dagster_home / "event_log.db").write_bytes(b"")
        if not marked:
            ready.unlink()
        done = close()
        assert done.returncode != 0 and "never fully set up" not in done.stderr
        assert len([p for p in dagster_home.iterdir() if p.name.startswith(".unfinished-setup-")]) == 1
