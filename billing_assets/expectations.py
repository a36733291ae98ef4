"""Great Expectations 1.x table expectations on raw time entries (no Dagster here).

One GX validation runs over a whole chunk of client-months (a pandas DataFrame with `client` and `month`
columns); each expectation's unexpected rows (COMPLETE result format, indexed by client, month, source file and
row) are mapped back to the client-month they belong to, so each partition gets its own pass/fail and message.
GX is imported on first use: the import costs seconds, and only the raw-entry checks need it.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from billing_assets.core.quality import CheckOutcome, counted, fail, listing, ok

if TYPE_CHECKING:
    import pandas as pd

Pair = tuple[str, str]  # (client, month)
INDEX_COLUMNS = ["client", "month", "source_file", "source_row"]
MAX_HOURS = 10**9  # an entry over 24 h is held for review (implausible_hours), not a blocked month


@dataclass(frozen=True, eq=False)  # hashed by identity: the kwargs dict is not hashable
class RawExpectation:
    """One check name, the GX expectation that implements it, and how a failing row reads."""

    check: str
    kind: str  # the GX expectation class name
    kwargs: dict[str, Any]
    row_text: str  # format of one failing row: fields of the unexpected index entry
    failure: str  # format of the message: {count}, {entries} ("1 entry", "3 entries"), {month}, {rows}
    passing: str


RAW_EXPECTATIONS = (
    RawExpectation("required_fields", "ExpectColumnValuesToNotBeNull", {"column": "person"},
                   "{source_file}:{source_row}", "{entries} without a person: {rows}",
                   "every entry has a date, client, person and hours"),
    RawExpectation("required_fields", "ExpectColumnValuesToNotBeNull", {"column": "client_name"},
                   "{source_file}:{source_row}", "{entries} without a client: {rows}",
                   "every entry has a date, client, person and hours"),
    RawExpectation("dates_in_month", "ExpectColumnPairValuesToBeEqual",
                   {"column_A": "entry_month", "column_B": "month"},
                   "{source_file}:{source_row} ({entry_month})", "{entries} dated outside {month}: {rows}",
                   "all entries dated in {month}"),
    RawExpectation("hours_in_range", "ExpectColumnValuesToBeBetween",
                   {"column": "hours", "min_value": 0, "max_value": MAX_HOURS, "strict_min": True},
                   "{source_file}:{source_row} ({hours} h)",
                   "{entries} without positive hours, or over a billion: {rows}",
                   "all entries have positive hours (over 24 h are held for review)"),
    RawExpectation("unique_entry_ids", "ExpectCompoundColumnsToBeUnique",
                   {"column_list": ["client", "month", "entry_id"]},
                   "{entry_id}", "{count} rows share an entry id: {rows}", "entry ids are unique"),
    RawExpectation("currency_matches", "ExpectColumnPairValuesToBeEqual",
                   {"column_A": "currency_code", "column_B": "contract_currency",
                    "ignore_row_if": "either_value_is_missing"},
                   "{source_file}:{source_row} ({currency_code})",
                   "{entries} in a currency other than the contract's {contract_currency}: {rows}",
                   "currency as the contract says"),
)
RAW_EXPECTATION_CHECKS = tuple(dict.fromkeys(e.check for e in RAW_EXPECTATIONS))


@cache
def _batch_definition() -> Any:
    """An ephemeral GX context with one pandas dataframe asset; built once per process."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    import tqdm
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # GX still creates (disabled) tqdm bars, and tqdm's first bar starts a monitor thread, not needed without
    # visible bars.
    tqdm.tqdm.monitor_interval = 0

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("billing").add_dataframe_asset("raw_time_entries")
    return asset.add_batch_definition_whole_dataframe("client_month_chunk")


@cache
def raw_entry_suite() -> Any:
    """The GX expectation suite of the raw time entries (one expectation per row of RAW_EXPECTATIONS)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    expectations = []
    for number, spec in enumerate(RAW_EXPECTATIONS):
        expectation = getattr(gxe, spec.kind)(**spec.kwargs)
        expectation.meta = {"check": spec.check, "spec": number}  # results do not keep the suite's order
        expectations.append(expectation)
    return gx.ExpectationSuite(name="raw_time_entries", expectations=expectations)


def validate_in_process(frame: pd.DataFrame, pairs: Sequence[tuple[str, str]],
                         contract_currency: dict[tuple[str, str], str]) -> dict[Pair, dict[str, CheckOutcome]]:
    """Validate one chunk's raw entries with GX; one CheckOutcome per (client, month) and check name.

    `frame` holds the columns named in RAW_EXPECTATIONS plus INDEX_COLUMNS; `contract_currency` gives each
    client-month's contract currency (joined in here, since contracts are YAML, not tables)."""
    frame = frame.assign(contract_currency=[contract_currency[(c, m)] for c, m in
                                            zip(frame["client"], frame["month"], strict=True)])
    failing: dict[tuple[str, str], dict[RawExpectation, list[dict]]] = defaultdict(lambda: defaultdict(list))
    if len(frame):
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(raw_entry_suite(), result_format={
            "result_format": "COMPLETE", "unexpected_index_column_names": INDEX_COLUMNS,
            "partial_unexpected_count": 0, "return_unexpected_index_query": False})
        for outcome in result.results:
            spec = RAW_EXPECTATIONS[outcome.expectation_config.meta["spec"]]
            rows = outcome.result.get("unexpected_index_list") or []
            if not outcome.success and not rows:  # e.g. a missing column: GX records the error, finds no rows
                raise RuntimeError(f"GX expectation {spec.kind} ({spec.check}) failed without naming rows: "
                                   f"{_exception_messages(outcome.exception_info)}")
            for row in rows:
                failing[(row["client"], row["month"])][spec].append(row)
    return {pair: _outcomes(pair, failing.get(pair, {}), contract_currency[pair]) for pair in pairs}


def _exception_messages(info: dict | None) -> str:
    """GX 1.x keeps exceptions per metric ({metric id: {exception_message, ...}}) or, older, at the top."""
    if not info:
        return "no exception recorded"
    found = [info] if "exception_message" in info else [v for v in info.values() if isinstance(v, dict)]
    return "; ".join(str(v.get("exception_message")) for v in found) or "no exception recorded"


def _outcomes(pair: tuple[str, str], failing: dict[RawExpectation, list[dict]],
              contract_currency: str) -> dict[str, CheckOutcome]:
    """Each check of one client-month: failed when any of its expectations found a row."""
    outcomes: dict[str, CheckOutcome] = {}
    for spec in RAW_EXPECTATIONS:
        rows = failing.get(spec, [])
        fields = {"month": pair[1], "contract_currency": contract_currency}
        if rows:
            texts = sorted({spec.row_text.format(**{**row, **fields}) for row in rows})
            message = spec.failure.format(count=len(rows), entries=counted(len(rows), "entry", "entries"),
                                          rows=listing(texts), **fields)
            previous = outcomes.get(spec.check)
            if previous is not None and not previous.passed:
                message = f"{previous.message}; {message}"
            outcomes[spec.check] = fail(message, rows=len(rows), expectation=spec.kind)
        elif spec.check not in outcomes:
            outcomes[spec.check] = ok(spec.passing.format(**fields), expectation=spec.kind)
    return outcomes
