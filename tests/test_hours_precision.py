"""Hours kept to 1e-10 h (DECIMAL(28, 10)): a warehouse an earlier release wrote with DECIMAL(18, 4) hours is widened
the first time a process opens it, in DuckDB and in PostgreSQL (a real server on 127.0.0.1), keeping every stored
value; and a month closed again in such a home bills its durations' exact hours."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import duckdb
import psycopg
import pytest

from billing_assets.cli import main
from billing_assets.core.formats import seconds_to_hours
from billing_assets.core.money import round2, shown_hours, time_amount
from resources import warehouse_postgres
from resources.warehouse import sql_text
from resources.warehouse_duckdb import DuckDBWarehouse
from resources.warehouse_postgres import PostgresWarehouse
from tests.servers import create_database, postgres_cluster

HOURS_COLUMNS = {("raw_time_entries", "hours"), ("review_queue", "hours"), ("invoice_lines", "quantity"),
                 ("invoices", "hours_billed"), ("invoices", "hours_covered"), ("invoices", "hours_held"),
                 ("line_entries", "hours"), ("retainer_ledger", "hours_available"), ("retainer_ledger", "hours_used"),
                 ("retainer_ledger", "hours_expired"), ("retainer_ledger", "hours_carried"),
                 ("entry_outcomes", "source_hours"), ("entry_outcomes", "billed_hours"),
                 ("period_adjustments", "hours"), ("sent_invoices", "hours_billed"), ("sent_adjustments", "hours")}
SCALES = ("SELECT table_name, column_name, numeric_precision, numeric_scale FROM information_schema.columns "
          "WHERE table_catalog = current_database() AND table_schema = current_schema() AND numeric_scale IS NOT NULL")
SENT = ("INSERT INTO sent_invoices (client, month, total, hours_billed, content_hash, approved_by, sent_at) "
        "VALUES ('acme', '2026-09', 1999.95, 13.3330, 'hash-0', 'pat', "
        "TIMESTAMP '2026-10-01 09:00:00')")


def first_release_schema() -> str:
    """tables.sql as the first release shipped it: every hours column DECIMAL(18, 4)."""
    return sql_text("schema/tables.sql").replace("DECIMAL(28, 10)", "DECIMAL(18, 4)")


def scales(rows) -> dict[tuple[str, str], tuple[int, int]]:
    return {(table, column): (int(precision), int(scale)) for table, column, precision, scale in rows}


def test_a_duckdb_file_of_the_first_release_is_widened_keeping_its_rows_and_closes_exactly(billing_env) -> None:
    home = billing_env()
    with duckdb.connect(str(home / "billing.duckdb")) as old:
        old.execute(first_release_schema())
        old.execute(SENT)
        before = scales(old.execute(SCALES).fetchall())
    assert {before[c] for c in HOURS_COLUMNS} == {(18, 4)}

    with DuckDBWarehouse(database=str(home / "billing.duckdb")).connect() as conn:
        after = scales((r["table_name"], r["column_name"], r["numeric_precision"], r["numeric_scale"])
                       for r in conn.rows(SCALES))
        sent = conn.rows("SELECT total, hours_billed FROM sent_invoices")
    assert {after[c] for c in HOURS_COLUMNS} == {(28, 10)}
    assert {c: s for c, s in after.items() if c not in HOURS_COLUMNS} == {
        c: s for c, s in before.items() if c not in HOURS_COLUMNS}  # money and confidences as they were
    assert sent == [{"total": Decimal("1999.95"), "hours_billed": Decimal("13.3330")}]

    (home / "contracts" / "acme.yaml").write_text('client: acme\nname: "Acme Corp"\ncurrency: USD\n'
                                                  "terms_days: 30\ndefault_rate: 150\n", encoding="utf-8")
    (home / "timesheets" / "toggl.csv").write_text(
        "User,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration\n" + "".join(
            f"Ana Souza,Acme Corp,Web,,Entry {n},Yes,2026-10-{n + 1:02d},09:00:00,2026-10-{n + 1:02d},10:20:00,"
            "1:20:00\n" for n in range(10)))
    assert main(["close", "--month", "2026-10"]) == 0
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT total, hours_billed FROM invoices WHERE client = 'acme' AND month = '2026-10'"
                            ).fetchall() == [(Decimal("2000.00"), Decimal("13.333333333"))]
    payload = json.loads((home / "outbox" / "2026-10" / "acme.json").read_text())
    assert [(ln["Amount"], ln["SalesItemLineDetail"]["Qty"]) for ln in payload["Line"]
            if ln.get("DetailType") == "SalesItemLineDetail"] == [(2000.0, 13.3333333)]


@pytest.fixture(scope="module")
def server():
    with postgres_cluster() as url:
        yield url


def test_a_postgres_warehouse_of_the_first_release_is_widened_once_keeping_its_rows(server: str) -> None:
    url = create_database(server, "first_release")
    with psycopg.connect(url, autocommit=True) as old:
        old.execute(first_release_schema().encode())
        old.execute(SENT.encode())
        before = scales(old.execute(SCALES.encode()).fetchall())
    assert {before[c] for c in HOURS_COLUMNS} == {(18, 4)}

    for _ in range(2):  # the second process finds nothing to widen
        with PostgresWarehouse(url=url).connect() as conn:
            after = scales((r["table_name"], r["column_name"], r["numeric_precision"], r["numeric_scale"])
                           for r in conn.rows(SCALES))
            sent = conn.rows("SELECT total, hours_billed FROM sent_invoices")
        assert {after[c] for c in HOURS_COLUMNS} == {(28, 10)}
        assert {c: s for c, s in after.items() if c not in HOURS_COLUMNS} == {
            c: s for c, s in before.items() if c not in HOURS_COLUMNS}
        assert sent == [{"total": Decimal("1999.95"), "hours_billed": Decimal("13.3330")}]
        warehouse_postgres._SCHEMA_READY.discard(url)  # as a new process


def test_hours_are_shown_to_the_ten_thousandth_and_kept_whole() -> None:
    assert [f"{shown_hours(Decimal(v)):f}" for v in ("13.3333333330", "1.5000000000", "0.0000000005", "2.00005",
                                                      "-0.3333333333")] == [
        "13.3333", "1.5", "0", "2.0001", "-0.3333"]


def test_a_new_warehouse_has_no_column_left_to_widen(tmp_path: Path) -> None:
    with DuckDBWarehouse(database=str(tmp_path / "billing.duckdb")).connect() as conn:
        assert conn.rows(sql_text("schema/hours_to_widen.sql")) == []


def test_a_time_line_of_durations_bills_its_exact_seconds() -> None:
    """Sums of up to 200 durations (each kept to 1e-10 h) at rates with cents bill round-half-up of the exact
    seconds x rate / 3600: the amounts a tool computing from seconds shows. Quantities that are not whole seconds
    (four-decimal hours) are priced as they are."""
    rng = random.Random(20261128)
    for _ in range(3000):
        durations = [rng.randrange(1, 36000) for _ in range(rng.randrange(1, 200))]
        rate = Decimal(rng.randrange(1, 100000)) / 100
        kept = sum((seconds_to_hours(s) for s in durations), Decimal(0))
        exact = Fraction(sum(durations), 3600) * Fraction(rate) * 100
        assert time_amount(kept, rate) == Decimal(int(exact + Fraction(1, 2))) / 100, (durations, rate)
    assert time_amount(Decimal("0.1234"), Decimal("150")) == Decimal("18.51")  # 18.51 exactly, not 444 s
    assert time_amount(Decimal("1.3333"), Decimal("150")) == Decimal("200.00")  # 199.995, half up
    assert time_amount(Decimal("1.3358333333"), Decimal("150")) == Decimal("200.38")  # 4,809 s: 200.375
    assert round2(Decimal("1.3358333333") * 150) == Decimal("200.37")  # what the kept hours alone give


def test_a_draft_of_durations_in_quickbooks_is_left_alone_by_the_next_close(qbo_home) -> None:
    """QuickBooks keeps 7 decimals of Qty; what it holds must read as our draft again, not as a person's edit."""
    home, emulator = qbo_home
    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text().replace("rounding:\n  increment_hours: 0.25\n  mode: up\n", ""))
    (home / "timesheets" / "toggl.csv").write_text(
        "User,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration\n" + "".join(
            f"Ana Souza,Globex Corporation,Web,,Entry {n},Yes,2026-08-{n + 3:02d},09:00:00,2026-08-{n + 3:02d},"
            "10:20:09,1:20:09\n" for n in range(7)))
    assert main(["close", "--month", "2026-08"]) == 0
    [invoice] = emulator.invoices.values()
    token = invoice["SyncToken"]
    qtys = [str(ln["SalesItemLineDetail"]["Qty"]) for ln in invoice["Line"] if "SalesItemLineDetail" in ln]
    assert "9.3508333" in qtys  # 7 x 4,809 s, to the 7 decimals QuickBooks keeps
    assert main(["close", "--month", "2026-08"]) == 0
    [again] = emulator.invoices.values()
    assert again["SyncToken"] == token
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        assert [s for (s,) in conn.execute("SELECT status FROM invoice_pushes ORDER BY pushed_at").fetchall()] == [
            "created"]
