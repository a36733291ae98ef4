"""The PostgreSQL warehouse (BILLING_DB=postgresql://user@host:port/db, e.g. RDS), through psycopg 3.

Staged rows go into TEMP tables of text columns loaded with COPY (the INSERT/SELECT files cast them: Decimal stays
exact text until it is NUMERIC); in a transaction they are ON COMMIT DROP, outside one they are dropped after use.
Many processes may write at once: each client-month is replaced in its own transaction, so closes of different
clients run side by side. No lock waits or read copies: those are DuckDB's."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import pandas as pd
import psycopg
from dagster import EnvVar

from billing_assets.core.errors import WarehouseUnreachable
from resources.warehouse import Warehouse, WarehouseConnection, checked_name, sql_text

_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
_SCHEMA_READY: set[str] = set()
SCHEMA_LOCK = "select pg_advisory_xact_lock(hashtext('billing warehouse schema'))"
SESSION_OPTIONS = "-c TimeZone=UTC -c DateStyle=ISO"  # TIMESTAMP columns hold UTC, as the DuckDB file does


def postgres_params(sql: str) -> str:
    """Our `$name` parameters as psycopg's `%(name)s` (a literal `%`, as in LIKE 'conflict%', doubled)."""
    return _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))


class PostgresConnection(WarehouseConnection):
    """A psycopg connection in autocommit mode; `transaction()` groups statements."""

    dialect: ClassVar[str] = "postgres"

    def __init__(self, raw: psycopg.Connection):
        self.raw = raw
        self._depth = 0

    def stage(self, name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        name = checked_name(name)
        names = ", ".join(checked_name(c) for c in columns)
        drop = " ON COMMIT DROP" if self._depth else ""
        with self.raw.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
            cursor.execute(f"CREATE TEMP TABLE {name} ({', '.join(f'{c} text' for c in columns)}){drop}")
            if rows:
                with cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)

    def unstage(self, name: str) -> None:
        if self.raw.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
            return  # the failed transaction's rollback drops it (ON COMMIT DROP tables are the transaction's)
        self.raw.execute(f"DROP TABLE IF EXISTS pg_temp.{checked_name(name)}")

    def lock_partitions(self) -> None:
        self.rows(self.sql("lock_partitions.sql"))

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> None:
        if params is None:
            self.raw.execute(sql.encode())  # several statements allowed (no parameters: simple protocol)
        else:
            self.raw.execute(postgres_params(sql), params)

    def _fetch(self, sql: str, params: dict[str, Any] | None) -> tuple[list[str], list[tuple]]:
        with self.raw.cursor() as cursor:
            cursor.execute(postgres_params(sql), params or {})
            return [d.name for d in cursor.description], cursor.fetchall()

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict]:
        columns, rows = self._fetch(sql, params)
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def frame(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        columns, rows = self._fetch(sql, params)
        return pd.DataFrame.from_records(rows, columns=columns)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.raw.transaction():
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1


def _resolved(value: str | None) -> str | None:
    """A field's value; an EnvVar not yet resolved by Dagster (the resource used outside a run) read here."""
    if isinstance(value, EnvVar):
        return value.get_value()
    return value


class PostgresWarehouse(Warehouse):
    """The billing warehouse in a PostgreSQL database: `url` (postgresql://user[:password]@host:port/db; from
    BILLING_DB as an EnvVar, so a password in it never lands in run config) and optionally `password`
    (BILLING_DB_PASSWORD, an EnvVar). Same tables, types and per-partition transactions as the DuckDB file."""

    url: str
    password: str | None = None

    def _connect_args(self) -> tuple[str, dict[str, Any]]:
        url = _resolved(self.url) or ""
        if not url:
            raise ValueError("BILLING_DB: a PostgreSQL warehouse needs a postgresql://user@host:port/db URL")
        extra: dict[str, Any] = {"application_name": "billing", "options": SESSION_OPTIONS}
        password = _resolved(self.password)
        if password:
            extra["password"] = password
        return url, extra

    def _open(self) -> psycopg.Connection:
        url, extra = self._connect_args()
        shown = re.sub(r"://([^:@/]*):[^@/]*@", r"://\1:***@", url)
        try:
            raw = psycopg.connect(url, autocommit=True, **extra)
        except psycopg.OperationalError as exc:  # no server, no such database, refused login: one line, no trace
            reason = " ".join(str(exc).split()).split("FATAL:  ")[-1][:300]
            hint = "; create it (CREATE DATABASE ... OWNER <the URL's user>)" if "does not exist" in reason else ""
            raise WarehouseUnreachable(f"BILLING_DB {shown}: {reason}{hint}") from None
        try:
            if url not in _SCHEMA_READY:
                with raw.transaction():  # one process creates or upgrades the schema at a time
                    raw.execute(SCHEMA_LOCK)
                    raw.execute(sql_text("schema/tables.sql", "postgres").encode())
                    raw.execute(sql_text("schema/indexes.sql", "postgres").encode())
                    if raw.execute(sql_text("schema/hours_to_widen.sql", "postgres").encode()).fetchall():
                        raw.execute(sql_text("schema/widen_hours.sql", "postgres").encode())
                        raw.execute(sql_text("schema/tables.sql", "postgres").encode())  # the view it dropped
                _SCHEMA_READY.add(url)
        except psycopg.errors.InsufficientPrivilege as exc:
            raw.close()
            raise WarehouseUnreachable(f"BILLING_DB {shown}: {str(exc).splitlines()[0]}: the URL's user must own the "
                                       "database (ALTER DATABASE ... OWNER TO <user>) to create its tables") from None
        except BaseException:
            raw.close()
            raise
        return raw

    @contextmanager
    def connect(self) -> Iterator[PostgresConnection]:
        """A connection with the schema in place, open for the block only."""
        raw = self._open()
        try:
            yield PostgresConnection(raw)
        finally:
            raw.close()
