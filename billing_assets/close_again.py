"""What a close leaves to close again, and the range to close it with: the months after it priced from ledgers it
changed, its clients' other months whose contract, decisions or sent terms changed since they were closed, and a
sent month's late change no invoice carries. Each line names the command that works when followed (ranges start
at the first month that must be priced again)."""

from __future__ import annotations

from billing_assets.common import advised
from billing_assets.core.adjustments import no_carrier
from billing_assets.core.months import span_text
from resources.warehouse import WarehouseConnection


def uncarried_changes(defs, pairs: list[tuple[str, str]]) -> list[str]:
    """Sent months of the run that now price otherwise, with a difference no later sent month carried and no month
    left to carry it: the first unsent month after a sent one carries its difference, and when every month up to
    the engagement's `end` was sent there is none, so it would be lost without a word."""
    from billing_assets.environment import build_warehouse
    from resources.warehouse import query_keyed

    warehouse = build_warehouse()
    if not pairs or not warehouse.exists():
        return []
    with warehouse.connect() as conn:
        changed = query_keyed(conn, "sent_and_now", pairs)
    out = []
    for r in changed:
        contract = contract_or_none(defs, r["client"], r["month"])
        end = contract.end if contract is not None else None
        owed = r["current_total"] - r["sent_total"] - r["carried_amount"]
        owed_hours = r["current_hours"] - r["sent_hours"] - r["carried_hours"]
        if (owed or owed_hours) and no_carrier(r["month"], end, r["sent_after"] or []):
            sent_since = f" and every month after it up to {end} was sent" if end > r["month"] else ""
            out.append(f"{r['client']} {r['month']}: sent at {r['sent_total']:,.2f}, now prices "
                       f"{r['current_total']:,.2f} ({owed:+,.2f} not carried): the engagement ends {end}"
                       f"{sent_since}, so no later invoice carries the difference; bill or credit it by hand, or "
                       "move the contract's `end`")
    return out


def changed_closed_months(defs, pairs: list[tuple[str, str]]) -> list[str]:
    """The run's clients' other priced months whose exports changed since they were closed (a late row dated
    August inside September's export, an August row edited, a late expense): their invoice does not have it until
    that month is closed again (a sent month's change is then carried by the next unsent month). Exports only: an
    API source loads just the run's months, and its late-entries sensor re-closes changed months."""
    from billing_assets.environment import build_warehouse
    from billing_assets.export_changes import contract_names, export_changes

    source = defs.resources.get("time_source")
    warehouse = build_warehouse()
    if not pairs or getattr(source, "kind", "") != "csv" or not warehouse.exists():
        return []
    with warehouse.connect() as conn:
        others = _other_priced_months(conn, pairs)
    if not others:
        return []
    parsed = loaded_rows(defs, sorted({m for _, m in others}))  # read before the file is held
    with warehouse.connect() as conn:
        changes = export_changes(conn, parsed, contract_names(defs.resources["home"]), others)
    out = []
    for change in changes:
        last = max([m for c, m in pairs if c == change.client] + [change.month])
        out.append(f"{change.client} {change.month}: {change.summary()}: close it again "
                   f"(`billing close --month {span_text(change.month, last)} --client {change.client}`); if it was "
                   "sent, the next unsent month carries the difference")
    return out


def changed_contract_months(defs, pairs: list[tuple[str, str]]) -> list[str]:
    """The run's clients' other unsent priced months whose contract changed since they were closed (a cap lowered,
    `start` or `end` moved): their drafts are priced under the earlier terms, and approval refuses them. Then their
    other priced months, sent or not, whose review decisions changed since they were closed (approval refuses
    them and the months priced from them). Then the first of their sent months that prices otherwise under its
    contract as it reads now (a base rate edited without an amendment): no invoice carries that difference until
    it is closed again, and approval refuses the month that would."""
    from billing_assets.decision_changes import changed_decisions
    from billing_assets.environment import build_warehouse
    from billing_assets.export_changes import changed_contracts
    from billing_assets.refusals import AMENDMENT, first_to_close, sent_terms_changes
    from resources.warehouse import query_keyed

    warehouse = build_warehouse()
    if not pairs or not warehouse.exists():
        return []
    home = defs.resources["home"]
    with warehouse.connect() as conn:
        others = _other_priced_months(conn, pairs)
        sent = {(r["client"], r["month"]) for r in query_keyed(conn, "sent_snapshot_keys", others)} if others else set()
        # every priced month's, sent or in the run (a run month pricing refused keeps the terms it was priced under)
        every = changed_contracts(conn, home, sorted({*others, *pairs}))
        terms = sent_terms_changes(conn, home, {p: r for p, r in every.items() if p in sent}, sent)
    changed = {pair: reason for pair, reason in every.items() if pair in others and pair not in sent}
    decided = changed_decisions(home, warehouse, [p for p in others if p not in changed])
    # a month is priced from the ledgers of the month before it: the range runs from the first of the client's
    # months priced under earlier terms before its first changed unsent month, sent ones too (found by an auditor:
    # "close 2026-09..2026-10" was refused, August and the sent July were priced under the earlier terms), to its
    # last priced one ("close 2026-10 again" alone was refused: 2026-09 must be priced again first)
    last = {client: max(m for c, m in [*others, *pairs] if c == client) for client, _ in pairs}
    first = {}
    for client, month in sorted(changed):
        first.setdefault(client, first_to_close(home, every, [*others, *pairs], client, month))
    return [f"{client} {month}: " + advised(reason, f"close it again (`billing close --month "
                                                    f"{span_text(first[client], last[client])} --client {client}`) "
                                                    "before approving it")
            for (client, month), reason in sorted(changed.items())] + [
        f"{client} {month}: {change.text(month)}, which no invoice carries: if the change applies to {month}, close "
        f"it and the months after it again (`billing close --month {span_text(month, last[client])} --client "
        f"{client}`) so that the next unsent month carries the difference; {AMENDMENT}"
        for (client, month), change in sorted(terms.items())
        if not any(c == client and m < month for c, m in terms)] + [
        f"{client} {month}: review decisions changed since it was closed ({', '.join(rows[:3])}"
        f"{f' and {len(rows) - 3} more' if len(rows) > 3 else ''}): "
        + ("it was sent; close it and the months after it again so that the next unsent month carries the "
           "difference" if (client, month) in sent else "close it and the months after it again before approving")
        + f" (`billing close --month {span_text(month, last[client])} --client {client}`)"
        for (client, month), rows in sorted(decided.items())]


