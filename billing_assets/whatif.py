"""What-if backtests (`billing whatif` and the `whatif` job): a changed contract priced over a client's stored
classified entries, compared with the real invoices. Reads the warehouse only; never writes a table, pushes or
touches the outbox. The pricing itself is `core.whatif`."""


import json
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from dagster import Config as DagsterConfig
from dagster import Failure, MetadataValue, Nothing, OpExecutionContext, Out, Output, job, op

from billing_assets.core.adjustments import PeriodAdjustment
from billing_assets.core.contract import CLIENT_SLUG, ContractFile, contract_paths
from billing_assets.core.contract_checks import load_yaml
from billing_assets.core.engagement import engagement_window
from billing_assets.core.errors import BillingInputError, ContractError
from billing_assets.core.model import InvoiceLine
from billing_assets.core.money import ZERO, shown_hours
from billing_assets.core.months import month_range, month_span
from billing_assets.core.whatif import (
    MonthInputs,
    MonthReport,
    backtest,
    classification_notes,
    matching_notes,
    not_closed_yet,
    outside_report,
    report_json,
)
from billing_assets.environment import build_warehouse
from billing_assets.price import _pricing_entries
from billing_assets.settings import billing_db, firm_now
from billing_assets.tables import expense_from_row, markdown_table
from resources.home import BillingHome
from resources.timesource import TimeSource
from resources.warehouse import Warehouse, WarehouseConnection, query, rows_by_partition


class ScenarioContractFile(ContractFile):
    """A changed contract under any file name: its `client:` names the client (no file-stem rule); validated
    exactly like a contract in the billing home."""

    def _load(self) -> dict[str, Any]:
        data = load_yaml(self.path, self.label)
        if not isinstance(data, dict):
            raise ContractError([f"{self.label}: (top level): must be a mapping"])
        client = data.get("client")
        if not isinstance(client, str) or not CLIENT_SLUG.fullmatch(client):
            raise ContractError([f"{self.label}: client: must name the client (a slug such as acme), got {client!r}"])
        return data


@contextmanager
def reading() -> Iterator[WarehouseConnection]:
    """The warehouse (DuckDB file or PostgreSQL, as BILLING_DB says) for reading; an error when nothing was ever
    closed (a DuckDB close holding the file is waited for, like a run)."""
    warehouse = build_warehouse()
    if not warehouse.exists():
        raise BillingInputError(f"{billing_db()}: no warehouse yet; close some months first "
                                "(billing close --month ...)")
    with warehouse.connect() as conn:
        yield conn


def _month_inputs(conn: WarehouseConnection, pairs: list[tuple[str, str]]) -> dict[str, MonthInputs]:
    entries = rows_by_partition(conn, "pricing_entries", pairs)
    expenses = rows_by_partition(conn, "raw_expenses", pairs)
    adjustments = rows_by_partition(conn, "adjustment_rows", pairs)
    invoices = rows_by_partition(conn, "invoice_rows", pairs)
    lines = rows_by_partition(conn, "line_rows", pairs)
    result = {}
    for pair in pairs:
        invoice = invoices.get(pair)
        result[pair[1]] = MonthInputs(
            entries=_pricing_entries(entries.get(pair, [])),
            expenses=[expense_from_row(r) for r in expenses.get(pair, [])],
            adjustments=[PeriodAdjustment(r["origin_month"], Decimal(r["amount"]), Decimal(r["hours"]))
                         for r in sorted(adjustments.get(pair, []), key=lambda r: r["origin_month"])],
            current_total=Decimal(invoice[0]["total"]) if invoice else None,
            current_lines=[line_from_row(r) for r in lines.get(pair, [])],
            current_currency=invoice[0]["currency"] if invoice else None)
    return result


def line_from_row(row: dict) -> InvoiceLine:
    return InvoiceLine(row["line_no"], row["kind"], row["description"], row["sow_item"], row["project"], row["role"],
                       row["work_type"], Decimal(row["quantity"]), Decimal(row["unit_price"]), Decimal(row["amount"]))


