"""Parsing primitives for exports, decided per file from all of its values (spec section 1).

Each decider looks at every value of a file's columns of one kind and returns the one reading that fits all of
them, a reading chosen by the billing home's setting when several fit with different results, or a refusal that
names the setting resolving it. Nothing here guesses from a sample or from a single row.

- Numbers: `1,234.50` (comma), `1.234,50` (dot), `1 234,50` (space, also NBSP and narrow NBSP),
  `1'234.50` (apostrophe); ungrouped digits fit every format.
- Dates: ISO `YYYY-MM-DD` (also `/` and `.` separators, year first), `DD.MM.YYYY` (always day first), and
  `NN/NN/YYYY` or `NN-NN-YYYY`, whose order (month first or day first) comes from the file's values; a
  two-digit year (as Excel re-saves `9/4/26`) is of this century.
- Durations: `H:MM:SS`, `H:MM`, or decimal hours in the file's number format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

HOURS_QUANTUM = Decimal("1E-10")  # the warehouse's hours are DECIMAL(28, 10): 1:20:00 is 1.3333333333 h
MAX_MAGNITUDE = Decimal("1e14")  # DECIMAL(18, 4) holds 14 integer digits

# name -> (pattern, group separators to drop, decimal mark)
_SPACES = " \u00a0\u202f"
NUMBER_FORMATS: dict[str, tuple[re.Pattern[str], str, str]] = {
    "1,234.50": (re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$"), ",", "."),
    "1.234,50": (re.compile(r"^[-+]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$"), ".", ","),
    "1 234,50": (re.compile(rf"^[-+]?(\d{{1,3}}([{_SPACES}]\d{{3}})+|\d+)(,\d+)?$"), _SPACES, ","),
    "1'234.50": (re.compile(r"^[-+]?(\d{1,3}(['\u2019]\d{3})+|\d+)(\.\d+)?$"), "'\u2019", "."),
}
DATE_ORDERS = ("month_first", "day_first")
_YMD = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$")
_DOTTED_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})$")
_NN_NN_YYYY = re.compile(r"^(\d{1,2})([/-])(\d{1,2})\2(\d{4}|\d{2})$")  # Excel writes 9/4/26 too
_TIME_SUFFIX = re.compile(r"[T ]\d{1,2}:\d{2}(:\d{2})?(\.\d+)?( ?[AaPp][Mm])?(Z|[+-]\d{2}:?\d{2})?$")
_HMS = re.compile(r"^(\d+):([0-5]\d):([0-5]\d)$")
_HM = re.compile(r"^(\d+):([0-5]\d)$")
# Toggl's 12-hour time format writes a duration as a time of day: 20 minutes is `12:20:00 AM`, 13 h `01:00:00 PM`
_HMS_12 = re.compile(r"^(\d{1,2}):([0-5]\d)(?::([0-5]\d))?\s*([AaPp])\.?[Mm]\.?$")

YES = {"yes", "y", "true", "1", "ja", "j", "oui", "si", "sí", "sim", "kyllä", "tak", "da", "evet", "はい", "是"}
NO = {"no", "n", "false", "0", "nein", "non", "não", "nao", "ei", "nej", "nee", "nie", "ne", "hayır", "いいえ",
      "否"}


class FormatError(ValueError):
    """A value that fits no reading, or a file whose values fit several: the message says which and why;
    `value`, when given, is the cell that shows it (so the file's reader can name its column)."""

    def __init__(self, message: str, value: str = "") -> None:
        super().__init__(message)
        self.value = value


def clean(text: str) -> str:
    return text.strip().strip(_SPACES)


# ---------------------------------------------------------------------------------------------------- numbers
def _parse_number(text: str, fmt: str) -> Decimal:
    pattern, groups, mark = NUMBER_FORMATS[fmt]
    value = clean(text)
    if not pattern.match(value):
        raise FormatError(f"not a number in the {fmt} format: {quoted(text)}")
    for sep in groups:
        value = value.replace(sep, "")
    result = Decimal(value.replace(mark, "."))
    if abs(result) >= MAX_MAGNITUDE:
        raise FormatError(f"{quoted(text)} is beyond the range the warehouse holds", clean(text))
    return result


QUOTED_MAX = 60  # characters of a cell a message quotes (a broken quote can make a cell of 64 KiB)


def quoted(text: str) -> str:
    """A cell as a one-line message quotes it: its repr, cut to QUOTED_MAX characters."""
    return repr(text if len(text) <= QUOTED_MAX else text[:QUOTED_MAX] + "...")


def grouped(text: str, fmt: str) -> bool:
    """Whether a number is written with its format's thousands separator (`1,500` in 1,234.50, `1.500` in 1.234,50)."""
    match = NUMBER_FORMATS[fmt][0].match(clean(text))
    return bool(match and match.group(2))


def fitting_number_formats(text: str) -> set[str]:
    value = clean(text)
    return {name for name, (pattern, _, _) in NUMBER_FORMATS.items() if pattern.match(value)}


@dataclass(frozen=True)
class Decision:
    """What was decided for one file and how: `value` is the reading, `how` says from what."""

    value: str
    how: str

    def __str__(self) -> str:
        return f"{self.value} ({self.how})"


def _in_range(value: str, fmt: str) -> bool:
    try:
        _parse_number(value, fmt)
    except FormatError:
        return False
    return True


def decide_number_format(values: Iterable[str], configured: str | None = None) -> Decision:
    """The one number format every non-empty value fits, or whose readings of all values agree.

    Values that fit no format do not vote (their row is refused when read). Several formats that read some
    value differently (`1.500`: 1.5 or 1500) need `number_format` in settings.yaml, else FormatError.
    """
    seen = sorted({clean(v) for v in values} - {""})  # sorted: the example a refusal quotes is always the same
    if not seen:
        return Decision("1,234.50", "no numbers")
    candidates = set(NUMBER_FORMATS)
    votes = 0
    for value in seen:
        fits = fitting_number_formats(value)
        if fits:
            votes += 1
            candidates &= fits
    if votes == 0:
        return Decision("1,234.50", "no readable numbers")
    if not candidates:
        raise _mixed_formats(seen)
    _refuse_year_first(values)
    if len(candidates) == 1:
        decided = next(iter(candidates))
        _refuse_two_orders(values, decided)
        return Decision(decided, "from its values")
    # a value beyond the warehouse's range does not vote either: its own row is refused (found by an auditor: one
    # row of 10^20 hours refused the whole file, stopping every client in it)
    seen = [v for v in seen if all(_in_range(v, name) for name in candidates & fitting_number_formats(v))]
    readings = {name: [_parse_number(v, name) for v in seen if name in fitting_number_formats(v)]
                for name in sorted(candidates)}
    if len({tuple(r) for r in readings.values()}) == 1:
        order = list(NUMBER_FORMATS)
        return Decision(min(candidates, key=order.index), "every format reads its values alike")
    if configured in candidates:
        return Decision(configured, "settings.yaml number_format")
    example = next(v for v in seen if len({_parse_number(v, n) for n in candidates
                                           if n in fitting_number_formats(v)}) > 1)
    readings: dict[Decimal, str] = {}
    for name in NUMBER_FORMATS:  # the first format of each distinct reading, in the table's order
        if name in candidates and name in fitting_number_formats(example):
            readings.setdefault(_parse_number(example, name), name)
    raise FormatError(f"numbers fit more than one format ({example!r} reads as " + " or ".join(
        f"{value.normalize():f} in {name}" for value, name in readings.items()) + "); set number_format: "
        + " or ".join(f'"{name}"' for name in readings.values()) + " in the billing home's settings.yaml", example)


def _mixed_formats(seen: list[str]) -> FormatError:
    """The refusal of a file whose numbers no one format reads: two values no format shares (`'1.5'` only in
    1,234.50 or 1'234.50, `'1,5'` only in 1.234,50 or 1 234,50), the first the cell the reader names."""
    fitting = [(v, fitting_number_formats(v)) for v in seen if fitting_number_formats(v)]
    pair = next(((a, fa, b, fb) for a, fa in fitting for b, fb in fitting if not fa & fb), None)
    if pair is None:
        counts = {name: sum(1 for _, fits in fitting if name in fits) for name in NUMBER_FORMATS}
        return FormatError("numbers in more than one format (" + ", ".join(
            f"{n}: {c} values" for n, c in counts.items() if c) + "); export the file again with one format")
    a, fits_a, b, fits_b = pair
    order = list(NUMBER_FORMATS)
    return FormatError(f"numbers in more than one format ({a!r} reads only as "
                       + " or ".join(sorted(fits_a, key=order.index)) + f", {b!r} only as "
                       + " or ".join(sorted(fits_b, key=order.index)) + "); export the file again with one format", a)


def parse_number(text: str, fmt: str) -> Decimal:
    """A number in the file's decided format; FormatError names the value."""
    try:
        return _parse_number(text, fmt)
    except InvalidOperation:  # pragma: no cover - the patterns admit only digits
        raise FormatError(f"not a number: {quoted(text)}") from None


# ------------------------------------------------------------------------------------------------------ dates
def _date_part(text: str) -> str:
    """The date of a cell that may carry a time (`2026-09-04 09:00`, `2026-09-04T09:00:00Z`)."""
    return _TIME_SUFFIX.sub("", clean(text))


def _order_votes(text: str) -> set[str] | None:
    """The orders a date fits: both, one, or None when it is not a date at all."""
    value = _date_part(text)
    if _YMD.match(value) or _DOTTED_DMY.match(value):
        return set(DATE_ORDERS)
    match = _NN_NN_YYYY.match(value)
    if not match:
        return None
    first, second, year = int(match.group(1)), int(match.group(3)), _year(match.group(4))
    fits = set()
    if _is_date(year, first, second):
        fits.add("month_first")
    if _is_date(year, second, first):
        fits.add("day_first")
    return fits


def _is_date(year: int, month: int, day: int) -> bool:
    """Whether the day exists: "31/04/2026" and "29/02/2026" are no date in either order, so they do not vote (one
    of them turned a month-first file day-first, moving its other rows to other months)."""
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def decide_date_order(values: Iterable[str], configured: str | None = None, *, for_this_file: bool = False
                      ) -> Decision:
    """Month first or day first for `NN/NN/YYYY` dates, from all dates of a file.

    ISO and dotted dates carry their own order. When every slashed date fits both orders (all parts <= 12),
    the billing home's `date_order` decides; without it the file is refused (FormatError names the fix). A
    home-wide order (not one set `for_this_file`) that spreads the dates over more months than the other order
    would (see `_refuse_spread`) is refused too: a US export in a home set for UK files.
    """
    values = list(values)
    slashed = False
    candidates = set(DATE_ORDERS)
    styles = set()
    short_years: set[str] = set()
    for text in values:
        if not clean(text):
            continue
        fits = _order_votes(text)
        if fits is None:
            continue
        value = _date_part(text)
        if match := _NN_NN_YYYY.match(value):
            slashed = True
            candidates &= fits or set(DATE_ORDERS)
            if len(match.group(4)) == 2:
                short_years.add(match.group(4))
        else:
            styles.add("DD.MM.YYYY" if _DOTTED_DMY.match(value) else "YYYY-MM-DD")
    years = sorted(int(y) for y in short_years)
    if len(years) > 2 or (len(years) == 2 and years[1] - years[0] != 1):  # "26/10/05", "26/10/13": YY/MM/DD
        raise FormatError(f"the two-digit years ({', '.join(sorted(short_years)[:4])}) are not one year or two in "
                          "a row: the dates look like YY/MM/DD; export them with four-digit years")
    if not slashed:
        return Decision("iso", " and ".join(sorted(styles)) or "no dates")
    if not candidates:
        raise FormatError("dates fit neither MM/DD/YYYY nor DD/MM/YYYY throughout (some have a first part "
                          "above 12, others a second part above 12)")
    _refuse_year_first(values)
    if len(candidates) == 1:
        decided = next(iter(candidates))
        _refuse_two_orders(values, decided)
        return Decision(decided, "from its values")
    if configured in DATE_ORDERS:
        if not for_this_file:
            _refuse_spread(values, configured)
        return Decision(configured, "settings.yaml date_order")
    raise FormatError("every date fits both MM/DD/YYYY and DD/MM/YYYY (no day above 12); set date_order: "
                      "day_first or month_first in the billing home's settings.yaml")


def _refuse_two_orders(values: list[str], decided: str) -> None:
    """FormatError when the dates that fit both orders, read in the order the others decided, fall away from
    them (more than a month outside their span) while the other order puts them among them: two exports of two
    date orders pasted into one file (US 10/05/2026 beside UK 25/10/2026: 10 May, or 5 October?)."""
    other = next(o for o in DATE_ORDERS if o != decided)
    sure, both = [], []
    for text in values:
        if clean(text) and _NN_NN_YYYY.match(_date_part(text)):
            fits = _order_votes(text) or set()
            (both if len(fits) == 2 else sure).append(text)
    spots = [d.year * 12 + d.month for d in (_parsed_or_none(t, decided) for t in sure) if d is not None]
    if not spots or not both:
        return
    low, high = min(spots) - 1, max(spots) + 1
    for text in both:
        here, there = _parsed_or_none(text, decided), _parsed_or_none(text, other)
        if here is None or there is None:
            continue
        if not low <= here.year * 12 + here.month <= high and low <= there.year * 12 + there.month <= high:
            example = next(t for t in sure)
            raise FormatError(f"dates of two orders: {clean(example)!r} reads only {_ORDER_NAMES[decided]}, and "
                              f"{clean(text)!r} read so falls on {here:%Y-%m-%d}, away from the file's other dates, "
                              f"while {_ORDER_NAMES[other]} puts it among them ({there:%Y-%m-%d}): two exports "
                              "pasted together? Export the file again with one date format")


_ORDER_NAMES = {"day_first": "DD/MM/YYYY", "month_first": "MM/DD/YYYY"}


def _refuse_year_first(values: list[str]) -> None:
    """FormatError when two-digit-year dates read far in the past (2005) but every one of them begins with a
    number that is this year or the next read as a year: YY/MM/DD (`26/10/05`, 5 October 2026), not DD/MM/YY."""
    shorts = [m for text in values if clean(text)
              for m in (_NN_NN_YYYY.match(_date_part(text)),) if m is not None and len(m.group(4)) == 2]
    if not shorts:
        return
    this_year = date.today().year
    if all(this_year - 1 <= 2000 + int(m.group(1)) <= this_year + 1 and 2000 + int(m.group(4)) <= this_year - 5
           for m in shorts):
        raise FormatError(f"the dates look like YY/MM/DD ({shorts[0].group(0)!r}: 20{shorts[0].group(4)} read as "
                          f"DD/MM/YY, 20{shorts[0].group(1)} as YY/MM/DD); export them with four-digit years")


def _months_read(values: list[str], order: str) -> tuple[str, str, int]:
    """The first and last month the file's slashed dates fall in under `order`, and how many months apart."""
    months = sorted({(d.year, d.month) for text in values if clean(text) and _NN_NN_YYYY.match(_date_part(text))
                     for d in (_parsed_or_none(text, order),) if d is not None})
    if not months:
        return "", "", 0
    (y0, m0), (y1, m1) = months[0], months[-1]
    return f"{y0}-{m0:02d}", f"{y1}-{m1:02d}", (y1 - y0) * 12 + m1 - m0


def _parsed_or_none(text: str, order: str) -> date | None:
    """The date, or None for a cell that is no date in that order (its row is refused when it is read)."""
    try:
        return parse_date(text, order)
    except FormatError:
        return None


def _refuse_spread(values: list[str], configured: str) -> None:
    """FormatError when the home's `date_order` spreads the file's dates over two months or more while the other
    order keeps them in one (01/02 and 01/03 of a US export read as February and March, not January 2 and 3),
    over more than two while the other keeps them in two in a row, or over more than four while the other keeps
    them in a quarter (a US export of June-August read as January to December): the file was written the other
    way."""
    other = next(o for o in DATE_ORDERS if o != configured)
    first, last, apart = _months_read(values, configured)
    other_first, other_last, other_apart = _months_read(values, other)
    if (apart > 0 and other_apart == 0) or (apart > 1 and other_apart <= 1) or (apart > 3 and other_apart <= 2):
        within = other_first if other_first == other_last else f"{other_first}..{other_last}"
        raise FormatError(f"the home's date_order {configured} reads these dates from {first} to {last}, "
                          f"{other} within {within}: the file looks written {other}; set its own order in "
                          f"settings.yaml (files: {{<this file>: {{date_order: ...}}}})")


def _year(text: str) -> int:
    """A four-digit year, or a two-digit one of this century (26 -> 2026)."""
    return int(text) if len(text) == 4 else 2000 + int(text)


def parse_date(text: str, order: str) -> date:
    """A date in the file's decided order; FormatError names the value."""
    value = _date_part(text)
    try:
        if match := _YMD.match(value):
            return date(int(match.group(1)), int(match.group(3)), int(match.group(4)))
        if match := _DOTTED_DMY.match(value):
            return date(_year(match.group(3)), int(match.group(2)), int(match.group(1)))
        if (match := _NN_NN_YYYY.match(value)) and order in DATE_ORDERS:
            a, b, year = int(match.group(1)), int(match.group(3)), _year(match.group(4))
            return date(year, a, b) if order == "month_first" else date(year, b, a)
    except ValueError:
        pass
    raise FormatError(f"not a date: {quoted(text)}")


# -------------------------------------------------------------------------------------------------- durations
def seconds_to_hours(seconds: int) -> Decimal:
    """Whole seconds -> hours, quantized to 1e-10 h half-up (1 s = 0.0002777778 h): ten 1:20:00 at 150/h bill
    2,000.00, as the exact hours do (to 0.0001 h they billed 1,999.95)."""
    return (Decimal(seconds) / Decimal(3600)).quantize(HOURS_QUANTUM, rounding=ROUND_HALF_UP)


def duration_kind(text: str) -> str:
    """`H:MM:SS`, `H:MM`, `H:MM:SS AM/PM` or `decimal` (blank counts as decimal)."""
    value = clean(text)
    if _HMS.match(value):
        return "H:MM:SS"
    if _HM.match(value):
        return "H:MM"
    if _HMS_12.match(value):
        return "H:MM:SS AM/PM"
    return "decimal"


def parse_duration(text: str, number_format: str) -> Decimal:
    """Hours of a duration cell: `H:MM:SS`, `H:MM` (to 1e-10 h), the same on a 12-hour clock (`12:20:00 AM`, as
    Toggl's 12-hour time format writes it; its start and end times vouch for each row) or decimal hours."""
    value = clean(text)
    if match := _HMS.match(value) or _HM.match(value):
        h, m, s = (int(part) for part in (*match.groups(), 0)[:3])  # H:MM has no seconds
        if h >= MAX_MAGNITUDE:  # beyond DECIMAL(18, 4); quantizing it raised
            raise FormatError(f"{quoted(text)} is beyond the range the warehouse holds", clean(text))
        return seconds_to_hours(h * 3600 + m * 60 + s)
    if match := _HMS_12.match(value):  # a 12-hour clock: 12 AM is hour 0, 12 PM hour 12
        h, m, s = int(match[1]), int(match[2]), int(match[3] or 0)
        if not 1 <= h <= 12:
            raise FormatError(f"not a duration on a 12-hour clock: {quoted(text)}")
        return seconds_to_hours((h % 12 + (12 if match[4] in "Pp" else 0)) * 3600 + m * 60 + s)
    if ":" in value:
        raise FormatError(f"not an H:MM:SS or H:MM duration: {quoted(text)}")
    return parse_number(value, number_format)


_CLOCK = re.compile(r"(?:^|[T ])(\d{1,2}):([0-5]\d)(?::([0-5]\d))?(?:\.\d+)?\s*([AaPp])?\.?[Mm]?\.?"
                    r"(?:Z|[+-]\d{2}:?\d{2})?$")


def clock_seconds(text: str) -> int | None:
    """Seconds after midnight of a time-of-day cell (`09:20`, `9:20:00 PM`, `2026-10-05T09:20:00+01:00`), or None
    when the cell is no time of day."""
    match = _CLOCK.search(clean(text))
    if not match:
        return None
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if meridiem := (match.group(4) or "").lower():
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    return hour * 3600 + minute * 60 + second if hour < 24 else None


def clock_has_seconds(text: str) -> bool:
    """A time-of-day cell written to the second (`09:20:05`, `9:20:00 PM`, an ISO time), not to the minute."""
    match = _CLOCK.search(clean(text))
    return bool(match and match.group(3) is not None)


def written_decimals(text: str) -> int:
    """How many decimals a number cell was written with (`1.33` and `1,33`: 2; `2`: 0)."""
    match = re.search(r"[.,](\d+)$", clean(text))
    return len(match.group(1)) if match else 0


# ---------------------------------------------------------------------------------------------------- yes / no
def parse_yes_no(text: str) -> bool:
    """Yes/No as the tools write it, in the languages their exports come in."""
    value = clean(text).casefold()
    if value in YES:
        return True
    if value in NO:
        return False
    raise FormatError(f"expected Yes or No, got {quoted(text)}")
