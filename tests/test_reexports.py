"""The same work in two export files is a re-export, however the second export writes it (found by an auditor of
session 33: each of these billed the rows twice with every check passing)."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from billing_assets.cli import main
from tests.conftest import GOLDEN

HARVEST = "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name\n"
WEEK = [("2026-08-03", "Globex Corporation", "GX-STR", "1.33"), ("2026-08-04", "Globex Corporation", "GX-STR", "2.50")]


@pytest.mark.parametrize(("how", "client", "code", "hours"), [
    ("the client renamed in the time tool (both names the contract's)", "Globex Corp", "GX-STR", None),
    ("the project code filled in since", "Globex Corporation", "", None),
    ("hours as H:MM in one export, decimals in the other", "Globex Corporation", "GX-STR", {"1.33": "1:20",
                                                                                          "2.50": "2:30"}),
])
def test_the_same_rows_in_two_exports_stop_the_month(billing_env, capsys, how: str, client: str, code: str,
                                                     hours: dict | None) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    for sheet in (home / "timesheets").iterdir():
        sheet.unlink()
    rows = [(day, name, c, h, f"Review work {day}") for day, name, c, h in WEEK]
    (home / "timesheets" / "august.csv").write_text(HARVEST + "".join(
        f"{day},{name},Strategy Review,{c},Consulting,{notes},{h},Yes,Raj,Patel\n" for day, name, c, h, notes in rows)
        + "2026-08-05,Globex Corporation,Strategy Review,GX-STR,Consulting,Other work,1.00,Yes,Raj,Patel\n")
    (home / "timesheets" / "week_1.csv").write_text(HARVEST + "".join(
        f"{day},{client},Strategy Review,{code},Consulting,{notes},{(hours or {}).get(h, h)},Yes,Raj,Patel\n"
        for day, _, _, h, notes in rows))
    assert main(["validate"]) == 1, how
    assert ("timesheets/august.csv and timesheets/week_1.csv: 2 row(s) in both files with the same date, person, "
            "project, task and hours") in capsys.readouterr().out
    assert main(["close", "--month", "2026-08"]) == 1
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT message FROM check_results WHERE check_name = 'no_cross_file_duplicates'"
                            ).fetchall() == [("2 rows appear in more than one export file: 2026-08-03 Raj Patel 1.33 h "
                                              "in ['timesheets/august.csv', 'timesheets/week_1.csv'], 2026-08-04 Raj "
                                              "Patel 2.5 h in ['timesheets/august.csv', 'timesheets/week_1.csv']",)]
    assert not (home / "outbox" / "2026-08" / "globex.json").exists()


def test_a_file_exported_again_with_edits_stops_the_month(billing_env, capsys) -> None:
    """A re-download after corrections (hours edited, or a report's rounding switched on) shares no identical row
    with the first export, and both were billed with exit 0 (found by an auditor, session 39): rows of the same
    day, person and note in two files, for half a file's rows or more, are one export written twice."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    for sheet in (home / "timesheets").iterdir():
        sheet.unlink()
    first = [("2026-08-03", "1.33", "Review work"), ("2026-08-04", "2.50", "Interviews"),
             ("2026-08-05", "1.00", "Deck")]
    (home / "timesheets" / "august.csv").write_text(HARVEST + "".join(
        f"{day},Globex Corporation,Strategy Review,GX-STR,Consulting,{notes},{h},Yes,Raj,Patel\n"
        for day, h, notes in first))
    (home / "timesheets" / "august (1).csv").write_text(HARVEST + "".join(  # rounded up to the quarter hour
        f"{day},Globex Corporation,Strategy Review,GX-STR,Consulting,{notes.upper()},{h},Yes,Raj,Patel\n"
        for day, h, notes in [("2026-08-03", "1.50", "Review work"), ("2026-08-04", "2.50", "Interviews")]))
    assert main(["validate"]) == 1
    out = capsys.readouterr().out
    assert ("timesheets/august (1).csv and timesheets/august.csv: 1 row(s) in both files with the same date, person, "
            "project, task and hours") in out  # 2026-08-04
    assert ("timesheets/august (1).csv and timesheets/august.csv: 2 row(s) in both files with the same date, person "
            "and note, most of the files' rows (exported again with hours, task or project edited?)") in out
    assert main(["close", "--month", "2026-08"]) == 1
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT message FROM check_results WHERE check_name = 'no_cross_file_duplicates'"
                            ).fetchall() == [("2 rows appear in more than one export file: 2026-08-04 Raj Patel 2.5 h "
                                              "in ['timesheets/august (1).csv', 'timesheets/august.csv'], 2026-08-03 "
                                              "Raj Patel 1.33 h in ['timesheets/august (1).csv', "
                                              "'timesheets/august.csv']",)]
    assert not (home / "outbox" / "2026-08" / "globex.json").exists()


def _row(file: str, n: int, day: str, notes: str, hours: str = "1.00", project: str = "Web",
         billable: bool = True) -> dict:
    return {"source_file": file, "entry_id": f"{file}{n}", "entry_date": day, "person": "Ana", "project": project,
            "hours": hours, "notes": notes, "billable": billable}


