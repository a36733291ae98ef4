"""Pricing: the contract applied to the clean entries of a client-month (spec sections 4 and 5)."""


from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from dagster import (
    AssetDep,
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    MaterializeResult,
    MetadataValue,
    asset,
)

from billing_assets import status
from billing_assets.classify import classified_time_entries
from billing_assets.common import (
    client_chunks,
    hours_text,
    money,
    not_active_metadata,
    partition_metadata,
    run_partitions,
)
from billing_assets.core.adjustments import carried_adjustments
from billing_assets.core.cap_history import cap_history_problem
from billing_assets.core.contract import Contract
from billing_assets.core.errors import BillingInputError
from billing_assets.core.invoice_hash import invoice_content_hash
from billing_assets.core.model import Expense, nothing_to_bill
from billing_assets.core.money import shown_hours
from billing_assets.core.months import add_months, month_index
from billing_assets.core.parsed import entry_reading, expense_reading
from billing_assets.core.pricing import (
    InvoiceTotals,
    LedgerState,
    Lot,
    PricingEntry,
    PricingResult,
    ledger_text,
    needs_prior_month,
    price_month,
)
from billing_assets.core.qbo_settings import settings_hash_part
from billing_assets.core.quality import export_row, person_and_roles
from billing_assets.export_changes import changed_contracts
from billing_assets.ingest import ASSET_DEFAULTS, WAREHOUSE_KIND, raw_expenses
from billing_assets.overview import months_to_close, overview_materialization, sent_repriced_text, stale_reason
from billing_assets.partitions import client_month_key, previous_month_mapping
from billing_assets.tables import expense_from_row, markdown_table
from resources.home import BillingHome
from resources.timesource import TimeSource
from resources.warehouse import (
    Warehouse,
    WarehouseConnection,
    query,
    query_keyed,
    replace_partitions,
    rows_by_partition,
)

LINE_COLUMNS = ("client", "month", "line_no", "kind", "description", "sow_item", "project", "role", "work_type",
                "quantity", "unit_price", "amount")
INVOICE_COLUMNS = ("client", "month", "currency", "fees", "discount", "minimum_adjustment", "expenses", "total",
                   "hours_billed", "hours_covered", "hours_held", "status", "content_hash", "priced_from", "leaves")
LINE_ENTRY_COLUMNS = ("client", "month", "line_no", "entry_id", "hours")
RETAINER_COLUMNS = ("client", "month", "origin_month", "hours_available", "hours_used", "hours_expired",
                    "hours_carried")
CAP_COLUMNS = ("client", "month", "cap_name", "charges", "adjustment", "billed_to_date")
OUTCOME_COLUMNS = ("client", "month", "entry_id", "outcome", "source_hours", "billed_hours", "reason", "reading")
ADJUSTMENT_COLUMNS = ("client", "month", "origin_month", "amount", "hours")
PRICED_EXPENSE_COLUMNS = ("client", "month", "expense_id", "reading")


def _prior_states(conn: WarehouseConnection, pairs: list[tuple[str, str]]) -> dict:
    """{(client, month): LedgerState | None}: None when month-1 was never priced."""
    found: dict[tuple[str, str], dict] = defaultdict(lambda: {"priced": False, "lots": [], "caps": {}})
    for row in query_keyed(conn, "prior_ledgers", pairs, prev_month=[add_months(m, -1) for _, m in pairs]):
        state = found[(row["client"], row["month"])]
        if row["row_kind"] == "invoice":
            state["priced"] = True
        elif row["row_kind"] == "lot":
            state["lots"].append(Lot(row["name"], Decimal(row["hours"])))
        else:
            state["caps"][row["name"]] = Decimal(row["hours"])
    return {pair: LedgerState(tuple(s["lots"]), s["caps"]) if s["priced"] else None for pair, s in found.items()}


