"""Toggl and Clockify detailed CSV exports: header recognition, parsing, bad rows, parity with Harvest."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from billing_assets.core import formats
from billing_assets.core.csvfile import FileRefused
from billing_assets.core.exports import CLOCKIFY, TOGGL, layout_for
from billing_assets.core.exports.toggl import split_name
from billing_assets.core.parsed import ParsedSource, csv_entry_ids
from billing_assets.core.sources import read_folder

HARVEST_HEADER = ["Date", "Client", "Project", "Project Code", "Task", "Notes", "Hours", "Billable?",
                  "Invoiced?", "Approved?", "First Name", "Last Name", "Employee Id", "Roles", "Employee?",
                  "Billable Rate", "Billable Amount", "Cost Rate", "Cost Amount", "Currency",
                  "External Reference URL"]
TOGGL_HEADER = ["User", "Email", "Client", "Project", "Task", "Description", "Billable", "Start date",
                "Start time", "End date", "End time", "Duration", "Tags", "Amount (USD)"]
CLOCKIFY_HEADER = ["Project", "Client", "Description", "Task", "User", "Group", "Email", "Tags", "Billable",
                   "Start Date", "Start Time", "End Date", "End Time", "Duration (h)", "Duration (decimal)",
                   "Billable Rate (USD)", "Billable Amount (USD)"]

# The same work: (date, client, project, task, notes, hours as text, H:MM:SS, billable, first, last)
WORK = [
    (date(2026, 11, 2), "Acme Corp", "Website Redesign", "Design", "Homepage wireframes", "1.5", "1:30:00",
     True, "Alice", "Ng"),
    (date(2026, 11, 2), "Acme Corp", "Website Redesign", "", "Call with client", "0.25", "0:15:00",
     True, "Bob", "Ray"),
    (date(2026, 11, 3), "Globex", "Audit", "Internal", "Team sync, notes", "2", "2:00:00", False,
     "Mary", "Ann Lee"),
    (date(2026, 11, 3), "Globex", "Audit", "Fieldwork", "Same row twice", "0.75", "0:45:00", True,
     "Alice", "Ng"),
    (date(2026, 11, 3), "Globex", "Audit", "Fieldwork", "Same row twice", "0.75", "0:45:00", True,
     "Alice", "Ng"),
    (date(2026, 12, 1), "ACME Corporation", "Support", "Rush", "urgent fix", "10.125", "10:07:30", True,
     "Cher", ""),
]


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def yes_no(flag: bool) -> str:
    return "Yes" if flag else "No"


def harvest_rows() -> list[dict[str, str]]:
    return [{"Date": d.isoformat(), "Client": c, "Project": p, "Project Code": "", "Task": t, "Notes": n,
             "Hours": h, "Billable?": yes_no(b), "First Name": f, "Last Name": last}
            for d, c, p, t, n, h, _, b, f, last in WORK]


def _nine_plus(hms: str) -> str:
    """The end time of an entry started at 09:00:00 lasting `hms` (H:MM:SS), as Toggl writes it."""
    h, m, s = (int(p) for p in hms.split(":"))
    seconds = 9 * 3600 + h * 3600 + m * 60 + s
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def toggl_rows() -> list[dict[str, str]]:
    return [{"User": f"{f} {last}".strip(), "Email": "x@example.com", "Client": c, "Project": p, "Task": t,
             "Description": n, "Billable": yes_no(b), "Start date": d.isoformat(), "Start time": "09:00:00",
             "End date": d.isoformat(), "End time": _nine_plus(hms), "Duration": hms, "Tags": "",
             "Amount (USD)": "0.00"}
            for d, c, p, t, n, _, hms, b, f, last in WORK]


def clockify_rows(with_decimal: bool = True) -> list[dict[str, str]]:
    return [{"Project": p, "Client": c, "Description": n, "Task": t, "User": f"{f} {last}".strip(),
             "Billable": yes_no(b), "Start Date": d.strftime("%m/%d/%Y"), "Start Time": "09:00 AM",
             "Duration (h)": hms, "Duration (decimal)": h if with_decimal else ""}
            for d, c, p, t, n, h, hms, b, f, last in WORK]


def facts(entries) -> list[tuple]:
    return [(e.date, e.client_name, e.project, e.task, e.notes, e.hours, e.billable, e.person)
            for e in entries]


# --- header recognition ---------------------------------------------------------------------------------


def test_recognises_toggl_and_clockify_by_header_name() -> None:
    assert layout_for(TOGGL_HEADER, "time") is TOGGL
    assert layout_for(CLOCKIFY_HEADER, "time") is CLOCKIFY
    assert layout_for(list(reversed(TOGGL_HEADER)), "time") is TOGGL
    assert layout_for(sorted(CLOCKIFY_HEADER), "time") is CLOCKIFY


def test_clockify_needs_only_one_duration_column() -> None:
    without_decimal = [c for c in CLOCKIFY_HEADER if c != "Duration (decimal)"]
    without_hms = [c for c in CLOCKIFY_HEADER if c != "Duration (h)"]
    neither = [c for c in CLOCKIFY_HEADER if not c.startswith("Duration")]
    assert layout_for(without_decimal, "time") is CLOCKIFY
    assert layout_for(without_hms, "time") is CLOCKIFY
    with pytest.raises(FileRefused, match="closest, Clockify detailed, lacks Duration \\(h\\) or Duration "
                                          "\\(decimal\\)"):
        layout_for(neither, "time")


def test_unknown_headers_are_refused_naming_the_closest_layout() -> None:
    with pytest.raises(FileRefused, match="tried Harvest detailed time, Toggl detailed, Clockify detailed, "
                                          "QuickBooks Time timesheets"):
        layout_for(["User", "Client", "Project"], "time")
    with pytest.raises(FileRefused, match="closest, Toggl detailed, lacks Duration$"):
        layout_for([c for c in TOGGL_HEADER if c != "Duration"], "time")


SUMMARIES = {  # header, a row: reports of totals, refused saying what they are (not what a detailed layout lacks)
    "Toggl summary": (["Project", "Client", "Description", "Duration"], ["Web", "Acme", "Design", "12:30:00"]),
    "Toggl summary, amounts": (["Client", "Project", "Duration", "Amount (USD)"], ["Acme", "Web", "12:30:00", "9"]),
    "Clockify summary": (["Project", "Client", "Time (h)", "Time (decimal)", "Amount (USD)"],
                         ["Web", "Acme", "12:30:00", "12.50", "1250.00"]),
    "Clockify summary by date": (["Date", "Project", "Client", "Time (h)", "Time (decimal)"],
                                 ["11/02/2026", "Web", "Acme", "1:00:00", "1.00"]),
    "Harvest clients report": (["Client", "Hours", "Billable Hours", "Billable Amount", "Currency"],
                               ["Acme", "12.5", "12.5", "1000.00", "USD"]),
    "Clockify weekly": (["Project", "Client", "User", "Mon, Nov 2", "Tue, Nov 3", "Total (h)"],
                        ["Web", "Acme", "Ana", "1:00", "2:00", "3:00"]),
    "Toggl weekly": (["User", "Project", "Client", "2026-11-02", "2026-11-03", "Total"],
                     ["Ana", "Web", "Acme", "1:00:00", "2:00:00", "3:00:00"]),
}


@pytest.mark.parametrize("report", SUMMARIES)
def test_summary_and_weekly_reports_are_refused_as_such(report: str) -> None:
    """Found by an auditor: a summary or weekly report was refused as "the closest, Toggl detailed, lacks User,
    Start date", which sends a person looking for columns instead of for the Detailed report."""
    header, row = SUMMARIES[report]
    kind = "weekly report (a column of hours per day)" if "weekly" in report else "summary report (totals, not a row"
    with pytest.raises(FileRefused) as refused:
        layout_for(header, "time", [row])
    assert str(refused.value).startswith(f"a {kind}"), refused.value
    assert str(refused.value).endswith(": export the time tracker's detailed report instead, one row per time entry "
                                       '(Harvest "Detailed time", Toggl and Clockify "Detailed", QuickBooks Time '
                                       '"Timesheets")')