def test_files_of_other_work_sharing_a_note_are_not_a_reexport() -> None:
    """Two files may share a note now and then ("Weekly call" on one day): under half of the smaller file's rows,
    they are two files of other work; half or more, one export written twice. A note written on several days
    ("Development" every day, in files split by project or a late file) says nothing (found by an auditor: a late
    file of two "Development" rows stopped the month)."""
    web = [_row("web.csv", n, f"2026-08-0{n}", f"Build page {n}") for n in range(1, 6)]
    app = [_row("app.csv", n, f"2026-08-0{n}", f"Fix bug {n}") for n in range(1, 4)]
    call = [_row("web.csv", 9, "2026-08-07", "Weekly call"), _row("app.csv", 9, "2026-08-07", "weekly  call", "0.5")]
    from billing_assets.core.quality import reexported_rows
    assert reexported_rows(web + app + call) == []  # 1 of app.csv's 4 rows
    again = [_row("app.csv", 8, "2026-08-01", "build page 1", "1.25")]  # 2 of its 5: still under half
    assert reexported_rows(web + app + call + again) == []
    more = [_row("app.csv", 7, "2026-08-02", "Build page 2")]  # 3 of its 6: half
    both = ["app.csv", "web.csv"]
    assert [(r["entry_date"], r["hours"], r["files"]) for r in reexported_rows(web + app + call + again + more)] == [
        ("2026-08-01", Decimal("1.00"), both), ("2026-08-02", Decimal("1.00"), both),
        ("2026-08-07", Decimal("0.5"), both)]
    weekly = [_row(f"week_{w}.csv", n, f"2026-08-{7 * w + n:02d}", "") for w in (0, 1) for n in range(1, 6)]
    assert reexported_rows(weekly) == []  # blank notes, other days
    late = [_row("late_1.csv", 1, "2026-08-28", "Extra analysis", "2.00"), _row("late_2.csv", 1, "2026-08-28",
                                                                                 "Extra analysis", "1.00")]
    assert reexported_rows(late) == []  # one row each: more time on the same work, perhaps
    split = [_row(f"{p}.csv", n, f"2026-08-0{n}", "Development", project=p) for p in ("Web", "App") for n in range(5)]
    assert reexported_rows(split) == []
    late = [_row("late.csv", n, f"2026-08-0{n}", "development ", "2.00") for n in (3, 4)]
    assert reexported_rows(split + late) == []


def test_a_reexport_without_notes_with_every_row_rounded_is_still_one_export() -> None:
    """A Toggl report without descriptions downloaded again with rounding on: every duration changed, nothing
    identical (found by an auditor: 31,904.89 billed for 16,500.00 of work). A late file of blank rows is not."""
    from billing_assets.core.quality import reexported_rows
    first = [_row("toggl.csv", n, f"2026-10-{n:02d}", "", "1.12") for n in range(1, 21)]
    rounded = [_row("toggl_rounded.csv", n, f"2026-10-{n:02d}", "", "1.25") for n in range(1, 21)]
    found = reexported_rows(first + rounded)
    assert len(found) == 20 and found[0]["hours"] == Decimal("1.12")
    late = [_row("late.csv", n, f"2026-10-{n:02d}", "", "0.50") for n in (19, 20)]
    assert reexported_rows(first + late) == []


def test_a_reexport_with_every_project_renamed_is_still_one_export() -> None:
    """Ticket notes, one a day, with the project renamed on every row of the second export (found by an auditor:
    35,350.00 billed for 17,750.00 of work)."""
    first = [_row("oct.csv", n, f"2026-10-{n:02d}", f"Ticket WEB-1{n:02d}") for n in range(1, 21)]
    again = [_row("oct_corrected.csv", n, f"2026-10-{n:02d}", f"Ticket WEB-1{n:02d}", "1.50" if n < 4 else "1.00",
                  project="Website") for n in range(1, 21)]
    from billing_assets.core.quality import reexported_rows
    found = reexported_rows(first + again)
    assert len(found) == 20 and {tuple(r["files"]) for r in found} == {("oct.csv", "oct_corrected.csv")}
    assert [r["hours"] for r in found[:4]] == [Decimal("1.00")] * 4


def test_billable_and_non_billable_time_exported_apart_is_not_a_reexport(billing_env, capsys) -> None:
    """A project's billable and non-billable time exported as two files shares days, people and notes, not hours:
    two kinds of time, not one export written twice (a known gap until session 40: the month stopped). The same
    rows exported again with the flag switched to non-billable keep their hours, and are still a re-export (found
    by an auditor: switched on every row, the old file's rows were billed without a word)."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    for sheet in (home / "timesheets").iterdir():
        sheet.unlink()
    days = [("2026-08-03", "1.00", "0.75", "Review work"), ("2026-08-04", "2.50", "0.50", "Interviews"),
            ("2026-08-05", "1.00", "0.25", "Deck")]
    for name, column, flag in (("billable.csv", 1, "Yes"), ("non_billable.csv", 2, "No")):
        (home / "timesheets" / name).write_text(HARVEST + "".join(
            f"{row[0]},Globex Corporation,Strategy Review,GX-STR,Consulting,{row[3]},{row[column]},{flag},Raj,Patel\n"
            for row in days))
    assert main(["validate"]) == 0, capsys.readouterr().out
    assert main(["close", "--month", "2026-08"]) == 0
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT passed FROM check_results WHERE check_name = 'no_cross_file_duplicates'"
                            ).fetchall() == [(True,)]
        assert conn.execute("SELECT fees FROM invoices").fetchall() == [(Decimal("855.00"),)]  # 4.5 h x 190
    from billing_assets.core.quality import reexported_rows
    rows = [_row(f, n, day, notes, h, billable=b) for n, (day, h1, h2, notes) in enumerate(days)
            for f, h, b in (("billable.csv", h1, True), ("non_billable.csv", h2, False))]
    assert reexported_rows(rows) == []
    assert len(reexported_rows([{**r, "billable": True} for r in rows])) == 3  # the flag tells them apart
    switched = [_row("again.csv", n, day, notes, h1, billable=False) for n, (day, h1, _, notes) in enumerate(days)]
    originals = [r for r in rows if r["source_file"] == "billable.csv"]
    assert [r["files"] for r in reexported_rows(originals + switched)] == [["again.csv", "billable.csv"]] * 3
