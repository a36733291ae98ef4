"""The warehouse, whatever holds it: the abstract resource, the connection adapter the assets talk to, and the SQL
files of `sql/` (shipped as package `billing_sql`).

Call sites never see the database's dialect: they stage rows under a name (`partition_keys`, `staged`, ...), run
named SQL files and read rows back as dicts. The variants are resources/warehouse_duckdb.py (the embedded default:
one DuckDB file) and resources/warehouse_postgres.py (BILLING_DB=postgresql://...); the choice is made in
billing_assets/environment.py. A SQL file `sql/<path>.postgres.sql` replaces `sql/<path>.sql` on Postgres where the
dialects disagree (listed in docs/ARCHITECTURE.md); every other file is shared."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from decimal import Decimal
from functools import cache
from importlib import resources as importlib_resources
from typing import Any, ClassVar

import pandas as pd
from dagster import ConfigurableResource

DIALECTS = ("duckdb", "postgres")


def _sql_file(name: str):
    return importlib_resources.files("billing_sql").joinpath(name)


@cache
def sql_text(name: str, dialect: str = "duckdb") -> str:
    """The text of `sql/<name>` (e.g. "invoice_lines/insert.sql"): its `<name>.<dialect>.sql` twin when the dialect
    has one, else the shared file."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown warehouse dialect {dialect!r}")
    twin = _sql_file(f"{name.removesuffix('.sql')}.{dialect}.sql")
    chosen = twin if dialect != "duckdb" and twin.is_file() else _sql_file(name)
    return chosen.read_text(encoding="utf-8")


_NAME = re.compile(r"[a-z_]+")


@cache
def delete_partition_sql(table: str) -> str:
    """The DELETE of a table's client-months: `sql/<table>/delete_partition.sql` when the table has a rule of its
    own, else the one shared `sql/delete_partition.sql` for that table (every table is keyed by client, month)."""
    own = _sql_file(f"{table}/delete_partition.sql")
    if own.is_file():
        return own.read_text(encoding="utf-8")
    if not _NAME.fullmatch(table) or not _sql_file(table).is_dir():
        raise ValueError(f"not a warehouse table: {table!r}")
    return sql_text("delete_partition.sql").replace("{table}", table)


