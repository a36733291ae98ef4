"""A mutation fuzzer for the export reader (`sources.read_folder`): realistic exports of the other reader tests are
mutated, by hand and at random (seeded), and three oracles judge what is read.

1. No crash: nothing but BillingInputError leaves `read_folder`, `billing validate` prints no traceback, and every
   problem or refusal is one line naming the file (its path in the home) and, where a row is at fault, the row.
2. A mutation that keeps the meaning (rows reordered, line ends, UTF-8 / BOM / UTF-16, a blank last line, every
   cell quoted, an extra column, columns reordered, rows of an unclaimed client appended) reads the same entries.
3. A damaging mutation (a cut, a deleted cell, a stray quote, another delimiter in one row, a number or date of the
   other convention, a header repeated in the middle, NUL, a huge cell, hours empty, negative, `1e3`, `NaN`, ...)
   is refused or flagged, or read exactly as an honest reader would: no row changes silently, no row of another
   client changes, and a row that is not read stops its client-month (or the file is refused).

The mutations are tests/reader_mutations.py, the oracles tests/reader_oracles.py; `bench/reader_fuzz.py --cases N`
runs the same engine longer, this test a fixed, seeded share of it.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from billing_assets.core.parsed import ParsedSource
from billing_assets.core.sources import read_folder
from tests.reader_oracles import run, unexpected


def test_the_seeds_read_and_their_hand_and_random_mutations_keep_the_oracles() -> None:
    count, findings = run(rounds=4, random_cases=60, validate_every=25)
    assert count > 6_000
    assert not unexpected(findings), "\n".join(str(f) for f in unexpected(findings)[:10])


def _home(tmp_path: Path, files: dict[str, str | bytes], settings: str = "") -> ParsedSource:
    for label, data in files.items():
        (tmp_path / label).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / label).write_bytes(data.encode() if isinstance(data, str) else data)
    if settings:
        (tmp_path / "settings.yaml").write_text(settings)
    return read_folder(tmp_path)


def _problems(parsed: ParsedSource) -> list[str]:
    return [str(p) for p in parsed.problems]


HARVEST = "Date,Client,Project,Task,Notes,Hours,First Name,Last Name\n"
CLOCKIFY = "Project,Client,Description,Task,User,Billable,Start Date,Duration (h),Duration (decimal)\n"


def test_a_clockify_decimal_of_nan_beside_a_compact_duration_is_no_crash(tmp_path: Path) -> None:
    """`NaN` (and `1e9999999`) in `Duration (decimal)` beside an H:MM cell raised decimal.InvalidOperation out of
    read_folder; the clock is read, as for any decimal that is no number."""
    parsed = _home(tmp_path, {"timesheets/c.csv": CLOCKIFY + "Web,Acme,Work,,Ana Souza,Yes,2026-09-04,2:00,NaN\n"
                                                          "Web,Acme,Call,,Ana Souza,Yes,2026-09-05,1:00,1e9999999\n"})
    assert [e.hours for e in parsed.entries] == [Decimal(2), Decimal(1)] and not parsed.problems


def test_hours_with_a_thousands_separator_are_refused_by_row(tmp_path: Path) -> None:
    """"1,500" in a 1,234.50 file (or "1.500" in a 1.234,50 file) was read as 1500 hours: a decimal typed in the
    other convention. No entry is a thousand hours: the row is refused, naming the cell."""
    parsed = _home(tmp_path, {
        "timesheets/us.csv": HARVEST + "2026-09-04,Acme,Web,Build,A,1.50,Ana,Souza\n"
                                       "2026-09-05,Acme,Web,Build,B,\"1,500\",Ana,Souza\n",
        "timesheets/de.csv": HARVEST.replace(",", ";") + "04.09.2026;Beta;Web;Build;A;1,5;Ana;Souza\n"
                                                         "05.09.2026;Beta;Web;Build;B;1.500;Ana;Souza\n"})
    assert _problems(parsed) == [
        "timesheets/de.csv: row 2: Hours: '1.500' has a thousands separator (1500 h in the file's 1.234,50 format): "
        "no entry is that long; a decimal of the other convention? Correct the cell",
        "timesheets/us.csv: row 2: Hours: '1,500' has a thousands separator (1500 h in the file's 1,234.50 format): "
        "no entry is that long; a decimal of the other convention? Correct the cell"]
    assert [p.month for p in parsed.problems] == ["2026-09", "2026-09"]
    assert [e.hours for e in parsed.entries] == [Decimal("1.5"), Decimal("1.50")]


def test_an_hms_duration_beyond_the_warehouse_is_refused_by_row(tmp_path: Path) -> None:
    """A 30-digit hour in an H:MM:SS cell raised decimal.InvalidOperation while quantizing."""
    parsed = _home(tmp_path, {"timesheets/t.csv": "User,Client,Project,Description,Start date,Duration\n"
                                                  "Ana Souza,Acme,Web,A,2026-09-04,1999999999999999999999:30:00\n"})
    assert _problems(parsed) == ["timesheets/t.csv: row 1: Duration: '1999999999999999999999:30:00' is beyond the "
                                 "range the warehouse holds"]


def test_a_row_whose_cells_shifted_stops_every_client_of_its_file(tmp_path: Path) -> None:
    """A row cut before its Client ("2026-09-06" and the end of the file), or written with another delimiter, was
    refused naming the row with client "" (or a shifted cell): its problem stopped nobody's month and the close
    billed the client without the row. It names the file's clients, and the clients its cells hold when split on
    another delimiter."""
    from billing_assets.core.parsed import problems_for

    parsed = _home(tmp_path, {
        "timesheets/cut.csv": HARVEST + "2026-09-04,Acme,Web,Build,A,1.50,Ana,Souza\n2026-09-06",
        "timesheets/semi.csv": HARVEST + "2026-09-04,Acme,Web,Build,A,1.50,Ana,Souza\n"
                                         "2026-09-05;Beta;Web;Build;B;2.00;Ana;Souza\n"})
    assert [(p.row, p.client_name) for p in parsed.problems] == [(2, ""), (2, "")]
    assert [p.clients[0] for p in parsed.problems] == ["2026-09-06", "2026-09-05;Beta;Web;Build;B;2.00;Ana;Souza"]
    assert "Acme" in parsed.problems[0].clients and {"Acme", "Beta"} <= set(parsed.problems[1].clients)
    assert len(problems_for(parsed.problems, {"Acme"}, "2026-09")) == 2
    assert len(problems_for(parsed.problems, {"Beta"}, "2026-10")) == 1


def test_a_quote_left_open_in_a_full_row_is_refused_and_stops_the_rows_it_swallowed(tmp_path: Path) -> None:
    """A stray quote opening the last cell ('"Souza') read every line after it into that cell: a full-width row, so
    nothing was said, and Globex's rows were silently gone. The row is refused, naming the clients of the lines it
    swallowed."""
    from billing_assets.core.parsed import problems_for

    parsed = _home(tmp_path, {"timesheets/q.csv": HARVEST + "2026-09-04,Acme,Web,Build,A,1.50,Ana,\"Souza\n"
                                                            "2026-09-05,Globex,Web,Build,B,2.00,Bo,Li\n"
                                                            "2026-09-06,Globex,Web,Build,C,3.00,Bo,Li\n"})
    assert _problems(parsed) == ["timesheets/q.csv: row 1: a quote opened in this row is not closed on its line, so "
                                 "the 3 line(s) after it were read into this row"]
    assert parsed.entries == [] and {"Acme", "Globex"} <= set(parsed.problems[0].clients)
    assert problems_for(parsed.problems, {"Globex"}, "2026-09")


def test_a_note_over_several_lines_is_still_read(tmp_path: Path) -> None:
    parsed = _home(tmp_path, {"timesheets/n.csv": HARVEST + "2026-09-04,Acme,Web,Build,\"Call\nthen mail\",1.5,Ana,"
                                                            "Souza\n"})
    assert [e.notes for e in parsed.entries] == ["Call\nthen mail"] and not parsed.problems


def test_a_second_header_in_another_column_order_refuses_the_file(tmp_path: Path) -> None:
    """Two exports joined, the second with its columns in another order: its rows were read under the first
    header's names (First Name as Last Name, Hours as Notes) with no word for the rows that happened to parse. The
    file is refused naming the row; a header repeated as it is leaves the rows read (its own row is refused)."""
    second = "Client,Date,Project,Task,Notes,Hours,Last Name,First Name\nGlobex,2026-09-05,Web,Build,B,2.00,Li,Bo\n"
    parsed = _home(tmp_path, {"timesheets/j.csv": HARVEST + "2026-09-04,Acme,Web,Build,A,1.50,Ana,Souza\n" + second,
                              "timesheets/same.csv": HARVEST + "2026-09-04,Acme,Web,Build,A,1.50,Ana,Souza\n" + HARVEST
                              + "2026-09-05,Acme,Web,Build,B,2.00,Bo,Li\n"})
    assert _problems(parsed) == [
        "timesheets/j.csv: row 2 is a header in another column order (two exports joined?): the rows after it would "
        "be read under the first header's names; save them as two files",
        "timesheets/same.csv: row 2: Date: not a date: 'Date'"]
    assert {"Acme", "Globex"} <= set(parsed.problems[0].clients)
    assert [e.person for e in parsed.entries] == ["Ana Souza", "Bo Li"]


def test_a_row_narrower_than_its_file_names_the_files_clients_in_its_problem(tmp_path: Path) -> None:
    """A Clockify row with its first cell deleted read Client "Work" and Start Date "09:00": refused, but its
    problem stopped the month of "Work". A narrow row's problem names the file's clients; of two rows, one
    narrower, the header's width is the usual one."""
    header = "Project,Client,Description,Task,User,Billable,Start Date,Start Time,Duration (h),Tags\n"
    parsed = _home(tmp_path, {"timesheets/c.csv": header + "Long Co,Work,,Ana Souza,Yes,2026-09-14,09:00,1:00:00,\n"
                                                           "Web,Long Co,Work,,Ana Souza,Yes,2026-09-15,09:00,1:00:00,"
                                                           "\n"})
    assert _problems(parsed) == ["timesheets/c.csv: row 1: Start Date: not a date: '09:00'"]
    assert parsed.problems[0].client_name == "Work" and "Long Co" in parsed.problems[0].clients


