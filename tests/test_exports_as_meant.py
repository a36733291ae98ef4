"""Exports a firm really produces, read as meant or refused by name: each case here was once read with a wrong
value and no word (a manual QuickBooks Time timesheet dropped as a running timer, a EUR expense billed as USD, a
per-file setting keyed by the bare file name skipped, a home-wide code page garbling a UTF-8 file, "ACME CORP"
billing nobody, a decomposed "José" missing the rate card, an unquoted comma shifting cells)."""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from billing_assets.cli import main
from billing_assets.core.exports.layout import clock_agrees
from billing_assets.core.sources import read_folder
from billing_assets.validate import validate_report

MONTH = "2026-10"
HARVEST = "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name,Roles,Currency\n"
EXPENSES = "Date,Client,Project,Project Code,Category,Notes,Amount,Billable?,First Name,Last Name,Currency\n"
QBT = "fname,lname,local_date,local_start_time,local_end_time,hours,jobcode_1,jobcode_2,notes,billable\n"


def contract(slug: str, name: str, currency: str = "USD", extra: str = "") -> str:
    return (f'client: {slug}\nname: "{name}"\ncurrency: {currency}\nterms_days: 30\ndefault_rate: 100\n'
            f"{extra}")


def invoices(home: Path) -> dict[str, tuple[Decimal, Decimal]]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT client, total, hours_billed FROM invoices WHERE month = ?", [MONTH]).fetchall()
    return {client: (total, billed) for client, total, billed in rows}


def test_the_close_bills_what_the_exports_mean_and_stops_only_what_cannot_be_billed_right(billing_env,
                                                                                          capsys) -> None:
    home = billing_env()
    contracts = home / "contracts"
    contracts.joinpath("acme.yaml").write_text(contract(
        "acme", "Acme Corp", extra='roles: {senior: 200}\npeople: {"José Núñez": senior}\n'), encoding="utf-8")
    contracts.joinpath("beta.yaml").write_text(contract("beta", "Beta Ltd"))
    contracts.joinpath("gamma.yaml").write_text(contract("gamma", "Gamma GmbH", "EUR"))
    contracts.joinpath("delta.yaml").write_text(contract("delta", "Delta Co"))
    # A Mac tool's decomposed accents, read under a home-wide code page meant for legacy files.
    (home / "timesheets" / "acme.csv").write_text(unicodedata.normalize("NFD", HARVEST + (
        "2026-10-05,Acme Corp,Web,,Design,Homepage,2.00,Yes,José,Núñez,,United States Dollar - USD\n")),
        encoding="utf-8")
    (home / "timesheets" / "beta.csv").write_text(HARVEST + (
        "2026-10-06,Beta Ltd,Web,,Build,One,1.00,Yes,Ana,Souza,,\n"
        "2026-10-07,BETA LTD,Web,,Build,Two,2.00,Yes,Ana,Souza,,\n"
        "2026-10-08,Beta  Ltd,Web,,Build,Three,3.00,Yes,Ana,Souza,,\n"))
    # 'and' for '&', a full stop, an HTML entity: each billed nobody while the month went out short (an auditor)
    contracts.joinpath("epsilon.yaml").write_text(contract("epsilon", "Epsilon & Co"))
    (home / "timesheets" / "epsilon.csv").write_text(HARVEST + "".join(
        f"2026-10-{day},{name},Web,,Build,N,1.00,Yes,Ana,Souza,,\n"
        for day, name in (("13", "Epsilon & Co"), ("14", "Epsilon and Co"), ("15", "Epsilon & Co."),
                          ("16", "Epsilon &amp; Co"))))
    (home / "timesheets" / "gamma.csv").write_text(HARVEST + (
        "2026-10-06,Gamma GmbH,Web,,Build,One,1.00,Yes,Ana,Souza,,Euro - EUR\n"))
    (home / "expenses" / "gamma.csv").write_text(EXPENSES + (
        "2026-10-09,Gamma GmbH,Web,,Travel,Train,150.00,Yes,Ana,Souza,United States Dollar - USD\n"))
    (home / "timesheets" / "delta_uk.csv").write_text(HARVEST + (  # every day <= 12: the setting decides
        "05/10/2026,Delta Co,Web,,Build,One,1.00,Yes,Ana,Souza,,\n"
        "12/10/2026,Delta Co,Web,,Build,Two,2.00,Yes,Ana,Souza,,\n"))
    (home / "settings.yaml").write_text("encoding: cp1250\ndate_order: month_first\n"
                                        "files:\n  delta_uk.csv: {date_order: day_first}\n")

    assert main(["close", "--month", MONTH]) == 1
    out = capsys.readouterr().out
    assert ("timesheets/beta.csv: rows 2: client 'BETA LTD' differs from the contract's 'Beta Ltd' only in case, "
            "spaces or punctuation; add it to the contract's aliases to bill these rows") in out
    assert "timesheets/beta.csv: rows 3: client 'Beta  Ltd' differs" in out
    for row, name in ((2, "Epsilon and Co"), (3, "Epsilon & Co."), (4, "Epsilon &amp; Co")):
        assert f"timesheets/epsilon.csv: rows {row}: client {name!r} differs from the contract's 'Epsilon & Co'" in out
    assert "expenses/gamma.csv: row 1: amount in USD, but the contract bills in EUR" in out
    assert ("warning: 2026-10: 1 row(s), 2 h billable, under client 'BETA LTD' (timesheets/beta.csv): 'Beta Ltd' "
            "but for case, spaces or punctuation, so they stop that client's month until the name is one of its "
            "aliases") in out
    assert "so they bill nobody" not in out  # found by an auditor: said beside the month these rows stop
    assert invoices(home) == {"acme": (Decimal("400.00"), Decimal("2.00")),  # José at the senior rate
                              "delta": (Decimal("300.00"), Decimal("3.00"))}  # 5 and 12 October, not May/December
    assert not (home / "outbox" / MONTH / "beta.json").exists()


