"""What an invoice in QuickBooks holds, compared with our draft: the fields we manage as text, a diff, and
whether a person has sent, delivered, printed or been paid on it (then we never modify it)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from billing_assets.core.invoice import outbox_payload, parse_private_note
from billing_assets.core.model import InvoiceDraft


def note_key(invoice: Mapping[str, Any]) -> str | None:
    """Our client-month key from the PrivateNote we write, or None."""
    note = parse_private_note(invoice.get("PrivateNote"))
    return note[0] if note else None


def note_hash(invoice: Mapping[str, Any]) -> str | None:
    """The content hash of the draft we last wrote, from the PrivateNote, or None."""
    note = parse_private_note(invoice.get("PrivateNote"))
    return note[1] if note else None


def sent_reason(invoice: Mapping[str, Any]) -> str | None:
    """Why an invoice must no longer be modified: sent, delivered, printed or (partly) paid; else None."""
    if invoice.get("EmailStatus") == "EmailSent":
        return "sent from QuickBooks (EmailStatus EmailSent)"
    if (invoice.get("DeliveryInfo") or {}).get("DeliveryTime"):
        return "delivered from QuickBooks"
    if invoice.get("PrintStatus") == "PrintComplete":
        return "printed from QuickBooks"
    if any(txn.get("TxnType") == "Payment" for txn in invoice.get("LinkedTxn") or []):
        return "payment received"
    try:
        if Decimal(str(invoice.get("Balance"))) < Decimal(str(invoice.get("TotalAmt"))):
            return "payment received"
    except (InvalidOperation, TypeError):
        pass
    return None


def _num(value: Any) -> str:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError):
        return str(value)
    whole = number == number.to_integral_value()
    return format(number.quantize(Decimal(1)) if whole else number.normalize(), "f")


def names_taxes(draft: InvoiceDraft) -> bool:
    """Whether the draft's contract names QuickBooks tax codes (then they are compared and diffed)."""
    return bool(draft.quickbooks and draft.quickbooks.tax and (draft.quickbooks.tax.codes or
                                                              draft.quickbooks.tax.txn_code))


HEADER_LINES = 5  # invoice_lines' first lines: customer, DocNumber, TxnDate, DueDate, currency


def invoice_lines(invoice: Mapping[str, Any], taxes: bool = False) -> list[str]:
    """A text rendering of the fields we manage, for comparison and diffs (QuickBooks JSON or our payload).
    `taxes`: with each line's tax code and the invoice's tax settings (only when our contract names codes:
    QuickBooks fills defaults in that we must not mistake for a person's edit)."""
    ref = invoice.get("CustomerRef") or {}
    out = [f"Customer: {ref.get('name', ref.get('value', ''))}", f"DocNumber: {invoice.get('DocNumber')}",
           f"TxnDate: {invoice.get('TxnDate')}", f"DueDate: {invoice.get('DueDate')}",
           f"Currency: {(invoice.get('CurrencyRef') or {}).get('value')}"]
    total = Decimal(0)
    for line in invoice.get("Line") or []:
        if line.get("DetailType") != "SalesItemLineDetail":
            continue
        detail = line.get("SalesItemLineDetail") or {}
        item = (detail.get("ItemRef") or {}).get("name", "")
        tax = f" | tax {(detail.get('TaxCodeRef') or {}).get('value')}" if taxes else ""
        out.append(f"Line: {line.get('Description', '')} | {item} | {_num(detail.get('Qty'))} x "
                   f"{_num(detail.get('UnitPrice'))} = {_num(line.get('Amount'))}{tax}")
        total += Decimal(str(line.get("Amount") or 0))
    out.append(f"Total: {_num(total)}")
    if taxes:
        txn = ((invoice.get("TxnTaxDetail") or {}).get("TxnTaxCodeRef") or {}).get("value")
        out.append(f"Tax: {invoice.get('GlobalTaxCalculation')} {txn}")
    return out


def invoice_diff(current: Mapping[str, Any], draft: InvoiceDraft) -> str:
    """Unified diff from what QuickBooks holds to what we would push."""
    taxes = names_taxes(draft)
    theirs, ours = invoice_lines(current, taxes), invoice_lines(outbox_payload(draft), taxes)
    diff = difflib.unified_diff(theirs, ours, "quickbooks", "draft", lineterm="", n=1)
    return "\n".join(diff) or "(no difference in lines, dates or customer)"



def withdrawal_diff(current: Mapping[str, Any], draft: InvoiceDraft) -> str:
    """Unified diff from what QuickBooks holds to nothing: what withdrawing the draft of a month that now prices to
    nothing (`draft`) would remove."""
    theirs = invoice_lines(current, names_taxes(draft))
    diff = difflib.unified_diff(theirs, [], "quickbooks", "draft (nothing to bill)", lineterm="", n=1)
    return "\n".join(diff) or "(no lines in QuickBooks)"
