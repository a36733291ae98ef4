"""The QuickBooks Online side of the invoice sink: one QuickBooksPusher per process, built from QBO_* variables."""

from __future__ import annotations

import os
from functools import lru_cache

from billing_assets.core.model import InvoiceDraft
from resources.invoice_sink import KnownPush, SinkResult
from resources.qbo_client import PushRecord, QuickBooksPusher, SendResult

SETTINGS = ("QBO_CLIENT_ID", "QBO_REALM_ID", "QBO_ENVIRONMENT", "QBO_BASE_URL", "QBO_DISCOVERY_URL",
            "QBO_TOKEN_STORE", "BILLING_HOME")


def pusher() -> QuickBooksPusher:
    """One per process and configuration: it holds the OAuth tokens (persisted at every rotation) and the
    per-realm rate limiter."""
    return _pusher(tuple(os.environ.get(name, "") for name in SETTINGS))


@lru_cache(maxsize=4)
def _pusher(settings: tuple[str, ...]) -> QuickBooksPusher:
    return QuickBooksPusher.from_env()


def push_to_quickbooks(draft: InvoiceDraft, known: KnownPush | None) -> SinkResult:
    """Create or update the draft invoice; never touch one a person sent or edited (conflict + diff)."""
    record = None
    if known is not None and known.external_id and known.sync_token is not None:
        record = PushRecord(qbo_id=known.external_id, sync_token=known.sync_token, content_hash=known.content_hash)
    result = pusher().upsert(draft, record)
    return SinkResult(status=result.status, doc_number=result.doc_number, external_id=result.qbo_id,
                      sync_token=result.sync_token, location=f"qbo:invoice/{result.qbo_id}",
                      diff=result.diff or result.reason)


def send_from_quickbooks(external_id: str, approved_by: str, sync_token: str | None) -> SendResult:
    """Send an approved invoice (the version the reviewer saw: its SyncToken must still be current)."""
    return pusher().send(external_id, approved_by, expected_sync_token=sync_token)