def test_quickbooks_time_manual_timesheets_are_read_and_running_ones_skipped(billing_env, capsys) -> None:
    home = billing_env()
    (home / "timesheets" / "qbt.csv").write_text(QBT + (
        "Ana,Souza,2026-10-05,2026-10-05T09:00:00-04:00,2026-10-05T11:30:00-04:00,2.5,Acme Corp,Web,Clocked,yes\n"
        "Ana,Souza,2026-10-06,,,3.25,Acme Corp,Web,Manual entry,yes\n"
        "Ana,Souza,2026-10-07,2026-10-07T09:00:00-04:00,,1.5,Acme Corp,Web,On the clock,yes\n"))
    (home / "timesheets" / "qbt_no_clock.csv").write_text(  # an export without the clock columns
        "fname,lname,local_date,hours,jobcode_1,notes\nAna,Souza,2026-10-08,4.0,Acme Corp,Workshop\n")
    parsed = read_folder(home)
    assert sorted((e.notes, e.hours) for e in parsed.entries) == [
        ("Clocked", Decimal("2.5")), ("Manual entry", Decimal("3.25")), ("Workshop", Decimal("4.0"))]
    assert [str(w) for w in parsed.warnings] == [
        "timesheets/qbt.csv: row 3: running timer (no end yet): skipped until it is stopped"]
    # the close says so too (it was on the ingest step's page only)
    (home / "contracts" / "acme.yaml").write_text(contract("acme", "Acme Corp"))
    assert main(["close", "--month", MONTH]) == 0
    assert ("warning: acme 2026-10: timesheets/qbt.csv: row 3: running timer (no end yet): skipped until it is "
            "stopped") in capsys.readouterr().out


def test_what_would_be_read_wrong_is_named_before_anything_runs(billing_env) -> None:
    home = billing_env()
    (home / "contracts" / "acme.yaml").write_text(contract("acme", "Acme Corp"))
    (home / "timesheets" / "archive").mkdir()
    (home / "timesheets" / "archive" / "september.csv").write_text(HARVEST)
    (home / "timesheets" / "october.csv").write_text(HARVEST + (
        "2026-10-05,Acme Corp,Web,,Build,Homepage,1.00,Yes,Ana,Souza,,\n"
        "2026-10-06,Acme Corp,Web,,Build,Call with Ana, 2,1.00,Yes,Ana,Souza,,\n"  # unquoted comma: Hours 2
        "2026-10-07,Acme Corp,Web,,Build,Checkout,1.00,Yes,Ana,Souza,,\n"
        "2026-10-08,Acme Corp,Web,,Build,Cart,1.00,Yes,Ana,Souza,,,Note\n"))  # text past the header
    (home / "timesheets" / "amounts.csv").write_text(
        "Date,Client,Project,Task,Notes,Hours,Billable?,First Name,Last Name,Billable Amount\n"
        "2026-10-05,Acme Corp,Web,Build,A,2,Yes,Ana,Souza,1.200\n")
    (home / "timesheets" / "expenses_october.csv").write_text(EXPENSES + (
        "2026-10-09,Acme Corp,Web,,Travel,Train,150.00,Yes,Ana,Souza,United States Dollar - USD\n"))
    (home / "settings.yaml").write_text("files:\n  timesheets/septembr.csv: {date_order: day_first}\n")
    (home / "timesheets" / "november.csv").symlink_to(home / "exports" / "november.csv")  # moved away
    problems, warnings, _ = validate_report(home)
    assert problems == [
        "timesheets/amounts.csv: row 1: Billable Amount: numbers fit more than one format ('1.200' reads as 1.2 in "
        "1,234.50 or 1200 in 1.234,50); set number_format: \"1,234.50\" or \"1.234,50\" in the billing home's "
        "settings.yaml",
        "timesheets/expenses_october.csv: a Harvest expense report in the wrong folder: move it to expenses/",
        "timesheets/october.csv: row 2: 13 cells where the header has 12 (a delimiter inside an unquoted note "
        "shifts the cells after it)",
        "timesheets/october.csv: row 4: 13 cells where the header has 12 (a delimiter inside an unquoted note "
        "shifts the cells after it)"]
    assert warnings == [
        "timesheets/archive/: a folder holding 1 export file(s), which are not read: only files directly in "
        "timesheets/ are (move them up to bill them)",
        "timesheets/november.csv: a link to a file that does not exist; nothing is read from it",
        "settings.yaml: files.timesheets/septembr.csv: names no file in timesheets/ or expenses/; not applied"]


def test_a_trailing_delimiter_on_every_row_is_read(billing_env) -> None:
    home = billing_env()
    (home / "timesheets" / "trailing.csv").write_text(HARVEST + (
        "2026-10-05,Acme Corp,Web,,Build,Homepage,1.00,Yes,Ana,Souza,,,\n"
        "2026-10-06,Acme Corp,Web,,Build,Checkout,2.00,Yes,Ana,Souza,,,\n"))
    parsed = read_folder(home)
    assert (parsed.problems, [e.hours for e in parsed.entries]) == ([], [Decimal("1.00"), Decimal("2.00")])


def test_clockify_time_off_as_the_api_spells_it_is_never_billed(billing_env) -> None:
    home = billing_env()
    (home / "timesheets" / "clockify.csv").write_text(
        "Project,Client,Description,User,Billable,Start Date,Start Time,End Date,End Time,Duration (h),Type\n"
        "Web,Acme Corp,Build,Ana Souza,Yes,2026-10-05,09:00,2026-10-05,10:00,1:00,REGULAR\n"
        "Web,Acme Corp,Leave,Ana Souza,Yes,2026-10-06,09:00,2026-10-06,17:00,8:00,TIME_OFF\n")
    assert [(e.notes, e.billable) for e in read_folder(home).entries] == [("Build", True), ("Leave", False)]


def test_a_block_of_rows_pasted_twice_is_a_warning_and_single_equal_rows_are_not(billing_env) -> None:
    from tests.conftest import GOLDEN

    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    sheet = home / "timesheets" / "harvest_time_a.csv"
    lines = sheet.read_text().splitlines(keepends=True)
    data = len(lines) - 1
    sheet.write_text("".join(lines + lines[4:9] + lines[20:21]))  # data rows 4-8 pasted again, and row 20 once
    _, warnings, _ = validate_report(home)
    assert warnings == [f"timesheets/harvest_time_a.csv: rows {data + 1}-{data + 5}: repeat earlier rows of the file "
                        "one for one (each is billed: check that the export was not pasted twice)"]


