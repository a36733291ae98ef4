"""Toggl and Clockify detailed CSV exports: header recognition, parsing, bad rows, parity with Harvest."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from billing_assets.core import exports
from billing_assets.core.sources import ParsedSource, csv_entry_ids, read_folder, time_parser_for

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


def toggl_rows() -> list[dict[str, str]]:
    return [{"User": f"{f} {last}".strip(), "Email": "x@example.com", "Client": c, "Project": p, "Task": t,
             "Description": n, "Billable": yes_no(b), "Start date": d.isoformat(), "Start time": "09:00:00",
             "End date": d.isoformat(), "End time": "10:00:00", "Duration": hms, "Tags": "",
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
    assert exports.time_parser_for(TOGGL_HEADER) is exports.parse_toggl_time
    assert exports.time_parser_for(CLOCKIFY_HEADER) is exports.parse_clockify_time
    assert exports.time_parser_for(list(reversed(TOGGL_HEADER))) is exports.parse_toggl_time
    assert exports.time_parser_for(sorted(CLOCKIFY_HEADER)) is exports.parse_clockify_time


def test_clockify_needs_only_one_duration_column() -> None:
    without_decimal = [c for c in CLOCKIFY_HEADER if c != "Duration (decimal)"]
    without_hms = [c for c in CLOCKIFY_HEADER if c != "Duration (h)"]
    neither = [c for c in CLOCKIFY_HEADER if not c.startswith("Duration")]
    assert exports.time_parser_for(without_decimal) is exports.parse_clockify_time
    assert exports.time_parser_for(without_hms) is exports.parse_clockify_time
    assert exports.time_parser_for(neither) is None


def test_unknown_or_harvest_headers_are_not_claimed() -> None:
    assert exports.time_parser_for(HARVEST_HEADER) is None
    assert exports.time_parser_for(["User", "Client", "Project"]) is None
    assert exports.time_parser_for([c for c in TOGGL_HEADER if c != "Duration"]) is None
    assert time_parser_for(TOGGL_HEADER) is exports.parse_toggl_time  # through sources.py


# --- parsing --------------------------------------------------------------------------------------------


def test_toggl_rows_become_entries() -> None:
    out = ParsedSource()
    exports.parse_toggl_time("timesheets/toggl.csv", toggl_rows(), out)
    assert out.problems == []
    first, *_, last = out.entries
    assert first.source == "toggl_csv" and first.source_file == "timesheets/toggl.csv"
    assert (first.source_row, first.date, first.hours, first.person) == (1, date(2026, 11, 2), Decimal("1.5"),
                                                                         "Alice Ng")
    assert first.project_code == "" and first.currency == "USD"
    assert (last.hours, last.person, last.client_name) == (Decimal("10.1250"), "Cher", "ACME Corporation")
    assert out.entries[2].billable is False and out.entries[1].task == ""


def test_toggl_identity_maps_spec_fields() -> None:
    out = ParsedSource()
    exports.parse_toggl_time("t.csv", toggl_rows(), out)
    out.assign_ids()
    third = next(e for e in out.entries if e.person == "Mary Ann Lee")
    identity = ("2026-11-03", "Globex", "Audit", "", "Internal", "Team sync, notes", "2:00:00",
                "Mary", "Ann Lee")
    assert third.entry_id == csv_entry_ids([identity])[0]


def test_clockify_prefers_decimal_duration_and_reads_us_dates() -> None:
    out = ParsedSource()
    exports.parse_clockify_time("c.csv", clockify_rows(), out)
    assert out.problems == []
    assert [e.hours for e in out.entries] == [Decimal(w[5]) for w in WORK]
    assert str(out.entries[-1].hours) == "10.125"  # as written, not re-rounded
    assert out.entries[-1].date == date(2026, 12, 1) and out.entries[0].source == "clockify_csv"


def test_clockify_falls_back_to_hms_and_iso_dates() -> None:
    rows = clockify_rows(with_decimal=False)
    rows[0]["Start Date"] = "2026-11-02"
    out = ParsedSource()
    exports.parse_clockify_time("c.csv", rows, out)
    assert out.problems == []
    assert out.entries[0].date == date(2026, 11, 2)
    assert [e.hours for e in out.entries] == [Decimal(w[5]) for w in WORK]


@pytest.mark.parametrize(("hms", "hours"), [
    ("0:00:01", "0.0003"), ("0:00:02", "0.0006"), ("0:00:09", "0.0025"), ("0:20:00", "0.3333"),
    ("0:40:00", "0.6667"), ("123:00:00", "123.0000"), ("00:00:00", "0.0000"),
])
def test_duration_rounds_half_up_to_four_places(hms: str, hours: str) -> None:
    assert exports.parse_hms(hms) == Decimal(hours)


def test_split_name_at_first_space() -> None:
    assert exports.split_name("Mary Ann Lee") == ("Mary", "Ann Lee")
    assert exports.split_name(" Cher ") == ("Cher", "")
    assert exports.split_name("") == ("", "")


def test_reexport_in_another_order_keeps_ids() -> None:
    forward, backward = ParsedSource(), ParsedSource()
    exports.parse_toggl_time("t.csv", toggl_rows(), forward)
    exports.parse_toggl_time("t.csv", list(reversed(toggl_rows())), backward)
    forward.assign_ids()
    backward.assign_ids()
    assert sorted(e.entry_id for e in forward.entries) == sorted(e.entry_id for e in backward.entries)
    assert len({e.entry_id for e in forward.entries}) == len(WORK)  # the duplicate row gets k = 1


# --- bad rows -------------------------------------------------------------------------------------------


def test_bad_toggl_rows_name_file_row_client_and_month() -> None:
    rows = toggl_rows()
    rows[0]["Start date"] = "11/02/2026"
    rows[1]["Duration"] = "1h30m"
    rows[2]["Billable"] = "maybe"
    rows[3]["Duration"] = "0:75:00"
    out = ParsedSource()
    exports.parse_toggl_time("timesheets/toggl.csv", rows, out)
    problems = {p.row: p for p in out.problems}
    assert sorted(problems) == [1, 2, 3, 4] and len(out.entries) == len(WORK) - 4
    assert problems[1].file == "timesheets/toggl.csv" and problems[1].month == ""
    assert "Start date" in problems[1].message and problems[1].client_name == "Acme Corp"
    assert "Duration" in problems[2].message and problems[2].month == "2026-11"
    assert "Billable" in problems[3].message and problems[3].client_name == "Globex"
    assert str(problems[4]).startswith("timesheets/toggl.csv: row 4: Duration")


def test_bad_clockify_rows_become_problems() -> None:
    rows = clockify_rows()
    rows[0]["Start Date"] = "31/12/2026"
    rows[1]["Duration (decimal)"] = "abc"
    rows[2]["Duration (decimal)"] = "-1"
    rows[3]["Duration (decimal)"] = ""
    rows[3]["Duration (h)"] = ""
    out = ParsedSource()
    exports.parse_clockify_time("timesheets/clockify.csv", rows, out)
    messages = {p.row: p.message for p in out.problems}
    assert sorted(messages) == [1, 2, 3, 4]
    assert "Start Date" in messages[1]
    assert "Duration (decimal)" in messages[2] and "negative" in messages[3]
    assert "Duration (h)" in messages[4]


def test_read_folder_reports_bad_rows_with_folder_path(tmp_path: Path) -> None:
    rows = toggl_rows()
    rows[4]["Duration"] = "soon"
    write_csv(tmp_path / "timesheets" / "toggl.csv", TOGGL_HEADER, rows)
    parsed = read_folder(tmp_path)
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
    assert facts(read_folder(clockify_hms).entries) == harvest
