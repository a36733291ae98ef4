"""The same time entries written as another tool's export in another locale (tests/layout_convert.py) are read as
the same entries, or refused with one-line problems naming the file: a seeded sweep over every layout variant, and
proof per variant that the oracle catches a wrong conversion (hours, date, client, billable flag of one row).
`bench/layout_diff.py --seeds N` runs the sweep longer."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bench.layout_diff import Case, run_case
from billing_assets.core.sources import read_folder
from tests.layout_convert import CLIENTS, ENCODINGS, VARIANTS, Entry, Variant

# refused once a row has seconds (see test_a_clockify_compact_eu_timer_export_is_read)
REFUSED_BY_DESIGN_GAP = {"clockify/compact-seconds-dropped-eu"}


def _show(case: Case) -> str:
    return (f"seed {case.seed} {case.variant.label} {case.encoding} settings={case.setting}: {case.kind}: "
            f"{case.verdict.detail or (case.verdict.problems or ('',))[0]}")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_variant_reads_the_same_entries_or_refuses_by_name(encoding: str, tmp_path: Path) -> None:
    """Each variant once per encoding (a legacy code page falls back to UTF-8 with BOM where the text needs it). A
    refusal naming the file passes; false refusals are shown by the xfail tests below and bench/layout_diff.py."""
    start = 1000 * ENCODINGS.index(encoding)
    cases = [run_case(start + i, tmp_path, variant, encoding) for i, variant in enumerate(VARIANTS)]
    wrong = [c for c in cases if c.kind == "finding"]
    assert not wrong, "\n".join(_show(c) for c in wrong[:10])
    assert sum(c.kind == "exact" for c in cases) > len(VARIANTS) * 3 // 4


def test_mac_roman_exports_read_the_same_entries_or_refuse(tmp_path: Path) -> None:
    """Mac Roman exports (Excel for Mac CSV) whose few non-ASCII words are names like Noël, Zoë, Joël, Björn or
    Sébastien were read as cp1252 ('No‘l', 'Bjšrn', 'SŽbastien'), person, client and notes changed in silence (29
    of 3,235 Mac Roman files of a 20,000-seed run): they are read right or refused naming `encoding:`."""
    cases = [run_case(50_000 + seed, tmp_path, encoding="mac_roman") for seed in range(300)]
    wrong = [c for c in cases if c.kind == "finding"]
    assert not wrong, "\n".join(_show(c) for c in wrong[:5])


def test_a_mac_roman_name_is_read_or_refused(tmp_path: Path) -> None:
    """'Noël Martin' in a Mac Roman file was read as 'No‘l Martin' (cp1252) with no problem."""
    text = ("Date,Client,Project,Task,Notes,Hours,First Name,Last Name\r\n"
            "2026-09-04,Acme,Web,Build,Call,1.5,Noël,Martin\r\n")
    (tmp_path / "timesheets").mkdir()
    (tmp_path / "timesheets" / "x.csv").write_bytes(text.encode("mac_roman"))
    parsed = read_folder(tmp_path)
    assert parsed.problems or [e.person for e in parsed.entries] == ["Noël Martin"], [e.person for e in parsed.entries]


def _exact_seed(variant: Variant, root: Path) -> int:
    """The first seed whose file of this variant is read exactly with no settings, with 8 rows or more (any, for a
    variant that is refused once a row has seconds)."""
    least = 1 if variant.label in REFUSED_BY_DESIGN_GAP else 8
    for seed in range(300):
        case = run_case(seed, root / "probe", variant, "utf-8", setting="none")
        if case.kind == "exact" and len(case.expected) >= least:
            return seed
    raise AssertionError(f"no exact seed for {variant.label}")


def _step(variant: Variant) -> Decimal:
    """The smallest hours change the variant can write and the oracle must see: 0.01 h, or 3 minutes (0.05 h)
    where durations are H:MM or the oracle allows Compact's rounding."""
    return Decimal("0.05") if variant.minute_quantum or variant.tolerance else Decimal("0.01")


MUTATIONS = {
    "hours": lambda e, v: replace(e, hours=e.hours + _step(v),
                                  exact_seconds=None if e.exact_seconds is None else e.exact_seconds + 180),
    "date": lambda e, v: replace(e, date=e.date + timedelta(days=1)),
    "client": lambda e, v: replace(e, client=next(c for c in CLIENTS if c != e.client and c.isascii())),
    "billable": lambda e, v: replace(e, billable=not e.billable),
}


WRONG_CONVERSIONS = [(v, m) for v in VARIANTS for m in MUTATIONS if m != "billable" or v.billable_column]


@pytest.mark.parametrize(("variant", "mutation"), WRONG_CONVERSIONS,
                         ids=[f"{v.label}-{m}" for v, m in WRONG_CONVERSIONS])
def test_the_oracle_sees_a_wrong_conversion(variant: Variant, mutation: str, tmp_path: Path) -> None:
    """One row written wrong (hours off by the smallest step, the date a day later, another client, the billable
    flag flipped where the variant writes one) is a finding, never read as exact."""
    seed = _exact_seed(variant, tmp_path)

    def wrong(entries: list[Entry]) -> list[Entry]:
        return [MUTATIONS[mutation](entries[0], variant), *entries[1:]]

    case = run_case(seed, tmp_path, variant, "utf-8", mutate=wrong, setting="none")
    assert case.verdict.outcome == "finding", _show(case)


