"""An amount the warehouse cannot hold stops its own client-month with a message naming the contract, instead of
an insert that aborts the transaction of every client priced with it (the contract limits keep rates far below
this; the guard is for what passes them)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing_assets.price import WAREHOUSE_LIMIT, TooLarge, _fits_the_warehouse


def tables(total: Decimal) -> dict[str, list]:
    return {"invoices": [("acme", "2026-10", "USD", total, Decimal(0), Decimal(0), Decimal(0), total, Decimal(10),
                          Decimal(0), Decimal(0), "ready", "hash")],
            "invoice_lines": [("acme", "2026-10", 1, "hourly", "Work", None, "", "", "standard", Decimal(10),
                               total / 10, total)]}


def test_an_invoice_beyond_decimal_18_4_is_refused_naming_the_contract() -> None:
    with pytest.raises(TooLarge) as refused:
        _fits_the_warehouse(tables(WAREHOUSE_LIMIT * 3), "acme.yaml")
    assert str(refused.value) == ("contracts/acme.yaml: an amount of 3.00E+14 on the invoice is beyond what the "
                                  "warehouse holds (1E+14); check the contract's rates and amounts, and the month's "
                                  "hours (hours_in_range names an entry of a billion hours or more)")


def test_the_largest_amount_the_warehouse_holds_passes() -> None:
    _fits_the_warehouse(tables(WAREHOUSE_LIMIT - Decimal("0.0001")), "acme.yaml")  # raises nothing
    assert isinstance(TooLarge("x"), ArithmeticError)  # caught beside decimal's own errors in priced_line_items