def test_a_duration_its_clock_times_contradict_is_refused_by_row(billing_env) -> None:
    """Minutes written as hours ("20" for 09:00-09:20) or Excel's minutes:seconds ("47:06") were billed as 20 h and
    47.1 h. A duration more than an hour from its clock times is refused naming the row; a report rounding up to
    the hour, a time past midnight and 12-hour clocks are read."""
    home = billing_env()
    (home / "timesheets" / "toggl.csv").write_text(
        "User,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Amount (USD)\n"
        "Ana Souza,Acme Corp,Web,,Minutes,Yes,2026-10-05,09:00:00,2026-10-05,09:20:00,20,\n"
        "Ana Souza,Acme Corp,Web,,Excel,Yes,2026-10-05,10:00:00,2026-10-05,10:47:06,47:06,\n"
        "Ana Souza,Acme Corp,Web,,Late,Yes,2026-10-06,23:30:00,2026-10-07,00:45:00,1:15:00,\n")
    (home / "timesheets" / "toggl_by_the_hour.csv").write_text(  # a report rounded up to the hour: all its rows
        "User,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Amount (USD)\n"
        "Ana Souza,Acme Corp,Web,,Rounded up,Yes,2026-10-06,09:00:00,2026-10-06,09:05:00,1:00:00,\n"
        "Ana Souza,Acme Corp,Web,,Hour,Yes,2026-10-07,09:00:00,2026-10-07,10:00:00,1:00:00,\n")
    (home / "timesheets" / "clockify.csv").write_text(
        "Project,Client,Description,User,Billable,Start Date,Start Time,End Date,End Time,Duration (h),"
        "Duration (decimal)\n"
        "Web,Acme Corp,Evening,Ana Souza,Yes,10/28/2026,09:30 PM,10/28/2026,11:00 PM,1:30,1.50\n"
        "Web,Acme Corp,Typo,Ana Souza,Yes,10/29/2026,09:00 AM,10/29/2026,11:00 AM,12:00,12.00\n")
    parsed = read_folder(home)
    assert [(e.notes, e.hours) for e in parsed.entries] == [
        ("Late", Decimal("1.2500")), ("Rounded up", Decimal("1.0000")), ("Hour", Decimal("1.0000")),
        ("Evening", Decimal("1.5000"))]
    assert [str(p) for p in parsed.problems] == [
        "timesheets/clockify.csv: row 2: Duration (h) '12:00' is 12 h, but Start Time 09:00 AM to End Time 11:00 AM "
        "is 2.00 h (a duration written in other units?)",
        "timesheets/toggl.csv: row 1: Duration '20' is 20 h, but Start time 09:00:00 to End time 09:20:00 is 0.33 h "
        "(a duration written in other units?)",
        "timesheets/toggl.csv: row 2: Duration '47:06' is 47.1 h, but Start time 10:00:00 to End time 10:47:06 is "
        "0.78 h (a duration written in other units?)"]
    # one row rounded to the hour among rows exact to the clock is no report's rounding (found by an auditor: a
    # 4-hour "step" let 04:00:00 stand for 09:00 to 09:20)
    (home / "timesheets" / "toggl.csv").write_text(
        (home / "timesheets" / "toggl.csv").read_text()
        + "Ana Souza,Acme Corp,Web,,Rounded alone,Yes,2026-10-08,09:00:00,2026-10-08,09:05:00,1:00:00,\n")
    assert [str(p) for p in read_folder(home).problems][-1] == (
        "timesheets/toggl.csv: row 4: Duration '1:00:00' is 1 h, but Start time 09:00:00 to End time 09:05:00 is "
        "0.08 h (a duration written in other units?)")


@pytest.mark.parametrize(("duration", "span", "agrees"), [
    (3600, 300, True),  # a 5-minute entry rounded up to the hour
    (5400, 4800, True),  # 1:20:00 rounded up to a quarter hour: 1:30:00
    (4680, 4800, True),  # 1:20:00 rounded down to 6 minutes (one decimal): 1.3 h
    (14400, 600, True),  # Toggl's 4-hour rounding of a 10-minute entry
    (7200, 3600, True),  # an hour apart: a daylight-saving change
    (Decimal("1188"), 1200, True),  # 0.33 h for 20 minutes (two decimals)
    (2700, 45, False),  # "00:45" (45 seconds) read as 45 minutes
    (6300, 4800, False),  # 1:45:00 for 1:20:00: no rounding step gives it
    (72000, 1200, False),  # "20" (hours) for 20 minutes
])
def test_a_duration_agrees_with_its_clock_times_only_as_a_report_rounds_it(duration, span, agrees) -> None:
    """The clock check allowed any duration within an hour of its span: "00:45" for a 45-second entry (an Excel
    minutes:seconds re-save) was billed 45 minutes. A duration now agrees to the minute, as one of the tools'
    report roundings of its span, or an hour apart."""
    assert clock_agrees(Decimal(duration), span) is agrees


def test_the_currency_of_money_columns_is_read_as_the_tools_spell_it(tmp_path) -> None:
    """Clockify's `Billable Rate (EURO)` (a workspace's own spelling) and Toggl's `Billable amount (EUR)` were read
    as no currency, so euro time went out in the contract's dollars with every check passing."""
    from billing_assets.core.exports.clockify import CLOCKIFY
    from billing_assets.core.exports.toggl import TOGGL

    assert CLOCKIFY.currency(["Project", "Billable Rate (EURO)", "Billable Amount (EURO)"]) == "EUR"
    assert CLOCKIFY.currency(["Billable Rate (usd)"]) == "USD"
    assert TOGGL.currency(["Duration", "Billable amount (EUR)"]) == "EUR"
    assert TOGGL.currency(["Amount (£)"]) == "GBP"
    assert TOGGL.currency(["Amount ()", "Duration (h)"]) == ""  # no currency named: the contract's is assumed


def test_an_export_in_another_language_is_refused_saying_so(billing_env) -> None:
    """A German Toggl export was refused as "the closest, QuickBooks Time timesheets, lacks fname, ...": no column in
    common, so naming a closest layout pointed the wrong way."""
    home = billing_env()
    (home / "timesheets" / "toggl_de.csv").write_text(
        "Benutzer,E-Mail,Kunde,Projekt,Aufgabe,Beschreibung,Abrechenbar,Startdatum,Dauer\n"
        "Ana Souza,a@x.com,Acme Corp,Web,,Kickoff,Ja,05.10.2026,01:30:00\n")
    (home / "timesheets" / "jira.csv").write_text("Issue Key,Summary,Author,Started,Time Spent (seconds)\n"
                                                  "WEB-12,Fix,Ana Souza,2026-10-05 09:00,5400\n")
    tried = ("header matches no known export (tried Harvest detailed time, Toggl detailed, Clockify detailed, "
             "QuickBooks Time timesheets): none of its columns")
    assert [str(p) for p in read_folder(home).problems] == [
        f"timesheets/jira.csv: {tried} (Issue Key, Summary, Author, Started, Time Spent (seconds)) is one they write",
        f"timesheets/toggl_de.csv: {tried} (Benutzer, E-Mail, Kunde, Projekt, Aufgabe, Beschreibung, ...) is one "
        "they write; its headers are in another language: export it again with the tool's language set to English"]


