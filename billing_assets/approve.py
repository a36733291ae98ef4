"""Approval: a person's go-ahead sends pushed drafts (QuickBooks' send endpoint) and records who and when.

What was sent is frozen with its record: for each client-month the re-check (the invoice still has the pushed
draft's content hash), the send, the `sent` record and the snapshot in `sent_invoices` / `sent_adjustments` happen
in one transaction holding that client-month's partition lock (DuckDB: the file, one writer; PostgreSQL: the
advisory lock of sql/lock_partitions.postgres.sql that every close's replace takes). A close that re-prices the month
meanwhile waits, then finds it sent (`conflict_sent`) and the next unsent month carries the difference. A process
that stops before the commit leaves nothing recorded (a retry sends again: QuickBooks answers `already sent`); a
month recorded `sent` without its snapshot (by a version that wrote them apart) is repaired by the next approval of
it from the invoice of the recorded content hash."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from dagster import AssetMaterialization, MetadataValue

from billing_assets.common import advised, hours_text, money
from billing_assets.core.invoice import doc_number
from billing_assets.export_changes import NO_PRICED_INVOICE
from billing_assets.overview import in_quickbooks, refresh, refused_months
from billing_assets.partitions import client_month_key
from billing_assets.push import PUSH_COLUMNS, push_row
from billing_assets.refusals import Refusal
from resources.invoice_sink import InvoiceSink, KnownPush, mark_preview_sent
from resources.warehouse import Warehouse, WarehouseConnection, append_rows, query, query_keyed

SENDABLE = ("created", "updated", "unchanged", "recovered")
NOTHING_TO_APPROVE = "nothing to approve"  # a month outside the engagement: not a failure of the approval
REPRICED = "re-priced since the push: close the month again, review the new draft, then approve"
EDITED = ("a person edited {doc} in QuickBooks, so the month's new draft was not pushed over it: send their version "
          "from QuickBooks, or delete it there and close again (`billing close --month {month} --client {client} "
          "--recreate-deleted`) to draft ours")
_NOTE = re.compile(r"approved by (?P<by>.+?) at (?P<at>\S+?)(;.*)?", re.DOTALL)  # a `sent` record's note


@dataclass(frozen=True)
class Approval:
    client: str
    month: str
    status: str  # sent | already_sent | skipped | failed
    detail: str

    @property
    def settled(self) -> bool:
        """Sent, sent before, or nothing due (no draft, a month outside the engagement): not a failed approval."""
        return (self.status in ("sent", "already_sent") or self.detail == "no pushed draft"
                or self.detail.endswith(NOTHING_TO_APPROVE))


def _refused(pair: tuple[str, str], reason: str, span: str) -> Approval:
    again = "" if NO_PRICED_INVOICE in reason else " again"  # a month never closed here: close it, not again
    return Approval(*pair, "skipped", advised(reason, f"close {span}{again}, review the new draft, then approve"))


def approve(warehouse: Warehouse, sink: InvoiceSink | None, pairs: list[tuple[str, str]], approved_by: str,
            blocked: dict[tuple[str, str], list[str]], home: str = "",
            exports_changed: dict[tuple[str, str], Refusal] | None = None) -> list[Approval]:
    """Send each client-month's latest pushed draft, through the sink it was pushed to (`sink`, when of that
    kind and initialised, else built for that kind), unless it is blocked, conflicted, unpushed, sent, stale, or
    its exports, contract or decisions changed since its close (`exports_changed`: `refusals.refusals`)."""
    if not approved_by.strip():
        raise ValueError("approval needs the approver's name (--by)")
    with warehouse.connect() as conn:
        known = recorded_pushes(conn, pairs)
        frozen = {(r["client"], r["month"]) for r in query_keyed(conn, "sent_snapshot_keys", pairs)}
        stale_rows = query_keyed(conn, "stale_months", pairs)
    refused = refused_months(stale_rows, exports_changed)
    results: list[Approval] = []
    built: dict[str, InvoiceSink] = {}
    changed = False
    for pair in pairs:
        kind, record = known.get(pair, ("", None))
        if pair in blocked and all(reason.startswith("outside the engagement") for reason in blocked[pair]):
            results.append(Approval(*pair, "skipped", f"{blocked[pair][0]}: {NOTHING_TO_APPROVE}"))
        elif pair in blocked:
            results.append(Approval(*pair, "skipped", "blocking checks failed: " + "; ".join(blocked[pair])))
        elif (record is None or record.status == "withdrawn") and pair in refused:  # e.g. a sent month's change
            results.append(_refused(pair, *refused[pair]))  # it must carry: "no pushed draft" alone hid it (exit 0)
        elif record is None or record.status == "withdrawn":  # withdrawn: the month now has nothing to bill
            results.append(Approval(*pair, "skipped", "no pushed draft"))
        elif record.status == "sent":
            detail, _, note = repair_snapshot(warehouse, pair, approved_by)
            results.append(Approval(*pair, "already_sent", detail))
            changed = True  # an approval killed after its record, before its refresh, left the overview unsent
            if noted := _NOTE.fullmatch(note or ""):
                mark_preview_sent(home or (sink.home if sink is not None else ""), *pair, noted["by"], noted["at"])
        elif pair in frozen and kind == "outbox":  # the outbox marked it sent, a restored warehouse had no record
            results.append(Approval(*pair, "already_sent", "the outbox marks it sent, but the warehouse had no "
                                                           "record of the sending (restored from an earlier backup?); "
                                                           "what was sent is frozen"))
        elif pair in frozen:  # frozen without our `sent` record: a person sent our draft in QuickBooks
            results.append(Approval(*pair, "already_sent", "sent in QuickBooks by a person, not through approval; "
                                                           "what was sent is frozen"))
        elif record.status not in SENDABLE:
            results.append(Approval(*pair, "skipped", f"latest push is {record.status}"))
        elif pair in refused:
            results.append(_refused(pair, *refused[pair]))
        else:
            try:
                pair_sink = sink_for(sink, kind, home or (sink.home if sink is not None else ""), built)
            except Exception as exc:
                results.append(Approval(*pair, "failed", f"{type(exc).__name__}: {exc}"))
                continue
            result = send_and_record(warehouse, pair_sink, pair, kind, record, approved_by)
            results.append(result)
            changed |= result.status == "sent"
    if changed:
        with warehouse.connect() as conn:
            refresh(conn)  # the overview says `sent` at once, not at the next close's push step
    return results


def send_and_record(warehouse: Warehouse, sink: InvoiceSink, pair: tuple[str, str], kind: str, record: KnownPush,
                    approved_by: str) -> Approval:
    """Re-check, send, record `sent` and freeze what was sent, in one transaction under the client-month's lock:
    no close re-prices the month between the re-check and the snapshot, so the snapshot is the sent draft's."""
    client, month = pair
    with _locked(warehouse, pair) as conn:
        newest = query(conn, "recorded_pushes")
        if newest and newest[0]["status"] == "sent":  # another approval sent it meanwhile
            return Approval(*pair, "already_sent", "sent earlier")
        if not newest or newest[0]["content_hash"] != record.content_hash or newest[0]["status"] not in SENDABLE:
            return Approval(*pair, "skipped", "pushed again since the approval started: review, then approve")
        current = query(conn, "current_invoice_hash", {"client": client, "month": month})
        if not current or current[0]["content_hash"] != record.content_hash:
            newest_any = query(conn, "newest_push_status", {"client": client, "month": month})
            if newest_any and newest_any[0]["status"] == "conflict_edited":
                return Approval(*pair, "skipped", EDITED.format(doc=newest_any[0]["doc_number"], month=month,
                                                                client=client))
            return Approval(*pair, "skipped", REPRICED)
        latest = KnownPush(record.content_hash, newest[0]["external_id"], newest[0]["sync_token"],
                           newest[0]["status"], newest[0]["doc_number"])
        if why := sink.unsendable(client, month):
            return Approval(*pair, "skipped", why)
        try:
            external_id, sent_at = sink.send(latest, approved_by)
        except Exception as exc:  # one client's refusal (no email, edited since) must not stop the others
            return Approval(*pair, "failed", f"{type(exc).__name__}: {exc}")
        note = f"approved by {approved_by} at {sent_at}"
        if newest[0]["sink_total"] is not None:  # what the client is charged, tax included
            note += f"; QuickBooks total {in_quickbooks({**newest[0], 'currency': current[0]['currency']})}"
        else:  # the outbox: the invoice's own total
            note += f"; total {money(current[0]['total'], current[0]['currency'])}"
        if current[0]["hours_held"]:
            note += (f"; {hours_text(current[0]['hours_held'])} held for review are not on it: once reviewed and "
                     f"{month} closed again, the next unsent month carries them")
        append_rows(conn, "invoice_pushes", PUSH_COLUMNS, [push_row(
            client, month, kind, latest.doc_number, latest.content_hash, "sent", external_id or latest.external_id,
            latest.sync_token, "", note)])
        _freeze(conn, client, month, latest.content_hash, approved_by)
    mark_preview_sent(sink.home, client, month, approved_by, sent_at)  # after the commit: the record says so
    return Approval(*pair, "sent", note)


