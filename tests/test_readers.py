"""Readers and runs share the warehouse: a reader during a close is not refused for long, the read copy never
refuses, and a run that finds the file held waits visibly and fails with a clear message after the bound."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from billing_assets.cli import main
from resources.warehouse_duckdb import DuckDBWarehouse, WarehouseLocked, lock_timeout, read_copy_path, wait_for_lock
from tests.conftest import GOLDEN

BILLING = Path(sys.executable).with_name("billing")
CASE = GOLDEN / "01_retainer_rush_rollover"
TOTAL = Decimal("36790.00")  # 8000.00 + 10570.00 + 10220.00 + 8000.00 (expected.json of the case)
HOLD_SCRIPT = ("import duckdb, sys, time\n"
               "conn = duckdb.connect(sys.argv[1], read_only=True)\n"
               "print('holding', flush=True)\n"
               "time.sleep(float(sys.argv[2]))\n")


def _invoice_total(path: Path) -> Decimal:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute("SELECT sum(total) FROM invoices WHERE client = 'northwind'").fetchone()[0]


def _hold(path: Path, seconds: float) -> subprocess.Popen:
    """Another process (a notebook) holding the file read-only."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_SCRIPT, str(path), str(seconds)], stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_lock_timeout_comes_from_config_then_environment(monkeypatch) -> None:
    monkeypatch.delenv("BILLING_LOCK_TIMEOUT", raising=False)
    assert lock_timeout() == 120.0
    monkeypatch.setenv("BILLING_LOCK_TIMEOUT", "7.5")
    assert lock_timeout() == 7.5
    assert lock_timeout(3) == 3.0
    monkeypatch.setenv("BILLING_LOCK_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="BILLING_LOCK_TIMEOUT='soon'"):
        lock_timeout()


def test_open_waits_for_a_brief_holder_and_gives_up_on_a_long_one(tmp_path) -> None:
    path = tmp_path / "billing.duckdb"
    duckdb.connect(str(path)).close()
    notes: list[str] = []
    holder = _hold(path, 1.0)
    start = time.monotonic()
    wait_for_lock(lambda: duckdb.connect(str(path)), str(path), timeout=20,
                  note=notes.append).close()  # the holder lets go after 1 s
    assert 0.3 < time.monotonic() - start < 10
    assert notes == []  # under 2 s of waiting is silent
    holder.wait()

    holder = _hold(path, 30)
    try:
        start = time.monotonic()
        with pytest.raises(WarehouseLocked) as raised:
            wait_for_lock(lambda: duckdb.connect(str(path)), str(path), timeout=8.5, note=notes.append)
        waited = time.monotonic() - start
    finally:
        holder.kill()
        holder.wait()
    assert 8.5 <= waited < 10.5
    message = str(raised.value)
    assert f"{path}: the warehouse lock is held by PID {holder.pid} (" in message
    assert "BILLING_LOCK_TIMEOUT=8.5" in message and "billing_read.duckdb" in message
    assert "\n" not in message
    assert len(notes) == 2  # at 2 s and 7 s (8.5 s: a loaded machine may check the 7 s mark late)
    assert all(n.startswith(f"waiting for the warehouse lock held by PID {holder.pid} (") for n in notes)


def test_read_copy_is_replaced_atomically_and_readable(tmp_path) -> None:
    warehouse = DuckDBWarehouse(database=str(tmp_path / "billing.duckdb"))
    with warehouse.connect() as conn:
        conn.execute("CREATE TABLE notes AS SELECT 12.50::DECIMAL(18, 2) AS total")
    first = warehouse.refresh_read_copy()
    assert first == tmp_path / "billing_read.duckdb" == read_copy_path(tmp_path / "billing.duckdb")
    reader = duckdb.connect(str(first), read_only=True)  # a reader keeps its snapshot across a refresh
    with warehouse.connect() as conn:
        conn.execute("UPDATE notes SET total = 99.00")
    warehouse.refresh_read_copy()
    assert reader.execute("SELECT total FROM notes").fetchone()[0] == Decimal("12.50")
    reader.close()
    with duckdb.connect(str(first), read_only=True) as conn:
        assert conn.execute("SELECT total FROM notes").fetchone()[0] == Decimal("99.00")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_readers_during_a_close_are_not_refused_for_long(billing_env, capsys) -> None:
    home = billing_env(CASE)
    assert main(["close", "--month", "2026-07..2026-10"]) == 0, capsys.readouterr()
    db, copy = home / "billing.duckdb", home / "billing_read.duckdb"
    assert _invoice_total(copy) == _invoice_total(db) == TOTAL

    run = subprocess.Popen([str(BILLING), "close", "--month", "2026-07..2026-10"], env=os.environ.copy(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    copy_reads, copy_refusals, db_reads, refused_since, longest_refusal = 0, 0, 0, None, 0.0
    while run.poll() is None:
        try:
            assert _invoice_total(copy) == TOTAL
            copy_reads += 1
        except duckdb.IOException:
            copy_refusals += 1
        try:  # a notebook opening the warehouse itself: refused only while a step holds it
            assert _invoice_total(db) == TOTAL
            db_reads += 1
            refused_since = None
        except duckdb.IOException:
            now = time.monotonic()
            refused_since = refused_since or now
            longest_refusal = max(longest_refusal, now - refused_since)
        time.sleep(0.05)
    output = run.stdout.read()
    assert run.returncode == 0, output
    print(f"read copy: {copy_reads} reads, {copy_refusals} refused; billing.duckdb: {db_reads} reads, "
          f"longest refusal {longest_refusal:.2f} s")
    assert copy_refusals == 0 and copy_reads >= 10
    assert db_reads >= 5 and longest_refusal < 5
    assert _invoice_total(copy) == TOTAL


def test_a_run_that_finds_the_warehouse_held_says_so_and_fails_after_the_bound(billing_env, capsys) -> None:
    home = billing_env(CASE)
    assert main(["close", "--month", "2026-07"]) == 0, capsys.readouterr()
    holder = _hold(home / "billing.duckdb", 120)
    try:
        start = time.monotonic()
        done = subprocess.run([str(BILLING), "close", "--month", "2026-08"], capture_output=True, text=True,
                              env={**os.environ, "BILLING_LOCK_TIMEOUT": "4"}, timeout=120)
        elapsed = time.monotonic() - start
    finally:
        holder.kill()
        holder.wait()
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert f"waiting for the warehouse lock held by PID {holder.pid} (" in output
    assert f"the warehouse lock is held by PID {holder.pid} (" in output and "BILLING_LOCK_TIMEOUT=4" in output
    assert "Traceback" not in output
    print(f"failed after {elapsed:.1f} s (bound 4 s)")
    assert elapsed < 60
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:  # July kept, nothing half-written
        assert conn.execute("SELECT month, total FROM invoices ORDER BY month").fetchall() == [
            ("2026-07", Decimal("8000.00"))]


def test_a_sensor_that_reads_the_warehouse_leaves_the_read_copy_alone(tmp_path) -> None:
    from dagster import build_resources

    db = tmp_path / "billing.duckdb"
    with build_resources({"warehouse": DuckDBWarehouse(database=str(db))}) as resources:  # as a sensor gets it
        opened = resources.warehouse.connect()
        with opened as conn:
            assert conn.rows("SELECT count(*) AS n FROM invoices") == [{"n": 0}]
    assert db.exists() and not read_copy_path(db).exists()


def _other_process_opens(path: Path) -> bool:
    """Whether another process can open the file read-only right now."""
    probe = subprocess.run([sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True)",
                            str(path)], capture_output=True, text=True)
    return probe.returncode == 0


def test_held_open_keeps_the_file_for_its_block_and_each_block_inside_is_its_own_connection(tmp_path) -> None:
    db = tmp_path / "billing.duckdb"
    warehouse = DuckDBWarehouse(database=str(db))
    with warehouse.connect() as conn:
        conn.execute("CREATE TABLE notes (n INTEGER)")
    assert _other_process_opens(db)
    with warehouse.held_open():
        assert not _other_process_opens(db), "the file is held for the whole block"
        with warehouse.connect() as conn:
            conn.execute("INSERT INTO notes VALUES (1)")
        with pytest.raises(RuntimeError), warehouse.connect() as conn, conn.transaction():
            conn.execute("INSERT INTO notes VALUES (2)")
            raise RuntimeError("a step fails half-way")
        with warehouse.connect() as conn:
            assert conn.rows("SELECT n FROM notes") == [{"n": 1}], "the failed block's write is rolled back alone"
    assert _other_process_opens(db), "released when the block ends"
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("SELECT n FROM notes").fetchall() == [(1,)]
