"""The DuckDB warehouse: one file (BILLING_DB, default `<home>/billing.duckdb`), the embedded default.

DuckDB lets one process write the file at a time: a run opens it per step and waits (announced) for another
process's lock; readers use the copy `billing_read.duckdb` refreshed after each run.

"Opening" the file is an ATTACH to one in-memory DuckDB kept per process (and per connection config), and closing
it a DETACH: DuckDB 2.0 takes about 35 ms to start a database instance (its built-in extensions), empty or not,
where ATTACH and DETACH of the file take about 4 ms; the file's lock is taken and let go exactly as with an
instance of its own (the same lock, the same conflict message naming the holder)."""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, TypeVar

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
T = TypeVar("T")
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


def wait_for_lock(attempt: Callable[[], T], database: str, timeout: float,
                  note: Callable[[str], None] = _to_stderr) -> T:
    """`attempt()` (which opens or attaches the file), again while another process holds the file's lock: silent
    for the first 2 s, then a note naming the holder every 5 s, and WarehouseLocked after `timeout` seconds."""
    start = time.monotonic()
    next_note = start + FIRST_NOTE_S
    delay = 0.02
    while True:
        try:
            return attempt()
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


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _Attachments:
    """The process's in-memory DuckDB instances (one per connection config) and the files attached to them, each
    with the number of blocks using it: the first block attaches the file (taking its lock), the last one out
    detaches it (DuckDB checkpoints it then, and lets the lock go). A process forked from this one starts with
    none."""

    def __init__(self) -> None:
        self._left_by_parent: list[Any] = []
        self._start()
        os.register_at_fork(after_in_child=self._start)

    def _start(self) -> None:
        """Nothing attached (in a forked child: the parent's instances are kept referenced, never used or closed
        here, and its locks, which another thread may have held at the fork, are new ones)."""
        if hasattr(self, "_instances"):
            self._left_by_parent.append(self._instances)
        self._guard = threading.Lock()
        self._instances: dict[tuple, duckdb.DuckDBPyConnection] = {}
        self._files: dict[str, tuple[str, duckdb.DuckDBPyConnection]] = {}  # database -> (alias, instance)
        self._users: dict[str, int] = {}
        self._file_locks: dict[str, threading.Lock] = {}
        self._attached_count = 0

    def _instance(self, config: dict[str, Any], database: str) -> duckdb.DuckDBPyConnection:
        key = tuple(sorted((name, repr(value)) for name, value in config.items()))
        if key not in self._instances:
            # an in-memory instance spills to ./.tmp of the working directory by default; a file's own instance
            # spilled to `<file>.tmp` beside it (the warehouse's disk, not a RAM-backed /tmp): kept so
            spill = {"temp_directory": f"{database}.tmp"}
            self._instances[key] = duckdb.connect(":memory:", config={**spill, **config})
        return self._instances[key]

    def _file_lock(self, database: str) -> threading.Lock:
        with self._guard:
            return self._file_locks.setdefault(database, threading.Lock())

    def attach(self, database: str, config: dict[str, Any], wait: Callable[[Callable[[], Any]], Any]
               ) -> tuple[str, duckdb.DuckDBPyConnection, bool]:
        """(alias, instance, first): the file attached, `first` when this block attached it. `wait` runs the
        ATTACH again while another process holds the file's lock."""
        with self._file_lock(database):
            if database in self._files:
                self._users[database] += 1
                alias, instance = self._files[database]
                return alias, instance, False
            with self._guard:
                instance = self._instance(config, database)
                self._attached_count += 1
                alias = f"billing_file_{self._attached_count}"
            cursor = instance.cursor()
            try:
                wait(lambda: cursor.execute(f'ATTACH {_sql_string(database)} AS "{alias}"'))
            finally:
                cursor.close()
            self._files[database] = (alias, instance)
            self._users[database] = 1
            return alias, instance, True

    def detach(self, database: str) -> None:
        """One block less on the file; the last one detaches it."""
        with self._file_lock(database):
            self._users[database] -= 1
            if self._users[database]:
                return
            alias, instance = self._files[database]
            cursor = instance.cursor()
            try:
                cursor.execute(f'DETACH "{alias}"')
            finally:
                cursor.close()
            # forgotten only once detached: a DETACH that failed (its checkpoint, say) leaves the file attached,
            # and the next block uses that attachment and tries again when it ends
            del self._files[database], self._users[database]


_ATTACHMENTS = _Attachments()


class DuckDBWarehouse(Warehouse):
    """The billing DuckDB file (the embedded default). Every write replaces whole client-months in one transaction.

    Each `connect()` attaches the file and detaches it at the end of the block (a few ms), unless a `held_open()`
    block keeps it attached across a step's reads and writes; so a run holds the lock only while a step reads, prices or
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

    @contextmanager
    def _attached(self) -> Iterator[tuple[str, duckdb.DuckDBPyConnection]]:
        """The file attached for the block (alias, instance), with the schema in place; the first block of the
        process to use it waits for another process's lock, the last one detaches it."""
        database = os.path.realpath(self.database)
        timeout, note = lock_timeout(self.lock_timeout_s), self._note or _to_stderr
        try:
            alias, instance, first = _ATTACHMENTS.attach(
                database, {**OPEN_CONFIG, **self.connection_config},
                lambda attach: wait_for_lock(attach, self.database, timeout, note))
        except WarehouseLocked:
            self._lock_failed = True
            raise
        self._opened = True
        try:
            if first:
                self._ensure_schema(instance, alias, database)
            yield alias, instance
        finally:
            _ATTACHMENTS.detach(database)

    def _ensure_schema(self, instance: duckdb.DuckDBPyConnection, alias: str, database: str) -> None:
        """The tables in place once per process and file (`database`: its real path, as the attachment's key)."""
        if database in _SCHEMA_READY:
            return
        conn = instance.cursor()
        try:
            conn.execute(f'USE "{alias}"')
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
        finally:
            conn.close()
        _SCHEMA_READY.add(database)

    @contextmanager
    def connect(self) -> Iterator[DuckDBConnection]:
        """A connection of its own (a cursor of the process's instance, the file its default database), with the
        schema in place, for the block only."""
        with self._attached() as (alias, instance):
            cursor = instance.cursor()
            try:
                cursor.execute(f'USE "{alias}"')
                yield DuckDBConnection(cursor)
            finally:
                cursor.close()

    @contextmanager
    def held_open(self) -> Iterator[None]:
        """Keep the file attached for the block: each `connect()` inside is still a connection of its own, to the
        file attached here, so a step that reads and writes several times takes the lock once and lets it go once
        (DuckDB checkpoints the file when it is detached). Other processes wait while the block runs: hold it around
        a step's own reads, pricing and writes, never around calls to Harvest, Claude or QuickBooks."""
        with self._attached():
            yield

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