def test_rows_the_tool_marks_invoiced_are_billed_and_warned_of(billing_env) -> None:
    """Harvest's `Invoiced? = Yes` (Clockify's `Invoiced`) rows were billed again without a word: a firm moving its
    invoicing here may have charged them from the tool. The spec bills every billable row, so they are billed, and
    `billing validate` and the partition page say which."""
    home = billing_env()
    (home / "timesheets" / "harvest.csv").write_text(
        "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name\n"
        "2026-10-05,Acme Corp,Web,,Build,One,1.00,Yes,Yes,Ana,Souza\n"
        "2026-10-06,Acme Corp,Web,,Build,Two,2.50,Yes,Yes,Ana,Souza\n"
        "2026-10-07,Acme Corp,Web,,Build,Three,4.00,Yes,No,Ana,Souza\n"
        "2026-10-08,Acme Corp,Web,,Build,Internal,3.00,No,Yes,Ana,Souza\n")  # not billable: nothing to warn of
    (home / "timesheets" / "clockify.csv").write_text(
        "Project,Client,Description,User,Billable,Start Date,Duration (decimal),Invoiced\n"
        "Web,Acme Corp,Four,Ana Souza,Yes,2026-10-09,1.25,Yes\n")
    parsed = read_folder(home)
    assert sum(e.hours for e in parsed.entries if e.billable) == Decimal("8.75")
    assert [str(w) for w in parsed.warnings] == [
        "timesheets/clockify.csv: row 1: billable row (1.25 h) marked invoiced already (Invoiced = Yes) is billed "
        "here too: write them off in overrides/ if that invoice charged them",
        "timesheets/harvest.csv: row 1: 2 billable rows (1-2; 3.5 h) marked invoiced already (Invoiced? = Yes) are "
        "billed here too: write them off in overrides/ if that invoice charged them"]


def test_hours_in_two_number_formats_are_refused_naming_a_cell_of_each(billing_env) -> None:
    """A hand-edited file with `1.5` and `1,5` was refused with a count per format, naming no cell to fix."""
    home = billing_env()
    (home / "timesheets" / "edited.csv").write_text(
        "Date,Client,Project,Task,Notes,Hours,Billable?,First Name,Last Name\n"
        "2026-10-05,Acme Corp,Web,Design,a,1:30,Yes,Ana,Souza\n"
        "2026-10-06,Acme Corp,Web,Design,b,1.5,Yes,Ana,Souza\n"
        '2026-10-07,Acme Corp,Web,Design,c,"1,5",Yes,Ana,Souza\n')
    assert [str(p) for p in read_folder(home).problems] == [
        "timesheets/edited.csv: row 3: Hours: numbers in more than one format ('1,5' reads only as 1.234,50 or "
        "1 234,50, '1.5' only as 1,234.50 or 1'234.50); export the file again with one format"]


def test_names_with_invisible_characters_are_the_names_a_person_sees(billing_env) -> None:
    """A zero-width space or a direction mark pasted into a name ("Raj\\u200b Patel", "Acme Corp\\u200f") missed the
    rate override and billed at the default rate, or billed nobody, with no word; a no-break space likewise.
    Entry ids stay those of the values as written (spec section 1)."""
    from billing_assets.core.parsed import csv_entry_ids

    home = billing_env()
    row = "2026-10-05,{client},Web,,Build,Homepage,2.00,Yes,{first},{last}\n"
    written = [("Acme Corp\u200f", "Raj\u200b", "Patel"), ("Acme\u200bCorp", "Raj", "Patel"),
               ("Acme Corp", "Raj\u00a0Patel", "")]
    (home / "timesheets" / "pasted.csv").write_text(
        "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name\n"
        + "".join(row.format(client=c, first=f, last=last) for c, f, last in written), encoding="utf-8")
    parsed = read_folder(home)
    assert [(e.client_name, e.person) for e in parsed.entries] == [
        ("Acme Corp", "Raj Patel"), ("AcmeCorp", "Raj Patel"), ("Acme Corp", "Raj Patel")]
    assert [e.entry_id for e in parsed.entries] == csv_entry_ids(
        ("2026-10-05", c, "Web", "", "Build", "Homepage", "2.00", f, last) for c, f, last in written)


def test_a_last_row_cut_off_by_the_end_of_the_file_is_refused(billing_env) -> None:
    """A download cut off after the person's first name ("...,Yes,Sam,Or") had every column the layout needs and
    billed "Sam Or" at the default rate with exit 0. A last row shorter than the file's rows, with the file
    ending inside it, is refused; the same row ending in a line break, as an export writes it, is read."""
    home = billing_env()
    header = "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name,Roles,Currency\n"
    full = "2026-10-05,Acme Corp,Web,,Build,One,1.00,Yes,Ana,Souza,,USD\n"
    (home / "timesheets" / "cut.csv").write_text(header + full + "2026-10-06,Acme Corp,Web,,Build,Two,12.5,Yes,Sam,Or")
    (home / "timesheets" / "whole.csv").write_text(header + full.replace("One", "Three")
                                                   + "2026-10-07,Acme Corp,Web,,Build,Four,2,Yes,Sam,Ortiz\n")
    parsed = read_folder(home)
    assert [str(p) for p in parsed.problems] == [
        "timesheets/cut.csv: row 2: only 10 of 12 cells and the file ends inside it: a download or copy cut off?"]
    assert [e.notes for e in parsed.entries] == ["One", "Three", "Four"]


def test_a_home_wide_date_order_that_scatters_a_files_dates_is_refused(billing_env) -> None:
    """settings.yaml `date_order: day_first` for the home's UK files read a US Harvest export's 09/01 and 09/11 as
    9 January and 9 November: September billed nothing with exit 0. A home-wide order that spreads a file over
    more than two months while the other keeps it in one is refused; the file's own setting is trusted."""
    home = billing_env()
    (home / "settings.yaml").write_text("date_order: day_first\n")
    (home / "timesheets" / "us.csv").write_text(
        HARVEST + "09/01/2026,Acme Corp,Web,,Build,A,1.50,Yes,Ana,Souza,,USD\n"
                  "09/11/2026,Acme Corp,Web,,Build,B,2.00,Yes,Ana,Souza,,USD\n")
    (home / "timesheets" / "uk.csv").write_text(  # the home's own day-first file: two months in a row either way
        HARVEST + "01/09/2026,Acme Corp,Web,,Build,C,1.00,Yes,Ana,Souza,,USD\n"
                  "02/10/2026,Acme Corp,Web,,Build,D,1.00,Yes,Ana,Souza,,USD\n")
    parsed = read_folder(home)
    assert [(str(e.date), e.notes) for e in parsed.entries] == [("2026-09-01", "C"), ("2026-10-02", "D")]
    assert [str(p) for p in parsed.problems] == [
        "timesheets/us.csv: the home's date_order day_first reads these dates from 2026-01 to 2026-11, month_first "
        "within 2026-09: the file looks written month_first; set its own order in settings.yaml (files: {<this "
        "file>: {date_order: ...}})"]
    (home / "settings.yaml").write_text("date_order: day_first\nfiles:\n  us.csv: {date_order: day_first}\n")
    assert sorted(str(e.date) for e in read_folder(home).entries) == [
        "2026-01-09", "2026-09-01", "2026-10-02", "2026-11-09"]  # said for the file itself: as the person says


