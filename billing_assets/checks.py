"""Data-quality checks on every stage, per client-month. Blocking checks (ERROR) stop the push in the same
run; every evaluation is also kept in `check_results`, which the push reads so that a later run that
materialises the push alone is gated too. Anomalies are warnings that alert without blocking."""

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal

from dagster import (
    AssetCheckEvaluation,
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    multi_asset_check,
)

from billing_assets import status
from billing_assets.classify import classified_time_entries
from billing_assets.common import (
    DETAILED_PARTITIONS,
    PartitionEvaluations,
    client_chunks,
    run_partitions,
    single_partition,
)
from billing_assets.core import quality as q
from billing_assets.core.contract import Contract
from billing_assets.core.months import add_months, first_day
from billing_assets.core.rates import base_rate, misspelt_names, mixed_rates, resolve_role, unknown_roles
from billing_assets.expectations import validate_in_process
from billing_assets.ingest import contracts, raw_time_entries
from billing_assets.partitions import client_month_partitions
from billing_assets.price import priced_line_items
from billing_assets.tables import line_from_row
from resources.home import BillingHome
from resources.timesource import TimeSource
from resources.warehouse import (
    Warehouse,
    WarehouseConnection,
    append_rows,
    partition_frame,
    query,
    query_keyed,
    rows_by_partition,
)

ANOMALY_FACTOR = Decimal("1.5")  # invoice total or hours beyond the trailing 3 months' range x this factor
MAX_HELD_SHARE = 0.2  # warn when more than this share of hours waits for review
CHECK_COLUMNS = ("client", "month", "asset", "check_name", "passed", "blocking", "severity", "message",
                 "metadata_json", "run_id", "evaluated_at", "subject_hash")

RAW_CHECKS = {"required_fields": True, "dates_in_month": True, "hours_in_range": True, "unique_entry_ids": True,
              "no_cross_file_duplicates": True, "currency_matches": True, "known_clients": False,
              "person_days_plausible": False}
CLASSIFIED_CHECKS = {"work_types_present": True, "sow_items_exist": True, "held_share": False}
PRICED_CHECKS = {"priceable": True, "hours_reconcile": True, "total_equals_lines": True, "caps_respected": True,
                 "rates_present": True, "total_not_negative": True, "total_in_trailing_range": False,
                 "hours_in_trailing_range": False, "new_people": False, "rate_changes": False,
                 "retainer_burn_before_20th": False, "late_changes_carried": False,
                 "contract_names_match": False}

Evaluator = Callable[..., dict[tuple[str, str], dict[str, q.CheckOutcome]]]


def _specs(asset_key: AssetKey, checks: dict[str, bool]) -> list[AssetCheckSpec]:
    """Partitioned as the assets are: each check's Partitions tab shows every client-month's own result.
    Blocking here means: the push gate refuses the client-month (gate.py reads `check_results`). Dagster's
    own `blocking` would skip the next step for every client-month of the run, so it stays off: one client's
    failure stops that client-month alone."""
    return [AssetCheckSpec(name, asset=asset_key, blocking=False, partitions_def=client_month_partitions,
                           description=f"{name.replace('_', ' ').capitalize()}. {PUSH_GATE if blocking else WARNING}")
            for name, blocking in checks.items()]


# What a check's page says beside Dagster's "This is a non-blocking asset check" (Dagster's flag is off: _specs).
PUSH_GATE = ("Push gate: a failure keeps this client-month's invoice from being pushed or approved. Dagster's "
             "\"non-blocking\" above is about the run: its other client-months go on.")
WARNING = "Warning: a failure is alerted and shown on the client-month; nothing is stopped."


