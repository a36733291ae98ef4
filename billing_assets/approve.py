"""Approval: a person's go-ahead sends pushed drafts (QuickBooks' send endpoint) and records who and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from billing_assets.overview import refresh
from billing_assets.push import PUSH_COLUMNS
from resources.invoice_sink import InvoiceSink, KnownPush
from resources.warehouse import Warehouse, WarehouseConnection, append_rows, query, query_keyed

SENDABLE = ("created", "updated", "unchanged", "recovered")


@dataclass(frozen=True)
class Approval:
    client: str
    month: str
    status: str  # sent | already_sent | skipped | failed
    detail: str


def approve(warehouse: Warehouse, sink: InvoiceSink | None, pairs: list[tuple[str, str]], approved_by: str,
            blocked: dict[tuple[str, str], list[str]], home: str = "") -> list[Approval]:
    """Send each client-month's latest pushed draft, through the sink it was pushed to (`sink`, when of that
    kind and initialised, else built for that kind), unless it is blocked, conflicted, unpushed or sent."""
    if not approved_by.strip():
        raise ValueError("approval needs the approver's name (--by)")
    with warehouse.connect() as conn:
        known = recorded_pushes(conn, pairs)
        stale = {(r["client"], r["month"]): r["prior_month"] for r in query_keyed(conn, "stale_months", pairs)}
    results, records = [], []
    built: dict[str, InvoiceSink] = {}
    for pair in pairs:
        kind, record = known.get(pair, ("", None))
        if pair in blocked:
            results.append(Approval(*pair, "skipped", "blocking checks failed: " + "; ".join(blocked[pair])))
        elif record is None or record.status == "withdrawn":  # withdrawn: the month now has nothing to bill
            results.append(Approval(*pair, "skipped", "no pushed draft"))
        elif record.status == "sent":
            results.append(Approval(*pair, "already_sent", "sent earlier"))
        elif record.status not in SENDABLE:
            results.append(Approval(*pair, "skipped", f"latest push is {record.status}"))
        elif pair in stale:
            results.append(Approval(*pair, "skipped", f"priced from the ledgers of {stale[pair]} before it was "
                                                      f"priced again (retainer lots, lifetime cap totals): close "
                                                      f"{pair[1]} again, review the new draft, then approve"))
        elif _current_hash(warehouse, *pair) != record.content_hash:
            results.append(Approval(*pair, "skipped", "re-priced since the push: close the month again, review "
                                                      "the new draft, then approve"))
        else:
            try:
                pair_sink = sink_for(sink, kind, home or (sink.home if sink is not None else ""), built)
                external_id, sent_at = pair_sink.send(record, approved_by)
            except Exception as exc:  # one client's refusal (no email, edited since) must not stop the others
                results.append(Approval(*pair, "failed", f"{type(exc).__name__}: {exc}"))
                continue
            note = f"approved by {approved_by} at {sent_at}"
            records.append((*pair, kind, record.doc_number, record.content_hash, "sent",
                            external_id or record.external_id, record.sync_token, "", note,
                            datetime.now(UTC).replace(tzinfo=None)))
            results.append(Approval(*pair, "sent", note))
    with warehouse.connect() as conn:
        append_rows(conn, "invoice_pushes", PUSH_COLUMNS, records)
        for client, month, *rest in records:
            params = {"client": client, "month": month, "content_hash": rest[2], "approved_by": approved_by}
            conn.run("queries/snapshot_sent_invoice.sql", params)
            conn.run("queries/snapshot_sent_adjustments.sql", {"client": client, "month": month})
        if records:
            refresh(conn)  # the overview says `sent` at once, not at the next close's push step
    return results


def _current_hash(warehouse: Warehouse, client: str, month: str) -> str | None:
    with warehouse.connect() as conn:
        rows = query(conn, "current_invoice_hash", {"client": client, "month": month})
    return rows[0]["content_hash"] if rows else None


def recorded_pushes(conn: WarehouseConnection, pairs: list[tuple[str, str]]
                    ) -> dict[tuple[str, str], tuple[str, KnownPush]]:
    """{(client, month): (sink kind, last push)}: where each draft was pushed, whatever BILLING_PUSH says now."""
    rows = query_keyed(conn, "recorded_pushes", pairs)
    return {(r["client"], r["month"]): (r["sink"], KnownPush(r["content_hash"], r["external_id"], r["sync_token"],
                                                             r["status"], r["doc_number"])) for r in rows}


def sink_for(configured: InvoiceSink | None, kind: str, home: str, built: dict[str, InvoiceSink]) -> InvoiceSink:
    """The sink a draft was pushed to: the configured (initialised) one when it is of that kind, else that kind's
    sink built and initialised here (its secrets resolved from the environment, as a run does)."""
    if configured is not None and configured.kind == kind:
        return configured
    if kind not in built:
        from billing_assets.environment import build_sink

        built[kind] = build_sink(home, kind).process_config_and_initialize()
    return built[kind]
