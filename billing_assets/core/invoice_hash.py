"""A content hash of a priced invoice: it changes exactly when what the client would see changes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal

from billing_assets.core.model import InvoiceLine


def invoice_content_hash(lines: Sequence[InvoiceLine], total: Decimal, extra: str = "") -> str:
    """`extra`: what else reaches the client's invoice (the contract's QuickBooks tax codes and exchange rate,
    `qbo_settings.settings_hash_part`); '' leaves the hash as it was before those settings existed."""
    parts = [f"{line.line_no}|{line.kind}|{line.description}|{line.quantity.normalize():f}|"
             f"{line.unit_price.normalize():f}|{line.amount.normalize():f}" for line in lines]
    parts.append(f"total|{total.normalize():f}")
    if extra:
        parts.append(extra)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
