"""The Great Expectations suite of raw time entries: each expectation fails only the client-month whose rows
break it, names the rows, and stays quiet on clean data."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from billing_assets.expectations import RAW_EXPECTATION_CHECKS, raw_entry_suite, validate_in_process

CLEAN = {"client": "acme", "month": "2026-08", "source_file": "time.csv", "entry_id": "h1", "person": "Ana Souza",
         "client_name": "Acme", "entry_month": "2026-08", "hours": Decimal("7.5"), "currency_code": "USD"}
PAIRS = [("acme", "2026-08"), ("globex", "2026-08")]
CURRENCY = {("acme", "2026-08"): "USD", ("globex", "2026-08"): "USD"}


def frame(*broken: dict) -> pd.DataFrame:
    """Two clean rows per client-month, then globex rows with the given fields changed."""
    rows = [CLEAN | {"client": c, "source_row": i, "entry_id": f"h{i}"} for i, c in
            enumerate(["acme", "acme", "globex", "globex"], start=1)]
    rows += [CLEAN | {"client": "globex", "source_row": 10 + i, "entry_id": f"b{i}"} | b for i, b in enumerate(broken)]
    return pd.DataFrame(rows)


def test_suite_is_plain_gx_with_one_expectation_per_rule() -> None:
    suite = raw_entry_suite()
    assert [e.expectation_type for e in suite.expectations] == [
        "expect_column_values_to_not_be_null", "expect_column_values_to_not_be_null",
        "expect_column_pair_values_to_be_equal", "expect_column_values_to_be_between",
        "expect_compound_columns_to_be_unique", "expect_column_pair_values_to_be_equal"]
    assert RAW_EXPECTATION_CHECKS == ("required_fields", "dates_in_month", "hours_in_range", "unique_entry_ids",
                                      "currency_matches")


def test_clean_rows_pass_every_expectation() -> None:
    outcomes = validate_in_process(frame(), PAIRS, CURRENCY)
    assert set(outcomes) == set(PAIRS)
    for by_check in outcomes.values():
        assert {name: o.passed for name, o in by_check.items()} == dict.fromkeys(RAW_EXPECTATION_CHECKS, True)


@pytest.mark.parametrize("broken, check, message", [
    ({"person": None}, "required_fields", "1 entry without a person: time.csv:10"),
    ({"client_name": None}, "required_fields", "1 entry without a client: time.csv:10"),
    ({"entry_month": "2026-09"}, "dates_in_month", "1 entry dated outside 2026-08: time.csv:10 (2026-09)"),
    ({"hours": Decimal("-0.25")}, "hours_in_range",
     "1 entry without positive hours, or over a billion: time.csv:10 (-0.25 h)"),
    ({"hours": Decimal("0")}, "hours_in_range", "1 entry without positive hours, or over a billion: time.csv:10 (0 h)"),
    ({"entry_id": "h3"}, "unique_entry_ids", "2 rows share an entry id: h3"),
    ({"currency_code": "EUR"}, "currency_matches",
     "1 entry in a currency other than the contract's USD: time.csv:10 (EUR)"),
])
def test_each_expectation_fails_only_the_client_month_it_finds(broken: dict, check: str, message: str) -> None:
    outcomes = validate_in_process(frame(broken), PAIRS, CURRENCY)
    assert all(o.passed for o in outcomes[("acme", "2026-08")].values())
    failed = {name: o for name, o in outcomes[("globex", "2026-08")].items() if not o.passed}
    assert list(failed) == [check]
    assert failed[check].message == message


def test_boundaries_and_blank_currency_pass() -> None:
    outcomes = validate_in_process(frame({"hours": Decimal("24")}, {"hours": Decimal("0.0001")},
                                          {"currency_code": None}), PAIRS, CURRENCY)
    assert all(o.passed for by in outcomes.values() for o in by.values())


def test_both_required_fields_missing_reads_as_one_failure_with_both_reasons() -> None:
    outcome = validate_in_process(frame({"person": None}, {"client_name": None}), PAIRS, CURRENCY)[
        ("globex", "2026-08")]["required_fields"]
    assert not outcome.passed
    assert outcome.message == ("1 entry without a person: time.csv:10; 1 entry without a client: time.csv:11")


def test_a_missing_column_is_an_error_not_a_pass() -> None:
    with pytest.raises(RuntimeError, match=r"ExpectColumnValuesToBeBetween \(hours_in_range\) failed without naming "
                                           r"rows: .*hours"):
        validate_in_process(frame().drop(columns=["hours"]), PAIRS, CURRENCY)


def test_a_client_month_without_rows_passes() -> None:
    outcomes = validate_in_process(frame().iloc[0:0], PAIRS, CURRENCY)
    assert all(o.passed for by in outcomes.values() for o in by.values())