def _report(context: AssetCheckExecutionContext, warehouse: Warehouse, asset_name: str, checks: dict[str, bool],
            outcomes: dict[tuple[str, str], dict[str, q.CheckOutcome]],
            subjects: dict[tuple[str, str], str] | None = None,
            run_pairs: list[tuple[str, str]] | None = None) -> Iterable[AssetCheckResult]:
    """Store each partition's results for the push gate, log them as evaluations, yield one result per check.

    Each client-month's evaluation is its partition's status on the check's Partitions tab. The check's own
    status (the list on the Checks tab) is its newest evaluation, so it must be the firm's state, not the last
    client the latest run closed: per check, passes are logged first and failures last, and when this run failed
    nowhere but a client-month closed earlier still fails, its failure is logged again, naming no partition
    (`_carried`, not alerted twice). The result of a run over a range fails while any active client-month's latest
    result fails; in a run of one partition it is that partition's evaluation. In runs over DETAILED_PARTITIONS
    client-months only failures and passes after a failure are logged one by one."""
    asset_key = AssetKey(asset_name)
    run_id = context.op_execution_context.run_id
    now = datetime.now(UTC).replace(tzinfo=None)
    detailed = len(outcomes) <= DETAILED_PARTITIONS
    single = single_partition(context.op_execution_context)
    evaluations = PartitionEvaluations(context.op_execution_context)
    rows = [(client, month, asset_name, name, outcome.passed, checks[name], _severity(checks[name]).value,
             outcome.message, json.dumps(outcome.metadata, default=str), run_id, now,
             (subjects or {}).get((client, month), ""))
            for (client, month), by_check in sorted(outcomes.items()) for name, outcome in by_check.items()]
    with warehouse.connect() as conn:
        failed_before = {(r["client"], r["month"], r["check_name"])
                         for r in query_keyed(conn, "failed_before", list(outcomes), {"asset": asset_name})}
        _store(conn, run_pairs if run_pairs is not None else list(outcomes), asset_name, rows)
        firm: dict[str, list[dict]] = {}
        for r in query(conn, "check_failures", {"asset": asset_name}):
            firm.setdefault(r["check_name"], []).append(r)
    for name, blocking in checks.items():
        results = sorted(((pair, by[name]) for pair, by in outcomes.items() if name in by),
                         key=lambda item: (not item[1].passed, item[0]))  # failures last: the newest
        for (client, month), outcome in results:
            if (client, month) != single and \
                    (detailed or not outcome.passed or (client, month, name) in failed_before):
                _log(evaluations, asset_key, name, blocking, client, month, outcome.passed, outcome.message,
                     outcome.metadata)
        earlier = [r for r in firm.get(name, []) if r["run_id"] != run_id]
        if earlier and all(o.passed for _, o in results):
            r = earlier[0]
            context.op_execution_context.log_event(_carried(asset_key, name, blocking, r))
        failed = [f"{c}|{m}: {o.message}" for (c, m), o in results if not o.passed]
        failing = sorted(set(failed) | {f"{r['client']}|{r['month']}: {r['message']}" for r in firm.get(name, [])})
        if failed and blocking:
            context.log.error(f"{asset_name}.{name} failed for {len(failed)} client-month(s), not pushed:\n  "
                              + "\n  ".join(failed[:50]))
        firm_state = {"failing_client_months": len(failing), "failures": "\n".join(failing[:50])}
        if single is not None:  # Dagster records this result as the partition's evaluation: its own outcome
            own = outcomes.get(single, {}).get(name) or q.ok(NOT_EVALUATED)
            yield AssetCheckResult(asset_key=asset_key, check_name=name, passed=own.passed,
                                   severity=_severity(blocking), description=own.message,
                                   metadata={"message": own.message, **own.metadata, **firm_state})
            continue
        yield AssetCheckResult(
            asset_key=asset_key, check_name=name, passed=not failing, severity=_severity(blocking),
            description=(f"{len(failing)} client-month(s) fail: {failing[0]}" + (" ..." if len(failing) > 1 else "")
                         if failing else "every client-month passes"),
            metadata={"partitions": len(outcomes), "failed": len(failed), **firm_state})


# A run of one client-month that did not evaluate a check on it (outside the engagement, or blocked before it)
NOT_EVALUATED = "not evaluated in this run: the client-month is outside its engagement or blocked (see its page)"


def _severity(blocking: bool) -> AssetCheckSeverity:
    return AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN


def _carried(asset_key: AssetKey, name: str, blocking: bool, failure: dict) -> AssetCheckEvaluation:
    """An earlier run's failure of a client-month, logged again as the check's newest evaluation so the check list
    stays failed. It names no partition: a client-month's own status is its own evaluations' (a run of another
    month, logging it against the partition, hid a newer evaluation of it; found by an auditor)."""
    client_month = f"{failure['client']}|{failure['month']}"
    return AssetCheckEvaluation(asset_key=asset_key, check_name=name, passed=False, severity=_severity(blocking),
                                blocking=blocking, description=f"{client_month}: {failure['message']}",
                                metadata={"message": failure["message"], "client_month": client_month,
                                          "carried": True, "evaluated_in_run": failure["run_id"]})


def _log(evaluations: PartitionEvaluations, asset_key: AssetKey, name: str, blocking: bool, client: str, month: str,
         passed: bool, message: str, metadata: dict) -> None:
    """One client-month's evaluation as the Checks tab and the alert sensor read it."""
    evaluations.log(asset_key, name, client, month, passed=passed, severity=_severity(blocking), blocking=blocking,
                    description=message, metadata={"message": message, **metadata})


def _store(conn: WarehouseConnection, pairs: list[tuple[str, str]], asset_name: str,
           rows: list[tuple]) -> None:
    """Replace the latest results of this asset's checks for the partitions (one transaction)."""
    with conn.transaction(), conn.staged("partition_keys", ("client", "month"), pairs):
        conn.lock_partitions()
        conn.run("check_results/delete_partition.sql", {"asset": asset_name})
        append_rows(conn, "check_results", CHECK_COLUMNS, rows)


def _chunked_rows(warehouse: Warehouse, pairs: list[tuple[str, str]], *queries: str
                  ) -> Iterator[tuple[tuple[str, str], dict[str, list[dict]]]]:
    """Each partition with the rows of each named query, loaded a chunk of clients at a time."""
    with warehouse.connect() as conn:
        for chunk in client_chunks(pairs):
            extra = {"trailing_start": [add_months(m, -3) for _, m in chunk]} if "trailing_invoices" in queries else {}
            found = {name: rows_by_partition(conn, name, chunk, **(extra if name == "trailing_invoices" else {}))
                     for name in queries}
            for pair in chunk:
                yield pair, {name: found[name].get(pair, []) for name in queries}


def _unknown_rows_by_month(home: BillingHome, time_source: TimeSource, months: list[str]
                           ) -> dict[str, dict[str, int]]:
    """Per month, the source rows by Client that no contract claims in that month (`BillingHome.claimed_names`, as
    the close decides whom a row bills)."""
    claimed = {month: home.claimed_names(month) for month in months}
    entries_by_key, _ = time_source.load(months).grouped()
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for (name, month), entries in entries_by_key.items():
        if month in claimed and name not in claimed[month]:
            counts[month][name] = len(entries)
    return counts


def _month_now_known(context: AssetCheckExecutionContext, warehouse: Warehouse, months: list[str],
                     run_pairs: list[tuple[str, str]]) -> None:
    """`known_clients` judges the month's rows as a whole: where it passes now, the month's other client-months
    whose stored result failed (a contract unreadable then, fixed since, and only that client closed again) pass
    too, stored and logged, so that the Checks tab does not carry the fixed failure on (found by an auditor)."""
    run, now = set(run_pairs), datetime.now(UTC).replace(tzinfo=None)
    run_id = context.op_execution_context.run_id
    params = {"asset": "raw_time_entries", "check": "known_clients"}
    evaluations = PartitionEvaluations(context.op_execution_context)
    with warehouse.connect() as conn:
        for month in months:
            failed = [(r["client"], r["month"]) for r in query(conn, "month_check_failures", params | {"month": month})]
            with conn.transaction():
                conn.run("check_results/pass_month.sql", params | {"month": month, "message": q.EVERY_ROW_KNOWN,
                                                                   "run_id": run_id, "now": now})
            for client, _ in (pair for pair in failed if pair not in run):
                _log(evaluations, AssetKey("raw_time_entries"), "known_clients", False, client, month, True,
                     q.EVERY_ROW_KNOWN, {"evaluated_in_run": run_id})


