"""Decimal helpers: the spec's round2, per-entry hours rounding, a time line's amount, and hours as shown."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")
ZERO = Decimal("0")
WHOLE_SECONDS_WITHIN = Decimal("1E-7")  # h: durations kept to 1e-10 h each sum this close to their seconds
HOURS_SHOWN = Decimal("0.0001")  # hours are kept to 1e-10 h (a 1:20:00 is 1.3333333333 h) and shown to 0.0001 h


def round2(value: Decimal) -> Decimal:
    """Round half-up to 2 decimals (spec: round2)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def time_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """Step 7's `round2(quantity x unit price)` with the quantity as given: hours within 1e-7 h of whole seconds
    (durations, kept to 1e-10 h each, and whole-second decimal hours) are priced as those seconds exactly, so
    1:20:09 at 150/h is 200.375 -> 200.38, where 1.3358333333 h would give 200.37. Other quantities (0.1234 h is
    444.24 s, at least 0.04 s from a whole second) are priced as they are."""
    seconds = (quantity * 3600).to_integral_value(rounding=ROUND_HALF_UP)
    if abs(quantity - seconds / 3600) > WHOLE_SECONDS_WITHIN:
        return round2(quantity * unit_price)
    exact = Fraction(int(seconds), 3600) * Fraction(unit_price)
    cents = int(abs(exact) * 100 + Fraction(1, 2))  # half-up, away from zero as ROUND_HALF_UP
    return (Decimal(-cents if exact < 0 else cents) / 100).quantize(CENT)


def round_hours(hours: Decimal, increment: Decimal | None, mode: str) -> Decimal:
    """Round one entry's hours: `up` = ceiling to the increment, `nearest` = half-up, `none` = as given."""
    if mode == "none" or not increment:
        return hours
    steps = hours / increment
    rounding = ROUND_CEILING if mode == "up" else ROUND_HALF_UP
    return steps.quantize(Decimal(1), rounding=rounding) * increment


def normalize(value: Decimal) -> Decimal:
    """Drop trailing zeros for display and comparison without changing the value (0E+2 -> 0)."""
    result = value.normalize()
    return result if result != 0 else ZERO


def shown_hours(hours: Decimal) -> Decimal:
    """Hours as a person reads them: half-up to 0.0001 h, trailing zeros dropped (1.3333333333 -> 1.3333, 1.5000 ->
    1.5). For display only: amounts are priced from the hours as kept."""
    return normalize(Decimal(hours).quantize(HOURS_SHOWN, rounding=ROUND_HALF_UP))
