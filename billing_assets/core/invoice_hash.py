"""A content hash of a priced invoice: it changes exactly when what the client would see changes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal

from billing_assets.core.model import InvoiceLine


def invoice_content_hash(lines: Sequence[InvoiceLine], total: Decimal) -> str:
    parts = [f"{line.line_no}|{line.kind}|{line.description}|{line.quantity.normalize():f}|"
             f"{line.unit_price.normalize():f}|{line.amount.normalize():f}" for line in lines]
    parts.append(f"total|{total.normalize():f}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
