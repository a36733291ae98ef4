"""DuckDB access through DuckDBResource and the SQL files in `sql/` (shipped as package `billing_sql`)."""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from dagster import InitResourceContext
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from billing_assets.core.errors import WarehouseLocked


@cache
def sql_text(name: str) -> str:
    """The text of `sql/<name>` (e.g. "invoice_lines/insert.sql"), from the installed package."""
    return importlib_resources.files("billing_sql").joinpath(name).read_text(encoding="utf-8")


_TABLE_NAME = re.compile(r"[a-z_]+")


@cache
def delete_partition_sql(table: str) -> str:
    """The DELETE of a table's client-months: `sql/<table>/delete_partition.sql` when the table has a rule of its
    own, else the one shared `sql/delete_partition.sql` for that table (every table is keyed by client, month)."""
    own = importlib_resources.files("billing_sql").joinpath(f"{table}/delete_partition.sql")
    if own.is_file():
        return own.read_text(encoding="utf-8")
    if not _TABLE_NAME.fullmatch(table) or not importlib_resources.files("billing_sql").joinpath(table).is_dir():
        raise ValueError(f"not a warehouse table: {table!r}")
    return sql_text("delete_partition.sql").replace("{table}", table)


def staged_frame(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """A DataFrame of object columns for `INSERT ... SELECT ... FROM staged`; Decimal values are staged as text
    so that DuckDB never takes them through a float."""
    data = {}
    for name, values in zip(columns, zip(*rows, strict=True) if rows else [()] * len(columns), strict=True):
        if any(type(v) is Decimal for v in values):
            values = [format(v, "f") if type(v) is Decimal else v for v in values]
        data[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, columns=list(columns))


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
                next_note = now + NOTE_EVERY_S
            time.sleep(min(delay, max(0.0, timeout - waited)))
            delay = min(delay * 2, 0.25)


class Warehouse(DuckDBResource):
    """The billing DuckDB file. Every write replaces whole client-months in one transaction.

    Each `connect()` opens the file and closes it at the end of the block (about 40 ms under load), so a run holds the
    lock only while a step reads or writes: between those, and after the run, other processes can open it.
    A lock held by another process is waited for up to `lock_timeout_s` (BILLING_LOCK_TIMEOUT, default 120 s),
    with a note in the run's log every few seconds. At the end of each run that opened the file, the read copy
    `billing_read.duckdb` is replaced atomically with a snapshot of it, for readers that must never wait."""

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
            _SCHEMA_READY.add(self.database)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection with the schema in place, open for the block only."""
        conn = self._open()
        try:
            yield conn
        finally:
            conn.close()

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


def replace_partitions(conn: duckdb.DuckDBPyConnection, keys: Sequence[tuple[str, str]],
                       tables: dict[str, tuple[Sequence[str], Sequence[Sequence[Any]]]]) -> dict[str, int]:
    """Delete the (client, month) keys from each table and insert its staged rows, all in one transaction."""
    counts = {}
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.register("partition_keys", pd.DataFrame(list(keys), columns=["client", "month"], dtype=object))
        for table, (columns, rows) in tables.items():
            conn.execute(delete_partition_sql(table))
            if rows:
                conn.register("staged", staged_frame(columns, rows))
                conn.execute(sql_text(f"{table}/insert.sql"))
                conn.unregister("staged")
            counts[table] = len(rows)
        conn.unregister("partition_keys")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return counts


def append_rows(conn: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows through `sql/<table>/insert.sql` (for append-only logs)."""
    if rows:
        conn.register("staged", staged_frame(columns, rows))
        conn.execute(sql_text(f"{table}/insert.sql"))
        conn.unregister("staged")


def query(conn: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None) -> list[dict]:
    """Run `sql/queries/<name>.sql` with named parameters; rows as dicts (DECIMAL stays Decimal)."""
    cursor = conn.execute(sql_text(f"queries/{name}.sql"), params or {})
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _register_keys(conn: duckdb.DuckDBPyConnection, pairs: Sequence[tuple[str, str]],
                   columns: dict[str, Sequence[Any]]) -> None:
    frame = pd.DataFrame({"client": [c for c, _ in pairs], "month": [m for _, m in pairs],
                          **{k: list(v) for k, v in columns.items()}}, dtype=object)
    conn.register("partition_keys", frame)


def rows_by_partition(conn: duckdb.DuckDBPyConnection, name: str, pairs: Sequence[tuple[str, str]],
                      params: dict[str, Any] | None = None, **columns: Sequence[Any]
                      ) -> dict[tuple[str, str], list[dict]]:
    """Rows of `sql/queries/<name>.sql` run against `partition_keys` (client, month and any extra columns,
    one value per pair), grouped by (client, month)."""
    _register_keys(conn, pairs, columns)
    grouped: dict[tuple[str, str], list[dict]] = {}
    for row in query(conn, name, params):
        grouped.setdefault((row["client"], row["month"]), []).append(row)
    conn.unregister("partition_keys")
    return grouped


def partition_frame(conn: duckdb.DuckDBPyConnection, name: str, pairs: Sequence[tuple[str, str]],
                    params: dict[str, Any] | None = None) -> pd.DataFrame:
    """`sql/queries/<name>.sql` against `partition_keys` as one DataFrame (for column-wise work such as GX;
    DECIMAL columns come back as float, so queries cast exact values to VARCHAR)."""
    _register_keys(conn, pairs, {})
    try:
        return conn.execute(sql_text(f"queries/{name}.sql"), params or {}).df()
    finally:
        conn.unregister("partition_keys")
