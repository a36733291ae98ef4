"""One set of SQL for DuckDB and PostgreSQL: the same rows written through the adapter into both warehouses, then
every query file run on both must return the same rows; each postgres twin file is the one used on Postgres and
agrees with its DuckDB original; the schema has the same columns and types in both. Real server on 127.0.0.1."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from importlib import resources as importlib_resources
from pathlib import Path

import pytest

from billing_assets.overview import rebuild
from resources.warehouse import WarehouseConnection, append_rows, replace_partitions, sql_text
from resources.warehouse_duckdb import DuckDBWarehouse
from resources.warehouse_postgres import PostgresWarehouse
from tests.conftest import REPO
from tests.servers import create_database, postgres_cluster

SQL = importlib_resources.files("billing_sql")
TWINS = sorted(str(p.relative_to(REPO / "sql")) for p in (REPO / "sql").rglob("*.postgres.sql"))
PAIRS = [("acme", "2026-09"), ("acme", "2026-10"), ("beta", "2026-10")]
NOT_SELECTS = {"cache_store", "snapshot_sent_invoice", "snapshot_sent_adjustments", "firm_overview",
               "snapshot_pushed_invoice", "snapshot_pushed_adjustments", "freeze_sent_invoice_in_sink",
               "freeze_sent_adjustments_in_sink", "snapshot_sent_entries", "snapshot_unfrozen_sent_entries"}


@pytest.fixture(scope="module")
def server():
    with postgres_cluster() as url:
        yield url


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory, server: str):
    """(DuckDB connection, Postgres connection) holding the same rows, written through replace_partitions."""
    duck = DuckDBWarehouse(database=str(tmp_path_factory.mktemp("duck") / "billing.duckdb"))
    pg = PostgresWarehouse(url=create_database(server, "dialect"))
    with duck.connect() as d, pg.connect() as p:
        tables = _table_rows(d)
        for conn in (d, p):
            replace_partitions(conn, PAIRS, {t: cols_rows for t, cols_rows in tables.items()
                                             if t not in ("invoice_pushes", "check_results")})
            append_rows(conn, "invoice_pushes", *tables["invoice_pushes"])
            append_rows(conn, "check_results", *tables["check_results"])
            with conn.staged("staged", ("cache_key", "sow_item", "work_type", "confidence", "rationale"),
                             [("k0", "A1", "standard", 0.5, "r"), ("k2", None, "rush", 0.875, "")]):
                conn.run("queries/cache_store.sql")
            with conn.transaction():
                rebuild(conn)
            for client, month in PAIRS[:2]:
                conn.run("queries/snapshot_sent_invoice.sql", {"client": client, "month": month,
                                                               "content_hash": "hash-0", "approved_by": "pat"})
                conn.run("queries/snapshot_sent_adjustments.sql", {"client": client, "month": month})
            # one sent month's entries frozen, the other's read as a month sent before sent_entries existed
            conn.run("queries/snapshot_sent_entries.sql", {"client": PAIRS[0][0], "month": PAIRS[0][1]})
            for client, month in PAIRS[2:]:  # the statements a person sending our draft in QuickBooks runs
                keys = {"client": client, "month": month, "content_hash": "hash-9"}  # not priced: nothing kept
                with conn.staged("pushed_keys", ("client", "month", "content_hash"), [(client, month, "hash-9")]):
                    conn.run("queries/snapshot_pushed_invoice.sql")
                    conn.run("queries/snapshot_pushed_adjustments.sql")
                conn.run("queries/freeze_sent_invoice_in_sink.sql", {**keys, "approved_by": "a person"})
                conn.run("queries/freeze_sent_adjustments_in_sink.sql", keys)
            conn.execute("UPDATE sent_invoices SET sent_at = TIMESTAMP '2026-10-02 09:00:00'")  # now() in each
        yield d, p


def _columns(conn: WarehouseConnection, table: str) -> list[tuple[str, str]]:
    return [(r["column_name"], r["data_type"]) for r in conn.rows(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = current_database() AND table_name = $t ORDER BY ordinal_position", {"t": table})]


def _value(table: str, column: str, kind: str, i: int, client: str, month: str):
    special = {"entry_id": f"e{i}", "line_no": i, "origin_month": "2026-09", "content_hash": f"hash-{i % 2}",
               "kind": ("retainer_covered", "hourly")[i % 2], "reason": ("rounding,no_rate", "no_rate_x")[i % 2],
               "state": ("active", "blocked", "outside")[i % 3], "sink": "outbox", "problems": f"p{i}\nq{i}",
               "status": ("pushed", "conflict: sent", "refused")[i % 3],  # the newest (i=2) a refusal
               "asset": ("priced_line_items", "contracts")[i % 2], "action": ("", "bill")[i % 2],
               "check_name": ("hours_reconcile", "priceable")[i % 2], "sow_item": (None, "A1")[i % 2],
               "notes": f"note {i % 2}", "person": f"pat {i % 2}",
               "hours": Decimal(("12.2500", "1.2500")[i % 2]),  # rows 0 and 2: one person's day of 24.5 h
               "engagement": "2026-01..", "passed": i == 1,
               "blocking": i == 0,  # row 2 a failed warning (check_warnings)
               "source_file": f"f{i}.csv",
               # October priced from September, whose blocking checks fail: view blocked_upstream selects it
               "priced_from": "2026-09|lots: ; caps: " if month == "2026-10" else ""}
    if column in special:
        return special[column]
    if kind == "VARCHAR":
        return f"{column} {i % 2}"  # rows 0 and 2 alike but for their file: a cross-file duplicate
    if kind.startswith("DECIMAL"):
        return Decimal(f"{i}.1234")
    if kind in ("INTEGER", "BIGINT"):
        return i
    if kind == "DATE":
        return date(int(month[:4]), int(month[5:]), 3 + 9 * (i % 2))
    if kind == "BOOLEAN":
        return i % 2 == 0
    if kind == "TIMESTAMP":
        return datetime(2026, 10, 1, i, 30)
    return 0.5 + i


def _table_rows(duck: WarehouseConnection) -> dict[str, tuple[list[str], list[tuple]]]:
    """Three rows per client-month for every table keyed by client and month, generated from the schema."""
    tables = {}
    for table in sorted(p.name for p in (REPO / "sql").iterdir() if (p / "insert.sql").is_file()):
        columns = _columns(duck, table)
        names = [c for c, _ in columns]
        rows = [tuple(client if c == "client" else month if c == "month" else _value(table, c, kind, i, client, month)
                      for c, kind in columns) for client, month in PAIRS for i in range(3)]
        tables[table] = (names, rows)
    return tables


def _normal(value):
    if isinstance(value, Decimal):
        return ("n", value.normalize())
    if isinstance(value, float):
        return ("n", Decimal(repr(value)).normalize())
    if isinstance(value, list):
        return tuple(_normal(v) for v in value)
    return value


def _same(rows_a: list[dict], rows_b: list[dict]) -> None:
    """Equal as multisets of rows (ties in an ORDER BY may come back in either order)."""
    a = sorted(({k: _normal(v) for k, v in r.items()} for r in rows_a), key=repr)
    b = sorted(({k: _normal(v) for k, v in r.items()} for r in rows_b), key=repr)
    assert a == b


def _stage_inputs(conn: WarehouseConnection) -> None:
    conn.stage("partition_keys", ("client", "month", "prev_month", "trailing_start"),
               [(c, m, "2026-09" if m == "2026-10" else "2026-08", "2026-07") for c, m in PAIRS])
    conn.stage("wanted_keys", ("cache_key",), [("k0",), ("k2",), ("missing",)])
    conn.stage("override_ids", ("entry_id",), [("e1",)])
    conn.stage("changed_entries", ("entry_id",), [("e1",), ("e2",), ("expense_id 1",)])  # entries, an expense


QUERIES = sorted(p.name.removesuffix(".sql") for p in (REPO / "sql" / "queries").glob("*.sql")
                 if not p.name.endswith(".postgres.sql") and p.name.removesuffix(".sql") not in NOT_SELECTS)


@pytest.mark.parametrize("name", QUERIES)
def test_every_query_returns_the_same_rows_in_duckdb_and_postgres(warehouses, name: str) -> None:
    duck, pg = warehouses
    text = sql_text(f"queries/{name}.sql")
    params = {p: {"sink": "outbox", "client": "acme", "month": "2026-10", "asset": "priced_line_items",
                  "since_month": "2026-11", "oldest_month": "2026-01", "check": "hours_reconcile"}.get(p, "x")
              for p in set(re.findall(r"\$([a-z_]+)", text))}
    results = []
    for conn in (duck, pg):
        _stage_inputs(conn)
        results.append(conn.rows(conn.sql(f"queries/{name}.sql"), params or None))
        for staged in ("partition_keys", "wanted_keys", "override_ids", "changed_entries"):
            conn.unstage(staged)
    assert results[0], f"{name}: the test data selects nothing; the comparison would prove nothing"
    _same(*results)


def test_each_postgres_twin_is_used_on_postgres_and_agrees_with_its_duckdb_original(warehouses) -> None:
    duck, pg = warehouses
    assert TWINS == ["firm_overview/refresh.postgres.sql", "lock_partitions.postgres.sql",
                     "queries/raw_entry_expectations.postgres.sql", "schema/indexes.postgres.sql"]
    for twin in TWINS:
        shared = twin.replace(".postgres.sql", ".sql")
        assert pg.sql(shared) == sql_text(shared, "postgres") == SQL.joinpath(twin).read_text(encoding="utf-8")
        if twin in ("lock_partitions.postgres.sql", "schema/indexes.postgres.sql"):  # postgres only
            assert not SQL.joinpath(shared).is_file()
            continue
        assert duck.sql(shared) == sql_text(shared) != sql_text(shared, "postgres")
    assert duck.lock_partitions() is None  # DuckDB has one writer: nothing to wait for
    indexed = {r["tablename"] for r in pg.rows("SELECT tablename FROM pg_indexes WHERE indexname LIKE '%client_month'")}
    assert len(indexed) == 21 and "classification_cache" not in indexed  # every table keyed by client-month
    # firm_overview/refresh: the table it rebuilt (in the fixture) holds the same rows
    overview = [conn.rows(conn.sql("queries/firm_overview.sql")) for conn in (duck, pg)]
    assert {r["status"] for r in overview[0]} >= {"blocked: priceable", "outside engagement"}
    _same(*overview)
    # raw_entry_expectations: the frame GX validates
    frames = []
    for conn in (duck, pg):
        with conn.staged("partition_keys", ("client", "month"), PAIRS):
            frames.append(conn.frame(conn.sql("queries/raw_entry_expectations.sql")))
    assert list(frames[0].columns) == list(frames[1].columns)
    records = [sorted(f.astype(object).where(f.notna(), None).to_dict("records"), key=repr) for f in frames]
    assert records[0] == records[1] and {r["entry_month"] for r in records[0]} == {"2026-09", "2026-10"}
    docs = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert all(f"sql/{twin}" in docs for twin in TWINS)  # the list of postgres-only files is kept


def test_the_schema_has_the_same_columns_and_types_in_both(warehouses) -> None:
    duck, pg = warehouses
    types = {"character varying": "VARCHAR", "text": "VARCHAR", "integer": "INTEGER", "bigint": "BIGINT",
             "boolean": "BOOLEAN", "date": "DATE", "timestamp without time zone": "TIMESTAMP",
             "double precision": "DOUBLE"}
    tables = [r["table_name"] for r in duck.rows("SELECT table_name FROM information_schema.tables "
                                                  "WHERE table_catalog = current_database() "
                                                  "AND table_name <> 'firm_overview' ORDER BY 1")]
    assert len(tables) == 27  # 24 tables and the views stale_invoices, blocked_upstream and billed_elsewhere
    for table in tables:
        rows = pg.rows("SELECT column_name, data_type, numeric_precision, numeric_scale "
                       "FROM information_schema.columns WHERE table_catalog = current_database() AND table_name = $t "
                       "ORDER BY ordinal_position", {"t": table})
        pg_columns = [(r["column_name"], f"DECIMAL({r['numeric_precision']},{r['numeric_scale']})"
                       if r["data_type"] == "numeric" else types[r["data_type"]]) for r in rows]
        assert pg_columns == _columns(duck, table), table


def test_the_classification_cache_upsert_keeps_the_newest_answer_in_both(warehouses) -> None:
    from billing_assets.classification_store import WarehouseSuggestionCache
    from billing_assets.core.model import Suggestion

    for conn in warehouses:
        cache = WarehouseSuggestionCache(conn)
        cache.put_many({"k-new": Suggestion("A1", "standard", 0.5, "first")})
        cache.put_many({"k-new": Suggestion("A2", "rush", 0.75, "second"), "k-other": Suggestion(None, "x", 1.0, "")})
        got = cache.get_many(["k-new", "k-other", "absent"])
        assert got == {"k-new": Suggestion("A2", "rush", 0.75, "second"), "k-other": Suggestion(None, "x", 1.0, "")}


def test_a_failed_replace_leaves_the_partition_as_it_was_in_postgres(warehouses) -> None:
    _, pg = warehouses
    import psycopg

    before = pg.rows("SELECT count(*) AS n FROM invoices WHERE client = 'acme'")
    columns = [c for c, _ in _columns(pg, "invoices")]
    row = [{"client": "acme", "month": "2026-09", "total": "not a number"}.get(c, "1") for c in columns]
    with pytest.raises(psycopg.errors.InvalidTextRepresentation, match="numeric"):
        replace_partitions(pg, [("acme", "2026-09")], {"invoices": (columns, [row])})
    assert pg.rows("SELECT count(*) AS n FROM invoices WHERE client = 'acme'") == before
    assert pg.rows("SELECT count(*) AS n FROM pg_tables WHERE tablename IN ('staged', 'partition_keys')") == [{"n": 0}]


def test_two_replaces_of_one_client_month_at_once_leave_one_set_of_rows_in_postgres(warehouses, tmp_path) -> None:
    """Under READ COMMITTED two delete-then-insert transactions of one partition would both insert; the second
    waits for the first (lock_partitions) and then deletes what it wrote."""
    import threading

    _, pg = warehouses
    info = pg.raw.info
    url = f"postgresql://{info.user}@{info.host}:{info.port}/{info.dbname}"
    columns = [c for c, _ in _columns(pg, "pricing_problems")]
    second_started, results = threading.Event(), []

    def second() -> None:
        with PostgresWarehouse(url=url).connect() as other:
            second_started.set()
            results.append(replace_partitions(other, [("gamma", "2026-10")], {"pricing_problems": (
                columns, [("gamma", "2026-10", "second")])}))

    thread = threading.Thread(target=second)
    with pg.transaction():
        pg.stage("partition_keys", ("client", "month"), [("gamma", "2026-10")])
        pg.lock_partitions()
        pg.execute("DELETE FROM pricing_problems WHERE client = 'gamma'")
        with pg.staged("staged", columns, [("gamma", "2026-10", "first"), ("gamma", "2026-10", "first again")]):
            pg.run("pricing_problems/insert.sql")
        thread.start()
        second_started.wait(10)
        thread.join(1.0)
        assert thread.is_alive()  # the second replace waits for this transaction
    thread.join(20)
    assert results == [{"pricing_problems": 1}]
    assert pg.rows("SELECT problem FROM pricing_problems WHERE client = 'gamma'") == [{"problem": "second"}]


def test_the_postgres_url_and_password_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster import EnvVar

    from billing_assets.environment import build_warehouse
    from billing_assets.settings import warehouse_pool

    monkeypatch.setenv("BILLING_DB", "postgresql://billing@db.example:5432/billing")
    monkeypatch.setenv("BILLING_DB_PASSWORD", "s3cret")
    warehouse = build_warehouse()
    assert isinstance(warehouse, PostgresWarehouse)
    assert isinstance(warehouse.url, EnvVar) and warehouse.url.env_var_name == "BILLING_DB"
    assert isinstance(warehouse.password, EnvVar) and warehouse.password.env_var_name == "BILLING_DB_PASSWORD"
    assert warehouse_pool() is None
    monkeypatch.setenv("BILLING_DB", str(Path("/tmp/x/billing.duckdb")))
    assert isinstance(build_warehouse(), DuckDBWarehouse) and warehouse_pool() == "duckdb"


def test_entries_come_in_the_same_order_under_a_linguistic_collation(server: str, tmp_path: Path) -> None:
    """Pricing takes entries by date, file and row: the order retainer hours are used up in. A database created
    with a linguistic collation (RDS's en_US.UTF-8; here ICU en-US) sorted `B_developer.csv` after `a_designer.csv`
    where DuckDB puts it first, and the same home billed 10,160.00 there against 9,920.00. File names now sort by
    code point on both."""
    import psycopg2

    admin = psycopg2.connect(server + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("CREATE DATABASE icu_en TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' "
                       "LOCALE 'C.UTF-8'")
    admin.close()
    duck = DuckDBWarehouse(database=str(tmp_path / "billing.duckdb"))
    pg = PostgresWarehouse(url=server + "/icu_en")
    files = ["a_designer.csv", "B_developer.csv", "time_a.csv", "time-b.csv"]
    orders = []
    with duck.connect() as d, pg.connect() as p:
        assert p.rows("SELECT 'B' < 'a' AS c_order")[0]["c_order"] is False, "the database sorts linguistically"
        tables = {t: _table_rows(d)[t] for t in ("raw_time_entries", "classified_time_entries")}
        names, rows = tables["raw_time_entries"]
        at = {c: names.index(c) for c in ("entry_id", "entry_date", "source_file", "source_row")}
        raw = [tuple(f if i == at["source_file"] else date(2026, 10, 5) if i == at["entry_date"] else
                     f"x{n}" if i == at["entry_id"] else 1 if i == at["source_row"] else v
                     for i, v in enumerate(rows[0])) for n, f in enumerate(files)]
        c_names, c_rows = tables["classified_time_entries"]
        classified = [tuple(f"x{n}" if c == "entry_id" else v for c, v in zip(c_names, c_rows[0], strict=True))
                      for n in range(len(files))]
        for conn in (d, p):
            replace_partitions(conn, [PAIRS[0]], {"raw_time_entries": (names, raw),
                                                  "classified_time_entries": (c_names, classified)})
            conn.stage("partition_keys", ("client", "month", "prev_month", "trailing_start"),
                       [(*PAIRS[0], "2026-08", "2026-07")])
            orders.append([r["entry_id"] for r in conn.rows(conn.sql("queries/pricing_entries.sql"))])
            conn.unstage("partition_keys")
    assert orders[0] == orders[1] == ["x1", "x0", "x3", "x2"]  # B_, a_, time-b, time_a: by code point
