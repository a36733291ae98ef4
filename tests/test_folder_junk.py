"""What a person's computer leaves in the billing home's folders: junk beside exports is skipped with a warning
naming it (nobody's month stops), and an override file that cannot be read, or is read wrongly, stops every
client-month rather than losing or misplacing its decisions in silence."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb

from billing_assets.cli import main
from billing_assets.core.sources import read_folder
from tests.conftest import GOLDEN


def _two_clients(billing_env) -> Path:
    """Golden cases 02 (globex) and 03 (initech) in one home."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    for sub in ("contracts", "timesheets", "expenses"):
        for path in (GOLDEN / "03_caps_tiers_fixed_fee" / sub).iterdir():
            shutil.copy(path, home / sub / (path.name if sub == "contracts" else f"i_{path.name}"))
    return home


def _totals(home: Path) -> dict[str, Decimal]:
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        return dict(conn.execute("SELECT client, total FROM invoices WHERE month = '2026-08'").fetchall())


def _month_ids(home: Path) -> list[str]:
    return sorted(e.entry_id for e in read_folder(home).entries if e.month == "2026-08")


def test_junk_beside_exports_is_named_and_every_client_is_priced(billing_env, capsys) -> None:
    home = _two_clients(billing_env)
    (home / "timesheets" / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    (home / "timesheets" / "~$sept.csv").write_bytes(b"\x05alice" + b"\0" * 150)  # Excel's owner file
    (home / "expenses" / "oct export.csv.part").write_bytes(b"Date,Client,Proj")
    (home / "timesheets" / "empty.csv").write_bytes(b"")
    warnings = [
        "timesheets/Thumbs.db: not an export (only .csv, .tsv and .txt files are read): skipped",
        "timesheets/empty.csv: empty file: nothing read",
        "timesheets/~$sept.csv: an Excel owner file (Excel writes it beside a workbook it has open): not an "
        "export; skipped",
        "expenses/oct export.csv.part: a download or copy not finished (.part): skipped; it is read once it is "
        "complete and renamed"]

    assert main(["validate"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [f"warning: {w}" for w in warnings] == [line for line in out if line.startswith("warning:")]
    assert main(["close", "--month", "2026-08"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"warning: initech 2026-08: {warnings[0]}" in out
    assert _totals(home) == {"globex": Decimal("13879.48"), "initech": Decimal("11631.00")}


def test_an_unreadable_csv_still_stops_everyone_and_a_workbook_is_refused(billing_env, capsys) -> None:
    home = _two_clients(billing_env)
    (home / "timesheets" / "sept.csv").write_bytes(b"\x05alice" + b"\0" * 150)  # not text, named as an export
    (home / "timesheets" / "sept.xlsx").write_bytes(b"PK\x03\x04")
    parsed = read_folder(home)
    assert [str(p) for p in parsed.problems] == [
        "timesheets/sept.csv: header matches no known export (tried Harvest detailed time, Toggl detailed, Clockify "
        "detailed, QuickBooks Time timesheets): none of its columns "
        "(\\x05alice\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x0) is one they write",
        "timesheets/sept.xlsx: a spreadsheet, not CSV: its rows are not read; export or save it as CSV"]
    assert main(["close", "--month", "2026-08"]) == 1
    assert "blocked: inputs_readable" in capsys.readouterr().out
    assert _totals(home) == {}


def test_a_sub_folder_of_overrides_is_named(billing_env, capsys) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    (home / "overrides" / "old").mkdir(parents=True)
    (home / "overrides" / "old" / "2026-08.csv").write_text(f"entry_id,action\n{_month_ids(home)[0]},write_off\n")
    warning = ("warning: overrides/old/: a folder holding 1 decision file(s), not read: decisions belong in "
               "overrides/ itself (move them up to apply them)")
    assert main(["validate"]) == 0
    assert warning in capsys.readouterr().out.splitlines()
    assert main(["close", "--month", "2026-08"]) == 0
    assert warning in capsys.readouterr().out.splitlines()
    assert _totals(home) == {"globex": Decimal("13879.48")}


def test_a_broken_link_in_overrides_stops_every_client_month(billing_env, capsys) -> None:
    home = _two_clients(billing_env)
    (home / "overrides").mkdir(exist_ok=True)
    (home / "overrides" / "2026-08.csv").symlink_to(home / "overrides" / "gone.csv")
    problem = ("overrides/2026-08.csv: a link to a file that does not exist: its decisions cannot be read; restore "
               "the file or remove the link")
    assert main(["validate"]) == 1
    assert problem in capsys.readouterr().out.splitlines()
    assert main(["close", "--month", "2026-08"]) == 1
    out = capsys.readouterr().out
    assert out.count(f"  {problem}") == 2  # under globex and initech
    assert _totals(home) == {}


def test_a_second_header_in_another_order_stops_every_client_month(billing_env, capsys) -> None:
    home = _two_clients(billing_env)
    ids = _month_ids(home)
    (home / "overrides").mkdir(exist_ok=True)
    (home / "overrides" / "2026-08.csv").write_text(
        f"entry_id,action,note\n{ids[0]},bill,ok\nentry_id,note,action\n{ids[1]},bill,write_off\n")
    problem = ("overrides/2026-08.csv: row 2: a second header (entry_id, note, action) with other columns than the "
               "first (entry_id, action, note): two files pasted together? Put its rows in the first header's "
               "columns, or save them as a file of their own; no decision of this file is applied")
    assert main(["validate"]) == 1
    assert problem in capsys.readouterr().out.splitlines()
    assert main(["close", "--month", "2026-08"]) == 1
    assert capsys.readouterr().out.count(f"  {problem}") == 2
    assert _totals(home) == {}


def test_two_files_with_the_same_columns_pasted_together_both_apply(billing_env, capsys) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    ids = _month_ids(home)
    (home / "overrides").mkdir(exist_ok=True)
    (home / "overrides" / "2026-08.csv").write_text(
        f"entry_id,action,note\n{ids[0]},write_off,ok\n\ufeffentry_id,action,note\n{ids[1]},write_off,x\n",
        encoding="utf-8")
    assert main(["validate"]) == 0
    assert "0 problem(s)" in capsys.readouterr().out
    assert main(["close", "--month", "2026-08"]) == 0
    assert _totals(home) == {"globex": Decimal("13428.23")}  # 13,879.48 less the two entries written off


def test_a_long_lived_process_sees_a_broken_link_and_a_sub_folder_added_after_its_first_reading(billing_env) -> None:
    """The code server keeps readings of overrides/ and timesheets/ while their files are unchanged: an entry that
    is not a file (a link to nothing, a sub-folder holding exports) added later must be read again, not missed."""
    from resources.home import BillingHome
    from resources.timesource import CsvTimeSource

    home = _two_clients(billing_env)
    (home / "overrides").mkdir(exist_ok=True)
    billing_home, source = BillingHome(path=str(home)), CsvTimeSource(home=str(home))
    assert billing_home.override_problems() == ()
    assert [str(w) for w in source.load(["2026-08"]).warnings] == []
    (home / "overrides" / "2026-08.csv").symlink_to(home / "overrides" / "gone.csv")
    (home / "timesheets" / "archive").mkdir()
    assert [str(p) for p in billing_home.override_problems()] == [
        "overrides/2026-08.csv: a link to a file that does not exist: its decisions cannot be read; restore the file "
        "or remove the link"]
    (home / "timesheets" / "archive" / "old.csv").write_text("x\n")
    warnings = [str(w) for w in source.load(["2026-08"]).warnings]
    assert len(warnings) == 1 and warnings[0].startswith("timesheets/archive/: a folder holding 1 ")


def test_a_zipped_export_stops_every_client_of_the_folder(billing_env, capsys) -> None:
    """Found by an auditor: the second half of a month downloaded as a zip was "not an export: skipped" with a
    warning, and one client's invoice went out without it (another was called outside its engagement)."""
    home = _two_clients(billing_env)
    (home / "timesheets" / "harvest_2026-08-16_2026-08-31.zip").write_bytes(b"PK\x03\x04")
    assert [str(p) for p in read_folder(home).problems] == [
        "timesheets/harvest_2026-08-16_2026-08-31.zip: an archive, not CSV: its rows are not read; extract the "
        "export into this folder and remove the archive"]
    assert main(["close", "--month", "2026-08"]) == 1
    assert "blocked: inputs_readable" in capsys.readouterr().out
    assert _totals(home) == {}


def test_two_overlapping_exports_pasted_into_one_file_stop_its_clients_and_disjoint_ones_are_read(billing_env,
                                                                                                  capsys) -> None:
    """Found by an auditor: the first half of a month, the header again, then the whole month, in one file: the
    shared rows were billed twice with exit 0 (the same rows in two files stop their months). Two exports of
    different dates pasted so stay read."""
    home = _two_clients(billing_env)
    path = home / "timesheets" / "harvest_time_a.csv"
    header, *rows = path.read_text().splitlines()
    path.write_text("\n".join([header, *rows[:5], header, *rows]) + "\n")
    assert [str(p) for p in read_folder(home).problems] == [
        "timesheets/harvest_time_a.csv: row 6 repeats the header and 5 row(s) after it (7-11) repeat rows above it: "
        "two exports pasted into one file would bill those rows twice; keep one export per file (the whole month "
        "alone)"]
    assert main(["close", "--month", "2026-08"]) == 1
    assert "globex                       2026-08" in capsys.readouterr().out
    assert _totals(home) == {"initech": Decimal("11631.00")}  # the other client's file is read and priced
    path.write_text("\n".join([header, *rows[:5], header, *rows[5:]]) + "\n")  # disjoint parts: both read
    assert main(["close", "--month", "2026-08"]) == 0
    assert _totals(home) == {"globex": Decimal("13879.48"), "initech": Decimal("11631.00")}


def test_a_block_pasted_twice_without_its_header_is_said_by_the_close_too(billing_env, capsys) -> None:
    """Found by an auditor: `billing validate` warned of rows repeating earlier rows one for one, and the close,
    which bills them as the spec says, said nothing."""
    home = _two_clients(billing_env)
    path = home / "timesheets" / "harvest_time_a.csv"
    header, *rows = path.read_text().splitlines()
    path.write_text("\n".join([header, *rows, *rows[:3]]) + "\n")
    assert main(["close", "--month", "2026-08"]) == 0
    n = len(rows)
    assert (f"warning: timesheets/harvest_time_a.csv: rows {n + 1}-{n + 3}: repeat earlier rows of the file one for "
            "one (each is billed: check that the export was not pasted twice)") in capsys.readouterr().out


def test_overlapping_exports_whose_shared_row_had_its_note_corrected_stop_the_month(billing_env, capsys) -> None:
    """Found by an auditor: a first-half export and the whole month's, one shared note corrected between them
    ("Review, copy" then "Review of copy"): no row was identical, and both were billed with exit 0."""
    home = _two_clients(billing_env)
    path = home / "timesheets" / "harvest_time_a.csv"
    header, *rows = path.read_text().splitlines()
    first = rows[0].split(",")
    first[5] = first[5] + " (corrected)"
    (home / "timesheets" / "harvest_time_a_first_week.csv").write_text("\n".join([header, rows[0]]) + "\n")
    path.write_text("\n".join([header, ",".join(first), *rows[1:]]) + "\n")
    assert main(["close", "--month", "2026-08"]) == 1
    assert ("1 row appears in more than one export file: 2026-08-01 Raj Patel 1.4 h in "
            "['timesheets/harvest_time_a.csv', 'timesheets/harvest_time_a_first_week.csv']") in capsys.readouterr().out
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        pushed = conn.execute("SELECT DISTINCT client FROM invoice_pushes").fetchall()
    assert pushed == [("initech",)]  # globex's month is held back; the other client is pushed


def test_a_summary_report_in_the_folder_is_refused_as_one(billing_env, capsys) -> None:
    """Found by an auditor: a Clockify summary report saved beside the detailed exports was refused as "the closest,
    Clockify detailed, lacks User, Description, Start Date", which does not tell a person to export the Detailed
    report. Its clients are stopped until it is replaced."""
    home = _two_clients(billing_env)
    (home / "timesheets" / "clockify_summary.csv").write_text(
        "Project,Client,Time (h),Time (decimal),Amount (USD)\nStrategy Review,Globex Corporation,12:30:00,12.50,"
        "1750.00\n")
    problem = ("timesheets/clockify_summary.csv: a summary report (totals, not a row per time entry), not a detailed "
               "export (tried Harvest detailed time, Toggl detailed, Clockify detailed, QuickBooks Time timesheets): "
               "export the time tracker's detailed report instead, one row per time entry (Harvest \"Detailed "
               "time\", Toggl and Clockify \"Detailed\", QuickBooks Time \"Timesheets\")")
    assert [str(p) for p in read_folder(home).problems] == [problem]
    assert main(["validate"]) == 1
    assert problem in capsys.readouterr().out.splitlines()
    assert main(["close", "--month", "2026-08"]) == 1
    out = capsys.readouterr().out
    assert f"  {problem}" in out.splitlines(), out
    assert _totals(home) == {"initech": Decimal("11631.00")}  # the client the file does not name is billed


def test_a_totals_row_a_spreadsheet_added_is_said_alike_by_validate_and_the_close(billing_env, capsys) -> None:
    """Found by an auditor: a totals row saved under an export ("Total" under Date, the hours summed, no client)
    made validate exit 1 while the close skipped it without a word. Both now say it, as a warning: no contract names
    its blank client, so it stops and bills nobody."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    sheet = home / "timesheets" / "harvest_time_a.csv"
    rows = sheet.read_text().splitlines()
    width = rows[0].count(",")
    sheet.write_text("\n".join(rows) + "\nTotal,,,,,,66.25" + "," * (width - 6) + "\n")
    warning = (f"warning: timesheets/harvest_time_a.csv: row {len(rows)}: Date: not a date: 'Total': under client "
               "'', which no contract names: it stops and bills nobody")
    assert main(["validate"]) == 0
    assert warning in capsys.readouterr().out.splitlines()
    assert main(["close", "--month", "2026-08"]) == 0
    assert warning in capsys.readouterr().out.splitlines()
    assert _totals(home) == {"globex": Decimal("13879.48")}
    sheet.write_text("\n".join(rows) + "\nTotal,Globex Corporation,,,,,66.25" + "," * (width - 6) + "\n")
    assert main(["validate"]) == 1  # under the client's own name it stops the client, as before
    assert main(["close", "--month", "2026-08"]) == 1
