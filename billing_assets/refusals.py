"""Why approval (or the LEDES export) must not send a client-month whose draft lacks a change, and the months to
close again with it.

The draft lacks a change when its contract changed since its close (or cannot be read here), when its own rows or
the rows of a month it is priced from changed since (export_changes), when review decisions on it or an earlier
month changed (decision_changes), or when a sent month before it now prices otherwise under its contract as it
reads now: a base rate edited without an amendment re-prices a sent month, and the difference is carried by the
next unsent month only once that sent month is closed again (found by an auditor: closing September alone left
August's +380.00 unbilled, with approval's exit 0)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from billing_assets.common import money
from billing_assets.core.engagement import from_start
from billing_assets.core.errors import BillingInputError, ContractError
from billing_assets.core.months import add_months, month_range
from billing_assets.decision_changes import decision_refusals, priced_up_to
from billing_assets.export_changes import changed_contracts, never_closed, source_refusals, uncarried
from billing_assets.whatif import whatif_reports
from resources.home import BillingHome
from resources.timesource import TimeSource
from resources.warehouse import Warehouse, WarehouseConnection, query_keyed


class Refusal(NamedTuple):
    """Why a client-month must not be sent, and the first month to close again with it: the month itself, or the
    earlier month whose ledgers or carried differences it is priced from (closing the month alone would price it
    from that month's outdated state, or be refused)."""

    reason: str
    first: str


class TermsChange(NamedTuple):
    """A sent month that prices otherwise under its contract as it reads now than at its last close."""

    sent: Decimal  # what the client received
    then: Decimal  # its last pricing, which later months carry the difference of
    now: Decimal  # under its contract as it reads now
    currency: str
    path: str  # contracts/<file>

    def text(self, month: str) -> str:
        sent = f"sent at {money(self.sent, self.currency)}"
        was = f"{month} was {sent}" if self.then == self.sent else \
            f"{month}, {sent}, was last priced at {money(self.then, self.currency)}"
        return (f"{was}, and under its contract as it reads now ({self.path}) it prices "
                f"{money(self.now, self.currency)} ({self.now - self.then:+,.2f})")


AMENDMENT = "if the change is meant from a later month only, write it as an amendment (`effective_from`) instead"


def refusals(time_source: TimeSource, home: BillingHome, warehouse: Warehouse,
             pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Refusal]:
    """Why approval (or the LEDES export) must not send each client-month of `pairs` whose draft lacks a change:
    its contract changed since its close (or cannot be read here), a sent month before it prices otherwise under
    its contract now, its own rows changed since, or it was priced from the ledgers of an earlier month whose rows
    did (September priced from August's retainer lots before August's late row), or review decisions on it or an
    earlier month changed since they were closed; or it was never priced here while it has something to bill
    (`export_changes.never_closed`)."""
    unclosed = {pair: Refusal(why, pair[1]) for pair, why in never_closed(time_source, home, warehouse,
                                                                           pairs).items()}
    if not pairs or not warehouse.exists():
        return unclosed
    with warehouse.connect() as conn:
        priced = sorted({*priced_up_to(conn, pairs), *pairs})
        contracts = changed_contracts(conn, home, priced)
        sent = {(r["client"], r["month"]) for r in query_keyed(conn, "sent_snapshot_keys", priced)}
        terms = sent_terms_changes(conn, home, contracts, sent)
    changed = dict(unclosed)
    for client, month in pairs:
        if (client, month) in contracts:
            changed[(client, month)] = Refusal(contracts[(client, month)],
                                               first_to_close(home, contracts, priced, client, month))
        elif carrier := uncarried(client, month, terms, sent):
            changed[(client, month)] = Refusal(
                f"{terms[(client, carrier)].text(carrier)}: this month carries the difference once {carrier} is "
                f"closed again ({AMENDMENT})", carrier)
    for found in (source_refusals(time_source, home, warehouse, pairs), decision_refusals(home, warehouse, pairs)):
        changed |= {pair: Refusal(*why) for pair, why in found.items() if pair not in changed}
    return changed


def sent_terms_changes(conn: WarehouseConnection, home: BillingHome, contracts: dict[tuple[str, str], str],
                       sent: set[tuple[str, str]]) -> dict[tuple[str, str], TermsChange]:
    """The sent months among `contracts` (client-months whose contract changed since their close) that price
    otherwise under the contract as it reads now (`billing whatif` on the stored entries, chaining the ledgers from
    the engagement's start). A change that moves no amount (an alias added, a description reworded) is none."""
    out = {}
    received = {(r["client"], r["month"]): Decimal(r["total"])
                for r in query_keyed(conn, "sent_invoice_rows", [p for p in contracts if p in sent])}
    for client in sorted({c for c, m in contracts if (c, m) in sent}):
        months = sorted(m for c, m in contracts if c == client and (c, m) in sent)
        try:
            contract_file = home.contract_file(client)
            reports = whatif_reports(conn, contract_file, month_range(months[0], months[-1]))
        except (ContractError, BillingInputError, ArithmeticError):  # unreadable or unpriceable: the close says why
            continue
        for report in reports:  # a sent month the terms leave outside the engagement stays as sent (no carry)
            if report.month in months and report.difference and not report.outside:
                out[(client, report.month)] = TermsChange(
                    received.get((client, report.month), report.current_total), report.current_total,
                    report.whatif_total, report.current_currency, contract_file.label)
    return out


def first_to_close(home: BillingHome, changed: dict[tuple[str, str], str], priced: Sequence[tuple[str, str]],
                   client: str, month: str) -> str:
    """The first of the months up to `month` whose contracts all changed since they were closed (pricing refuses a
    month whose month before it was priced under earlier terms, so the months are closed again from there), or
    the engagement's `start` before it when no month from there was priced (`start` moved earlier)."""
    first = month
    while (client, add_months(first, -1)) in changed:
        first = add_months(first, -1)
    try:
        start = home.contract_file(client).for_month(first).start
    except (ContractError, BillingInputError):
        return first
    return from_start(first, start, [m for c, m in priced if c == client])