def test_a_home_wide_date_order_that_splits_a_one_month_file_in_two_is_refused(billing_env) -> None:
    """A US export's 01/02 and 01/03 (January 2 and 3) in a home set `day_first` read as February 1 and March 1:
    January billed nothing and February and March 100.00 and 200.00, with exit 0 (found by an auditor): two months
    in a row was within the guard. Two months or more where the other order keeps the file in one is refused; a
    file one month long under the home's order is read by it."""
    home = billing_env()
    (home / "settings.yaml").write_text("date_order: day_first\n")
    (home / "timesheets" / "us.csv").write_text(
        HARVEST + "01/02/2026,Acme Corp,Web,,Build,A,1.00,Yes,Ana,Souza,,USD\n"
                  "01/03/2026,Acme Corp,Web,,Build,B,2.00,Yes,Ana,Souza,,USD\n")
    (home / "timesheets" / "uk.csv").write_text(  # the home's own file: one month under day_first
        HARVEST + "05/01/2026,Acme Corp,Web,,Build,C,1.00,Yes,Ana,Souza,,USD\n"
                  "09/01/2026,Acme Corp,Web,,Build,D,1.00,Yes,Ana,Souza,,USD\n")
    parsed = read_folder(home)
    assert [(str(e.date), e.notes) for e in parsed.entries] == [("2026-01-05", "C"), ("2026-01-09", "D")]
    assert [str(p) for p in parsed.problems] == [
        "timesheets/us.csv: the home's date_order day_first reads these dates from 2026-02 to 2026-03, month_first "
        "within 2026-01: the file looks written month_first; set its own order in settings.yaml (files: {<this "
        "file>: {date_order: ...}})"]


def test_a_number_beyond_the_warehouse_is_refused_naming_its_row_and_column(billing_env) -> None:
    """Hours of 123456789012345678901 refused the file naming neither row nor column (found by an auditor): the
    refusal names the cell, as every other reader error does."""
    home = billing_env()
    (home / "timesheets" / "huge.csv").write_text(
        HARVEST + "2026-09-01,Acme Corp,Web,,Build,A,1.50,Yes,Ana,Souza,,USD\n"
                  "2026-09-02,Acme Corp,Web,,Build,B,123456789012345678901,Yes,Ana,Souza,,USD\n")
    (home / "timesheets" / "hms.csv").write_text(
        HARVEST + "2026-09-03,Acme Corp,Web,,Build,C,99999999999999999:00,Yes,Ana,Souza,,USD\n")
    assert [str(p) for p in read_folder(home).problems] == [
        "timesheets/hms.csv: row 1: Hours: '99999999999999999:00' is beyond the range the warehouse holds",
        "timesheets/huge.csv: row 2: Hours: '123456789012345678901' is beyond the range the warehouse holds"]


def test_clockify_compact_durations_defer_to_the_decimal_hours_they_cut(billing_env) -> None:
    """Clockify's Compact format (H:MM) drops the seconds: "0:13" for 0.23 h, "0:00" for 0.01 h (skipped as zero).
    An H:MM the decimal column contradicts beyond its rounding takes the decimal; a whole-minute entry keeps its
    exact minutes; a Decimal-format `Duration (h)` in German numbers is read with the file's money columns."""
    home = billing_env()
    head = ('"Project","Client","Description","Task","User","Billable","Start Date","Start Time","End Date",'
            '"End Time","Duration (h)","Duration (decimal)","Billable Rate ({c})","Billable Amount ({c})"\n')
    (home / "timesheets" / "compact.csv").write_text(head.format(c="USD") + "".join(
        f'"Web","Acme Corp","{note}","","Ana Souza","Yes","09/{day}/2026","10:00","09/{day}/2026","{end}","{hm}",'
        f'"{dec}","100.00","{amount}"\n'
        for note, day, end, hm, dec, amount in [("Seconds cut", 15, "10:13", "0:13", "0.23", "22.50"),
                                                ("Under a minute", 16, "10:00", "0:00", "0.01", "0.83"),
                                                ("Whole minutes", 17, "10:20", "0:20", "0.33", "33.33")]))
    (home / "timesheets" / "decimal_de.csv").write_text(head.format(c="EUR") + "".join(
        f'"Web","Beta GmbH","Arbeit {d}","","Ana Souza","Yes","{d:02d}.09.2026","09:00","{d:02d}.09.2026","{end}",'
        f'"{h}","{dec}","60,00","{amount}"\n'
        for d, end, h, dec, amount in [(4, "10:30", "1,50", "1.50", "90,00"), (8, "11:15", "2,25", "2.25", "135,00")]))
    parsed = read_folder(home)
    assert parsed.problems == []
    assert [(e.notes, e.hours) for e in parsed.entries] == [
        ("Arbeit 4", Decimal("1.50")), ("Arbeit 8", Decimal("2.25")), ("Seconds cut", Decimal("0.23")),
        ("Under a minute", Decimal("0.01")), ("Whole minutes", Decimal("0.3333333333"))]


def test_a_duration_without_seconds_among_durations_with_them_is_refused(billing_env) -> None:
    """A Toggl row "0:45" from 09:00:00 to 09:00:45 (minutes:seconds) was billed 0.75 h: the clock check allowed
    an hour; its clock times now refuse it (45 minutes is no report rounding of 45 seconds). Without clock times,
    beside H:MM:SS durations an H:MM cell may be either, so its row is refused; the rest are read."""
    home = billing_env()
    (home / "timesheets" / "toggl.csv").write_text(
        "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,"
        "Amount (USD)\n"
        "Ana Souza,a@x.com,Acme Corp,Web,,Ping,Yes,2026-09-01,09:00:00,2026-09-01,09:00:45,0:45,\n"
        "Ana Souza,a@x.com,Acme Corp,Web,,Work,Yes,2026-09-02,09:00:00,2026-09-02,10:30:00,1:30:00,\n"
        "Ana Souza,a@x.com,Acme Corp,Web,,Pong,Yes,2026-09-03,,2026-09-03,,0:45,\n")
    parsed = read_folder(home)
    assert [(e.notes, e.hours) for e in parsed.entries] == [("Work", Decimal("1.5000"))]
    assert [str(p) for p in parsed.problems] == [
        "timesheets/toggl.csv: row 1: Duration '0:45' is 0.75 h, but Start time 09:00:00 to End time 09:00:45 is "
        "0.01 h (a duration written in other units?)",
        "timesheets/toggl.csv: row 3: Duration: '0:45' has no seconds while the file's other durations do "
        "('1:30:00' in row 2): hours:minutes or minutes:seconds? Export the file again with one duration format"]


