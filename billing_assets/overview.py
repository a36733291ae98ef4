"""The firm overview: client x month with total, status and held hours; the first page a finance person opens.

`firm_overview` is a warehouse table rebuilt by every pricing and push step and every approval
(sql/firm_overview/select.sql) and an asset in the UI (group overview) whose materialization, reported by those
steps, carries the table as markdown."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal

from dagster import AssetKey, AssetMaterialization, AssetSpec, MetadataValue

from billing_assets.common import hours_text, money
from billing_assets.core.adjustments import engagement_end, no_carrier
from billing_assets.core.months import span_text
from billing_assets.ingest import WAREHOUSE_KIND
from billing_assets.tables import markdown_table
from resources.warehouse import WarehouseConnection, query

OVERVIEW_KEY = AssetKey("firm_overview")
OVERVIEW_MONTHS = 3  # months shown in the asset's metadata (the table holds every month)

firm_overview = AssetSpec(
    OVERVIEW_KEY, group_name="overview", kinds={WAREHOUSE_KIND},
    deps=["quickbooks_draft_invoices"],
    description="Client x month: invoice total, status (ready, needs review, blocked by which check, pushed, "
                "'pushed, needs review' while held hours wait off the draft, sent, refused, nothing to bill, "
                "outside engagement, stale when priced before its previous month changed), what QuickBooks "
                "totals a pushed draft at with its tax, and held hours. "
                "Rebuilt by every pricing and push step and every approval; the warehouse table "
                "`firm_overview` holds every month.")


def rebuild(conn: WarehouseConnection) -> None:
    """Replace the table `firm_overview` from sql/firm_overview/select.sql, in the dialect's way (refresh.sql)."""
    conn.execute(conn.sql("firm_overview/refresh.sql").replace("{select}", conn.sql("firm_overview/select.sql")))


def refresh(conn: WarehouseConnection) -> list[dict]:
    with conn.transaction():
        rebuild(conn)
    return query(conn, "firm_overview")


def stale_reason(why: str, prior_month: str) -> str:
    """Why a priced invoice is out of date (the view `stale_invoices`), as approval, the close's summary, the pricing
    log and the LEDES export say it."""
    if why == "carry":
        return (f"priced before the sent {prior_month} was priced again, so it does not carry {prior_month}'s "
                "late change as it is now")
    return f"priced from the ledgers of {prior_month} before it was priced again (retainer lots, lifetime cap totals)"


def months_to_close(row: dict) -> str:
    """The months to close again for a stale client-month (a row of queries/stale_months.sql): `M`, or `F..M` from
    the first month of its chain (closing M alone prices it from the stale month before it: still stale)."""
    return span_text(row.get("first_month") or row["month"], row["month"])


def refused_months(stale_rows: list[dict], refusals: Mapping[tuple[str, str], tuple[str, str]] | None,
                   ) -> dict[tuple[str, str], tuple[str, str]]:
    """Why approval and the LEDES export refuse each client-month, and the months to close again with it: stale
    (rows of queries/stale_months.sql), else its exports, contract or decisions changed since its close
    (`refusals`: refusals.refusals, each with the first month to close). Closing the month alone would price
    it from the outdated state of a month before it, or be refused."""
    out = {pair: (reason, span_text(first, pair[1])) for pair, (reason, first) in (refusals or {}).items()}
    return out | {(r["client"], r["month"]): (stale_reason(r["why"], r["prior_month"]), months_to_close(r))
                  for r in stale_rows}


SENT_CHANGED = "sent; changed since"  # firm_overview/select.sql


