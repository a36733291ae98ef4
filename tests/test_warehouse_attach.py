"""The DuckDB file is attached to one in-memory instance per process while a block uses it: the lock is taken and
let go as with an instance of its own, nested blocks share one attachment, threads share it safely, what a block
wrote is checkpointed into the file when it lets go, and a forked process starts with nothing attached."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from resources.warehouse_duckdb import DuckDBWarehouse, WarehouseLocked

WRITE_SCRIPT = ("import duckdb, sys\n"
                "conn = duckdb.connect(sys.argv[1])\n"
                "conn.execute(\"INSERT INTO notes VALUES ('other process')\")\n"
                "conn.close()\n")


def _other_process_writes(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WRITE_SCRIPT, str(path)], capture_output=True, text=True,
                          timeout=60)


def _notes(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return sorted(row[0] for row in conn.execute("SELECT note FROM notes").fetchall())


@pytest.fixture
def warehouse(tmp_path: Path) -> DuckDBWarehouse:
    warehouse = DuckDBWarehouse(database=str(tmp_path / "billing.duckdb"), lock_timeout_s=1)
    with warehouse.connect() as conn:
        conn.execute("CREATE TABLE notes (note VARCHAR)")
    return warehouse


def test_a_block_holds_the_lock_and_lets_it_go_with_its_writes_in_the_file(warehouse, tmp_path) -> None:
    path = tmp_path / "billing.duckdb"
    with warehouse.held_open():
        with warehouse.connect() as conn:
            conn.execute("INSERT INTO notes VALUES ('first block')")
        with warehouse.connect() as conn:  # a second block inside sees the first one's write
            assert conn.rows("SELECT count(*) AS n FROM notes") == [{"n": 1}]
        refused = _other_process_writes(path)
        assert refused.returncode != 0 and "Conflicting lock is held in" in refused.stderr
        assert f"(PID {os.getpid()})" in refused.stderr
    assert not path.with_name("billing.duckdb.wal").exists()  # checkpointed when let go
    assert _other_process_writes(path).returncode == 0
    assert _notes(path) == ["first block", "other process"]


def test_a_file_another_process_holds_is_waited_for_then_refused_by_name(warehouse, tmp_path) -> None:
    path = tmp_path / "billing.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time\n"
                               "c = duckdb.connect(sys.argv[1])\nprint('holding', flush=True)\ntime.sleep(30)\n",
                               str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(WarehouseLocked, match=rf"held by PID {holder.pid} \("), warehouse.connect():
            pass
    finally:
        holder.kill()
        holder.wait()
    with warehouse.connect() as conn:  # nothing was left attached by the refused block
        conn.execute("INSERT INTO notes VALUES ('after the holder')")
    assert _notes(path) == ["after the holder"]


def test_threads_share_the_attachment(warehouse, tmp_path) -> None:
    errors: list[BaseException] = []

    def write(number: int) -> None:
        try:
            for turn in range(5):
                with warehouse.connect() as conn:
                    conn.execute(f"INSERT INTO notes VALUES ('thread {number} turn {turn}')")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(_notes(tmp_path / "billing.duckdb")) == 30
    assert _other_process_writes(tmp_path / "billing.duckdb").returncode == 0  # and let go at the end


def test_the_first_file_of_an_instance_keeps_its_spill_folder_beside_it(tmp_path) -> None:
    """An in-memory instance would spill to ./.tmp of the working directory; it spills beside the warehouse, as the
    file's own instance did (`<file>.tmp`). A config of its own: this process's first file for that config."""
    warehouse = DuckDBWarehouse(database=str(tmp_path / "billing.duckdb"), connection_config={"memory_limit": "123MB"})
    with warehouse.connect() as conn:
        assert conn.rows("SELECT current_setting('temp_directory') AS spill") == [
            {"spill": f"{os.path.realpath(tmp_path / 'billing.duckdb')}.tmp"}]


def test_two_files_in_one_process_stay_apart(tmp_path) -> None:
    first = DuckDBWarehouse(database=str(tmp_path / "a.duckdb"))
    second = DuckDBWarehouse(database=str(tmp_path / "b.duckdb"))
    with first.held_open(), second.held_open():
        with first.connect() as conn:
            conn.execute("CREATE TABLE notes AS SELECT 'a' AS note")
        with second.connect() as conn:
            conn.execute("CREATE TABLE notes AS SELECT 'b' AS note")
            assert conn.rows("SELECT note FROM notes") == [{"note": "b"}]
    assert _notes(tmp_path / "a.duckdb") == ["a"] and _notes(tmp_path / "b.duckdb") == ["b"]


def test_a_forked_process_attaches_the_file_itself(warehouse, tmp_path) -> None:
    with warehouse.connect() as conn:  # the parent's instance exists before the fork
        conn.execute("INSERT INTO notes VALUES ('parent')")
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit code
        code = 1
        try:
            with warehouse.connect() as conn:
                conn.execute("INSERT INTO notes VALUES ('child')")
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert _notes(tmp_path / "billing.duckdb") == ["child", "parent"]