def test_an_impossible_date_does_not_decide_a_files_date_order(tmp_path: Path) -> None:
    """"31/04/2026" voted day-first (31 > 12) and turned a month-first file (settings.yaml) day-first: 11/02/2026
    moved from 2 November to 11 February with no word. A day no month has votes for neither order."""
    parsed = _home(tmp_path, {"timesheets/us.csv": HARVEST + "11/02/2026,Acme,Web,Build,A,1.5,Ana,Souza\n"
                                                             "11/03/2026,Acme,Web,Build,B,1.5,Ana,Souza\n"
                                                             "31/04/2026,Acme,Web,Build,C,1.5,Ana,Souza\n"},
                   "date_order: month_first\n")
    assert [str(e.date) for e in parsed.entries] == ["2026-11-02", "2026-11-03"]
    assert _problems(parsed) == ["timesheets/us.csv: row 3: Date: not a date: '31/04/2026'"]


def test_a_nul_in_the_client_cell_stops_the_client_it_names(tmp_path: Path) -> None:
    """"Acme\x00" refused the row under a client nobody has: Acme's only row was dropped with its month billed."""
    parsed = _home(tmp_path, {"timesheets/n.csv": HARVEST + "2026-09-04,Beta,Web,Build,A,1.5,Ana,Souza\n"
                                                            "2026-09-05,Acme\x00,Web,Build,B,1.5,Ana,Souza\n"})
    assert [p.row for p in parsed.problems] == [2] and "Acme" in parsed.problems[0].clients