def repair_snapshot(warehouse: Warehouse, pair: tuple[str, str], approved_by: str) -> tuple[str, bool, str]:
    """A sent client-month with nothing frozen (its approval stopped between the record and the snapshot, before
    they were one transaction): freeze it from the invoice of the recorded content hash, once. (detail, repaired,
    the `sent` record's note)"""
    client, month = pair
    with _locked(warehouse, pair) as conn:
        state = query(conn, "sent_snapshot_state")[0]
        note = state["sent_note"] or ""
        if state["frozen_hash"] is not None or state["sent_hash"] is None:
            return "sent earlier", False, note
        current = query(conn, "current_invoice_hash", {"client": client, "month": month})
        if not current or current[0]["content_hash"] != state["sent_hash"]:
            return ("sent earlier, but what was sent was never frozen (sent_invoices) and the invoice was re-priced "
                    "since: late changes to it are not carried until it is frozen by hand"), False, note
        noted = _NOTE.fullmatch(note)
        _freeze(conn, client, month, state["sent_hash"], noted["by"] if noted else approved_by)
    return "sent earlier; what was sent is frozen now (its snapshot was missing)", True, note


@contextmanager
def _locked(warehouse: Warehouse, pair: tuple[str, str]) -> Iterator[WarehouseConnection]:
    """A connection in a transaction holding the client-month's partition lock (`partition_keys` staged), as a
    close's replace takes it: what the block reads stays what it writes against until the commit."""
    with warehouse.connect() as conn, conn.transaction():
        conn.stage("partition_keys", ("client", "month"), [pair])
        try:
            conn.lock_partitions()
            yield conn
        finally:
            conn.unstage("partition_keys")


