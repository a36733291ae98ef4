"""Where invoice drafts go: `InvoiceSink` and its local variant, the outbox folder of QuickBooks payloads.
The live variant is `resources.quickbooks.sink.QuickBooksSink`."""

from __future__ import annotations

import html
import re
from abc import abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

from dagster import ConfigurableResource

from billing_assets.core.invoice import doc_number, dumps_payload, outbox_payload, render_html_preview, sent_preview
from billing_assets.core.model import InvoiceDraft
from resources.files import write_atomic


@dataclass(frozen=True)
class KnownPush:
    """What we recorded of the last push of a client-month."""

    content_hash: str
    external_id: str | None
    sync_token: str | None
    status: str
    doc_number: str = ""


@dataclass(frozen=True)
class SinkResult:
    status: str  # created | updated | unchanged | conflict_sent | conflict_edited | conflict_deleted | refused
    #              | withdrawn (the draft of a month now pricing to nothing was removed)
    doc_number: str
    external_id: str | None
    sync_token: str | None
    location: str
    diff: str = ""
    recovered: bool = False  # found in the target without a record of ours (a push lost by a crash)
    sink_total: Decimal | None = None  # what the target totals the invoice at, tax included (QuickBooks' TotalAmt)
    sink_tax: Decimal | None = None  # the tax the target computed on it (QuickBooks' TxnTaxDetail.TotalTax)


class InvoiceSink(ConfigurableResource):
    """Where drafts are pushed and approved drafts sent. `kind` names the variant in `invoice_pushes.sink`."""

    kind: ClassVar[str]
    home: str = "./billing_home"

    def preview_path(self, client: str, month: str) -> Path:
        return preview_path(self.home, client, month)

    def preview(self, draft: InvoiceDraft) -> Path:
        """Write the HTML preview a reviewer opens before approving; returns its path. A preview marked sent is
        kept: it is asked for only when the warehouse knows of no sending (one restored from an earlier backup)."""
        path = self.preview_path(draft.client, draft.month)
        if _sent_banner(path) is None:
            write_atomic(path, render_html_preview(draft))
        return path

    @abstractmethod
    def push(self, draft: InvoiceDraft, known: KnownPush | None, recreate_deleted: bool = False) -> SinkResult:
        """Create or update the client-month's draft; never modify one that was sent (a conflict). After a
        withdrawal (`known.status` withdrawn) the draft is created anew. `recreate_deleted`: a person asked to
        draft again what a person deleted in the sink (otherwise a conflict)."""

    @abstractmethod
    def withdraw(self, draft: InvoiceDraft, known: KnownPush) -> SinkResult:
        """Remove the draft recorded in `known`: its client-month now prices to nothing (`draft`). Never one that
        was sent or edited (a conflict); "unchanged" when nothing of ours is there."""

    @abstractmethod
    def send(self, known: KnownPush, approved_by: str) -> tuple[str, str]:
        """Send an approved draft. Returns (external id, when it was sent)."""

    def unsendable(self, client: str, month: str) -> str:
        """Why the client-month's pushed draft cannot be sent from here, checked before `send` ("" when it can)."""
        return ""


def preview_path(home: str, client: str, month: str) -> Path:
    """The HTML preview of a client-month's draft, beside the outbox payloads (every sink writes one)."""
    return Path(home).resolve() / "outbox" / month / f"{client}.html"


def mark_preview_sent(home: str, client: str, month: str, approved_by: str, sent_at: str) -> bool:
    """The sent draft's preview says it was sent, by whom and when (it kept saying "not sent"); whether it changed
    (an approval killed between its record and this is mended by the next)."""
    path = preview_path(home, client, month)
    try:
        page = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False  # no preview of ours (deleted by a person): nothing to mark
    marked = sent_preview(page, approved_by, sent_at)
    if marked != page:
        write_atomic(path, marked)
    return marked != page


def _sent_banner(path: Path) -> str | None:
    """"approved by X at T" of a preview marked sent (`mark_preview_sent`), else None."""
    try:
        page = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    found = re.search(r'<div class="banner">Sent: (approved by .*?)\.</div>', page)
    return html.unescape(found[1]) if found else None


