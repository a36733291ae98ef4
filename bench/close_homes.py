"""What a billing home holds around a close, for the month-close benchmarks (bench/run.py): the time entries of
its CSV exports, and what the close wrote to its warehouse (hours in against hours out, invoices, classifier use)."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from bench.close_measure import MONTH


def csv_rows(home: Path):
    for path in sorted((home / "timesheets").glob("*.csv")):
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                yield path.name, row


def client_entries(home: Path, client: str) -> int:
    """Time entries of one client in the home's timesheets (by contract name and aliases)."""
    import yaml

    contract = yaml.safe_load((home / "contracts" / f"{client}.yaml").read_text())
    names = {contract["name"], *contract.get("aliases", [])}
    return sum(1 for _, row in csv_rows(home) if row["Client"] in names)


# -- reconciliation ----------------------------------------------------------------------------------------


def reconcile(home: Path) -> dict[str, object]:
    """Entries and hours of MONTH in the CSVs, in raw_time_entries and in entry_outcomes (by outcome)."""
    import duckdb

    csv_count, csv_hours = 0, Decimal(0)
    for _, row in csv_rows(home):
        if row["Date"].startswith(MONTH):
            csv_count += 1
            csv_hours += Decimal(row["Hours"])
    db = home / "billing.duckdb"
    if not db.exists():
        return {"csv": (csv_count, csv_hours), "raw": (0, Decimal(0)), "outcomes": (0, Decimal(0)), "by_outcome": []}
    with duckdb.connect(str(db), read_only=True) as conn:
        raw = conn.execute("SELECT count(*), coalesce(sum(hours), 0) FROM raw_time_entries WHERE month = ?",
                           [MONTH]).fetchone()
        out = conn.execute("SELECT count(*), coalesce(sum(source_hours), 0) FROM entry_outcomes WHERE month = ?",
                           [MONTH]).fetchone()
        by = conn.execute("SELECT outcome, count(*), sum(source_hours) FROM entry_outcomes WHERE month = ? "
                          "GROUP BY outcome ORDER BY outcome", [MONTH]).fetchall()
        invoices = conn.execute("SELECT count(*), sum(total) FROM invoices WHERE month = ?", [MONTH]).fetchone()
    return {"csv": (csv_count, csv_hours), "raw": tuple(raw), "outcomes": tuple(out), "by_outcome": by,
            "invoices": tuple(invoices)}


def reconciliation_markdown(label: str, r: dict) -> tuple[str, bool]:
    csv_count, csv_hours = r["csv"]
    ok = r["csv"] == (r["raw"][0], r["raw"][1]) == (r["outcomes"][0], r["outcomes"][1]) and csv_count > 0
    lines = [f"Reconciliation of {label} ({MONTH}): **{'PASS' if ok else 'FAIL'}** (hours in = hours out)", "",
             "| where | entries | hours |", "|---|---:|---:|",
             f"| timesheets/*.csv (Hours column) | {csv_count:,} | {csv_hours:,.2f} |",
             f"| raw_time_entries.hours | {r['raw'][0]:,} | {Decimal(r['raw'][1]):,.2f} |",
             f"| entry_outcomes.source_hours | {r['outcomes'][0]:,} | {Decimal(r['outcomes'][1]):,.2f} |"]
    lines += [f"| - outcome `{name}` | {count:,} | {Decimal(hours):,.2f} |" for name, count, hours in r["by_outcome"]]
    if r.get("invoices"):
        count, total = r["invoices"]
        lines.append(f"\nInvoices written: {count:,}, total billed {Decimal(total or 0):,.2f} USD.")
    return "\n".join(lines), ok


# -- other reads of the warehouse ---------------------------------------------------------------------------


def invoice_totals(home: Path, url: str | None = None) -> tuple[int, Decimal]:
    """(invoices, sum of totals) in the DuckDB file of `home`, or in the PostgreSQL database `url`."""
    sql = "SELECT count(*), coalesce(sum(total), 0) FROM invoices"
    if url:
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute(sql).fetchone()
    import duckdb

    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchone()


def classifier_entries(home: Path) -> int:
    """Entries of the home that went to the classifier in the last close (method classifier)."""
    import duckdb

    db = home / "billing.duckdb"
    if not db.exists():
        return 0
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute("SELECT count(*) FROM classified_time_entries WHERE method = 'classifier'").fetchone()[0]