def carried_text(now: Decimal, sent: Decimal, carried: Decimal, currency: str, month: str, engagement: str,
                 sent_after: Iterable[str]) -> str:
    """What sent month `month`, priced otherwise since, prices now, what later sent months (`sent_after`) already
    carried of the difference (`carried`), and who carries the rest: the next unsent month, or nobody when the
    engagement (its window's label) ends with every later month sent (core.adjustments.no_carrier)."""
    end = engagement_end(engagement)
    ends = end if no_carrier(month, end, sent_after) else ""
    owed = now - sent - carried
    if carried and not owed:
        return f"now prices {money(now, currency)} ({now - sent:+,.2f} since sent): later sent invoices carried it"
    change = f"{now - sent:+,.2f}" if not carried else f"{now - sent:+,.2f} since sent, {owed:+,.2f} still to carry"
    if ends:
        return (f"now prices {money(now, currency)} ({change}): the engagement ends {ends} and every month to then "
                "was sent, so no invoice carries it; bill or credit it by hand, or move the contract's `end`")
    return f"now prices {money(now, currency)} ({change}): the next unsent month carries the difference"


def sent_repriced_text(was: dict, now: Decimal, currency: str, month: str, engagement: str) -> str:
    """A sent month priced otherwise since (a row of queries/sent_and_now.sql): what the client received, what it
    prices now and who carries the difference, as its pages say it."""
    return f"{money(was['sent_total'], currency)} as sent; " + carried_text(
        now, was["sent_total"], was["carried_amount"], currency, month, engagement, was["sent_after"] or [])


def as_shown(row: dict) -> tuple[str, Decimal | None]:
    """(status, total) of an overview row as a finance person reads them: a sent month shows the total the client
    received, and one priced otherwise since says what it now prices and who carries the difference."""
    status, total = row["status"], row["total"]
    if row["sent_total"] is None or not status.startswith("sent"):
        return status, total
    if status == SENT_CHANGED and total is not None:
        status = "sent; " + carried_text(total, row["sent_total"], row["carried_total"] or 0, row["currency"],
                                         row["month"], row["engagement"] or "", (row["sent_after"] or "").split(","))
    return status, row["sent_total"]


def hours_shown(row: dict) -> Decimal | None:
    """The billed hours beside `as_shown`'s total: a sent month's as sent (late time showed 7.25 h beside the total
    of an invoice that billed 10.75 h)."""
    if row.get("sent_hours") is not None and row["status"].startswith("sent"):
        return row["sent_hours"]
    return row["hours_billed"]


def in_quickbooks(row: dict) -> str:
    """What QuickBooks totals the client-month's draft at, with its tax ("" when nothing of ours is there)."""
    if row["sink_total"] is None:
        return ""
    tax = f" incl. {money(row['sink_tax'], row['currency'])} tax" if row["sink_tax"] else ""
    return money(row["sink_total"], row["currency"]) + tax


def overview_materialization(conn: WarehouseConnection) -> AssetMaterialization:
    """Rebuild the table and describe its latest months."""
    rows = refresh(conn)
    months = sorted({r["month"] for r in rows}, reverse=True)[:OVERVIEW_MONTHS]
    shown = [r for r in rows if r["month"] in months]
    in_sink = any(r["sink_total"] is not None for r in shown)  # a column only for a firm pushing to QuickBooks
    table = markdown_table(
        ("client", "month", "status", "total", *(("in QuickBooks",) if in_sink else ()), "hours billed", "held hours"),
        [(r["client"], r["month"], status, money(total, r["currency"]) if total is not None else "",
          *((in_quickbooks(r),) if in_sink else ()),
          hours_text(hours_shown(r)) if hours_shown(r) is not None else "",
          hours_text(r["hours_held"]) if r["hours_held"] is not None else "")
         for r in shown for status, total in [as_shown(r)]], limit=500)
    counts = Counter(r["status"].split(":")[0] for r in shown)
    return AssetMaterialization(asset_key=OVERVIEW_KEY, metadata={
        "months": ", ".join(months),
        "client_months_shown": len(shown),  # the table below: the latest months
        "client_months_in_warehouse": len(rows),  # every month the closes have seen (table firm_overview)
        "by_status": MetadataValue.md(markdown_table(("status", "client-months"), sorted(counts.items()))),
        "overview": MetadataValue.md(table),
    })