def _history_start(conn: WarehouseConnection, time_source: TimeSource, home: BillingHome,
                   client: str, month: str, start: str) -> str | None:
    """The earliest month of the engagement with priced invoices or source time for the client, or the
    engagement's `start`, if before `month`: a month after `start` is never its engagement's first, even with no
    time before it (its quiet months leave retainer lots and cap totals too)."""
    firsts = {r["client"]: r["first_month"] for r in query(conn, "earliest_priced_month")}
    candidates = [firsts[client]] if client in firsts else []
    if start:
        candidates.append(start)
    if time_source.full_history:
        contract = home.contract_file(client).for_month(month)
        names = contract.names
        entries_by_key, _ = time_source.load([month]).grouped()
        candidates += [m for (name, m) in entries_by_key if name in names]
    earlier = [m for m in candidates if month_index(m) < month_index(month) and (not start or m >= start)]
    return min(earlier) if earlier else None


def _pricing_entries(rows: list[dict]) -> list[PricingEntry]:
    return [PricingEntry(r["entry_id"], r["project"], r["person"], r["roles"], Decimal(r["hours"]), r["work_type"],
                         r["sow_item"], held=bool(r["held"]), write_off=r["action"] == "write_off",
                         reasons=r["review_reasons"]) for r in rows]


WAREHOUSE_LIMIT = Decimal(10) ** 14  # DECIMAL(18, 4) holds less; an insert beyond it aborts the whole chunk


class TooLarge(ArithmeticError):
    """A priced amount the warehouse's DECIMAL(18, 4) cannot hold (the message names the contract file)."""


def _fits_the_warehouse(rows_of: dict[str, list], contract_label: str) -> None:
    """TooLarge when an invoice or line amount is beyond DECIMAL(18, 4): a contract rate of 10^13 passes every
    check of its own, then a month's hours make the total overflow, and the insert would fail every client of the
    chunk with a database error naming nobody."""
    for table in ("invoices", "invoice_lines"):
        for row in rows_of[table]:
            big = next((v for v in row if isinstance(v, Decimal) and abs(v) >= WAREHOUSE_LIMIT), None)
            if big is not None:
                raise TooLarge(f"contracts/{contract_label}: an amount of {big:.2E} on the invoice is beyond what "
                               f"the warehouse holds ({WAREHOUSE_LIMIT:.0E}); check the contract's rates and amounts, "
                               "and the month's hours (hours_in_range names an entry of a billion hours or more)")


def priced_from(contract: Contract, month: str, prior: LedgerState | None) -> str:
    """`<month-1>|<ledger_text>` of the ledgers the month was priced from; "" when its price does not depend on
    month-1 (no rollover, no lifetime cap). The engagement's first month is priced from empty ledgers: when the
    engagement later begins earlier (`start` moved back, a late row in an earlier month), month-1 leaves lots, and
    the month is stale."""
    if not needs_prior_month(contract, month):
        return ""
    return f"{add_months(month, -1)}|{ledger_text(prior)}"


def _readings(rows: list[dict]) -> dict[str, str]:
    """Each pricing entry's `entry_reading` (Billable?, Roles, currency as read), kept beside its outcome."""
    return {r["entry_id"]: entry_reading(bool(r["billable"]), r["roles"], r["currency"]) for r in rows}


def _table_rows(client: str, month: str, contract: Contract, result: PricingResult, source: str,
                expenses: list[Expense], readings: dict[str, str]) -> dict[str, list]:
    t = result.totals
    content_hash = invoice_content_hash(result.lines, t.total, settings_hash_part(contract.quickbooks))
    status = "needs_review" if t.hours_held > 0 else "ready"
    return {
        "invoice_lines": [(client, month, ln.line_no, ln.kind, ln.description, ln.sow_item, ln.project, ln.role,
                           ln.work_type, ln.quantity, ln.unit_price, ln.amount) for ln in result.lines],
        "invoices": [(client, month, contract.currency, t.fees, t.discount, t.minimum_adjustment, t.expenses, t.total,
                      t.hours_billed, t.hours_covered, t.hours_held, status, content_hash, source,
                      ledger_text(result.carried()))],
        "line_entries": [(client, month, line_no, entry_id, hours) for line_no, entry_id, hours in result.line_entries],
        "retainer_ledger": [(client, month, r.origin_month, r.hours_available, r.hours_used, r.hours_expired,
                             r.hours_carried) for r in result.retainer_ledger],
        "cap_ledger": [(client, month, r.cap_name, r.charges, r.adjustment, r.billed_to_date)
                       for r in result.cap_ledger],
        "entry_outcomes": [(client, month, o.entry_id, o.outcome, o.source_hours, o.billed_hours, o.reason,
                            readings.get(o.entry_id)) for o in result.outcomes],
        "priced_expenses": [(client, month, x.expense_id, expense_reading(x)) for x in expenses],
    }


