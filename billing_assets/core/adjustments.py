"""Late changes to invoices already sent: the sent month stays as the client received it, and the difference is
carried, once, by the first later month that has not been sent yet."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from billing_assets.core.months import add_months, month_range


@dataclass(frozen=True)
class PeriodAdjustment:
    origin_month: str
    amount: Decimal
    hours: Decimal


def carried_adjustments(month: str, rows: Sequence[dict]) -> list[PeriodAdjustment]:
    """Adjustments month `month` carries. A sent month keeps the adjustments it was sent with (frozen). An
    unsent month carries, for each earlier sent month O whose later months up to this one were all sent,
    what O now prices at minus what was sent for it minus what later sent months already carried for it."""
    if any(r["row_kind"] == "sent" for r in rows):
        return [PeriodAdjustment(r["origin_month"], Decimal(r["carried_amount"]), Decimal(r["carried_hours"]))
                for r in rows if r["row_kind"] == "frozen"]
    result = []
    for r in sorted((r for r in rows if r["row_kind"] == "origin"), key=lambda r: r["origin_month"]):
        between = month_range(add_months(r["origin_month"], 1), add_months(month, -1)) \
            if add_months(r["origin_month"], 1) <= add_months(month, -1) else []
        if not set(between) <= set(r["sent_between"] or []):
            continue  # an unsent month in between is the carrier
        amount = Decimal(r["current_total"]) - Decimal(r["sent_total"]) - Decimal(r["carried_amount"])
        hours = Decimal(r["current_hours"]) - Decimal(r["sent_hours"]) - Decimal(r["carried_hours"])
        if amount or hours:
            result.append(PeriodAdjustment(r["origin_month"], amount, hours))
    return result


def no_carrier(month: str, end: str | None, sent_after: Iterable[str]) -> bool:
    """Whether no month is left to carry sent month `month`'s late change: the engagement ends at `end` and every
    month after `month` up to it was sent (or `month` is its last)."""
    if not end:
        return False
    later = month_range(add_months(month, 1), end) if end > month else []
    return set(later) <= set(sent_after)


def engagement_end(label: str) -> str:
    """The `end` of an engagement window's label ("2026-07..2026-10", "2026-07.." with none: "")."""
    return label.split("..", 1)[1] if ".." in label else ""