@pytest.mark.parametrize(("header", "row", "lacks"), [
    (["When", "Client", "Who", "How long"], ["2026-09-01", "Broken Co", "Ana", "1"],
     "Toggl detailed, lacks User, Project, Description, Start date, Duration"),  # dated rows: another tool's
    (["Date", "Client", "Project", "Task", "Hours", "First Name"], ["2026-09-01", "A", "P", "T", "1", "Ana"],
     "Harvest detailed time, lacks Last Name"),  # a detailed export short of a column
    (["User", "Client", "Project"], None, "Toggl detailed, lacks Description, Start date, Duration")])  # no rows
def test_exports_of_entries_short_of_a_column_still_name_what_the_closest_lacks(header, row, lacks) -> None:
    with pytest.raises(FileRefused, match=f"; the closest, {lacks}$"):
        layout_for(header, "time", [row] if row else [])


@pytest.mark.parametrize("header", [
    ["Projet", "Client", "Description", "Tâche", "Utilisateur", "Groupe", "E-mail", "Étiquettes", "Facturable",
     "Date de début", "Heure de début", "Date de fin", "Heure de fin", "Durée (h)", "Durée (décimal)"],
    ["Project", "Klant", "Omschrijving", "Taak", "Gebruiker", "Groep", "E-mail", "Tags", "Factureerbaar",
     "Startdatum", "Starttijd", "Einddatum", "Eindtijd", "Duur (u)", "Duur (decimaal)"]], ids=["french", "dutch"])