@asset(group_name="price", kinds={WAREHOUSE_KIND},
       deps=[classified_time_entries, raw_expenses,
             AssetDep("priced_line_items", partition_mapping=previous_month_mapping)],
       **ASSET_DEFAULTS)
def priced_line_items(context: AssetExecutionContext, home: BillingHome, time_source: TimeSource,
                      warehouse: Warehouse) -> MaterializeResult:
    """Invoice lines, invoice totals, line provenance and the retainer and cap ledgers of the client-month:
    hours rounded, fixed fees, base rates, retainer lots (rollover from month M-1), tiers, caps, discount,
    minimum and marked-up expenses, exactly as BILLING_SPEC section 4 says, in Decimal."""
    with warehouse.held_open():  # one opening of the file for the step's reads and writes
        all_pairs = run_partitions(context)
        with warehouse.connect() as conn:
            states = status.recorded(conn, all_pairs)
        pairs = [p for p in all_pairs if states[p].state == status.ACTIVE]
        others = {p: s for p, s in states.items() if s.state != status.ACTIVE}
        details: dict[tuple[str, str], tuple[InvoiceTotals, str, PricingResult]] = {}
        problems: dict[tuple[str, str], str] = {}
        held_rows: dict[tuple[str, str], dict[str, dict]] = {}  # the export rows of held entries, for the page
        with warehouse.connect() as conn:
            replace_partitions(conn, status.clearable(others), {t: (cols, []) for t, cols in _COLUMNS.items()}
                               | {"pricing_problems": (("client", "month", "problem"), [])})
            for chunk in client_chunks(pairs):
                tables: dict[str, list] = defaultdict(list)
                entries = rows_by_partition(conn, "pricing_entries", chunk)
                expenses = rows_by_partition(conn, "raw_expenses", chunk)
                priors = _prior_states(conn, chunk)
                # month-1 priced under terms its contract no longer has (not priced again in this run): its ledgers
                # are not the ones to start from (found by an auditor: a backfill's October run priced before its
                # September run, from September's ledgers of before an amendment, and pushed that draft)
                earlier = [(c, add_months(m, -1)) for c, m in chunk if (c, add_months(m, -1)) not in chunk
                           and needs_prior_month(home.contract_file(c).for_month(m), m)]
                repriced = changed_contracts(conn, home, earlier) if earlier else {}
                adjustment_rows = rows_by_partition(conn, "adjustment_inputs", chunk)
                carried: dict[str, tuple[str, LedgerState]] = {}
                for client, month in chunk:
                    contract = home.contract_file(client).for_month(month)
                    start = states[(client, month)].engagement.split("..")[0]
                    if (client, add_months(month, -1)) in problems:
                        problems[(client, month)] = (f"{client} {month}{NEEDS_PRIOR}{add_months(month, -1)} priced "
                                                     f"first, and it could not be priced (this month's ledgers start "
                                                     "from it)")
                        continue
                    if unknown_history := cap_history_problem(home.contract_file(client), month, start):
                        problems[(client, month)] = unknown_history
                        continue
                    try:
                        prior = _resolve_prior(conn, time_source, home, contract, client, month, start, priors, carried)
                        _refuse_outdated_prior(contract, client, month, prior, repriced,
                                               lambda c, m, start=start: _to_price_again(conn, home, c, m, start))
                    except BillingInputError as exc:
                        problems[(client, month)] = str(exc)
                        continue
                    adjustments = carried_adjustments(
                        month, _with_current(adjustment_rows.get((client, month), []), client, details))
                    try:
                        month_expenses = [expense_from_row(r) for r in expenses.get((client, month), [])]
                        result = price_month(contract, month, _pricing_entries(entries.get((client, month), [])),
                                             month_expenses, prior, adjustments)
                        source = priced_from(contract, month, prior)
                        rows_of = _table_rows(client, month, contract, result, source, month_expenses,
                                              _readings(entries.get((client, month), [])))
                        _fits_the_warehouse(rows_of, home.contract_path(client).name)
                    except ArithmeticError as exc:  # one client's absurd amount stops its month, not the chunk
                        problems[(client, month)] = str(exc) if isinstance(exc, TooLarge) else (
                            f"contracts/{home.contract_path(client).name}: pricing failed on an amount out of range "
                            f"({type(exc).__name__}); check the contract's rates and amounts")
                        continue
                    tables["period_adjustments"] += [(client, month, a.origin_month, a.amount, a.hours)
                                                     for a in adjustments]
                    carried[client] = (month, result.carried())
                    for table, rows in rows_of.items():
                        tables[table] += rows
                    details[(client, month)] = (result.totals, contract.currency, result)
                    held = {o.entry_id for o in result.outcomes if o.outcome == "held"}  # no_rate too
                    held_rows[(client, month)] = {r["entry_id"]: r for r in entries.get((client, month), [])
                                                  if r["entry_id"] in held}
                tables["pricing_problems"] = [(c, m, problems[(c, m)]) for c, m in chunk if (c, m) in problems]
                replace_partitions(conn, chunk, {t: (cols, tables.get(t, [])) for t, cols in _COLUMNS.items()}
                                   | {"pricing_problems": (("client", "month", "problem"), tables["pricing_problems"])})
        for (client, month), problem in sorted(problems.items()):
            context.log.error(f"{client}|{month} not priced: {problem}")
            partition_metadata(context, client, month, {"status": "blocked by pricing",
                                                        "problems": MetadataValue.md(f"- {problem}")})
        with warehouse.connect() as conn:
            sent = _sent_notes(conn, details, states)
        for (client, month), (_, currency, result) in details.items():
            metadata = _partition_metadata(result, currency, held_rows[(client, month)])
            if (client, month) in sent:  # this total is not what the client received (found by an auditor)
                metadata["sent"] = MetadataValue.text(sent[(client, month)])
            partition_metadata(context, client, month, metadata)
        not_active_metadata(context, others)
        with warehouse.connect() as conn:
            stale = query_keyed(conn, "stale_months", later_months(conn, sorted(details)))
            context.log_event(overview_materialization(conn))  # the overview shows the new totals before any push
    for r in stale:
        advice = (f"{stale_reason(r['why'], r['prior_month'])}: close {months_to_close(r)} again (approval refuses it "
                  "until then)")
        context.log.warning(f"{r['client']}|{r['month']} was {advice}")
        for key in (context.assets_def.key, AssetKey("quickbooks_draft_invoices")):
            # the later month's own pages showed its last materialization, "priced" and its total, as current
            # (found by an auditor): an observation on each says it is stale now
            context.log_event(AssetObservation(asset_key=key, partition=str(client_month_key(r["client"], r["month"])),
                                               metadata={"status": MetadataValue.text(f"stale: {advice}")}))
    blocked = sorted(pair for pair, state in others.items() if state.state == status.BLOCKED)
    for client, month in blocked[:20]:
        context.log.warning(f"{client}|{month} not priced: blocked by {others[(client, month)].check_name}: "
                            f"{others[(client, month)].message} {status.BLOCKED_HINT}")
    outside = sum(1 for state in others.values() if state.state == status.OUTSIDE)
    context.log.info(f"priced {len(details)} client-month(s); {len(problems)} could not be priced; {len(blocked)} "
                     f"blocked; {outside} outside the engagement")
    return MaterializeResult()