@multi_asset_check(specs=_specs(raw_time_entries.key, RAW_CHECKS), can_subset=False)
def raw_time_entry_checks(context: AssetCheckExecutionContext, home: BillingHome, time_source: TimeSource,
                          warehouse: Warehouse) -> Iterable[AssetCheckResult]:
    """Great Expectations suite `raw_time_entries` (person and client present, dates inside the month, hours in
    positive, unique entry ids, currency as the contract says), then SQL: no row in two export files (nor a file
    exported again with edits: the same day, person and note for half its rows); rows naming no known client
    (warning); a person's day adding up to over 24 h (warning)."""
    run_pairs = run_partitions(context.op_execution_context)
    pairs, _ = status.split_pairs(warehouse, run_pairs)
    unknown = _unknown_rows_by_month(home, time_source, sorted({m for _, m in pairs}))
    unread = home.nameless_contracts()
    _month_now_known(context, warehouse, sorted({m for _, m in pairs} - set(unknown)), run_pairs)
    outcomes: dict[tuple[str, str], dict[str, q.CheckOutcome]] = {}
    for chunk in client_chunks(pairs):
        with warehouse.connect() as conn:  # released while GX validates, so readers get in
            frame = partition_frame(conn, "raw_entry_expectations", chunk)
            duplicates = rows_by_partition(conn, "cross_file_duplicates", chunk)
            two_files = rows_by_partition(conn, "entries_of_two_files", chunk)
            long_days = rows_by_partition(conn, "person_days_over_24h", chunk)
        currency = {(c, m): home.contract_file(c).for_month(m).currency for c, m in chunk}
        frame["hours"] = frame["hours"].map(Decimal)
        expected = validate_in_process(frame, chunk, currency)
        for pair in chunk:
            outcomes[pair] = {**expected[pair],
                              "no_cross_file_duplicates": q.cross_file_duplicates(
                                  duplicates.get(pair, []), q.reexported_rows(two_files.get(pair, []))),
                              "known_clients": q.known_clients(unknown.get(pair[1], {}), pair[1], unread),
                              "person_days_plausible": q.person_days(long_days.get(pair, []))}
    yield from _report(context, warehouse, "raw_time_entries", RAW_CHECKS, outcomes, run_pairs=run_pairs)


@multi_asset_check(specs=_specs(classified_time_entries.key, CLASSIFIED_CHECKS), can_subset=False)
def classified_entry_checks(context: AssetCheckExecutionContext, home: BillingHome,
                            warehouse: Warehouse) -> Iterable[AssetCheckResult]:
    """Every entry has a known work type; SOW ids exist in the contract; share of hours held (warning)."""
    run_pairs = run_partitions(context.op_execution_context)
    with warehouse.held_open():  # one opening of the file for the check's reads and writes
        pairs, _ = status.split_pairs(warehouse, run_pairs)
        outcomes = {}
        decided = {o.entry_id: o.where for o in home.overrides().values() if o.work_type or o.sow_item}
        for (client, month), found in _chunked_rows(warehouse, pairs, "classified_groups"):
            contract = home.contract_file(client).for_month(month)
            groups = found["classified_groups"]
            outcomes[(client, month)] = {"work_types_present": q.work_types_present(groups, contract, decided),
                                         "sow_items_exist": q.sow_items_exist(groups, contract, decided),
                                         "held_share": q.held_share(groups, MAX_HELD_SHARE)}
        yield from _report(context, warehouse, "classified_time_entries", CLASSIFIED_CHECKS, outcomes,
                           run_pairs=run_pairs)