def test_a_nul_character_in_a_cell_refuses_its_row(billing_env) -> None:
    """A NUL byte inside a UTF-8 note was stored by DuckDB and failed the whole load on PostgreSQL (naming no file
    or row, every client stopped): its row is refused on every warehouse, naming the row and column."""
    home = billing_env()
    (home / "timesheets" / "harvest.csv").write_bytes(
        (HARVEST + "2026-10-01,Acme Corp,Web,,Build,Design\x00 pass,1.50,Yes,Ana,Souza,,USD\n"
                   "2026-10-02,Acme Corp,Web,,Build,Review,2.00,Yes,Ana,Souza,,USD\n").encode())
    parsed = read_folder(home)
    assert [(e.notes, e.hours) for e in parsed.entries] == [("Review", Decimal("2.00"))]
    assert [str(p) for p in parsed.problems] == [
        "timesheets/harvest.csv: row 1: Notes: a NUL character inside the cell: the export is damaged; export it again"]


def test_a_row_months_away_from_its_clients_other_time_is_a_warning(billing_env, capsys) -> None:
    """One row typed 2025-08-01 among 2026 rows: August 2026 lost 1.5 h (270.75) with `validate` and the close
    silent, and the row sits in a month no close bills. Both name it; a month of real work is no warning."""
    home = billing_env()
    (home / "contracts" / "acme.yaml").write_text(contract("acme", "Acme Corp"))
    (home / "timesheets" / "harvest.csv").write_text(HARVEST + "".join(
        f"2026-{m:02d}-{d:02d},Acme Corp,Web,,Build,Work {m} {d},2.00,Yes,Ana,Souza,,USD\n"
        for m in (8, 9, 10) for d in (3, 10, 17, 24))
        + "2025-08-01,Acme Corp,Web,,Build,Typo,1.50,Yes,Ana,Souza,,USD\n")
    said = ("acme: 1 row(s) dated 2025-08 (timesheets/harvest.csv row 13), 12 months from its other time "
            "(2026-08..2026-10): a mistyped date? Only a close of 2025-08 bills them, and without a contract `start` "
            "they make it the engagement's first month")
    assert validate_report(home)[1] == [said]
    assert main(["close", "--month", "2026-10"]) == 0
    assert f"warning: {said}" in capsys.readouterr().out
    assert invoices(home)["acme"] == (Decimal("800.00"), Decimal(8))


def test_an_expense_in_two_export_files_stops_its_month(billing_env) -> None:
    """A re-exported expense report beside the first billed the 412.37 flight twice (+453.61 with markup), every
    check passing: time rows had a cross-file check, expenses none. The later file's row is refused naming the
    first; two equal rows of one file are two expenses."""
    home = billing_env()
    row = "2026-10-12,Acme Corp,Web,,Travel,Flight,412.37,Yes,Ana,Souza,USD\n"
    (home / "expenses" / "expenses.csv").write_text(EXPENSES + row + "2026-10-13,Acme Corp,Web,,Taxi,Ride,20.00,Yes,"
                                                    "Ana,Souza,USD\n2026-10-13,Acme Corp,Web,,Taxi,Ride,20.00,Yes,"
                                                    "Ana,Souza,USD\n")
    (home / "expenses" / "expenses_again.csv").write_text(EXPENSES + row)
    parsed = read_folder(home)
    assert [str(p) for p in parsed.problems] == [
        "expenses/expenses_again.csv: row 1: the same expense as expenses/expenses.csv row 1 (2026-10-12, Travel, "
        "412.37): a re-exported file would bill it twice; remove one copy"]
    assert [(p.client_name, p.month) for p in parsed.problems] == [("Acme Corp", "2026-10")]


def test_billable_rows_outside_the_engagement_are_said(billing_env) -> None:
    """`end: 2026-09` and a billable expense of 2026-10-02, or a month of time after an `end` moved earlier: never
    priced, as the spec says, and the close said only "outside the engagement (nothing priced)"."""
    home = billing_env()
    (home / "contracts" / "acme.yaml").write_text(contract("acme", "Acme Corp", extra="end: 2026-09\n"))
    (home / "timesheets" / "harvest.csv").write_text(HARVEST + "".join(
        f"2026-{m:02d}-03,Acme Corp,Web,,Build,Work,2.00,Yes,Ana,Souza,,USD\n" for m in (8, 9, 10, 10)))
    (home / "expenses" / "expenses.csv").write_text(EXPENSES + "2026-10-02,Acme Corp,Web,,Travel,Train,99.00,Yes,"
                                                               "Ana,Souza,USD\n")
    assert validate_report(home)[1] == [
        "acme 2026-10: 2 billable time row(s) (4 h) and 1 billable expense(s) (99) in expenses/expenses.csv, "
        "timesheets/harvest.csv fall outside the engagement (2026-08..2026-09): never billed; move the contract's "
        "start or end if they belong to it"]


def test_an_end_before_the_first_month_of_data_is_said_as_such(billing_env) -> None:
    """No `start` and `end: 2026-07` with time only from September: the window read "2026-09..2026-07"."""
    home = billing_env()
    (home / "contracts" / "acme.yaml").write_text(contract("acme", "Acme Corp", extra="end: 2026-07\n"))
    (home / "timesheets" / "harvest.csv").write_text(
        HARVEST + "2026-09-03,Acme Corp,Web,,Build,Work,2.00,Yes,Ana,Souza,,USD\n")
    assert validate_report(home)[1] == [
        "acme 2026-09: 1 billable time row(s) (2 h) in timesheets/harvest.csv fall outside the engagement (no month: "
        "the contract's end 2026-07 is before 2026-09, its first month of source data): never billed; move the "
        "contract's start or end if they belong to it"]