def _home(tmp_path: Path, files: dict[str, str], settings: str = ""):
    for label, text in files.items():
        (tmp_path / label).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / label).write_text(text, encoding="utf-8")
    if settings:
        (tmp_path / "settings.yaml").write_text(settings, encoding="utf-8")
    return read_folder(tmp_path)


CLOCKIFY_EU = ("Project;Client;Description;Task;User;Billable;Start Date;Start Time;End Date;End Time;Duration (h);"
               "Duration (decimal);Billable Rate (EUR);Billable Amount (EUR)\n"
               "Web;Acme;Call;;Ana Souza;Yes;04.09.2026;09:00:00;04.09.2026;09:14:50;0:14;0.25;150,00;37,08\n")


def test_a_clockify_compact_eu_timer_export_is_read(tmp_path: Path) -> None:
    """A Clockify Compact export in a comma-decimal locale writes `Duration (decimal)` with a point: once a timer
    row had seconds ("0:14" beside 0.25), that decimal was read, and the file was refused whole, "numbers in more
    than one format" beside the comma rates. The column's format is decided from its own values."""
    parsed = _home(tmp_path, {"timesheets/c.csv": CLOCKIFY_EU})
    # 0.25 is its clock span 09:00:00-09:14:50 rounded: the span is billed, to the second
    assert ([str(p) for p in parsed.problems], [e.hours for e in parsed.entries]) == ([], [Decimal("0.2472222222")])
    assert parsed.files[0].decisions["numbers"] == ("1.234,50 (every format reads its values alike); Duration "
                                                    "(decimal) 1,234.50 (every format reads its values alike)")


HARVEST_US = ("Date,Client,Project,Task,Notes,Hours,First Name,Last Name\n"
              "06/01/2026,Acme,Web,Build,A,1.0,Ana,Souza\n06/12/2026,Acme,Web,Build,B,2.0,Ana,Souza\n"
              "08/01/2026,Acme,Web,Build,C,3.0,Ana,Souza\n")


def test_a_three_month_us_export_in_a_day_first_home_is_not_read_across_the_year(tmp_path: Path) -> None:
    """A US export of June-August whose days are all 12 or less, in a home set `date_order: day_first`, was read
    as January to December with no problem: the check refused only when the other order kept the dates within
    two months. Over more than four months against a quarter the other way, the file is refused naming both."""
    parsed = _home(tmp_path, {"timesheets/us.csv": HARVEST_US}, "date_order: day_first\n")
    assert (parsed.entries, [str(p) for p in parsed.problems]) == ([], [
        "timesheets/us.csv: the home's date_order day_first reads these dates from 2026-01 to 2026-12, "
        "month_first within 2026-06..2026-08: the file looks written month_first; set its own order in settings.yaml "
        "(files: {<this file>: {date_order: ...}})"])


def _bytes_home(tmp_path: Path, data: bytes):
    (tmp_path / "timesheets").mkdir()
    (tmp_path / "timesheets" / "x.csv").write_bytes(data)
    return read_folder(tmp_path)


HARVEST_HEADER = "Date,Client,Project,Task,Notes,Hours,First Name,Last Name\r\n"


def test_a_utf8_client_that_looks_double_encoded_is_read_as_written(tmp_path: Path) -> None:
    """A genuine UTF-8 export whose only non-ASCII words are like 'CAFÉ’S' (C9 92 in cp1252: valid UTF-8) or
    'Call—Émile' (D1 83 in Mac Roman) was 'repaired' as mojibake: 'CAFɒS BAKERY', 'Callуmile'."""
    parsed = _bytes_home(tmp_path, (HARVEST_HEADER + "2026-09-04,CAFÉ’S BAKERY,Web,Build,Call—Émile joined,1.5,Ana,"
                                    "Souza\r\n").encode("utf-8-sig"))
    assert [(e.client_name, e.notes) for e in parsed.entries] == [("CAFÉ’S BAKERY", "Call—Émile joined")]


def test_a_utf8_export_with_a_lookalike_word_is_not_refused(tmp_path: Path) -> None:
    """The same word beside other non-ASCII text refused the whole UTF-8 file as partly double-encoded."""
    parsed = _bytes_home(tmp_path, (HARVEST_HEADER + "2026-09-04,Acme,Web,Build,Lunch at CAFÉ’S,1.5,José,Núñez\r\n"
                                    ).encode("utf-8"))
    assert not parsed.problems, [str(p) for p in parsed.problems]


def test_a_sub_minute_duration_in_minutes_seconds_is_not_read_as_minutes(tmp_path: Path) -> None:
    """A Toggl Duration an Excel re-save wrote as minutes:seconds, '00:45' for a 45-second entry, was read as 0.75 h:
    its clock span (45 s) was within the hour of slack. 45 minutes is no report rounding of 45 seconds."""
    parsed = _bytes_home(tmp_path, b"User,Client,Project,Description,Billable,Start date,Start time,End date,End time,"
                                   b"Duration\r\nAna Souza,Acme,Web,Quick call,Yes,2026-09-04,09:00:00,2026-09-04,"
                                   b"09:00:45,00:45\r\n")
    assert (parsed.entries, [str(p) for p in parsed.problems]) == ([], [
        "timesheets/x.csv: row 1: Duration '00:45' is 0.75 h, but Start time 09:00:00 to End time 09:00:45 is 0.01 h "
        "(a duration written in other units?)"])