def _freeze(conn: WarehouseConnection, client: str, month: str, content_hash: str, approved_by: str) -> None:
    """Snapshot the invoice of `content_hash`, the adjustments it carried and its entries' classification (in the
    caller's transaction)."""
    conn.run("queries/snapshot_sent_invoice.sql", {"client": client, "month": month, "content_hash": content_hash,
                                                   "approved_by": approved_by})
    conn.run("queries/snapshot_sent_adjustments.sql", {"client": client, "month": month})
    conn.run("queries/snapshot_sent_entries.sql", {"client": client, "month": month})


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
        from billing_assets.environment import build_sink, initialized

        built[kind] = initialized(build_sink(home, kind))
    return built[kind]


def sent_events(results: list[Approval]) -> list[AssetMaterialization]:
    """A materialization of `quickbooks_draft_invoices` for each client-month this approval sent, or found sent (an
    approval killed after its record left the page as it was): the page said `push: created` after the invoice
    went out."""
    return [AssetMaterialization(asset_key="quickbooks_draft_invoices",
                                 partition=str(client_month_key(r.client, r.month)),
                                 metadata={"push": "sent", "doc_number": doc_number(r.client, r.month),
                                           "approval": MetadataValue.text(r.detail)})
            for r in results if r.status in ("sent", "already_sent")]