@multi_asset_check(specs=_specs(priced_line_items.key, PRICED_CHECKS), can_subset=False)
def priced_checks(context: AssetCheckExecutionContext, home: BillingHome,
                  warehouse: Warehouse) -> Iterable[AssetCheckResult]:
    """Blocking: hours reconcile, total = sum of lines, caps respected, every billed person has a rate, no
    negative total. Warnings: total or hours outside the trailing 3-month range, new people, rate changes
    since last month, more than 90% of the retainer used before the 20th, a person or project the contract rates
    by name that has no time while a close spelling of it has."""
    run_pairs = run_partitions(context.op_execution_context)
    with warehouse.held_open():  # one opening of the file for the check's reads and writes
        pairs, _ = status.split_pairs(warehouse, run_pairs)
        with warehouse.connect() as conn:
            unpriced = rows_by_partition(conn, "pricing_problems", pairs)
        outcomes, subjects = {}, {}
        for pair, rows in unpriced.items():
            outcomes[pair] = {name: q.ok("not priced") for name in PRICED_CHECKS}
            outcomes[pair]["priceable"] = q.CheckOutcome(False, "; ".join(r["problem"] for r in rows))
        pairs = [pair for pair in pairs if pair not in unpriced]
        for (client, month), found in _chunked_rows(warehouse, pairs, "priced_check_inputs", "line_rows", "cap_rows",
                                                    "outcome_totals", "no_rate_outcomes", "trailing_invoices",
                                                    "earlier_people", "people_projects", "adjustment_rows"):
            head = found["priced_check_inputs"][0]
            subjects[(client, month)] = head["content_hash"]
            contract = home.contract_file(client).for_month(month)
            history, earlier = found["trailing_invoices"], found["earlier_people"]
            outcomes[(client, month)] = {
                "hours_reconcile": q.hours_reconcile(Decimal(head["source_hours"]), found["outcome_totals"]),
                "total_equals_lines": q.total_equals_lines(Decimal(head["total"]),
                                                           [line_from_row(r) for r in found["line_rows"]]),
                "caps_respected": q.caps_respected(contract, found["cap_rows"]),
                "rates_present": q.rates_present(found["no_rate_outcomes"]),
                "total_not_negative": q.total_not_negative(Decimal(head["total"])),
                **_trailing_outcomes(head, history),
                "new_people": _new_people(earlier, found["people_projects"]),
                "rate_changes": _rate_changes(home, client, month, found["people_projects"], earlier),
                "retainer_burn_before_20th": q.retainer_burn(contract, Decimal(head["covered_before_20th"]),
                                                             first_day(month)),
                "late_changes_carried": q.late_changes(found["adjustment_rows"]),
                "contract_names_match": _names_match(contract, found["people_projects"]),
                "priceable": q.ok("priced"),
            }
        _trailing_checks_again(context, warehouse, pairs)
        yield from _report(context, warehouse, "priced_line_items", PRICED_CHECKS, outcomes, subjects, run_pairs)


def _trailing_outcomes(head: dict, history: list[dict]) -> dict[str, q.CheckOutcome]:
    """The trailing-range warnings of one priced client-month (`head`: its priced_check_inputs row)."""
    return {"total_in_trailing_range": q.outside_trailing_range(
                "invoice total", Decimal(head["total"]), [Decimal(h["total"]) for h in history], ANOMALY_FACTOR),
            # hours worked, billed or covered by the retainer: a month whose hours the retainer covered is not a
            # month of no work (found by an auditor: "10.5 h outside the trailing range 0 h..0 h" after a July of
            # 30 h, all covered)
            "hours_in_trailing_range": q.outside_trailing_range(
                "hours worked", _worked(head), [_worked(h) for h in history], ANOMALY_FACTOR)}


def _worked(invoice: dict) -> Decimal:
    """Hours billed plus hours the retainer covered (a row with hours_billed and hours_covered)."""
    return Decimal(invoice["hours_billed"]) + Decimal(invoice["hours_covered"])


