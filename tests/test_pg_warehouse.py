"""The warehouse in PostgreSQL (BILLING_DB=postgresql://...) on a real server on 127.0.0.1 (tests/servers.py):
every golden case through `billing close`, read back from PostgreSQL to the cent; and the acceptance of issue 17:
with the Dagster instance in PostgreSQL too, two `billing close` processes of different clients run side by side,
both succeed, both runs are in the run storage, and no DuckDB file is written anywhere."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from billing_assets.cli import main
from tests.conftest import GOLDEN
from tests.servers import create_database, postgres_cluster
from tests.test_golden import CASES, actual_from, assert_golden

BILLING = [sys.executable, "-m", "billing_assets.cli"]


@pytest.fixture(scope="module")
def server():
    with postgres_cluster() as url:
        yield url


def _reader(url: str):
    conn = psycopg.connect(url, autocommit=True)
    return conn, lambda client, month: actual_from(lambda sql, params: conn.execute(sql, params).fetchall(),
                                                   client, month)


def _duckdb_files(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*.duckdb*")]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case_through_a_postgres_warehouse(case: Path, server: str, billing_env, monkeypatch, tmp_path,
                                                  capsys) -> None:
    billing_env(case)
    url = create_database(server, f"golden_{case.name[:2]}")
    monkeypatch.setenv("BILLING_DB", url)
    monkeypatch.chdir(tmp_path)
    expected = json.loads((case / "expected.json").read_text())
    months = sorted({key.split("|")[1] for key in expected})
    assert main(["close", "--month", f"{months[0]}..{months[-1]}"]) == 0, capsys.readouterr().out
    conn, actual = _reader(url)
    with conn:
        assert_golden(expected, actual)
        priced = conn.execute("SELECT count(*) FROM invoices").fetchone()[0]
        statuses = dict(conn.execute("SELECT status, count(*) FROM firm_overview GROUP BY status").fetchall())
    assert priced == len(expected) and sum(statuses.values()) == len(expected)
    assert _duckdb_files(tmp_path) == []


def test_two_closes_of_different_clients_run_side_by_side_on_postgres(server: str, tmp_path: Path) -> None:
    """Issue 17's acceptance: `storage: postgres` instance, PostgreSQL warehouse, two processes at once."""
    instance_db, warehouse = create_database(server, "side_instance"), create_database(server, "side_warehouse")
    dagster_home, cwd = tmp_path / "dagster_home", tmp_path / "cwd"
    dagster_home.mkdir()
    cwd.mkdir()
    (dagster_home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n"
        "storage:\n  postgres:\n    postgres_url: "
        f"\"{instance_db.replace('postgresql://', 'postgresql+psycopg2://')}\"\n"
        "concurrency:\n  pools:\n    granularity: op\n    default_limit: 1  # the duckdb pool's limit: unused here\n")
    cases = {"a": ("01_retainer_rush_rollover", "northwind"), "b": ("02_rate_cards_rounding", "globex")}
    processes, expected = [], {}
    for name, (case, client) in cases.items():
        home = tmp_path / name
        shutil.copytree(GOLDEN / case, home, ignore=shutil.ignore_patterns("expected.json", "CASE.md"))
        expected.update(json.loads((GOLDEN / case / "expected.json").read_text()))
        months = sorted({key.split("|")[1] for key in expected if key.startswith(f"{client}|")})
        env = {**os.environ, "BILLING_HOME": str(home), "BILLING_DB": warehouse, "DAGSTER_HOME": str(dagster_home),
               "BILLING_CLASSIFIER": "offline", "GX_ANALYTICS_ENABLED": "false"}
        env.pop("ANTHROPIC_API_KEY", None)
        processes.append(subprocess.Popen(BILLING + ["close", "--month", f"{months[0]}..{months[-1]}", "--client",
                                                     client], env=env, cwd=cwd, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, text=True))
    outputs = [process.communicate(timeout=600)[0] for process in processes]
    for process, out in zip(processes, outputs, strict=True):
        assert process.returncode == 0, out
        # nobody waited for the other's pool slot or a warehouse lock (waiting for the instance set-up is fine)
        assert "held by run" not in out and "warehouse lock" not in out, out
    conn, actual = _reader(warehouse)
    with conn:
        assert_golden(expected, actual)
    with psycopg.connect(instance_db) as conn:
        runs = conn.execute("SELECT status, start_time, end_time, run_body FROM runs ORDER BY start_time").fetchall()
    assert [r[0] for r in runs] == ["SUCCESS", "SUCCESS"]
    assert {c for _, c in cases.values()} == {c for r in runs for c in ("northwind", "globex") if c in r[3]}
    (_, start_a, end_a, _), (_, start_b, end_b, _) = runs
    assert start_b < end_a, f"the runs did not overlap: {end_a - start_b:.1f} s apart"  # side by side
    assert _duckdb_files(tmp_path, cwd) == []