def checked_name(name: str) -> str:
    """A staged relation's or column's name: lower-case letters and underscores only (it is spliced into SQL)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a staging name: {name!r}")
    return name


def staged_frame(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """A DataFrame of object columns for `INSERT ... SELECT ... FROM staged`; Decimal values are staged as text
    so that DuckDB never takes them through a float."""
    data = {}
    for name, values in zip(columns, zip(*rows, strict=True) if rows else [()] * len(columns), strict=True):
        if any(type(v) is Decimal for v in values):
            values = [format(v, "f") if type(v) is Decimal else v for v in values]
        data[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, columns=list(columns))


class WarehouseConnection(ABC):
    """One open connection, in the warehouse's dialect. Staged relations are visible to this connection only and
    live until `unstage`, the end of the transaction they were staged in, or the connection's end."""

    dialect: ClassVar[str]

    @abstractmethod
    def stage(self, name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Make `rows` readable as the relation `name` (columns as text or their Python type; Decimal exact)."""

    @abstractmethod
    def unstage(self, name: str) -> None:
        """Forget a staged relation."""

    @abstractmethod
    def execute(self, sql: str, params: dict[str, Any] | None = None) -> None:
        """Run SQL text; `$name` parameters. Without parameters the text may hold several statements."""

    @abstractmethod
    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict]:
        """The rows of one query as dicts (DECIMAL as Decimal, lists as lists)."""

    @abstractmethod
    def frame(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """The rows of one query as a DataFrame (DECIMAL columns as float: cast exact values to VARCHAR)."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """A block whose statements commit together, or not at all when it raises."""

    def lock_partitions(self) -> None:
        """In a transaction, after staging `partition_keys`: wait for other writers of those client-months (a
        server with concurrent writers; nothing where one process writes at a time)."""
        return None

    def sql(self, name: str) -> str:
        """`sql/<name>` in this connection's dialect."""
        return sql_text(name, self.dialect)

    def run(self, name: str, params: dict[str, Any] | None = None) -> None:
        """Run the SQL file `sql/<name>`."""
        self.execute(self.sql(name), params)

    @contextmanager
    def staged(self, name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Iterator[None]:
        """`rows` staged as `name` for the block."""
        self.stage(name, columns, rows)
        try:
            yield
        finally:
            self.unstage(name)


class Warehouse(ConfigurableResource, ABC):
    """The billing warehouse: every table keyed by (client, month); every write replaces whole client-months in
    one transaction or appends to a log. Each `connect()` is open for its block only."""

    @abstractmethod
    def connect(self) -> AbstractContextManager[WarehouseConnection]:
        """A connection with the schema in place, open for the block only."""

    def held_open(self) -> AbstractContextManager[None]:
        """A block whose `connect()` calls share one opening of the warehouse (see DuckDBWarehouse.held_open;
        nothing to share for a server)."""
        return nullcontext()

    def exists(self) -> bool:
        """Whether anything was ever written (a DuckDB file that is not there has nothing to read)."""
        return True

    def refresh_read_copy(self) -> None:
        """After writes outside a run: refresh what readers use (DuckDB's read copy); nothing for a server."""
        return None


def replace_partitions(conn: WarehouseConnection, keys: Sequence[tuple[str, str]],
                       tables: dict[str, tuple[Sequence[str], Sequence[Sequence[Any]]]]) -> dict[str, int]:
    """Delete the (client, month) keys from each table and insert its staged rows, all in one transaction."""
    counts = {}
    with conn.transaction():
        conn.stage("partition_keys", ("client", "month"), list(keys))
        conn.lock_partitions()
        for table, (columns, rows) in tables.items():
            conn.execute(delete_partition_sql(table))
            if rows:
                with conn.staged("staged", columns, rows):
                    conn.run(f"{table}/insert.sql")
            counts[table] = len(rows)
        conn.unstage("partition_keys")
    return counts


def append_rows(conn: WarehouseConnection, table: str, columns: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows through `sql/<table>/insert.sql` (for append-only logs)."""
    if rows:
        with conn.staged("staged", columns, rows):
            conn.run(f"{table}/insert.sql")


def query(conn: WarehouseConnection, name: str, params: dict[str, Any] | None = None) -> list[dict]:
    """Run `sql/queries/<name>.sql` with named parameters; rows as dicts (DECIMAL stays Decimal)."""
    return conn.rows(conn.sql(f"queries/{name}.sql"), params)


def _key_rows(pairs: Sequence[tuple[str, str]], columns: dict[str, Sequence[Any]]) -> tuple[list[str], list[tuple]]:
    names = ["client", "month", *columns]
    extra = [list(v) for v in columns.values()]
    return names, [(c, m, *(values[i] for values in extra)) for i, (c, m) in enumerate(pairs)]


def query_keyed(conn: WarehouseConnection, name: str, pairs: Sequence[tuple[str, str]],
                params: dict[str, Any] | None = None, **columns: Sequence[Any]) -> list[dict]:
    """Rows of `sql/queries/<name>.sql` run against `partition_keys` (client, month and any extra columns, one
    value per pair)."""
    names, rows = _key_rows(pairs, columns)
    with conn.staged("partition_keys", names, rows):
        return query(conn, name, params)


def rows_by_partition(conn: WarehouseConnection, name: str, pairs: Sequence[tuple[str, str]],
                      params: dict[str, Any] | None = None, **columns: Sequence[Any]
                      ) -> dict[tuple[str, str], list[dict]]:
    """Rows of `sql/queries/<name>.sql` run against `partition_keys` (client, month and any extra columns,
    one value per pair), grouped by (client, month)."""
    grouped: dict[tuple[str, str], list[dict]] = {}
    for row in query_keyed(conn, name, pairs, params, **columns):
        grouped.setdefault((row["client"], row["month"]), []).append(row)
    return grouped


def partition_frame(conn: WarehouseConnection, name: str, pairs: Sequence[tuple[str, str]],
                    params: dict[str, Any] | None = None) -> pd.DataFrame:
    """`sql/queries/<name>.sql` against `partition_keys` as one DataFrame (for column-wise work such as GX;
    DECIMAL columns come back as float, so queries cast exact values to VARCHAR)."""
    with conn.staged("partition_keys", ("client", "month"), list(pairs)):
        return conn.frame(conn.sql(f"queries/{name}.sql"), params)