def _holds(path: Path, text: str) -> bool:
    """Whether the file exists and holds exactly `text`."""
    try:
        return path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


class OutboxSink(InvoiceSink):
    """Writes $BILLING_HOME/outbox/<month>/<client>.json (+ .html preview): the local twin of QuickBooks."""

    kind: ClassVar[str] = "outbox"

    def push(self, draft: InvoiceDraft, known: KnownPush | None, recreate_deleted: bool = False) -> SinkResult:
        """Write the payload; a payload deleted from the outbox is written again (the folder is ours)."""
        path = self.payload_path(draft.client, draft.month)
        known = None if known is not None and known.status == "withdrawn" else known  # pushed anew
        if known is not None and known.status == "sent" and known.content_hash != draft.content_hash:
            return SinkResult("conflict_sent", doc_number(draft.client, draft.month), None, None, str(path),
                              "the approved invoice was sent; the re-priced invoice differs and was not written")
        if known is not None and known.status == "sent":
            # found by an auditor: a sent month closed again after an upgrade that writes payloads otherwise (same
            # invoice, `1.0` now `1`) had its sent file rewritten and recorded `updated`: a draft again, sent twice
            return SinkResult("unchanged", doc_number(draft.client, draft.month), None, None, str(path))
        if (sent := _sent_banner(preview_path(self.home, draft.client, draft.month))) is not None:
            # found by an auditor: a warehouse restored from a backup made before this month was sent drafted it
            # again over the file the client received, and approval sent it a second time
            return SinkResult("conflict_sent", doc_number(draft.client, draft.month), None, None, str(path),
                              f"the outbox says this invoice was sent ({sent}) but the warehouse has no record of "
                              "it (restored from an earlier backup?): not written again; restore a copy of the "
                              "warehouse made after that sending")
        payload = dumps_payload(outbox_payload(draft), indent=2) + "\n"
        # the file itself is compared, not only the recorded hash: a close killed after writing a re-priced payload
        # and before recording it left that payload under the old record, and the next close called it unchanged
        unchanged = known is not None and known.content_hash == draft.content_hash and _holds(path, payload)
        if not unchanged:
            write_atomic(path, payload)
        status = "unchanged" if unchanged else ("updated" if known else "created")
        return SinkResult(status, doc_number(draft.client, draft.month), None, None, str(path))

    def withdraw(self, draft: InvoiceDraft, known: KnownPush) -> SinkResult:
        """Delete the payload and its preview; an approved (sent) invoice stays, a conflict."""
        path = self.payload_path(draft.client, draft.month)
        doc = known.doc_number or doc_number(draft.client, draft.month)
        if known.status == "sent":
            return SinkResult("conflict_sent", doc, None, None, str(path),
                              "the approved invoice was sent; the month now has nothing to bill and the sent "
                              "invoice was not withdrawn")
        if not path.exists():
            return SinkResult("unchanged", doc, None, None, str(path))
        path.unlink()
        path.with_suffix(".html").unlink(missing_ok=True)
        return SinkResult("withdrawn", doc, None, None, str(path),
                          f"{doc} removed from the outbox: the month now has nothing to bill")

    def payload_path(self, client: str, month: str) -> Path:
        """Where the client-month's payload is written: `outbox/<month>/<client>.json`."""
        return Path(self.home).resolve() / "outbox" / month / f"{client}.json"

    def unsendable(self, client: str, month: str) -> str:
        """A payload deleted from the outbox since its push (found by an auditor: approval recorded it sent)."""
        if self.payload_path(client, month).is_file():
            return ""
        return (f"outbox/{month}/{client}.json is missing (deleted since its push?): nothing was sent; close {month} "
                "again to write it, review it, then approve")

    def send(self, known: KnownPush, approved_by: str) -> tuple[str, str]:
        """The outbox has nothing to send to: the approval is recorded."""
        return "", datetime.now(UTC).isoformat(timespec="seconds")