def test_with_duckdb_a_second_command_waits_for_the_pool_slot_saying_who_holds_it(billing_env, tmp_path) -> None:
    """DuckDB keeps one writer: a command finding the `duckdb` pool slot held by a live run of another process
    says so, names the run, step and pid, and gives up after BILLING_SLOT_WAIT; once that process is gone the slot
    is freed and the command goes ahead. (The holder is a real run record tagged with a real, sleeping process.)"""
    import socket

    from dagster._core.test_utils import create_run_for_test

    from billing_assets.cli import prepare_environment
    from billing_assets.instance_setup import open_instance
    from billing_assets.recovery import TAG_HOST, TAG_PID, TAG_START, _start_time, recover, wait_for_pools

    billing_env(GOLDEN / "01_retainer_rush_rollover")
    prepare_environment(instance=False)
    instance = open_instance(Path(os.environ["DAGSTER_HOME"]))
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        run = create_run_for_test(instance, job_name="month_close", tags={
            TAG_PID: str(holder.pid), TAG_HOST: socket.gethostname(), TAG_START: _start_time(holder.pid) or ""})
        instance.run_storage.handle_run_event(run.run_id, _started(run))
        storage = instance.event_log_storage
        assert storage.initialize_concurrency_limit_to_default("duckdb")  # dagster.yaml: default_limit 1
        assert storage.get_concurrency_info("duckdb").slot_count == 1
        assert storage.claim_concurrency_slot("duckdb", run.run_id, "priced_line_items").is_claimed
        said: list[str] = []
        with pytest.raises(SystemExit, match="gave up after 1 s waiting for pool 'duckdb' held by run"):
            wait_for_pools(instance, timeout=1, log=said.append, poll=0.2)
        assert said[0] == (f"billing: waiting (at most 1 s) for another command: pool 'duckdb' held by run "
                           f"{run.run_id[:8]} step priced_line_items (pid {holder.pid})")
    finally:
        holder.kill()
        holder.wait()
    said.clear()
    wait_for_pools(instance, timeout=5, log=said.append, poll=0.2)  # a dead holder is not waited for
    assert recover(instance, said.append) == ([run.run_id], [run.run_id])  # its run failed, its slot freed
    assert len(said) == 1 and said[0].startswith("billing: recovered from a crash: marked 1 run(s)")
    assert instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots == []


def _started(run):
    from dagster import DagsterEvent, DagsterEventType

    return DagsterEvent(DagsterEventType.RUN_START.value, job_name=run.job_name)


def test_a_warehouse_database_not_created_yet_is_one_line(server: str, billing_env, monkeypatch, capsys) -> None:
    """Deploy step 1 creates the Dagster database only; `BILLING_DB=postgresql://.../billing` then ended the close
    in a traceback. It is one line naming the database and what to create; a user who may not create tables in
    it is told to own it."""
    import psycopg2

    billing_env(GOLDEN / "01_retainer_rush_rollover")
    monkeypatch.setenv("BILLING_DB", server.replace("postgres@", "postgres:s3cret@") + "/billing_missing")
    assert main(["close", "--month", "2026-07"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("billing: BILLING_DB postgresql://postgres:***@127.0.0.1:") and "s3cret" not in err
    assert err.endswith('database "billing_missing" does not exist; create it (CREATE DATABASE ... OWNER <the URL\'s '
                        "user>)") and "\n" not in err

    url = create_database(server, "billing_not_owned")
    admin = psycopg2.connect(url)
    admin.autocommit = True
    with admin.cursor() as cursor:  # PostgreSQL 15+: only the owner may create in schema public
        cursor.execute("CREATE ROLE clerk LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    admin.close()
    monkeypatch.setenv("BILLING_DB", url.replace("postgres@", "clerk@"))
    assert main(["close", "--month", "2026-07"]) == 1
    err = capsys.readouterr().err.strip()
    assert "permission denied for schema public: the URL's user must own the database" in err and "\n" not in err


def test_a_duckdb_warehouse_left_in_the_home_is_named_when_the_warehouse_moves(server: str, closed_golden, monkeypatch,
                                                                             capsys) -> None:
    """Found by an auditor: pointing BILLING_DB at a new PostgreSQL database on a home whose DuckDB warehouse had
    sent invoices drafted the sent month again, and approval sent it a second time, without a word."""
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    monkeypatch.setenv("BILLING_DB", create_database(server, "moved"))
    capsys.readouterr()
    assert main(["close", "--month", "2026-09"]) == 0
    assert (f"warning: BILLING_DB is PostgreSQL, but {home / 'billing.duckdb'} holds an earlier DuckDB warehouse "
            "with 1 sent invoice(s), which PostgreSQL does not know") in capsys.readouterr().err
