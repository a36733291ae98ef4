"""Per-file decisions from all values: number formats, date orders, durations, encodings, refusals."""

from __future__ import annotations

import codecs
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from billing_assets.core import formats
from billing_assets.core.csvfile import FileRefused, decode
from billing_assets.core.sources import read_folder


@pytest.mark.parametrize(("values", "decided"), [
    (["1.50", "2.25", "1,234.50"], "1,234.50"),
    (["1,5", "2,25", "1.234,50"], "1.234,50"),
    (["1\u202f234,50", "0,75"], "1 234,50"),
    (["1'234.50", "0.75"], "1'234.50"),
    (["8", "12", ""], "1,234.50"),  # integers read alike in every format
])
def test_number_format_is_decided_from_all_values(values: list[str], decided: str) -> None:
    assert formats.decide_number_format(values).value == decided


def test_numbers_that_read_two_ways_need_the_setting() -> None:
    with pytest.raises(formats.FormatError, match=r"'1.500' reads as 1.5 in 1,234.50 or 1500 in 1.234,50\); "
                                                  r"set number_format: \"1,234.50\" or \"1.234,50\" in"):
        formats.decide_number_format(["1.500", "2"])
    assert formats.decide_number_format(["1.500", "2"], "1.234,50").value == "1.234,50"
    with pytest.raises(formats.FormatError, match="more than one format"):
        formats.decide_number_format(["1.234,50", "1,234.50"])


def test_numbers_beyond_the_warehouse_and_exponents_are_unreadable() -> None:
    with pytest.raises(formats.FormatError, match="beyond the range"):
        formats.parse_number("100000000000000", "1,234.50")
    with pytest.raises(formats.FormatError, match="not a number"):
        formats.parse_number("1e308", "1,234.50")


@pytest.mark.parametrize(("values", "order", "first"), [
    (["09/04/2026", "09/15/2026"], "month_first", date(2026, 9, 4)),
    (["04/09/2026", "15/09/2026"], "day_first", date(2026, 9, 4)),
    (["04-09-2026", "15-09-2026"], "day_first", date(2026, 9, 4)),
    (["04.09.2026", "08.09.2026"], "iso", date(2026, 9, 4)),
    (["2026-09-04", "2026-09-08 09:00"], "iso", date(2026, 9, 4)),
    (["9/4/26", "9/15/26"], "month_first", date(2026, 9, 4)),  # an Excel re-save in a US locale
    (["30/12/25", "02/01/26"], "day_first", date(2025, 12, 30)),  # two years in a row: across New Year
])
def test_date_order_is_decided_from_all_dates(values: list[str], order: str, first: date) -> None:
    decided = formats.decide_date_order(values)
    assert decided.value == order
    assert formats.parse_date(values[0], decided.value) == first


@pytest.mark.parametrize("values", [["26/10/05", "26/10/13"], ["26/10/01", "26/10/02", "26/10/03"]])
def test_two_digit_years_that_vary_like_days_are_refused(values: list[str]) -> None:
    with pytest.raises(formats.FormatError, match="the dates look like YY/MM/DD"):  # else read as 2005, 2013
        formats.decide_date_order(values)


def test_dates_that_fit_both_orders_need_the_setting() -> None:
    with pytest.raises(formats.FormatError, match="set date_order"):
        formats.decide_date_order(["04/09/2026", "08/09/2026"])
    assert formats.decide_date_order(["04/09/2026"], "day_first").how == "settings.yaml date_order"
    with pytest.raises(formats.FormatError, match="neither"):
        formats.decide_date_order(["13/01/2026", "01/13/2026"])


@pytest.mark.parametrize(("text", "hours"), [("1:30:00", "1.5000"), ("0:13", "0.2166666667"),
                                             ("26:10:00", "26.1666666667"), ("1,5", "1.5"), ("0", "0"),
                                             ("12:20:00 AM", "0.3333333333"), ("02:00:00 AM", "2"),
                                             ("12:05 PM", "12.0833333333"), ("01:00:00 p.m.", "13")])
def test_durations(text: str, hours: str) -> None:
    fmt = "1.234,50" if "," in text else "1,234.50"
    assert formats.parse_duration(text, fmt) == Decimal(hours)


@pytest.mark.parametrize("text", ["13:00:00 PM", "00:20:00 AM"])
def test_a_twelve_hour_duration_off_the_clock_is_refused(text: str) -> None:
    with pytest.raises(formats.FormatError, match="not a duration on a 12-hour clock"):
        formats.parse_duration(text, "1,234.50")


