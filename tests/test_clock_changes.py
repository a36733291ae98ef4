"""A duration an hour from its clock times is read only across a daylight-saving change, in the direction the
clocks moved that day, and never when both times carry their UTC offset (found by an auditor: a Toggl row of
09:00-10:00 on an ordinary Wednesday with Duration 2:00:00 was billed 2 h)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing_assets.core.clock_changes import clock_agrees, clock_offset, clock_shifts
from billing_assets.core.sources import read_folder

TOGGL = "User,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Amount (USD)\n"
QBT = "fname,lname,local_date,local_start_time,local_end_time,hours,jobcode_1,jobcode_2,notes,billable\n"


def test_clock_changes_are_known_by_day_and_direction() -> None:
    assert clock_shifts(date(2026, 10, 14), date(2026, 10, 14)) == frozenset()
    assert clock_shifts(date(2026, 10, 25), date(2026, 10, 25)) == {3600}  # EU clocks go back: a longer night
    assert clock_shifts(date(2026, 3, 29), date(2026, 3, 29)) == {-3600}  # EU clocks go forward
    assert clock_shifts(date(2026, 3, 8), date(2026, 3, 8)) == {-3600}  # US
    assert clock_shifts(date(2026, 4, 5), date(2026, 4, 5)) == {3600}  # Australia goes back in April
    assert clock_offset("2025-11-03T09:00:00-05:00") == -18000 and clock_offset("09:00:00") is None
    assert clock_offset("2026-10-01T06:30:00Z") == 0 and clock_offset("2026-10-01T06:30:00+0530") == 19800
    assert not clock_agrees(Decimal(7200), 3600, frozenset(), to_the_second=True)  # no step rounds 1:00:00 to 2 h
    assert clock_agrees(Decimal(7200), 3600, frozenset())  # to the minute, 10:00 may be 10:00:59: up to 2 h


def test_an_hour_more_than_the_clock_is_read_only_where_the_clocks_went_back(billing_env) -> None:
    home = billing_env()
    (home / "timesheets" / "toggl.csv").write_text(
        TOGGL
        + "Ana Souza,Acme Corp,Web,,Ordinary day,Yes,2026-10-14,09:00:00,2026-10-14,10:00:00,2:00:00,\n"
        + "Ana Souza,Acme Corp,Web,,Clocks back,Yes,2026-10-25,00:30:00,2026-10-25,02:30:00,3:00:00,\n"
        + "Ana Souza,Acme Corp,Web,,Wrong way,Yes,2026-10-25,00:30:00,2026-10-25,02:30:00,1:00:00,\n"
        + "Ana Souza,Acme Corp,Web,,Clocks forward,Yes,2026-03-29,00:30:00,2026-03-29,02:30:00,1:00:00,\n")
    (home / "timesheets" / "qbt.csv").write_text(
        QBT
        + "Ana,Souza,2025-11-03,2025-11-03T09:00:00-05:00,2025-11-03T10:00:00-05:00,2.00,Acme Corp,Web,offsets,yes\n"
        + "Ana,Souza,2025-11-02,2025-11-02T01:30:00-04:00,2025-11-02T01:30:00-05:00,1.00,Acme Corp,Web,back,yes\n")
    parsed = read_folder(home)
    assert sorted((e.notes, e.hours) for e in parsed.entries) == [
        ("Clocks back", Decimal("3")), ("Clocks forward", Decimal("1")), ("back", Decimal("1"))]
    assert [str(p) for p in parsed.problems] == [
        "timesheets/qbt.csv: row 1: hours '2.00' is 2 h, but local_start_time 2025-11-03T09:00:00-05:00 to "
        "local_end_time 2025-11-03T10:00:00-05:00 is 1.00 h (a duration written in other units?)",
        "timesheets/toggl.csv: row 1: Duration '2:00:00' is 2 h, but Start time 09:00:00 to End time 10:00:00 is "
        "1.00 h (a duration written in other units?)",
        "timesheets/toggl.csv: row 3: Duration '1:00:00' is 1 h, but Start time 00:30:00 to End time 02:30:00 is "
        "2.00 h (a duration written in other units?)"]


def test_a_rounding_step_is_the_whole_files_not_one_rows(billing_env) -> None:
    """A report rounds every row: a 4-hour "step" let 04:00:00 stand for 09:00:00 to 09:20:00 in a file whose
    other rows are exact to the second (found by an auditor), while a report rounded to 15 minutes is read."""
    home = billing_env()
    (home / "timesheets" / "exact.csv").write_text(
        TOGGL
        + "Ann Lee,Acme Corp,Web,,a,Yes,2026-08-03,09:00:00,2026-08-03,10:30:00,01:30:00,\n"
        + "Ann Lee,Acme Corp,Web,,b,Yes,2026-08-04,09:00:00,2026-08-04,09:20:00,04:00:00,\n"
        + "Ann Lee,Acme Corp,Web,,c,Yes,2026-08-05,09:13:07,2026-08-05,11:01:49,01:48:42,\n")
    (home / "timesheets" / "rounded.csv").write_text(
        TOGGL
        + "Ann Lee,Acme Corp,Web,,d,Yes,2026-08-06,09:00:00,2026-08-06,09:20:00,00:30:00,\n"
        + "Ann Lee,Acme Corp,Web,,e,Yes,2026-08-07,09:13:07,2026-08-07,11:01:49,02:00:00,\n")
    parsed = read_folder(home)
    assert sorted((e.notes, e.hours) for e in parsed.entries) == [
        ("a", Decimal("1.5")), ("c", Decimal("1.8116666667")), ("d", Decimal("0.5")), ("e", Decimal("2"))]
    assert [str(p) for p in parsed.problems] == [
        "timesheets/exact.csv: row 2: Duration '04:00:00' is 4 h, but Start time 09:00:00 to End time 09:20:00 is "
        "0.33 h (a duration written in other units?)"]
