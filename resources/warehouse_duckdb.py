"""The DuckDB warehouse: one file (BILLING_DB, default `<home>/billing.duckdb`), the embedded default.

DuckDB lets one process write the file at a time: a run opens it per step and waits (announced) for another
process's lock; readers use the copy `billing_read.duckdb` refreshed after each run."""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pandas as pd
from dagster import InitResourceContext
from pydantic import Field, PrivateAttr

from billing_assets.core.errors import WarehouseLocked
from resources.warehouse import Warehouse, WarehouseConnection, checked_name, sql_text, staged_frame


class DuckDBConnection(WarehouseConnection):
    """A DuckDB connection: staged rows are registered DataFrames; parameters are DuckDB's own `$name`."""

    dialect: ClassVar[str] = "duckdb"

    def __init__(self, raw: duckdb.DuckDBPyConnection):
        self.raw = raw

    def stage(self, name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.raw.register(checked_name(name), staged_frame(columns, rows))

    def unstage(self, name: str) -> None:
        self.raw.unregister(name)

    def _run(self, sql: str, params: dict[str, Any] | None) -> duckdb.DuckDBPyConnection:
        return self.raw.execute(sql) if params is None else self.raw.execute(sql, params)

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> None:
        self._run(sql, params)

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict]:
        cursor = self._run(sql, params)
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def frame(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        return self._run(sql, params).df()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.raw.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        self.raw.execute("COMMIT")


_SCHEMA_READY: set[str] = set()
LOCK_TIMEOUT_ENV = "BILLING_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT_S = 120.0
FIRST_NOTE_S = 2.0  # a lock held for less than this (another step, a quick reader) is waited for silently
NOTE_EVERY_S = 5.0
# the extensions the SQL uses (json, icu, parquet) are built into the wheel; not probing for others to autoload
# makes each open about 40 ms cheaper
OPEN_CONFIG = {"custom_user_agent": "dagster", "autoload_known_extensions": False,
               "autoinstall_known_extensions": False}
_HOLDER = re.compile(r"held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def read_copy_path(database: str | Path) -> Path:
    """Where readers find the copy refreshed after each run: `billing_read.duckdb` next to `billing.duckdb`."""
    path = Path(database)
    return path.with_name(f"{path.stem}_read{path.suffix}")


def lock_timeout(configured: float | None = None) -> float:
    """Seconds a run waits for another process's lock: the resource's `lock_timeout_s`, else
    BILLING_LOCK_TIMEOUT, else 120."""
    if configured is not None:
        return float(configured)
    raw = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    try:
        return float(raw) if raw else DEFAULT_LOCK_TIMEOUT_S
    except ValueError:
        raise ValueError(f"{LOCK_TIMEOUT_ENV}={raw!r}: not a number of seconds") from None


def lock_holder(error: duckdb.Error) -> str | None:
    """"PID 123 (jupyter-lab ...)" from DuckDB's lock conflict message, None when it is another IO error."""
    found = _HOLDER.search(str(error))
    if not found:
        return None if "lock" not in str(error).lower() else "another process"
    pid, program = found["pid"], found["program"]
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        command = ""
    command = " ".join((command or program).split())
    return f"PID {pid} ({command[:100]}{'...' if len(command) > 100 else ''})"


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def open_waiting(database: str, config: dict[str, Any], timeout: float,
                 note: Callable[[str], None] = _to_stderr) -> duckdb.DuckDBPyConnection:
    """Open the file read-write, waiting while another process holds it: silent for the first 2 s, then a note
    naming the holder every 5 s, and WarehouseLocked after `timeout` seconds."""
    start = time.monotonic()
    next_note = start + FIRST_NOTE_S
    delay = 0.02
    while True:
        try:
            return duckdb.connect(database, config=config)
        except duckdb.IOException as exc:
            holder = lock_holder(exc)
            if holder is None:
                raise
            now = time.monotonic()
            waited = now - start
            if waited >= timeout:
                raise WarehouseLocked(
                    f"{database}: the warehouse lock is held by {holder}; gave up after waiting {waited:.1f} s "
                    f"({LOCK_TIMEOUT_ENV}={timeout:g}). Close that connection and run again; notebooks and BI "
                    f"tools should read {read_copy_path(database).name} instead.") from None
            if now >= next_note:
                note(f"waiting for the warehouse lock held by {holder}: {waited:.0f} s of at most {timeout:g} s")
                while next_note <= now:  # on the 2 s, 7 s, 12 s ... marks, however late this check ran
                    next_note += NOTE_EVERY_S
            time.sleep(min(delay, max(0.0, timeout - waited)))
            delay = min(delay * 2, 0.25)


class DuckDBWarehouse(Warehouse):
    """The billing DuckDB file (the embedded default). Every write replaces whole client-months in one transaction.

    Each `connect()` opens the file and closes it at the end of the block (20-40 ms), unless a `held_open()` block
    keeps it open across a step's reads and writes; so a run holds the lock only while a step reads, prices or
    writes: between steps, while a step waits on Harvest, Claude or QuickBooks, and after the run, other processes
    can open it.
    A lock held by another process is waited for up to `lock_timeout_s` (BILLING_LOCK_TIMEOUT, default 120 s),
    with a note in the run's log every few seconds. At the end of each run that opened the file, the read copy
    `billing_read.duckdb` is replaced atomically with a snapshot of it, for readers that must never wait."""

    database: str
    connection_config: dict[str, Any] = Field(default_factory=dict)
    lock_timeout_s: float | None = None

    _note: Callable[[str], None] | None = PrivateAttr(default=None)
    _opened: bool = PrivateAttr(default=False)
    _lock_failed: bool = PrivateAttr(default=False)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._note = context.log.warning if context.log else None
        self._opened = self._lock_failed = False

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        """Refresh the read copy after a run that opened the file (not after one that gave up on the lock, nor
        after a sensor's evaluation, which only reads)."""
        if self._opened and not self._lock_failed and context.run_id:
            try:
                self.refresh_read_copy()
            except (duckdb.Error, OSError, WarehouseLocked) as exc:  # readers keep the previous copy
                if context.log:
                    context.log.warning(f"{read_copy_path(self.database).name} not refreshed: {exc}")
        self._note = None

    def _open(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own (the file opened once more) with the schema in place."""
        try:
            conn = open_waiting(self.database, {**OPEN_CONFIG, **self.connection_config},
                                lock_timeout(self.lock_timeout_s), self._note or _to_stderr)
        except WarehouseLocked:
            self._lock_failed = True
            raise
        self._opened = True
        try:
            self._ensure_schema(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _ensure_schema(self, conn: duckdb.DuckDBPyConnection) -> None:
        if self.database not in _SCHEMA_READY:
            conn.execute(sql_text("schema/tables.sql"))
            if conn.execute(sql_text("schema/hours_to_widen.sql")).fetchall():  # a file of an earlier release
                conn.execute("BEGIN TRANSACTION")
                try:
                    conn.execute(sql_text("schema/widen_hours.sql"))
                    conn.execute(sql_text("schema/tables.sql"))  # the view it dropped
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            _SCHEMA_READY.add(self.database)

    @contextmanager
    def connect(self) -> Iterator[DuckDBConnection]:
        """A connection with the schema in place, open for the block only."""
        conn = self._open()
        try:
            yield DuckDBConnection(conn)
        finally:
            conn.close()

    @contextmanager
    def held_open(self) -> Iterator[None]:
        """Keep the file open for the block: each `connect()` inside is still a connection of its own, to the
        database opened here (a process's connections to one file share its open database), so a step that reads
        and writes several times opens the file once, not once per block (20-40 ms each). Other processes wait
        while the block runs: hold it around a step's own reads, pricing and writes, never around calls to
        Harvest, Claude or QuickBooks."""
        conn = self._open()
        try:
            yield
        finally:
            conn.close()

    def exists(self) -> bool:
        return Path(self.database).exists()

    def refresh_read_copy(self) -> Path:
        """Checkpoint the file and replace `billing_read.duckdb` with a copy of it in one rename (readers that have
        the old copy open keep reading it; the next open sees the new one)."""
        target = read_copy_path(self.database)
        with self.connect() as conn:
            conn.execute("CHECKPOINT")
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as out, open(self.database, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
                os.chmod(tmp, os.stat(self.database).st_mode & 0o777)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return target
