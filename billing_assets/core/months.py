"""Month keys `YYYY-MM`: arithmetic and ranges."""

from __future__ import annotations

import re
from datetime import date, timedelta

MONTH_KEY = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def month_index(month: str) -> int:
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def month_from_index(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def add_months(month: str, n: int) -> str:
    return month_from_index(month_index(month) + n)


def month_range(first: str, last: str) -> list[str]:
    """Inclusive list of months from first to last."""
    return [month_from_index(i) for i in range(month_index(first), month_index(last) + 1)]


def span_text(first: str, last: str) -> str:
    """`--month` of the months first..last: "2026-09", or "2026-09..2026-10" (what `month_span` reads)."""
    return first if first >= last else f"{first}..{last}"


def month_span(text: str) -> list[str]:
    """`YYYY-MM` or `YYYY-MM..YYYY-MM` as its months in order; ValueError saying what is wrong."""
    first, _, last = text.partition("..")
    last = last or first
    if not (MONTH_KEY.fullmatch(first) and MONTH_KEY.fullmatch(last)):
        raise ValueError(f"must be YYYY-MM or YYYY-MM..YYYY-MM, got {text!r}")
    if month_index(last) < month_index(first):
        raise ValueError(f"range {text!r} ends before it starts")
    return month_range(first, last)


def first_day(month: str) -> date:
    year, mon = month.split("-")
    return date(int(year), int(mon), 1)


def first_day_after(month: str) -> date:
    """The invoice date of a month: the first day of the next month."""
    return first_day(add_months(month, 1))


def last_day(month: str) -> date:
    return first_day_after(month) - timedelta(days=1)