def test_encodings_utf16_legacy_and_binary() -> None:
    text = "Date,Client\n2026-09-04,Wrocław Sp. z o.o. Łódź środa\n"
    assert decode(codecs.BOM_UTF16_LE + text.encode("utf-16-le")) == (text, "utf-16 with BOM")
    assert decode(text.encode("cp1250")) == (text, "cp1250 (detected)")
    assert decode(text.encode("utf-8")) == (text, "utf-8")
    with pytest.raises(FileRefused, match="not a text file"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_a_broken_quote_refuses_the_file_and_stops_its_clients(tmp_path: Path) -> None:
    (tmp_path / "timesheets").mkdir()
    rows = "".join(f'2026-09-{d:02d},Acme,Web,Build,"note {d},1.0,Yes,Ana,Souza\n' for d in range(1, 3))
    (tmp_path / "timesheets" / "t.csv").write_text(
        "Date,Client,Project,Task,Notes,Hours,Billable?,First Name,Last Name\n" + "x" * 70000 + rows)
    parsed = read_folder(tmp_path)
    assert parsed.entries == []
    (problem,) = parsed.problems
    assert problem.row == 0 and "nothing of this file is read" in problem.message


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_a_refused_file_names_a_client_written_in_letters_beyond_ascii(tmp_path: Path, encoding: str) -> None:
    """A file refused whole stops the clients it holds; their names were read as Latin-1, so a UTF-8 "Søn" became
    "SÃ¸n", which no contract names: the client's month priced without the file (found by an auditor)."""
    (tmp_path / "timesheets").mkdir()
    (tmp_path / "timesheets" / "t.csv").write_bytes((
        "Date,Client,Project,Task,Notes,Hours,Billable?,First Name,Last Name\n"
        "2026-08-05,O'Brien & Søn,Matter,Legal,Drafting,1.5,Yes,Zoë,O'Neil\n"
        f"2026-08-06,O'Brien & Søn,Matter,Legal,{'x' * 70000},2.0,Yes,Zoë,O'Neil\n").encode(encoding))
    (problem,) = read_folder(tmp_path).problems
    assert (problem.row, problem.clients) == (0, ("O'Brien & Søn",))


def test_hours_beyond_the_warehouse_refuse_their_row_not_the_file(tmp_path: Path) -> None:
    """The file's number format was decided by reading every value, and one row of 10^20 hours refused the whole
    file, stopping a client whose own rows were good (found by an auditor)."""
    (tmp_path / "timesheets").mkdir()
    (tmp_path / "timesheets" / "t.csv").write_text(
        "Date,Client,Project,Task,Notes,Hours,Billable?,First Name,Last Name\n"
        "2026-08-05,Beta,Matter,Legal,Drafting,1.50,Yes,Zoe,Neil\n"
        "2026-08-07,Acme,Web,Build,Huge,99999999999999999999.99,Yes,Ann,Lee\n")
    parsed = read_folder(tmp_path)
    assert [(e.client_name, e.hours) for e in parsed.entries] == [("Beta", Decimal("1.50"))]
    (problem,) = parsed.problems
    assert (problem.row, problem.client_name) == (2, "Acme")
    assert "is beyond the range the warehouse holds" in problem.message


def test_clockify_breaks_are_never_billed(tmp_path: Path) -> None:
    (tmp_path / "timesheets").mkdir()
    (tmp_path / "timesheets" / "c.csv").write_text(
        '"Project","Client","Description","Task","User","Group","Email","Tags","Billable","Start Date","Start Time",'
        '"End Date","End Time","Duration (h)","Duration (decimal)","Billable Rate (USD)","Billable Amount (USD)",'
        '"Type"\n'
        '"Web","Acme","Lunch","Design","Ana Souza","","a@x.com","","Yes","2026-09-03","10:00","2026-09-03",'
        '"10:30","00:30:00","0.50","0.00","0.00","Break"\n'
        '"Web","Acme","Build","Design","Ana Souza","","a@x.com","","Yes","2026-09-03","11:00","2026-09-03",'
        '"12:00","01:00:00","1.00","0.00","0.00","Regular"\n')
    parsed = read_folder(tmp_path)
    assert [(e.notes, e.billable) for e in parsed.entries] == [("Lunch", False), ("Build", True)]


@pytest.mark.parametrize("first_line", ["sep=;", "\ufeffsep=;", '"sep=;"', "SEP=;"])
def test_excels_separator_line_declares_the_delimiter_and_is_not_a_header(tmp_path: Path, first_line: str) -> None:
    """Excel writes (and honours) a first line "sep=;" naming the delimiter; the header follows it."""
    (tmp_path / "timesheets").mkdir()
    header = "Date;Client;Project;Project Code;Task;Notes;Hours;Billable?;First Name;Last Name\r\n"
    rows = "".join(f"2026-09-{d:02d};Acme;Web;;Build;Note {d}, with a comma;1,5;Yes;Ana;Souza\r\n" for d in (1, 2))
    (tmp_path / "timesheets" / "t.csv").write_text(f"{first_line}\r\n{header}{rows}", encoding="utf-8")
    parsed = read_folder(tmp_path)
    assert parsed.problems == []
    assert [(e.source_row, e.notes, e.hours) for e in parsed.entries] == [
        (1, "Note 1, with a comma", Decimal("1.5")), (2, "Note 2, with a comma", Decimal("1.5"))]
    assert parsed.files[0].decisions["delimiter"] == "semicolon"
