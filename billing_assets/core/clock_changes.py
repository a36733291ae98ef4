"""Whether a time row's written duration can be its clock times (`clock_agrees`), and when they may be an hour
apart: only across a daylight-saving change (the clock read 00:30 to 02:30 on a night it moved back is 3 hours of
work), and never when both times carry their UTC offset (the span is then exact). Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# One zone per set of daylight-saving dates in use: the US and Canada, the EU and UK, Australia, New Zealand,
# Chile, Paraguay, Cuba, Israel, Egypt. A day on which any of them moves its clocks (or the day after, for a time
# zone that meets the change on the next UTC date) allows the hour.
CLOCK_CHANGE_ZONES = ("America/New_York", "Europe/London", "Australia/Sydney", "Pacific/Auckland", "America/Santiago",
                      "America/Asuncion", "America/Havana", "Asia/Jerusalem", "Africa/Cairo")
_OFFSET = re.compile(r"\d:[0-5]\d(?::[0-5]\d)?(?:\.\d+)?\s*(Z|([+-])(\d{2}):?(\d{2}))$")


@cache
def clock_change_days(year: int) -> dict[date, frozenset[int]] | None:
    """The dates of `year` on which a zone of CLOCK_CHANGE_ZONES changes its UTC offset (with the day after each),
    each with what the change adds to a clock span to make the time worked: +3600 where clocks go back (00:30 to
    02:30 is 3 hours), -3600 where they go forward. None when no zone's rules can be read (then every day allows
    either, as before this check)."""
    days: dict[date, set[int]] = {}
    found = False
    for name in CLOCK_CHANGE_ZONES:
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        found = True
        moment = datetime(year - 1, 12, 31, tzinfo=UTC)
        before = moment.astimezone(zone).utcoffset()
        while moment.year <= year:
            moment += timedelta(days=1)
            now = moment.astimezone(zone).utcoffset()
            if now != before and now is not None and before is not None:
                for day in (moment.date() - timedelta(days=1), moment.date()):
                    days.setdefault(day, set()).add(int((before - now).total_seconds()))
            before = now
    return {day: frozenset(shifts) for day, shifts in days.items()} if found else None


def clock_shifts(first: date, last: date) -> frozenset[int]:
    """What a clock change on a day from `first` to `last` (the row's start and end dates) may add to its clock
    span (`clock_change_days`); empty when no clock changes then."""
    shifts: set[int] = set()
    day = first
    while day <= last:
        changes = clock_change_days(day.year)
        shifts |= {3600, -3600} if changes is None else changes.get(day, frozenset())
        day += timedelta(days=1)
    return frozenset(shifts)


def clock_offset(text: str) -> int | None:
    """The UTC offset (seconds) a time cell is written with (`2025-11-03T09:00:00-05:00`: -18000; `...Z`: 0), or
    None when it carries none."""
    match = _OFFSET.search(text.strip())
    if not match:
        return None
    if match.group(1) == "Z":
        return 0
    seconds = int(match.group(3)) * 3600 + int(match.group(4)) * 60
    return -seconds if match.group(2) == "-" else seconds


CLOCK_SLACK = 120  # seconds a duration may differ from clock times written to the minute
REPORT_ROUNDINGS = (300, 360, 600, 720, 900, 1800, 3600, 14400)  # seconds Toggl and Clockify reports round to


def clock_agrees(duration: Decimal, span: int, shifts: frozenset[int] = frozenset({3600, -3600}),
                 to_the_second: bool = False, steps: Sequence[int] = REPORT_ROUNDINGS) -> bool:
    """Whether a duration (seconds) can be its clock span (seconds): the same to the minute; the span rounded up,
    down or to the nearest of a report's rounding steps (5, 6, 10, 12, 15 or 30 minutes, 1 or 4 hours); or the
    span changed by a clock change of the row's days (`shifts`, from `clock_shifts`: an hour more where clocks went
    back, an hour less where they went forward). Clock times written to the minute may hide up to a minute of the
    span either way; written `to_the_second`, the span is exact (09:00:00 to 10:00:00 rounds to no step but 1 h).
    `steps`: the roundings the row's file may have (`file_roundings`)."""
    if abs(duration - span) <= CLOCK_SLACK or any(abs(duration - span - shift) <= CLOCK_SLACK for shift in shifts):
        return True
    hidden = 0 if to_the_second else 60
    for step in steps:
        count = round(duration / step)
        if abs(duration - step * count) <= 1 and (span - hidden) // step <= count <= -(-(span + hidden) // step):
            return True
    return False


def file_roundings(unrounded: Iterable[Decimal]) -> tuple[int, ...]:
    """The report roundings (REPORT_ROUNDINGS) a file may have: those every duration (seconds) of its rows written
    as their clock span is a multiple of. A report rounds all its rows, so a step that one of them is not a multiple
    of rounded none (found by an auditor: a 4-hour step let 04:00:00 stand for 09:00:00 to 09:20:00 in a file whose
    other rows were exact to the second)."""
    found = [d for d in unrounded if d > 0]
    return tuple(step for step in REPORT_ROUNDINGS if all(abs(d - step * round(d / step)) <= 1 for d in found))
