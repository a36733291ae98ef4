"""Plain helpers shared by the QuickBooks client tests (tests/test_qbo_client.py, tests/test_qbo_auth.py): invoice
drafts, a pusher wired to the loopback emulator, and its API calls."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path

from billing_assets.core.invoice import round2
from billing_assets.core.model import InvoiceDraft, InvoiceLine
from resources.quickbooks.invoices import QuickBooksPusher
from resources.quickbooks.limits import RateLimiter, RetryPolicy
from resources.quickbooks.tokens import FileTokenStore
from tests.emulators.qbo_server import DEFAULT_REFRESH_TOKEN, QboEmulator

D = Decimal
FAST = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, throttle_delay=0.02, jitter=0.1)


def line(no: int, kind: str, description: str, qty: str, price: str, amount: str | None = None,
         role: str | None = None) -> InvoiceLine:
    value = D(amount) if amount is not None else round2(D(qty) * D(price))
    return InvoiceLine(no, kind, description, None, None, role, None, D(qty), D(price), value)


def make_draft(client: str = "acme", name: str = "Acme Corp", month: str = "2026-10", hours: str = "12.5",
               rate: str = "150.00", extra: tuple[InvoiceLine, ...] = ()) -> InvoiceDraft:
    lines = (
        line(1, "retainer_fee", "Monthly retainer", "1", "2000.00"),
        line(2, "retainer_covered", "Hours covered by the retainer", "20", "0", role="Senior"),
        line(3, "hourly", "Senior consulting beyond the retainer", hours, rate, role="Senior"),
        line(4, "discount", "Loyalty discount", "1", "-100.00"),
        *extra,
    )
    total = sum((ln.amount for ln in lines), D(0))
    digest = hashlib.sha256(repr((lines, total)).encode()).hexdigest()
    year, mon = (int(p) for p in month.split("-"))
    invoice_date = date(year + mon // 12, mon % 12 + 1, 1)
    return InvoiceDraft(client, month, name, "USD", invoice_date, date.fromordinal(invoice_date.toordinal() + 30),
                        lines, total, digest)


def make_pusher(emu: QboEmulator, store: Path | FileTokenStore, **overrides) -> QuickBooksPusher:
    settings_ = dict(
        client_id=emu.client_id, client_secret=emu.client_secret, realm_id=emu.realm_id,
        token_store=store if isinstance(store, FileTokenStore) else FileTokenStore(store),
        refresh_token=DEFAULT_REFRESH_TOKEN,  # what QBO_REFRESH_TOKEN holds across runs
        base_url=emu.base_url, discovery_url=emu.discovery_url, timeout=0.5, retry=FAST,
        rate_limiter=RateLimiter(per_second=1000, per_minute=100000),
    )
    settings_.update(overrides)
    return QuickBooksPusher(**settings_)


def api_calls(emu: QboEmulator) -> list:
    return [r for r in emu.requests if r.path.startswith("/v3/")]