def test_durations_bill_their_exact_hours_and_show_them_to_the_ten_thousandth(billing_env) -> None:
    """Ten Toggl entries of 1:20:00 at 150/h are 13 1/3 h: 2,000.00, as Toggl's own amounts say (kept to 0.0001 h
    they billed 1,999.95), and 1:20:09 is 200.375 -> 200.38 (its 1.3358333333 h give 200.37). QuickBooks gets the 7
    decimals of Qty it keeps; fifteen 1:20:00 use a 20 h retainer up, with nothing left to carry."""
    home = billing_env()
    contracts = home / "contracts"
    contracts.joinpath("acme.yaml").write_text(contract("acme", "Acme Corp", extra="roles: {senior: 150}\n"
                                                        'people: {"Ana Souza": senior}\n'), encoding="utf-8")
    contracts.joinpath("beta.yaml").write_text(contract("beta", "Beta Ltd", extra=(
        "retainer: {monthly_fee: 1000, included_hours: 20, overage_multiplier: 1,\n"
        "           rollover: {max_hours: 40, expires_after_months: 2}}\n")), encoding="utf-8")
    contracts.joinpath("gamma.yaml").write_text(contract("gamma", "Gamma Inc", extra="roles: {senior: 150}\n"
                                                         'people: {"Ana Souza": senior}\n'), encoding="utf-8")
    head = ("User,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,"
            "Amount (USD)\n")
    (home / "timesheets" / "toggl.csv").write_text(head + "".join(
        f"Ana Souza,{client},Web,,Entry {n},Yes,2026-10-{n + 1:02d},09:00:00,2026-10-{n + 1:02d},10:20:00,1:20:00,"
        f"200.00\n" for client, count in (("Acme Corp", 10), ("Beta Ltd", 15)) for n in range(count))
        + "Ana Souza,Gamma Inc,Web,,Long,Yes,2026-10-05,09:00:00,2026-10-05,10:20:09,1:20:09,200.38\n")

    assert main(["close", "--month", MONTH]) == 0
    assert invoices(home) == {"acme": (Decimal("2000.00"), Decimal("13.333333333")),
                              "beta": (Decimal("1000.00"), Decimal("0")),
                              "gamma": (Decimal("200.38"), Decimal("1.3358333333"))}  # 200.375 exactly, half up
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        lots = conn.execute("SELECT hours_used, hours_expired, hours_carried FROM retainer_ledger WHERE client = "
                            "'beta' AND month = ?", [MONTH]).fetchall()
    # 15 x 1.3333333333 of 20 h: the 0.0000000005 h left is no lot to carry (the first release carried 0.0005 h)
    assert lots == [(Decimal("19.9999999995"), Decimal("0.0000000005"), Decimal(0))]
    payload = json.loads((home / "outbox" / MONTH / "acme.json").read_text())
    [line] = [ln for ln in payload["Line"] if ln.get("DetailType") == "SalesItemLineDetail"]
    assert (line["Amount"], line["SalesItemLineDetail"]["Qty"], line["SalesItemLineDetail"]["UnitPrice"]) == (
        2000.0, 13.3333333, 150.0)


def test_a_decimal_duration_its_clock_times_round_to_is_read_as_the_clock_span(billing_env) -> None:
    """Toggl's "decimal" duration format writes 1:20:00 as 1.33 (Toggl's Amount, 200.00 at 150/h, is from the
    exact time; 1.33 h bills 199.50). With both clock times to the second and the decimal their span to its two
    decimals, the span is the hours. A report rounded to 15 minutes, and clock times to the minute, keep the
    decimal as written."""
    home = billing_env()
    (home / "timesheets" / "toggl.csv").write_text(
        "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags,"
        "Amount (USD)\n"
        "Ana Souza,a@x.com,Acme Corp,Web,,Exact,Yes,2026-10-05,09:00:00,2026-10-05,10:20:00,1.33,,200.00\n"
        "Ana Souza,a@x.com,Acme Corp,Web,,Past midnight,Yes,2026-10-05,23:50:00,2026-10-06,00:10:01,0.33,,50.04\n")
    (home / "timesheets" / "toggl_quarters.csv").write_text(  # a report rounded to 15 minutes: all its rows
        "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags,"
        "Amount (USD)\n"
        "Ana Souza,a@x.com,Acme Corp,Web,,Rounded report,Yes,2026-10-06,09:00:00,2026-10-06,10:20:00,1.50,,225.00\n"
        "Ana Souza,a@x.com,Acme Corp,Web,,Quarter,Yes,2026-10-07,09:00:00,2026-10-07,09:15:00,0.25,,37.50\n")
    (home / "timesheets" / "clockify.csv").write_text(
        "Project,Client,Description,User,Billable,Start Date,Start Time,End Date,End Time,Duration (h)\n"
        "Web,Acme Corp,Minutes only,Ana Souza,Yes,10/27/2026,09:00 AM,10/27/2026,10:20 AM,1.33\n")
    parsed = read_folder(home)
    assert parsed.problems == []
    assert [(e.notes, e.hours) for e in parsed.entries] == [
        ("Exact", Decimal("1.3333333333")), ("Past midnight", Decimal("0.3336111111")),
        ("Rounded report", Decimal("1.50")), ("Quarter", Decimal("0.25")), ("Minutes only", Decimal("1.33"))]
    decided = {f.file: f.decisions["durations"] for f in parsed.files}  # what `billing validate` says of each file
    assert decided == {"timesheets/toggl.csv": "decimal (2 of them read to the second from their clock times, which "
                                               "they round)", "timesheets/toggl_quarters.csv": "decimal",
                       "timesheets/clockify.csv": "decimal"}


def test_a_compact_duration_without_its_seconds_is_read_as_the_clock_span(billing_env) -> None:
    """Clockify's Compact format writes 3:31:24 as "3:31" (and 3.52 in `Duration (decimal)`, which agrees with it
    to its rounding): 24 seconds lost per entry, up to 59, always under-billed. With both clock times to the second
    and the span within the H:MM's minute, the span is the hours; H:MM clock times, or a span minutes away (a
    rounded report), keep the H:MM as written."""
    home = billing_env()
    (home / "timesheets" / "compact.csv").write_text(
        "Project,Client,Description,User,Billable,Start Date,Start Time,End Date,End Time,Duration (h),"
        "Duration (decimal)\n"
        "Web,Acme Corp,Seconds cut,Ana Souza,Yes,10/05/2026,16:45:41,10/05/2026,20:17:05,3:31,3.52\n"
        "Web,Acme Corp,Rounded up a minute,Ana Souza,Yes,10/06/2026,09:00:00,10/06/2026,09:40:45,0:41,0.68\n"
        "Web,Acme Corp,Minutes only,Ana Souza,Yes,10/28/2026,09:00,10/28/2026,09:45,0:45,0.75\n")
    (home / "timesheets" / "compact_hours.csv").write_text(  # a report rounded to the hour: all its rows
        "Project,Client,Description,User,Billable,Start Date,Start Time,End Date,End Time,Duration (h),"
        "Duration (decimal)\n"
        "Web,Acme Corp,Report rounding,Ana Souza,Yes,10/07/2026,09:00:00,10/07/2026,09:52:10,1:00,1.00\n"
        "Web,Acme Corp,Two hours,Ana Souza,Yes,10/28/2026,09:00:00,10/28/2026,11:00:00,2:00,2.00\n")
    parsed = read_folder(home)
    assert parsed.problems == []
    assert [(e.notes, e.hours) for e in parsed.entries] == [
        ("Seconds cut", Decimal("3.5233333333")), ("Rounded up a minute", Decimal("0.6791666667")),
        ("Report rounding", Decimal("1")), ("Minutes only", Decimal("0.75")), ("Two hours", Decimal("2"))]
    decided = {f.file: f.decisions["durations"] for f in parsed.files}
    assert decided["timesheets/compact.csv"] == ("H:MM (2 of them read to the second from their clock times, which "
                                                 "they round)")


