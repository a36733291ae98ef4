"""`QuickBooksSink`: the live `InvoiceSink`, pushing drafts to QuickBooks Online and sending approved ones."""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING, ClassVar

from dagster import InitResourceContext

from billing_assets.core.invoice import doc_number
from billing_assets.core.model import InvoiceDraft
from resources.invoice_sink import InvoiceSink, KnownPush, SinkResult

if TYPE_CHECKING:
    from resources.quickbooks.invoices import QuickBooksPusher

_PUSHERS: dict[str, QuickBooksPusher] = {}
_PUSHERS_LOCK = threading.Lock()


class QuickBooksSink(InvoiceSink):
    """Pushes drafts to one QuickBooks Online company (EmailStatus NotSet) and sends approved ones. Secrets come
    as `EnvVar`s (QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REALM_ID, QBO_REFRESH_TOKEN); see README.md."""

    kind: ClassVar[str] = "qbo"
    client_id: str
    client_secret: str
    realm_id: str
    refresh_token: str
    environment: str = "sandbox"
    base_url: str = ""
    discovery_url: str = ""
    token_store: str = ""  # arn:... | secretsmanager:<name> | a file path; default <home>/secrets/qbo_tokens.json
    minor_version: int = 75  # the oldest Intuit honours (resources.quickbooks.client.MINOR_VERSION)
    timeout: float = 30.0
    income_account: str = "Services"

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """A new run (or step) reads the company's settings again: country, currencies, tax codes."""
        with _PUSHERS_LOCK:
            for pusher in _PUSHERS.values():
                pusher.forget_company()

    def pusher(self) -> QuickBooksPusher:
        """One pusher per configuration and thread: it holds the connection, the OAuth tokens (persisted at
        every rotation) and shares the realm's rate limiter."""
        key = hashlib.sha256(f"{threading.get_ident()}|{self.model_dump_json()}".encode()).hexdigest()
        with _PUSHERS_LOCK:
            if key not in _PUSHERS:
                if len(_PUSHERS) >= 8:  # configurations seen by this process; drop the oldest
                    _PUSHERS.pop(next(iter(_PUSHERS)))
                _PUSHERS[key] = self._build()
            return _PUSHERS[key]

    def _build(self) -> QuickBooksPusher:
        from resources.quickbooks.invoices import QuickBooksPusher
        from resources.quickbooks.tokens import token_store_for

        return QuickBooksPusher(
            client_id=self.client_id, client_secret=self.client_secret, realm_id=self.realm_id,
            refresh_token=self.refresh_token or None, environment=self.environment.strip().lower() or "sandbox",
            base_url=self.base_url or None, discovery_url=self.discovery_url or None,
            token_store=token_store_for(self.token_store, self.home), minor_version=self.minor_version,
            timeout=self.timeout, income_account=self.income_account)

    def push(self, draft: InvoiceDraft, known: KnownPush | None, recreate_deleted: bool = False) -> SinkResult:
        """Create or update the draft invoice; never touch one a person sent or edited (conflict + diff). Our draft
        a person deleted is created again only with `recreate_deleted`."""
        from resources.quickbooks.invoices import PushRecord

        record = None
        if known is not None and known.external_id and known.sync_token is not None and known.status != "withdrawn":
            record = PushRecord(qbo_id=known.external_id, sync_token=known.sync_token,
                                content_hash=known.content_hash)
        # a draft created again after a withdrawal: its create must not replay the first one's requestid
        replaces = known.external_id if record is None and known is not None and known.external_id else ""
        from resources.quickbooks.errors import QboAuthError, QboError, QboRefused

        try:
            result = self.pusher().upsert(draft, record, replaces=replaces, recreate_deleted=recreate_deleted)
        except QboRefused as exc:  # nothing was written: this client-month only is recorded as refused
            return SinkResult(status="refused", doc_number=doc_number(draft.client, draft.month),
                              external_id=None, sync_token=None, location="qbo:not pushed", diff=str(exc))
        except QboAuthError:  # the app's tokens: every client-month's push would fail the same way
            raise
        except QboError as exc:
            # QuickBooks rejected this client-month's customer or invoice (a name it does not allow, a validation
            # error), or stayed unavailable past the retries: it alone is refused, and the others are pushed. Had
            # a create gone through unanswered, the next push finds it by its DocNumber ("recovered").
            return SinkResult(status="refused", doc_number=doc_number(draft.client, draft.month),
                              external_id=None, sync_token=None, location="qbo:not pushed",
                              diff=f"{draft.client}|{draft.month}: QuickBooks: {str(exc).splitlines()[0]}")
        return SinkResult(status=result.status, doc_number=result.doc_number, external_id=result.qbo_id,
                          sync_token=result.sync_token, location=f"qbo:invoice/{result.qbo_id}",
                          diff=result.diff or result.reason, recovered=result.recovered,
                          sink_total=result.total_amt, sink_tax=result.total_tax)

    def withdraw(self, draft: InvoiceDraft, known: KnownPush) -> SinkResult:
        """Delete the draft we pushed (by Id and our SyncToken); a sent or edited one stays (conflict + diff)."""
        from resources.quickbooks.invoices import PushRecord

        doc = known.doc_number or doc_number(draft.client, draft.month)
        if not known.external_id or known.sync_token is None:  # nothing of ours in QuickBooks
            return SinkResult("unchanged", doc, None, None, "qbo:not pushed")
        record = PushRecord(qbo_id=known.external_id, sync_token=known.sync_token, content_hash=known.content_hash)
        result = self.pusher().withdraw(draft, record)
        return SinkResult(status=result.status, doc_number=result.doc_number, external_id=result.qbo_id,
                          sync_token=result.sync_token, location=f"qbo:invoice/{result.qbo_id}",
                          diff=result.diff or result.reason)

    def send(self, known: KnownPush, approved_by: str) -> tuple[str, str]:
        """Send the approved invoice (the version the reviewer saw: its SyncToken must still be current)."""
        if not known.external_id:
            raise ValueError("no QuickBooks invoice id recorded for this draft")
        result = self.pusher().send(known.external_id, approved_by, expected_sync_token=known.sync_token)
        return result.qbo_id, result.sent_at