def test_a_clockify_export_in_french_or_dutch_is_asked_for_in_english(header: list[str]) -> None:
    """Found by an auditor: French and Dutch share Client, Description or Project with English, so such a file was
    refused naming what the closest English layout lacks, not the language."""
    with pytest.raises(FileRefused) as refused:
        layout_for(header, "time", [["02/11/2026"] * len(header)])
    assert str(refused.value) == (
        "header matches no known export (tried Harvest detailed time, Toggl detailed, Clockify detailed, QuickBooks "
        "Time timesheets); its headers are in another language: export it again with the tool's language set to "
        "English")


# --- parsing --------------------------------------------------------------------------------------------


US_DATES = "date_order: month_first\n"  # the WORK dates (11/02, 11/03, 12/01) fit both orders


def read_rows(tmp_path: Path, header: list[str], rows: list[dict[str, str]], name: str = "export.csv",
              settings: str = US_DATES) -> ParsedSource:
    write_csv(tmp_path / "timesheets" / name, header, rows)
    (tmp_path / "settings.yaml").write_text(settings)
    return read_folder(tmp_path)


def test_toggl_rows_become_entries(tmp_path: Path) -> None:
    out = read_rows(tmp_path, TOGGL_HEADER, toggl_rows(), "toggl.csv")
    assert out.problems == []
    first, *_, last = out.entries
    assert first.source == "toggl_csv" and first.source_file == "timesheets/toggl.csv"
    assert (first.source_row, first.date, first.hours, first.person) == (1, date(2026, 11, 2), Decimal("1.5"),
                                                                         "Alice Ng")
    assert first.project_code == "" and first.currency == "USD"
    assert (last.hours, last.person, last.client_name) == (Decimal("10.1250"), "Cher", "ACME Corporation")
    by_row = {e.source_row: e for e in out.entries}
    assert by_row[3].billable is False and by_row[2].task == ""


def test_toggl_identity_maps_spec_fields(tmp_path: Path) -> None:
    out = read_rows(tmp_path, TOGGL_HEADER, toggl_rows())
    third = next(e for e in out.entries if e.person == "Mary Ann Lee")
    identity = ("2026-11-03", "Globex", "Audit", "", "Internal", "Team sync, notes", "2:00:00",
                "Mary", "Ann Lee")
    assert third.entry_id == csv_entry_ids([identity])[0]


def test_clockify_prefers_the_exact_clock_duration_and_reads_us_dates(tmp_path: Path) -> None:
    rows = clockify_rows()
    rows[0]["Duration (h)"], rows[0]["Duration (decimal)"] = "0:13:00", "0.22"  # Clockify rounds decimal
    out = read_rows(tmp_path, CLOCKIFY_HEADER, rows)
    assert out.problems == []
    assert [e.hours for e in out.entries] == [Decimal("0.2166666667")] + [Decimal(w[5]) for w in WORK[1:]]
    assert out.entries[-1].date == date(2026, 12, 1) and out.entries[0].source == "clockify_csv"


def test_clockify_decimal_only_is_taken_as_written(tmp_path: Path) -> None:
    rows = [{**r, "Duration (h)": ""} for r in clockify_rows()]
    out = read_rows(tmp_path, CLOCKIFY_HEADER, rows)
    assert out.problems == []
    assert str(out.entries[-1].hours) == "10.125"  # as written, not re-rounded


def test_clockify_falls_back_to_hms_and_iso_dates(tmp_path: Path) -> None:
    rows = clockify_rows(with_decimal=False)
    for row in rows:
        row["Start Date"] = date.fromisoformat("-".join(reversed(row["Start Date"].split("/")))[:4] + "-" +
                                               row["Start Date"][:2] + "-" + row["Start Date"][3:5]).isoformat()
    out = read_rows(tmp_path, CLOCKIFY_HEADER, rows)
    assert out.problems == []
    assert out.entries[0].date == date(2026, 11, 2)
    assert [e.hours for e in out.entries] == [Decimal(w[5]) for w in WORK]


@pytest.mark.parametrize(("hms", "hours"), [
    ("0:00:01", "0.0002777778"), ("0:00:02", "0.0005555556"), ("0:00:09", "0.0025"), ("0:20:00", "0.3333333333"),
    ("0:40:00", "0.6666666667"), ("123:00:00", "123"), ("00:00:00", "0"), ("0:13", "0.2166666667"),
])
def test_duration_rounds_half_up_to_ten_places(hms: str, hours: str) -> None:
    """Seconds / 3600 kept to 1e-10 h (the warehouse's DECIMAL(28, 10)), half up."""
    assert formats.parse_duration(hms, "1,234.50") == Decimal(hours)