def _sent_notes(conn: WarehouseConnection, details: dict, states: dict) -> dict[tuple[str, str], str]:
    """For the sent client-months priced here: what was sent, and whether this price differs from it (who carries
    the difference). The page's total is the month's price now, not what the client received."""
    sent = {pair: rows[0] for pair, rows in rows_by_partition(conn, "sent_invoice_rows", sorted(details)).items()}
    changed = {(r["client"], r["month"]): r for r in query_keyed(conn, "sent_and_now", sorted(sent))} if sent else {}
    notes = {}
    for pair, row in sent.items():
        totals, currency, _ = details[pair]
        notes[pair] = sent_repriced_text(changed[pair], totals.total, currency, pair[1], states[pair].engagement) \
            if pair in changed else f"{money(row['total'], currency)} as sent: this price is what was sent"
    return notes


def later_months(conn: WarehouseConnection, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The priced months of the pairs' clients after the earliest pair of each: those a re-priced month's ledgers
    may have changed."""
    first: dict[str, str] = {}
    for client, month in pairs:
        first[client] = min(month, first.get(client, month))
    return [(r["client"], r["month"]) for r in query(conn, "priced_months")
            if r["client"] in first and r["month"] > first[r["client"]]]


_COLUMNS = {"invoice_lines": LINE_COLUMNS, "invoices": INVOICE_COLUMNS, "line_entries": LINE_ENTRY_COLUMNS,
            "retainer_ledger": RETAINER_COLUMNS, "cap_ledger": CAP_COLUMNS, "entry_outcomes": OUTCOME_COLUMNS,
            "priced_expenses": PRICED_EXPENSE_COLUMNS,
            "period_adjustments": ADJUSTMENT_COLUMNS}


def _with_current(rows: list[dict], client: str, details: dict) -> list[dict]:
    """Adjustment inputs with the totals of months priced earlier in this same run (the table still holds
    their previous version)."""
    updated = []
    for row in rows:
        fresh = details.get((client, row["origin_month"])) if row["row_kind"] == "origin" else None
        if fresh is not None:
            row = {**row, "current_total": fresh[0].total, "current_hours": fresh[0].hours_billed}
        updated.append(row)
    return updated


def _resolve_prior(conn: WarehouseConnection, time_source: TimeSource, home: BillingHome, contract: Contract,
                   client: str, month: str, start: str, priors: dict, carried: dict) -> LedgerState | None:
    """Month M-1's ledgers when the contract needs them; a clear error when M-1 should exist but is unpriced.
    The engagement's first month starts with no lots and nothing billed under its caps (spec section 2)."""
    if start and month <= start:
        return None
    if client in carried and carried[client][0] == add_months(month, -1):
        return carried[client][1]
    reasons = needs_prior_month(contract, month)
    prior = priors.get((client, month))
    if prior is not None or not reasons:
        return prior
    first = _history_start(conn, time_source, home, client, month, start)
    if first is None:
        return None
    previous = add_months(month, -1)
    before = status.recorded(conn, [(client, previous)])[(client, previous)]
    if before.state == status.BLOCKED:  # closing the months in order again would not help: say what stops it
        raise BillingInputError(
            f"{client} {month}: pricing needs {previous} priced first ({', '.join(reasons)}), and {previous} is "
            f"blocked by {before.check_name}: {before.problems[0] if before.problems else 'see its page'}. Fix "
            f"that, then close `billing close --month {previous}..{month} --client {client}`.")
    raise BillingInputError(
        f"{client} {month}: pricing needs {previous} priced first ({', '.join(reasons)}); "
        f"the client's engagement has months to bill from {first}. Close the months in order, e.g. "
        f"`billing close --month {first}..{month} --client {client}`"
        + (f", or, if the months before {month} were billed outside this product, set `start: {month}` in its "
           "contract." if first == start else "."))


def _refuse_outdated_prior(contract: Contract, client: str, month: str, prior: LedgerState | None,
                           repriced: dict[tuple[str, str], str],
                           changed: Callable[[str, str], bool]) -> None:
    """BillingInputError when the month starts from month-1's ledgers and month-1's contract changed since it was
    priced: they were computed under the earlier terms (retainer lots, cap totals). The range to close starts at
    the first of the months before it to price (again) with it (`changed`: `_to_price_again` of one client-month),
    so that following it is not refused again one month further back (found by an auditor)."""
    previous = add_months(month, -1)
    reasons = needs_prior_month(contract, month)
    if prior is not None and reasons and (client, previous) in repriced:
        first = previous
        for _ in range(MAX_WALK_BACK):
            if not changed(client, add_months(first, -1)):
                break
            first = add_months(first, -1)
        raise BillingInputError(
            f"{client} {month}: pricing needs {previous} priced again first ({', '.join(reasons)}): {previous} was "
            f"priced under other terms than its contract has now, and this month starts from its ledgers. Close "
            f"them in order: `billing close --month {first}..{month} --client {client}`")


def _to_price_again(conn: WarehouseConnection, home: BillingHome, client: str, month: str, start: str) -> bool:
    """Whether a month before one refused must be priced (again) with it: priced under earlier terms, or in the
    engagement (from `start`) and never priced (`start` moved earlier: found by an auditor, the range named began
    at the first month priced under earlier terms, and following it was refused for the month before)."""
    if changed_contracts(conn, home, [(client, month)]):
        return True
    return bool(start) and month >= start and not query_keyed(conn, "invoice_rows", [(client, month)])


MAX_WALK_BACK = 120  # months looked back for the first one priced under earlier terms
NEEDS_PRIOR = ": pricing needs "  # in each refusal of a month whose month before it must be priced (again) first


def _partition_metadata(result: PricingResult, currency: str, held_rows: dict[str, dict]) -> dict:
    """What a finance person reads for one client-month: totals, hours, lines, held entries (each with its person
    and export row, `held_rows` by entry id), ledgers."""
    t = result.totals
    held = [o for o in result.outcomes if o.outcome == "held"]
    return {
        "status": "nothing to bill" if nothing_to_bill(t.total, [ln.amount for ln in result.lines]) else "priced",
        "total": MetadataValue.text(money(t.total, currency)),
        "hours_billed": MetadataValue.text(hours_text(t.hours_billed)),
        "hours_covered": MetadataValue.text(hours_text(t.hours_covered)),
        "hours_held": MetadataValue.text(hours_text(t.hours_held)),
        "invoice_lines": MetadataValue.md(markdown_table(
            ("#", "kind", "description", "quantity", "unit price", "amount"),
            [(ln.line_no, ln.kind, ln.description, f"{shown_hours(ln.quantity):,f}", money(ln.unit_price, currency),
              money(ln.amount, currency)) for ln in result.lines]
            + [("", "", "**total**", "", "", f"**{money(t.total, currency)}**")])),
        "held_entries": MetadataValue.md(markdown_table(
            ("person", "export row", "hours", "reasons", "entry"),
            [(person_and_roles(held_rows[o.entry_id]), export_row(held_rows[o.entry_id]), hours_text(o.source_hours),
              o.reason, o.entry_id) for o in held]) if held else "none"),
        "retainer_ledger": MetadataValue.md(markdown_table(
            ("origin", "available", "used", "expired", "carried"),
            [(r.origin_month, *(f"{shown_hours(h):,f}" for h in (r.hours_available, r.hours_used, r.hours_expired,
                                                                   r.hours_carried)))
             for r in result.retainer_ledger]) if result.retainer_ledger else "none: no retainer this month"),
        "cap_ledger": MetadataValue.md(markdown_table(
            ("cap", "charges", "adjustment", "billed to date"),
            [(r.cap_name, money(r.charges, currency), money(r.adjustment, currency), money(r.billed_to_date, currency))
             for r in result.cap_ledger]) if result.cap_ledger else "none: no not-to-exceed cap this month"),
    }