def whatif_reports(conn: WarehouseConnection, scenario: ContractFile, months: list[str],
                   client: str | None = None, unclosed: Collection[str] = ()) -> list[MonthReport]:
    """Reports for `months` of the scenario's client. Pricing starts at the engagement's first month under the
    changed contract (its `start`, else the client's first month with data in the warehouse) so that retainer
    lots and lifetime caps chain under the changed terms. `unclosed`: the client's months never priced whose
    exports hold billable rows (`unclosed_months`; they count as months with data for the engagement's start): no
    stored classification prices them, so they show no what-if total, and the months priced after them say so."""
    if client and client != scenario.client:
        raise BillingInputError(f"{scenario.label}: client: the contract is for {scenario.client!r}, "
                                f"not --client {client!r}")
    client = scenario.client
    data_months = [*(r["month"] for r in query(conn, "client_data_months", {"client": client})), *unclosed]
    window = engagement_window(scenario, data_months)
    priced = [m for m in month_range(window.start, months[-1]) if window.contains(m)] \
        if window.start is not None and window.start <= months[-1] else []
    inputs = _month_inputs(conn, [(client, m) for m in sorted(set(priced) | set(months))])
    found = {r.month: r for r in backtest(client, scenario.for_month, priced, months[0], inputs)}
    reports = [found.get(m) or outside_report(client, m, inputs.get(m, MonthInputs()), window.outside_message(m))
               for m in months]
    gaps = sorted(m for m in unclosed if m in priced)
    return [_unclosed_report(r, gaps) if gaps and r.month >= gaps[0] and r.whatif_currency else r for r in reports]


def _unclosed_report(report: MonthReport, gaps: list[str]) -> MonthReport:
    """A month the what-if cannot price right: never closed itself (no what-if total), or priced after one (its
    retainer lots and caps chain through a month priced without its time)."""
    if report.month in gaps:
        return replace(report, whatif_total=None, whatif_currency=None, lines=[], problems=[
            *report.problems, f"{report.month} has no priced invoice here, yet its exports hold billable time: the "
                              f"what-if prices the stored classification, so close {report.month} first"])
    before = [m for m in gaps if m < report.month]
    return replace(report, problems=[*report.problems, f"priced after {', '.join(before)}, not priced here: "
                                                       "retainer lots and caps carried from there lack its time"])


def unclosed_months(time_source: TimeSource, home: BillingHome, warehouse: Warehouse, client: str,
                    months: list[str]) -> set[str]:
    """The client's months from its first priced month to the last of `months` that were never closed here and
    whose exports hold billable rows (`export_changes.never_closed`)."""
    from billing_assets.export_changes import never_closed, source_for_reading

    if not warehouse.exists():  # `reading` says so
        return set()
    with warehouse.connect() as conn:
        priced = sorted(r["month"] for r in query(conn, "priced_months") if r["client"] == client)
    first = min([*priced[:1], *months])
    pairs = [(client, m) for m in month_range(first, months[-1])]
    return {m for _, m in never_closed(source_for_reading(time_source), home, warehouse, pairs, engagement=False)}


def scenario_notes(home: Path, scenario: ContractFile, month: str) -> list[str]:
    """Notes on what the what-if cannot show, against the client's real contract: classification-only changes,
    and changes of the names that match export rows or of the currency."""
    paths = contract_paths(home / "contracts").get(scenario.client, [])
    if len(paths) != 1:
        return [f"no single contracts/{scenario.client}.yaml in {home} to compare with"]
    try:
        real = ContractFile(paths[0])
    except ContractError:
        return [f"contracts/{paths[0].name} does not validate; classification changes not compared"]
    real_terms, changed_terms = real.for_month(month), scenario.for_month(month)
    return classification_notes(real_terms, changed_terms) + matching_notes(real_terms, changed_terms)


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _qty(value: Decimal) -> str:
    return f"{shown_hours(value):f}"


def print_reports(reports: list[MonthReport]) -> None:
    """The text report: per month the totals, the moved lines and any problem. When a month's invoice and what-if
    are in different currencies every month shows its currencies, and those months show no difference."""
    mixed = any(r.currencies_differ for r in reports)

    def code(currency: str | None) -> str:
        return f" {currency}" if mixed and currency else ""

    for r in reports:
        current = "no invoice priced" if r.current_total is None else \
            f"current {_money(r.current_total)}{code(r.current_currency)}"
        diff = "" if r.difference is None else f"  difference {r.difference:+,.2f}"
        if r.currencies_differ:
            diff = f"  not compared: {r.current_currency} invoice, {r.whatif_currency} what-if"
        print(f"{r.client} {r.month}: {current}  what-if {_money(r.whatif_total)}{code(r.whatif_currency)}{diff}")
        for c in r.lines:
            print(f"  {c.kind:<18} {c.description[:48]:<48} qty {_qty(c.current_quantity):>6} -> "
                  f"{_qty(c.whatif_quantity):<6} amount {_money(c.current_amount):>10} -> {_money(c.whatif_amount)}")
        for problem in r.problems:
            print(f"  problem: {problem}")
    known = [r for r in reports if r.difference is not None]
    if known:
        total = sum((r.difference for r in known if r.difference is not None), ZERO)
        print(f"total difference over {len(known)} invoiced month(s): {total:+,.2f}")


