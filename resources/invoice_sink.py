"""Where invoice drafts go: the outbox folder of QuickBooks payloads (default) or QuickBooks Online."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dagster import ConfigurableResource

from billing_assets.core.invoice import doc_number, dumps_payload, outbox_payload, render_html_preview
from billing_assets.core.model import InvoiceDraft


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
    status: str  # created | updated | unchanged | conflict_sent | conflict_edited | written
    doc_number: str
    external_id: str | None
    sync_token: str | None
    location: str
    diff: str = ""


def write_text_atomic(path: Path, text: str) -> None:
    from billing_assets.review import write_atomic

    write_atomic(path, text)


class InvoiceSink(ConfigurableResource):
    """`kind` outbox writes $BILLING_HOME/outbox/<month>/<client>.json (+ .html preview); qbo pushes drafts to
    QuickBooks Online (configured by the QBO_* environment variables)."""

    kind: str = "outbox"
    home: str = "./billing_home"

    def preview(self, draft: InvoiceDraft) -> Path:
        """Write the HTML preview a reviewer opens before approving; returns its path."""
        path = Path(self.home).resolve() / "outbox" / draft.month / f"{draft.client}.html"
        write_text_atomic(path, render_html_preview(draft))
        return path

    def push(self, draft: InvoiceDraft, known: KnownPush | None) -> SinkResult:
        if self.kind == "outbox":
            return self._outbox(draft, known)
        if self.kind == "qbo":
            return self._qbo(draft, known)
        raise ValueError(f"BILLING_PUSH must be outbox or qbo, got {self.kind!r}")

    def _outbox(self, draft: InvoiceDraft, known: KnownPush | None) -> SinkResult:
        path = Path(self.home).resolve() / "outbox" / draft.month / f"{draft.client}.json"
        if known is not None and known.status == "sent" and known.content_hash != draft.content_hash:
            return SinkResult("conflict_sent", doc_number(draft.client, draft.month), None, None, str(path),
                              "the approved invoice was sent; the re-priced invoice differs and was not written")
        unchanged = known is not None and known.content_hash == draft.content_hash and path.exists()
        if not unchanged:
            write_text_atomic(path, dumps_payload(outbox_payload(draft), indent=2) + "\n")
        status = "unchanged" if unchanged else ("updated" if known else "created")
        return SinkResult(status, doc_number(draft.client, draft.month), None, None, str(path))

    def _qbo(self, draft: InvoiceDraft, known: KnownPush | None) -> SinkResult:
        from resources.qbo_push import push_to_quickbooks

        return push_to_quickbooks(draft, known)

    def send(self, known: KnownPush, approved_by: str) -> tuple[str, str]:
        """Send an approved draft: QuickBooks' send endpoint, or (outbox) only record the approval.
        Returns (external id, when it was sent)."""
        if self.kind == "qbo":
            from resources.qbo_push import send_from_quickbooks

            if not known.external_id:
                raise ValueError("no QuickBooks invoice id recorded for this draft")
            result = send_from_quickbooks(known.external_id, approved_by, known.sync_token)
            return result.qbo_id, result.sent_at
        from datetime import UTC, datetime

        return "", datetime.now(UTC).isoformat(timespec="seconds")
