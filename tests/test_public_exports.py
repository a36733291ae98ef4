"""Public export samples the reader had never seen (tests/fixtures/public_exports/PROVENANCE.md: Toggl Track,
Clockify, Harvest and QuickBooks Time files that people published in their own repositories), each read exactly
as a hand count of its own date and duration columns says, or refused with the one line that names the file.

Months from 2024 on are closed through `billing close` and priced at the contracts' default rate of 100/h (one
line per project: amount = round2(hours x 100)). Older samples (2018-2022) lie before the first month partition
(BILLING_FIRST_MONTH, else January two years back), which this test process fixed when it imported the package: their
tests check what the reader takes per client-month, and one closes 2018 through a `billing` process of its own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from billing_assets.cli import main
from billing_assets.core.money import round2
from billing_assets.core.sources import read_folder
from billing_assets.validate import validate_report

FIXTURES = Path(__file__).parent / "fixtures" / "public_exports"
RATE = Decimal(100)


def home_with(billing_env, files: list[str], contracts: dict[str, tuple[str, str]], settings: str = "") -> Path:
    """A billing home holding `files` (from the fixtures) and one default-rate contract per slug: (name, currency)."""
    home = billing_env()
    for slug, (name, currency) in contracts.items():
        (home / "contracts" / f"{slug}.yaml").write_text(
            f'client: {slug}\nname: "{name}"\ncurrency: {currency}\nterms_days: 30\ndefault_rate: {RATE}\n',
            encoding="utf-8")
    for name in files:
        shutil.copy(FIXTURES / name, home / "timesheets" / name)
    if settings:
        (home / "settings.yaml").write_text(settings)
    return home


def read_hours(home: Path) -> dict[tuple[str, str], dict[str, Decimal]]:
    """Billable hours the reader takes, per (Client as written, month) and project."""
    out: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for entry in read_folder(home).entries:
        if entry.billable:
            out[(entry.client_name, entry.month)][entry.project] += entry.hours
    return {key: dict(projects) for key, projects in out.items()}


def priced(projects: dict[str, Decimal]) -> Decimal:
    """The total the default rate bills: one hourly line per project."""
    return sum((round2(hours * RATE) for hours in projects.values()), Decimal(0))


def invoices(home: Path) -> dict[tuple[str, str], tuple[Decimal, Decimal, Decimal]]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT client, month, total, hours_billed, hours_held FROM invoices").fetchall()
    return {(client, month): (total, billed, held) for client, month, total, billed, held in rows}


def problems(home: Path) -> list[str]:
    return [str(p) for p in read_folder(home).problems]


# ---- Toggl Track -------------------------------------------------------------------------------------------------

def test_toggl_norwegian_2018_export_reads_every_second(billing_env) -> None:
    """Vages/toggl-til-ubw: a Norwegian week of 2018 (34-second entries, "Erfaringsoverføring"); Client filled from
    Project, Billable set Yes."""
    home = home_with(billing_env, ["toggl_vages_2018.csv"],
                     {"entur": ("Entur", "NOK"), "fagarbeid": ("Fagarbeid", "NOK"), "knowit": ("Knowit", "NOK")})
    report = read_folder(home).files[0]
    assert (report.layout, report.read, report.rows, report.decisions["durations"]) == (
        "Toggl detailed", 21, 21, "H:MM:SS")
    hours = read_hours(home)
    assert hours == {("Entur", "2018-10"): {"Entur": Decimal("40.0366666666")},
                     ("Fagarbeid", "2018-10"): {"Fagarbeid": Decimal("3.6894444444")},
                     ("Knowit", "2018-10"): {"Knowit": Decimal("4.6425000000")}}
    assert [priced(p) for p in hours.values()] == [Decimal("4003.67"), Decimal("368.94"), Decimal("464.25")]
    assert "Erfaringsoverføring" in {e.notes for e in read_folder(home).entries}


def test_a_month_before_the_first_month_partition_is_closed_by_the_command_that_asks(billing_env) -> None:
    """`billing close --month 2018-10` on the Norwegian export: its process starts its partitions at 2018-10 (the
    default first month is January two years back) and says how the UI shows them, instead of a Dagster traceback.
    A process whose partitions exist already (this one) refuses the month in one line naming the setting."""
    home = home_with(billing_env, ["toggl_vages_2018.csv"],
                     {"entur": ("Entur", "NOK"), "fagarbeid": ("Fagarbeid", "NOK"), "knowit": ("Knowit", "NOK")})
    env = {k: v for k, v in os.environ.items() if k != "BILLING_FIRST_MONTH"}
    done = subprocess.run([sys.executable, "-m", "billing_assets.cli", "close", "--month", "2018-10"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "note: 2018-10 is before the first month partition" in done.stderr and "Traceback" not in done.stderr
    assert "set BILLING_FIRST_MONTH=2018-10 where `dagster dev` runs" in done.stderr
    assert {k: v[0] for k, v in invoices(home).items()} == {
        ("entur", "2018-10"): Decimal("4003.67"), ("fagarbeid", "2018-10"): Decimal("368.94"),
        ("knowit", "2018-10"): Decimal("464.25")}
    with pytest.raises(SystemExit, match=r"^billing: 2018-10 is before the first month partition \d{4}-\d\d: run the "
                                         r"command with BILLING_FIRST_MONTH=2018-10$"):
        main(["close", "--month", "2018-10"])


def test_toggl_two_months_split_by_each_rows_own_start_date(billing_env) -> None:
    """XTM233/productivity-analysis: 170 rows from 28 Oct back to mid-September 2022 (newest first)."""
    home = home_with(billing_env, ["toggl_xtm233_sep_oct_2022.csv"], {"kussmaul": ("Kussmaul Studies", "EUR")})
    hours = read_hours(home)
    assert {key: sum(p.values()) for key, p in hours.items()} == {
        ("Kussmaul Studies", "2022-09"): Decimal("71.5"), ("Kussmaul Studies", "2022-10"): Decimal("131.75")}
    assert hours[("Kussmaul Studies", "2022-10")] == {
        "Master's Thesis": Decimal("103.75"), "Guitar": Decimal("7.5"), "Sport": Decimal("1.75"),
        "Personal Projects": Decimal("18.75")}
    assert [priced(hours[("Kussmaul Studies", m)]) for m in ("2022-09", "2022-10")] == [
        Decimal("7150.00"), Decimal("13175.00")]


def test_toggl_twelve_hour_clock_durations_are_read(billing_env) -> None:
    """tuttle-dev/tuttle: Start/End time and Duration all on a 12-hour clock ('12:20:00 AM' = 0:20, '02:00:00 AM'
    = 2:00, as Toggl's 12-hour time format writes them); Billable set Yes. They were refused, every row."""
    home = home_with(billing_env, ["toggl_tuttle_12h.csv"], {"heating": ("HeatingEngineering", "EUR")})
    assert problems(home) == []
    assert read_folder(home).files[0].decisions["durations"] == "H:MM:SS AM/PM"
    assert read_hours(home) == {("HeatingEngineering", "2022-01"): {
        "dev": Decimal("28.25"), "orga": Decimal("14.0833333333")}}


def test_toggl_twelve_hour_clock_durations_never_bill_a_wrong_number(billing_env) -> None:
    """A 12-hour duration its own clock times contradict (20 minutes from 06:15:49 PM to 06:35:49 PM written
    `12:20:00 PM`) stops its client-month by name: it is not billed as 12.33 h."""
    home = home_with(billing_env, [], {"heating": ("HeatingEngineering", "EUR")})
    text = (FIXTURES / "toggl_tuttle_12h.csv").read_text(encoding="utf-8")
    (home / "timesheets" / "toggl_tuttle_12h.csv").write_text(
        text.replace("06:35:49 PM,12:20:00 AM,", "06:35:49 PM,12:20:00 PM,"), encoding="utf-8")
    found = problems(home)
    assert len(found) == 1 and found[0].startswith("timesheets/toggl_tuttle_12h.csv: row 11: ")
    assert "12:20:00 PM" in found[0]
    assert sum(e.hours for e in read_folder(home).entries) == Decimal("42.3333333333") - Decimal("0.3333333333")


def test_toggl_every_cell_quoted_with_bom_and_no_final_line_break_closes_exactly(billing_env) -> None:
    """Finest-Trash-Mammal/toggl-converter (2025): Client filled, Billable set Yes."""
    home = home_with(billing_env, ["toggl_finest_quoted.csv"], {"munich-re": ("Munich RE", "ZAR")})
    assert main(["close", "--month", "2025-07"]) == 0
    assert invoices(home) == {("munich-re", "2025-07"): (Decimal("875.00"), Decimal("8.75"), Decimal(0))}


def test_toggl_special_characters_and_a_two_second_entry(billing_env) -> None:
    """solidtime-io/solidtime fixture: doubled quotes, backslashes and an emoji in Description, 2 seconds."""
    home = home_with(billing_env, ["toggl_solidtime_special.csv"], {"real-world": ("Real World Client", "EUR")})
    assert main(["close", "--month", "2024-10"]) == 0
    assert invoices(home) == {("real-world", "2024-10"): (Decimal("0.06"), Decimal("0.0005555556"), Decimal(0))}
    entry = read_folder(home).entries[0]
    assert entry.notes.startswith('\\\\ 🔥 Special characters  """`!@#$%^&*()_+')  # "" is one quote


def test_toggl_amount_in_eur_skips_the_zero_row(billing_env) -> None:
    """solidtime-io/solidtime fixture: `Amount (EUR)`, a zero row without a client, 01:00:01 for Big Company."""
    home = home_with(billing_env, ["toggl_solidtime_eur.csv"], {"big-company": ("Big Company", "EUR")})
    assert read_folder(home).files[0].zero_rows == 1
    assert main(["close", "--month", "2024-03"]) == 0
    assert invoices(home) == {("big-company", "2024-03"): (Decimal("100.03"), Decimal("1.0002777778"), Decimal(0))}


# ---- Clockify ----------------------------------------------------------------------------------------------------

def test_clockify_full_header_with_invoiced_rows_bills_and_warns(billing_env) -> None:
    """solidtime-io/solidtime fixture: Type, Invoiced, Invoice ID, a group list "Group1, Group2", 12-hour times."""
    home = home_with(billing_env, ["clockify_solidtime_full.csv"], {"real-world": ("Real World Client", "EUR")})
    _, warnings, _ = validate_report(home)
    assert warnings == ["timesheets/clockify_solidtime_full.csv: row 1: billable row (0.5 h) marked invoiced already "
                        "(Invoiced = Yes) is billed here too: write them off in overrides/ if that invoice charged "
                        "them"]
    assert main(["close", "--month", "2024-10"]) == 0
    assert invoices(home) == {("real-world", "2024-10"): (Decimal("50.00"), Decimal("0.5"), Decimal(0))}


def test_clockify_impossible_date_is_refused_by_row(billing_env) -> None:
    """solidtime-io/solidtime fixture: Start Date 13/15/2024 (End Date 10/15/2024)."""
    home = home_with(billing_env, ["clockify_solidtime_bad_date.csv"], {"real-world": ("Real World Client", "EUR")})
    assert problems(home) == [
        "timesheets/clockify_solidtime_bad_date.csv: row 1: Start Date: not a date: '13/15/2024'"]
    assert main(["close", "--month", "2024-10"]) == 1
    assert invoices(home) == {}


def test_clockify_dates_that_read_both_ways_need_the_setting(billing_env) -> None:
    """solidtime-io/solidtime fixture: only 03/04/2024 (March 4 or April 3), an `Activity` column, a zero row and
    `Duration (decimal)` 0.00 beside `Duration (h)` 01:00:01 (10:23 AM to 11:23:01 AM)."""
    home = home_with(billing_env, ["clockify_solidtime_activity.csv"], {"big-company": ("Big Company", "USD")})
    assert problems(home) == [
        "timesheets/clockify_solidtime_activity.csv: every date fits both MM/DD/YYYY and DD/MM/YYYY (no day above "
        "12); set date_order: day_first or month_first in the billing home's settings.yaml"]
    assert main(["close", "--month", "2024-03"]) == 1
    assert invoices(home) == {}
    (home / "settings.yaml").write_text("date_order: month_first\n")
    assert main(["close", "--month", "2024-03"]) == 0
    assert invoices(home) == {("big-company", "2024-03"): (Decimal("100.03"), Decimal("1.0002777778"), Decimal(0))}


@pytest.mark.parametrize(("name", "closest"), [
    ("clockify_solidtime_no_client.csv", "Clockify detailed, lacks Client"),
    ("clockify_solidtime_no_duration.csv", "Toggl detailed, lacks Duration")])
def test_clockify_exports_without_client_or_duration_are_refused_whole(billing_env, name: str, closest: str) -> None:
    """solidtime-io/solidtime fixtures: a report without the Client column; one with a Client header but no Client
    cells and no duration columns. Nobody's month is priced while such a file is in the folder."""
    home = home_with(billing_env, [name], {"big-company": ("Big Company", "USD")}, "date_order: month_first\n")
    assert problems(home) == [
        f"timesheets/{name}: header matches no known export (tried Harvest detailed time, Toggl detailed, Clockify "
        f"detailed, QuickBooks Time timesheets); the closest, {closest}"]
    assert main(["close", "--month", "2024-03"]) == 1
    assert invoices(home) == {}


# ---- Harvest -----------------------------------------------------------------------------------------------------

def test_harvest_detailed_time_over_three_months_with_a_multiline_note(billing_env) -> None:
    """JeffandyAllTogether/100-days-tracker: Harvest's 21-column export (Employee Id, Cost Rate, "United States
    Dollar - USD"), trimmed to December, early January and one February row whose note spans five lines."""
    home = home_with(billing_env, ["harvest_jeffandy_2025_26.csv"], {"example": ("Example Client", "USD")})
    assert main(["close", "--month", "2025-12..2026-02"]) == 0
    assert invoices(home) == {
        ("example", "2025-12"): (Decimal("11691.00"), Decimal("116.91"), Decimal(0)),
        ("example", "2026-01"): (Decimal("2022.00"), Decimal("20.22"), Decimal(0)),
        ("example", "2026-02"): (Decimal("228.00"), Decimal("2.28"), Decimal(0))}


def test_harvest_comma_decimals_read_as_written(billing_env) -> None:
    """solidtime-io/solidtime fixture: Hours "20,0" and "0,01", Billable Amount "2.000,0"; the 20 h row has no
    client and is not billable."""
    home = home_with(billing_env, ["harvest_solidtime_comma.csv"], {"big-company": ("Big Company", "EUR")})
    assert read_folder(home).files[0].decisions["numbers"] == "1.234,50 (from its values)"
    assert sorted(e.hours for e in read_folder(home).entries) == [Decimal("0.01"), Decimal("20.0")]
    assert main(["close", "--month", "2024-03"]) == 0
    assert invoices(home) == {("big-company", "2024-03"): (Decimal("1.00"), Decimal("0.01"), Decimal(0))}


# ---- QuickBooks Time ---------------------------------------------------------------------------------------------

def test_quickbooks_time_columns_of_a_real_export(billing_env) -> None:
    """The 24 quoted columns of a TSheets export a firm's script documents (three jobcodes, class, tasks, flags);
    rows written for it: a clocked row, a manual timesheet, one past midnight (dated by local_date), admin time with
    no customer."""
    home = home_with(billing_env, ["qbt_tsheets_columns.csv"], {"riverside": ("Riverside Family Services", "USD")})
    report = read_folder(home).files[0]
    assert (report.layout, report.read) == ("QuickBooks Time timesheets", 4)
    assert read_hours(home) == {
        ("Riverside Family Services", "2021-03"): {"Intake": Decimal("1.25"), "Case 1042": Decimal("4.25")},
        ("", "2021-04"): {"": Decimal("0.75")}}