def reports_json(reports: list[MonthReport]) -> str:
    return json.dumps([report_json(r) for r in reports], indent=2)


# --- the Dagster job -------------------------------------------------------------------------------------------


class WhatIfConfig(DagsterConfig):
    """Launch config: the changed contract (a path, relative to the billing home, or its YAML text) and months."""

    months: str  # YYYY-MM or YYYY-MM..YYYY-MM
    contract_path: str = ""
    contract_yaml: str = ""
    client: str = ""


def parse_span(text: str) -> list[str]:
    """The job's `months`, read as `billing --month` reads it: as written (no spaces), closed months only."""
    try:
        months = month_span(text)
    except ValueError:
        raise BillingInputError(f"months: must be YYYY-MM or YYYY-MM..YYYY-MM (first <= last), got {text!r}") from None
    if problem := not_closed_yet(months, firm_now()):
        raise BillingInputError(f"months: {problem}")
    return months


def _scenario(config: WhatIfConfig, home_root: Path, scratch: Path) -> ScenarioContractFile:
    if bool(config.contract_path) == bool(config.contract_yaml):
        raise BillingInputError("config: give exactly one of contract_path and contract_yaml")
    if config.contract_path:
        path = Path(config.contract_path)
        return ScenarioContractFile(path if path.is_absolute() else home_root / path, config.contract_path)
    scratch.write_text(config.contract_yaml, encoding="utf-8")
    return ScenarioContractFile(scratch, "contract_yaml")


def report_metadata(reports: list[MonthReport]) -> dict[str, Any]:
    """Run metadata: totals, a table per month of the moved lines, and the JSON report."""
    metadata: dict[str, Any] = {"client": reports[0].client if reports else "",
                                "months": MetadataValue.md(markdown_table(
                                    ("month", "current", "what-if", "difference", "problems"),
                                    [(r.month, _money(r.current_total), _money(r.whatif_total),
                                      "-" if r.difference is None else f"{r.difference:+,.2f}", len(r.problems))
                                     for r in reports]))}
    known = [r.difference for r in reports if r.difference is not None]
    metadata["total_difference"] = f"{sum(known, ZERO):.2f}"
    for r in reports:
        metadata[f"lines {r.month}"] = MetadataValue.md(markdown_table(
            ("kind", "description", "qty now", "qty what-if", "amount now", "amount what-if"),
            [(c.kind, c.description, _qty(c.current_quantity), _qty(c.whatif_quantity), _money(c.current_amount),
              _money(c.whatif_amount)) for c in r.lines]) + "".join(f"\n\n- {p}" for p in r.problems))
    metadata["report"] = MetadataValue.json([report_json(r) for r in reports])
    return metadata


@op(required_resource_keys={"warehouse", "home", "time_source"}, out=Out(Nothing))
def whatif_backtest(context: OpExecutionContext, config: WhatIfConfig):
    """Price the months under the changed contract from the stored classified entries and report the differences
    with the real invoices (run metadata). Reads the warehouse; writes nothing."""
    import tempfile

    try:
        months = parse_span(config.months)
        with tempfile.TemporaryDirectory() as scratch:
            scenario = _scenario(config, context.resources.home.root, Path(scratch) / "contract.yaml")
        unclosed = unclosed_months(context.resources.time_source, context.resources.home,
                                   context.resources.warehouse, scenario.client, months)
        with context.resources.warehouse.connect() as conn:
            reports = whatif_reports(conn, scenario, months, config.client or None, unclosed)
    except ContractError as exc:
        raise Failure("\n".join(exc.problems)) from None
    except BillingInputError as exc:
        raise Failure(str(exc)) from None
    notes = scenario_notes(context.resources.home.root, scenario, months[-1])
    for note in notes:
        context.log.warning(note)
    for r in reports:
        context.log.info(f"{r.client} {r.month}: current {_money(r.current_total)} what-if {_money(r.whatif_total)}")
    yield Output(None, metadata=report_metadata(reports) | {"notes": MetadataValue.md(
        "\n".join(f"- {n}" for n in notes) or "none")})


@job(description="What-if backtest: a changed contract (config contract_path or contract_yaml, months) priced over "
                 "a client's stored entries and compared with the real invoices. Writes nothing.")
def whatif() -> None:
    whatif_backtest()