def _other_priced_months(conn: WarehouseConnection, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The priced months of the pairs' clients that the run did not close."""
    from resources.warehouse import query

    clients, run = {c for c, _ in pairs}, set(pairs)
    return [(r["client"], r["month"]) for r in query(conn, "priced_months")
            if r["client"] in clients and (r["client"], r["month"]) not in run]


def stale_later_months(pairs: list[tuple[str, str]]) -> list[str]:
    """The clients' months after the close's that were priced from ledgers it changed, and the close's own months
    still priced from a stale month before them (firm_overview `stale`): close them again before approving them.
    Then the months after the close's priced from the ledgers of a month now blocked: fix it first. Then, for a
    client whose months in the close were all priced, its later months that pricing refused because the months
    before them needed pricing first: close them now."""
    from billing_assets.environment import build_warehouse
    from billing_assets.overview import stale_reason
    from billing_assets.price import NEEDS_PRIOR, later_months
    from resources.warehouse import query_keyed

    warehouse = build_warehouse()
    if not warehouse.exists() or not pairs:
        return []
    with warehouse.connect() as conn:
        later = sorted(set(later_months(conn, pairs)) | set(pairs))  # the close's own: stale through a month before
        stale = query_keyed(conn, "stale_months", later)
        run = set(pairs)
        after = [pair for pair in later if pair not in run]  # the run's own are among its problems
        blocked = query_keyed(conn, "blocked_upstream_months", after) if after else []
        unpriced = [r for r in query_keyed(conn, "later_pricing_problems", pairs)
                    if NEEDS_PRIOR in r["problem"] and (r["client"], r["month"]) not in run]
        refused = {(r["client"], r["month"]) for r in query_keyed(conn, "pricing_problems", pairs)}
    last = {client: month for client, month in later}

    def again(r: dict) -> str:
        what = ("it and the months after it" if r["first_month"] >= r["month"]
                else f"the months from {r['first_month']} (closing {r['month']} alone prices it from the stale month "
                     "before it)")
        return f"close {what} again (`billing close --month {r['first_month']}..{last[r['client']]} " \
               f"--client {r['client']}`) before approving it"

    # a later month refused because these months needed pricing first (an earlier `start`, terms changed) stays
    # refused: name it, with the range to its client's last refused month (found by an auditor: following the
    # advice for July left August and September blocked with no word)
    ready = {c for c, _ in pairs} - {c for c, _ in refused}
    span: dict[str, tuple[str, str]] = {}  # client -> its first and last later month refused so
    for r in unpriced:
        span[r["client"]] = (span.get(r["client"], (r["month"],))[0], r["month"])
    return [f"{r['client']} {r['month']}: {stale_reason(r['why'], r['prior_month'])}: {again(r)}" for r in stale] + \
        [f"{r['client']} {r['month']}: {r['reason']}" for r in blocked] + \
        [f"{client} {first}: not priced when it was last closed, as the months before it needed pricing first; they "
         f"are priced now: close it again (`billing close --month {span_text(first, end)} --client {client}`)"
         for client, (first, end) in sorted(span.items()) if client in ready]


def contract_or_none(defs, client: str, month: str):
    """The client's contract for the month, or None when its file cannot be read (the run reported why)."""
    from billing_assets.core.errors import BillingInputError, ContractError

    try:
        return defs.resources["home"].contract_file(client).for_month(month)
    except (ContractError, BillingInputError):
        return None


def loaded_rows(defs, months: list[str]):
    """The time source's rows of the months, read outside a run (its EnvVar secrets resolved first)."""
    from billing_assets.environment import initialized

    return initialized(defs.resources["time_source"]).load(months)