def test_split_name_at_first_space() -> None:
    assert split_name("Mary Ann Lee") == ("Mary", "Ann Lee")
    assert split_name(" Cher ") == ("Cher", "")
    assert split_name("") == ("", "")


def test_reexport_in_another_order_keeps_ids(tmp_path: Path) -> None:
    forward = read_rows(tmp_path / "a", TOGGL_HEADER, toggl_rows(), "t.csv")
    backward = read_rows(tmp_path / "b", TOGGL_HEADER, list(reversed(toggl_rows())), "t.csv")
    assert sorted(e.entry_id for e in forward.entries) == sorted(e.entry_id for e in backward.entries)
    assert len({e.entry_id for e in forward.entries}) == len(WORK)  # the duplicate row gets k = 1


# --- bad rows -------------------------------------------------------------------------------------------


def test_bad_toggl_rows_name_file_row_client_and_month(tmp_path: Path) -> None:
    rows = toggl_rows()
    rows[0]["Start date"] = "2026-02-30"
    rows[1]["Duration"] = "1h30m"
    rows[2]["Billable"] = "maybe"
    rows[3]["Duration"] = "0:75:00"
    out = read_rows(tmp_path, TOGGL_HEADER, rows, "toggl.csv")
    problems = {p.row: p for p in out.problems}
    assert sorted(problems) == [1, 2, 3, 4] and len(out.entries) == len(WORK) - 4
    assert problems[1].file == "timesheets/toggl.csv" and problems[1].month == ""
    assert "Start date" in problems[1].message and problems[1].client_name == "Acme Corp"
    assert "Duration" in problems[2].message and problems[2].month == "2026-11"
    assert "Billable" in problems[3].message and problems[3].client_name == "Globex"
    assert str(problems[4]).startswith("timesheets/toggl.csv: row 4: Duration")


def test_bad_clockify_rows_become_problems(tmp_path: Path) -> None:
    rows = clockify_rows()
    for row in rows:
        row["Duration (h)"] = ""
    rows[0]["Start Date"] = "13/13/2026"
    rows[1]["Duration (decimal)"] = "abc"
    rows[2]["Duration (decimal)"] = "-1"
    out = read_rows(tmp_path, CLOCKIFY_HEADER, rows, "clockify.csv")
    messages = {p.row: p.message for p in out.problems}
    assert sorted(messages) == [1, 2, 3]
    assert "Start Date" in messages[1]
    assert "Duration (decimal)" in messages[2] and "negative" in messages[3]


def test_read_folder_reports_bad_rows_with_folder_path(tmp_path: Path) -> None:
    rows = toggl_rows()
    rows[4]["Duration"] = "soon"
    parsed = read_rows(tmp_path, TOGGL_HEADER, rows, "toggl.csv")
    assert [(p.file, p.row) for p in parsed.problems] == [("timesheets/toggl.csv", 5)]
    assert len(parsed.entries) == len(WORK) - 1


# --- the same work through three tools ------------------------------------------------------------------


def test_same_work_in_harvest_toggl_and_clockify_gives_equal_entries(tmp_path: Path) -> None:
    homes = {
        "harvest": (HARVEST_HEADER, harvest_rows()),
        "toggl": (TOGGL_HEADER, toggl_rows()),
        "clockify": (CLOCKIFY_HEADER, clockify_rows()),
    }
    parsed = {}
    for name, (header, rows) in homes.items():
        write_csv(tmp_path / name / "timesheets" / "export.csv", header, rows)
        (tmp_path / name / "settings.yaml").write_text(US_DATES)
        parsed[name] = read_folder(tmp_path / name)
    assert all(p.problems == [] for p in parsed.values())
    assert {name: p.entries[0].source for name, p in parsed.items()} == {
        "harvest": "harvest_csv", "toggl": "toggl_csv", "clockify": "clockify_csv"}
    harvest = facts(parsed["harvest"].entries)
    assert len(harvest) == len(WORK)
    assert facts(parsed["toggl"].entries) == harvest
    assert facts(parsed["clockify"].entries) == harvest
    clockify_hms = tmp_path / "clockify_hms"
    write_csv(clockify_hms / "timesheets" / "export.csv", [c for c in CLOCKIFY_HEADER if "decimal" not in c],
              [{k: v for k, v in r.items() if "decimal" not in k} for r in clockify_rows()])
    (clockify_hms / "settings.yaml").write_text(US_DATES)
    assert facts(read_folder(clockify_hms).entries) == harvest