def test_fixed_fees_scheduled_outside_the_engagement_are_said(billing_env) -> None:
    """Found by an auditor: 1,400.00 of fixed fees scheduled before `start` and after `end` were never billed (as
    the spec says) without a word, while time rows outside the window are named."""
    home = billing_env()
    (home / "contracts" / "acme.yaml").write_text(contract("acme", "Acme Corp", extra=(
        "start: 2026-08\nend: 2026-09\nsow:\n  items:\n"
        "    - {id: F1, name: Launch, billing: fixed_fee, schedule: {2026-07: 500, 2026-08: 700, 2026-10: 900}}\n"
        "    - {id: H1, name: Support, billing: hourly}\n")))
    (home / "timesheets" / "harvest.csv").write_text(HARVEST + "2026-08-03,Acme Corp,Web,,Build,Work,2.00,Yes,Ana,"
                                                               "Souza,,USD\n")
    assert validate_report(home)[1] == [
        "acme 2026-07: fixed fee F1 (500.00 USD) is scheduled outside the engagement (2026-08..2026-09): never "
        "billed; move the contract's start or end, or the schedule, if it belongs to it",
        "acme 2026-10: fixed fee F1 (900.00 USD) is scheduled outside the engagement (2026-08..2026-09): never "
        "billed; move the contract's start or end, or the schedule, if it belongs to it"]


def test_a_last_row_with_no_line_break_is_read_and_warned_of(billing_env) -> None:
    """Found by an auditor: a download cut inside the last cell ("12" of "12.75" hours, "Pat" of "Patel", priced at
    the default rate) was billed with no word, its row as wide as the others. It is read and warned of, naming the
    cell; a file whose last cell closes its quote (Toggl writes no final line break) is whole."""
    home = billing_env()
    (home / "timesheets" / "harvest.csv").write_text(
        "Date,Client,Project,Task,Notes,First Name,Last Name,Hours\n"
        "2026-08-03,Acme Corp,Web,Design,Layout,Ana,Souza,1.50\n"
        "2026-08-04,Acme Corp,Web,Design,Review,Ana,Souza,12")
    (home / "timesheets" / "toggl.csv").write_text(
        '"User","Client","Project","Task","Description","Billable","Start date","Start time","End date","End time",'
        '"Duration"\n'
        '"Ana Souza","Acme Corp","Web","","Call","Yes","2026-08-05","09:00:00","2026-08-05","10:00:00","01:00:00"')
    parsed = read_folder(home)
    assert sorted((e.notes, e.hours) for e in parsed.entries) == [
        ("Call", Decimal("1")), ("Layout", Decimal("1.50")), ("Review", Decimal("12"))]
    assert [(str(w), w.month) for w in parsed.warnings] == [
        ("timesheets/harvest.csv: row 2: the file ends inside this row, with no line break: Hours '12' may be cut (a "
         "download or copy cut off?); compare the row with the time tool, or export the file again", "2026-08")]


def test_the_same_minutes_logged_twice_by_one_person_are_warned_of(billing_env) -> None:
    """Found by an auditor: rows pasted twice into a Toggl or Clockify export (the same person, date, start and end)
    were billed twice with no word when fewer than three (`repeated_rows` names longer blocks). The spec bills equal
    rows; one person cannot log the same minutes twice, so they are named. Two equal calls at other times are not."""
    home = billing_env()
    row = "Ann Lee,Acme Corp,Web,,{note},Yes,2026-08-{day},{start},2026-08-{day},{end},{hours},\n"
    (home / "timesheets" / "toggl.csv").write_text(
        "User,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Amount (USD)\n"
        + row.format(note="a", day="03", start="09:00:00", end="10:30:00", hours="01:30:00")
        + row.format(note="call", day="04", start="09:00:00", end="09:15:00", hours="00:15:00")
        + row.format(note="call", day="04", start="14:00:00", end="14:15:00", hours="00:15:00")
        + row.format(note="a", day="03", start="09:00:00", end="10:30:00", hours="01:30:00")
        + row.format(note="other", day="03", start="09:00:00", end="10:30:00", hours="01:30:00"))
    parsed = read_folder(home)
    assert sum(e.hours for e in parsed.entries) == Decimal("5")  # billed as the spec says
    assert [str(w) for w in parsed.warnings] == [
        "timesheets/toggl.csv: row 4: rows 4-5 log the same person's same minutes as an earlier row of the file (the "
        "same date, start and end time: rows pasted twice?); each is billed: remove the copies if so"]


@pytest.mark.parametrize(("written", "contract_name"), [
    ("ACME CORP", "Acme Corp"), ("Acme  Corp.", "Acme Corp"), ("Acme and Co", "Acme & Co"),
    ("Acme &amp; Co", "Acme & Co"), ("AT and T", "AT&T"), ("Muller GmbH", "Müller GmbH"),
    ("O’Brien Legal", "O'Brien Legal"),
])
def test_a_client_written_otherwise_is_the_contracts_name_mistyped(written: str, contract_name: str) -> None:
    """Each billed nobody with a warning while the client's invoice went out short (found by auditors): they stop
    the client's month until the spelling is an alias."""
    from billing_assets.core.parsed import name_key
    assert name_key(written) == name_key(contract_name)


@pytest.mark.parametrize(("one", "other"), [("Smith & Sons", "Smith Sons Ltd"), ("Pro-Tech", "Protech"),
                                            ("ABC Corp", "ABD Corp")])
def test_other_clients_names_stay_apart(one: str, other: str) -> None:
    from billing_assets.core.parsed import name_key
    assert name_key(one) != name_key(other)
