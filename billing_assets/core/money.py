"""Decimal helpers: the spec's round2 and per-entry hours rounding."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")


def round2(value: Decimal) -> Decimal:
    """Round half-up to 2 decimals (spec: round2)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


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
