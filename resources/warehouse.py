"""DuckDB access through DuckDBResource and the SQL files in `sql/` (shipped as package `billing_sql`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from importlib import resources as importlib_resources
from typing import Any

import duckdb
import pandas as pd
from dagster import InitResourceContext
from dagster._utils.backoff import backoff
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr


@cache
def sql_text(name: str) -> str:
    """The text of `sql/<name>` (e.g. "invoice_lines/insert.sql"), from the installed package."""
    return importlib_resources.files("billing_sql").joinpath(name).read_text(encoding="utf-8")


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


class Warehouse(DuckDBResource):
    """The billing DuckDB file. Every write replaces whole client-months in one transaction.

    During a Dagster run the resource opens the file once (opening costs about 30 ms, and a run's steps and
    checks connect a dozen times) and hands out cursors of that connection; the file is released when the run
    ends, so other processes can open it between runs. Outside a run each `connect()` opens and closes it."""

    _run_connection: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        # the same wait for a lock held by another process as DuckDBResource.get_connection
        self._run_connection = backoff(fn=self._open, retry_on=(RuntimeError, duckdb.IOException), max_retries=10)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._run_connection is not None:
            self._run_connection.close()
            self._run_connection = None

    def _open(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own (the file opened once more) with the schema in place."""
        conn = duckdb.connect(self.database, config={"custom_user_agent": "dagster", **self.connection_config})
        self._ensure_schema(conn)
        return conn

    def _ensure_schema(self, conn: duckdb.DuckDBPyConnection) -> None:
        if self.database not in _SCHEMA_READY:
            conn.execute(sql_text("schema/tables.sql"))
            _SCHEMA_READY.add(self.database)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection with the schema in place: a cursor of the run's connection inside a run, else a new one
        (created once per process and file)."""
        if self._run_connection is not None:
            cursor = self._run_connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
            return
        with self.get_connection() as conn:
            try:  # DuckDBResource does not close the connection when the body raises
                self._ensure_schema(conn)
                yield conn
            finally:
                conn.close()


def replace_partitions(conn: duckdb.DuckDBPyConnection, keys: Sequence[tuple[str, str]],
                       tables: dict[str, tuple[Sequence[str], Sequence[Sequence[Any]]]]) -> dict[str, int]:
    """Delete the (client, month) keys from each table and insert its staged rows, all in one transaction."""
    counts = {}
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.register("partition_keys", pd.DataFrame(list(keys), columns=["client", "month"], dtype=object))
        for table, (columns, rows) in tables.items():
            conn.execute(sql_text(f"{table}/delete_partition.sql"))
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