def test_a_header_with_control_characters_is_refused_in_one_line(tmp_path: Path) -> None:
    parsed = _home(tmp_path, {"timesheets/h.csv": b'"Wh\x1aen\nday",Who\n2026-09-04,Ana\n'})
    assert _problems(parsed) == ["timesheets/h.csv: header matches no known export (tried Harvest detailed time, "
                                 "Toggl detailed, Clockify detailed, QuickBooks Time timesheets): none of its columns "
                                 "(Wh\\x1aen day, Who) is one they write"]


def test_a_single_row_cut_short_of_the_header_is_refused(tmp_path: Path) -> None:
    """The file's only row, cut after "Souza" with no line break: as wide as itself, so it passed as whole."""
    parsed = _home(tmp_path, {"timesheets/c.csv": HARVEST.replace("\n", ",Roles\n")
                              + "2026-09-04,Acme,Web,Build,A,1.5,Ana,Souza"})
    assert _problems(parsed) == ["timesheets/c.csv: row 1: only 8 of 9 cells and the file ends inside it: a download "
                                 "or copy cut off?"]


def test_a_delimiter_in_a_note_of_a_firm_wide_export_stops_only_its_client(tmp_path: Path) -> None:
    """One firm-wide export, one unquoted comma in a note: the row's Client cell comes before the shift and is a
    client the file's whole rows carry, so its problem stops that client alone; the others are priced. A row whose
    Client cell is no such name (a comma inside the client's own name, quoted on its other rows) may be anyone's:
    every client of the file."""
    from billing_assets.core.parsed import problems_for

    rows = ("2026-09-04,Acme,Web,Build,A,1.50,Ana,Souza\n2026-09-04,Beta,App,Build,B,2.00,Raj,Patel\n"
            "2026-09-05,Acme,Web,Build,fixed header, footer,1.00,Ana,Souza\n")
    parsed = _home(tmp_path, {"timesheets/firm.csv": HARVEST + rows})
    (problem,) = parsed.problems
    assert (problem.row, problem.client_name, problem.clients) == (3, "Acme", ("Acme",))
    assert problems_for(parsed.problems, {"Beta"}, "2026-09") == []
    assert problems_for(parsed.problems, {"Acme"}, "2026-09") == [problem]
    parsed = _home(tmp_path / "b", {"timesheets/firm.csv": HARVEST + rows.replace(
        "2026-09-05,Acme,Web,Build,fixed header, footer", '2026-09-05,Gamma, Inc,Web,Build,C')
        + '2026-09-06,"Gamma, Inc",Web,Build,D,1.00,Ana,Souza\n'})
    assert {"Acme", "Beta"} <= set(parsed.problems[0].clients)
    assert len(problems_for(parsed.problems, {"Beta"}, "2026-09")) == 1