def _trailing_checks_again(context: AssetCheckExecutionContext, warehouse: Warehouse,
                           pairs: list[tuple[str, str]]) -> None:
    """The trailing-range warnings of the run's clients' priced months in the three months after the run's, not in
    the run, evaluated again from the totals the run priced: they kept the figures of before (found by an auditor:
    "outside the trailing range 11,444.94..11,615.27" after September was priced again at 12,762.77)."""
    run = set(pairs)
    with warehouse.connect() as conn:
        priced = {(r["client"], r["month"]) for r in query(conn, "priced_months")}
    later = sorted((priced - run) & {(c, add_months(m, k)) for c, m in pairs for k in (1, 2, 3)})
    if not later:
        return
    run_id, now = context.op_execution_context.run_id, datetime.now(UTC).replace(tzinfo=None)
    evaluations = PartitionEvaluations(context.op_execution_context)
    for (client, month), found in _chunked_rows(warehouse, later, "priced_check_inputs", "trailing_invoices"):
        outcomes = _trailing_outcomes(found["priced_check_inputs"][0], found["trailing_invoices"])
        with warehouse.connect() as conn, conn.transaction():
            for name, outcome in outcomes.items():
                conn.run("check_results/update_one.sql", {
                    "client": client, "month": month, "asset": "priced_line_items", "check": name,
                    "passed": outcome.passed, "message": outcome.message,
                    "metadata_json": json.dumps(outcome.metadata, default=str), "run_id": run_id, "now": now})
        for name, outcome in outcomes.items():
            _log(evaluations, AssetKey("priced_line_items"), name, False, client, month, outcome.passed,
                 outcome.message,
                 {**outcome.metadata, "evaluated_again": "the months before it were priced again in this run"})


def _names_match(contract: Contract, worked: list[dict]) -> q.CheckOutcome:
    """Names in the contract that rate nobody this month while a close spelling billed, or a role not in roles."""
    billable = [r for r in worked if r["billable"]]
    persons, projects = {r["person"] for r in billable}, {r["project"] for r in billable}
    mixed = mixed_rates(contract, [(r["person"], r["project"], r["roles"]) for r in billable])
    return q.contract_names_match(misspelt_names(contract, persons, projects), unknown_roles(contract, persons),
                                  contract.default_rate, mixed)


def _new_people(earlier: list[dict], worked: list[dict]) -> q.CheckOutcome:
    people = {r["person"] for r in worked if r["billable"]}
    return q.new_people(people, {r["person"] for r in earlier}, bool(earlier))


def _rate_changes(home: BillingHome, client: str, month: str, worked: list[dict],
                  earlier: list[dict]) -> q.CheckOutcome:
    """Base rate of each (person, project) billed this month vs what the contract gave last month; `worked`
    has one row per (person, project, roles column) in order of first entry (the first decides the role)."""
    previous_month = add_months(month, -1)
    last = {(r["person"], r["project"]) for r in earlier if r["earlier_month"] == previous_month}
    if not last:
        return q.ok("no billing last month to compare")
    now_contract = home.contract_file(client).for_month(month)
    then_contract = home.contract_file(client).for_month(previous_month)
    current, previous = {}, {}
    for r in worked:
        key = (r["person"], r["project"])
        if key not in last or key in current:
            continue
        rate_now = base_rate(now_contract, r["person"], r["project"],
                             resolve_role(now_contract, r["person"], r["roles"]))
        rate_then = base_rate(then_contract, r["person"], r["project"],
                              resolve_role(then_contract, r["person"], r["roles"]))
        if rate_now is not None and rate_then is not None:
            current[key], previous[key] = rate_now, rate_then
    return q.rate_changes(current, previous)


INPUT_CHECKS = {"contract_valid": True, "inputs_readable": True}


@multi_asset_check(specs=_specs(contracts.key, INPUT_CHECKS), can_subset=False)
def input_checks(context: AssetCheckExecutionContext, warehouse: Warehouse) -> Iterable[AssetCheckResult]:
    """Blocking (push gate): the contract validates (each problem names the file and key path); the client-month's
    export rows and override rows can all be read (each problem names the file and row). A client-month outside
    the engagement has nothing to check and passes."""
    pairs = run_partitions(context.op_execution_context)
    with warehouse.held_open():  # one opening of the file for the check's reads and writes
        with warehouse.connect() as conn:
            states = status.recorded(conn, pairs)
        outcomes = {}
        for pair, state in states.items():
            outcomes[pair] = {name: (q.CheckOutcome(False, state.message, {"problems": len(state.problems)})
                                     if state.check_name == name and state.state == status.BLOCKED
                                     else q.ok(state.problems[0] if state.state == status.OUTSIDE else "readable"))
                              for name in INPUT_CHECKS}
        yield from _report(context, warehouse, "contracts", INPUT_CHECKS, outcomes)


CHECKS = [input_checks, raw_time_entry_checks, classified_entry_checks, priced_checks]
