"""The same month of work exported from Harvest, Toggl and Clockify prices to the same invoice."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from billing_assets.cli import main

MONTH = "2026-09"
CONTRACT = """client: acme
name: Acme Corp
aliases: ["ACME Corporation"]
currency: USD
terms_days: 30
rounding: {increment_hours: 0.25, mode: up}
roles: {partner: 400, senior: 250, analyst: 150}
people: {"Alice Ng": senior, "Bob Ray": analyst, "Mary Ann Lee": partner}
work_types:
  rush: {multiplier: 1.5, counts_against_retainer: false}
task_map: {"Rush": rush, "Internal": non_billable}
rush_keywords: ["urgent", "asap"]
retainer: {monthly_fee: 3000, included_hours: 10, overage_multiplier: 1.0}
tiers: [{from_hours: 0, factor: 1.0}, {from_hours: 6, factor: 0.9}]
discount_pct: 5
"""

# (day, client, project, task, notes, Harvest hours as exported, H:MM:SS, billable, user)
WORK = [
    (1, "Acme Corp", "Website", "Design", "Homepage wireframes", "1.5", "1:30:00", True, "Alice Ng"),
    (1, "Acme Corp", "Website", "", "Call with client, notes", "0.33", "0:20:00", True, "Bob Ray"),
    (2, "ACME Corporation", "Support", "Rush", "Checkout fix", "2.5", "2:30:00", True, "Alice Ng"),
    (3, "Acme Corp", "Website", "Build", "urgent hotfix for login", "0.75", "0:45:00", True, "Bob Ray"),
    (3, "Acme Corp", "Website", "Internal", "Team sync", "1", "1:00:00", False, "Alice Ng"),
    (4, "Acme Corp", "Strategy", "Workshop", "Roadmap workshop", "4", "4:00:00", True, "Mary Ann Lee"),
    (8, "Acme Corp", "Website", "Build", "Product page templates", "3.25", "3:15:00", True, "Alice Ng"),
    (9, "Acme Corp", "Website", "Build", "QA pass", "1.67", "1:40:00", True, "Bob Ray"),
    (15, "ACME Corporation", "Strategy", "Workshop", "Pricing review", "2.75", "2:45:00", True, "Mary Ann Lee"),
    (22, "Acme Corp", "Website", "Build", "Launch checklist asap", "1.25", "1:15:00", True, "Bob Ray"),
    (29, "Acme Corp", "Website", "Build", "Analytics events", "3.5", "3:30:00", True, "Alice Ng"),
]


def yes_no(flag: bool) -> str:
    return "Yes" if flag else "No"


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


def harvest_rows() -> list[dict[str, str]]:
    """Harvest "Detailed time" export: decimal hours rounded to 2 places, person in two columns."""
    rows = []
    for day, client, project, task, notes, hours, _, billable, user in WORK:
        first, _, last = user.partition(" ")
        rows.append({"Date": date(2026, 9, day).isoformat(), "Client": client, "Project": project,
                     "Project Code": "", "Task": task, "Notes": notes, "Hours": hours,
                     "Billable?": yes_no(billable), "Invoiced?": "No", "Approved?": "Yes", "First Name": first,
                     "Last Name": last, "Employee Id": "", "Roles": "", "Employee?": "Yes", "Billable Rate": "",
                     "Billable Amount": "", "Cost Rate": "", "Cost Amount": "", "Currency": "USD",
                     "External Reference URL": ""})
    return rows


def end_after_nine(hms: str, twelve_hour: bool = False) -> str:
    """The end of an entry started at 09:00 lasting `hms`, as the tool writes it (24-hour, or 12-hour with AM/PM)."""
    h, m, s = (int(part) for part in hms.split(":"))
    if not twelve_hour:
        return f"{9 + h + (m // 60):02d}:{m % 60:02d}:{s:02d}"
    minutes = 9 * 60 + h * 60 + m + (1 if s >= 30 else 0)
    hour = minutes // 60
    return f"{(hour - 1) % 12 + 1:02d}:{minutes % 60:02d} {'PM' if hour >= 12 else 'AM'}"


def toggl_rows() -> list[dict[str, str]]:
    """Toggl detailed export: H:MM:SS durations, ISO dates."""
    return [{"User": user, "Email": "team@example.com", "Client": client, "Project": project, "Task": task,
             "Description": notes, "Billable": yes_no(billable), "Start date": date(2026, 9, day).isoformat(),
             "Start time": "09:00:00", "End date": date(2026, 9, day).isoformat(), "End time": end_after_nine(hms),
             "Duration": hms, "Tags": "", "Amount (USD)": "0.00"}
            for day, client, project, task, notes, _, hms, billable, user in WORK]


def clockify_rows() -> list[dict[str, str]]:
    """Clockify detailed export: US dates, both duration columns (the decimal one wins)."""
    return [{"Project": project, "Client": client, "Description": notes, "Task": task, "User": user,
             "Group": "", "Email": "team@example.com", "Tags": "", "Billable": yes_no(billable),
             "Start Date": date(2026, 9, day).strftime("%m/%d/%Y"), "Start Time": "09:00 AM",
             "End Date": date(2026, 9, day).strftime("%m/%d/%Y"), "End Time": end_after_nine(hms, True),
             "Duration (h)": hms,
             "Duration (decimal)": hours, "Billable Rate (USD)": "0.00", "Billable Amount (USD)": "0.00"}
            for day, client, project, task, notes, hours, hms, billable, user in WORK]


SOURCES: dict[str, tuple[str, Callable[[], list[dict[str, str]]]]] = {
    "harvest_csv": ("harvest_detailed_time.csv", harvest_rows),
    "toggl_csv": ("toggl_detailed.csv", toggl_rows),
    "clockify_csv": ("clockify_detailed.csv", clockify_rows),
}


def close_in_new_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> Path:
    """A billing home with the contract and one export of WORK, closed for MONTH through the CLI."""
    file_name, rows = SOURCES[source]
    home = tmp_path / source
    for sub in ("contracts", "timesheets", "expenses", "overrides"):
        (home / sub).mkdir(parents=True)
    (home / "contracts" / "acme.yaml").write_text(CONTRACT)
    write_csv(home / "timesheets" / file_name, rows())
    monkeypatch.setenv("BILLING_HOME", str(home))
    monkeypatch.setenv("BILLING_DB", str(home / "billing.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))  # one instance, three homes
    assert main(["close", "--month", MONTH]) == 0
    return home


def invoice(home: Path) -> tuple[list[tuple], tuple, list[str]]:
    """(invoice lines, invoice totals, sources of the raw entries) of acme's MONTH."""
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        lines = conn.execute("SELECT kind, quantity, unit_price, amount FROM invoice_lines "
                             "WHERE client = 'acme' AND month = ? ORDER BY line_no", [MONTH]).fetchall()
        totals = conn.execute("SELECT fees, discount, total, hours_billed, hours_covered, hours_held FROM invoices "
                              "WHERE client = 'acme' AND month = ?", [MONTH]).fetchone()
        sources = [s for (s,) in conn.execute("SELECT DISTINCT source FROM raw_time_entries").fetchall()]
    return lines, totals, sources


def test_harvest_toggl_and_clockify_exports_price_identically(billing_env, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    billing_env()  # clears BILLING_SOURCE, BILLING_CLASSIFIER, ANTHROPIC_API_KEY, BILLING_PUSH
    results = {}
    for source in SOURCES:
        lines, totals, sources = invoice(close_in_new_home(tmp_path, monkeypatch, source))
        assert sources == [source]
        results[source] = (lines, totals)
    harvest = results["harvest_csv"]
    assert results["toggl_csv"] == harvest and results["clockify_csv"] == harvest
    lines, (fees, discount, total, billed, covered, held) = harvest
    kinds = [kind for kind, *_ in lines]
    assert kinds[0] == "retainer_fee" and {"retainer_covered", "hourly", "overage", "discount"} <= set(kinds)
    assert total == sum(amount for *_, amount in lines) == fees + discount
    assert covered == Decimal(10) and held == 0
