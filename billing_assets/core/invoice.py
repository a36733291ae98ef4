"""The QuickBooks shape of a priced invoice: DocNumber, the QBO v3 Invoice JSON, the offline outbox copy
and an HTML preview for the reviewer. Pure: no Dagster, no I/O.

Money stays Decimal end to end; `dumps_payload` writes Decimals as exact JSON numbers.

Qty x UnitPrice = Amount: QuickBooks rejects a sales line whose Amount is not Qty x UnitPrice rounded to
cents. Time lines are priced as round2(qty x rate), which lands on a half-cent tie for some products
(0.5 h x 10.01 = 5.005 -> 5.01), where QuickBooks' rounding may disagree with ours. `line_qty_price`
keeps the contract rate whenever |qty x rate - amount| < 0.005 (unambiguous under any rounding rule) and
otherwise sends UnitPrice = amount / qty to 5 decimals; if that still does not fit, the line goes as
Qty 1 x amount. Amount is always the draft's exact amount.

Taxes and currencies come from the contract's `quickbooks:` settings (core/qbo_settings.py): each line's
TaxCodeRef by its kind, GlobalTaxCalculation, TxnTaxDetail.TxnTaxCodeRef, and ExchangeRate for a currency other
than the company's home currency. Without them the payload is exactly what it was before they existed.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from billing_assets.core.model import InvoiceDraft, InvoiceLine

DOC_NUMBER_MAX = 21
DESCRIPTION_MAX = 4000
ITEM_NAME_MAX = 100
CENT = Decimal("0.01")
HALF_CENT = Decimal("0.005")
UNIT_PRICE_STEP = Decimal("0.00001")
QTY_STEP = Decimal("0.0000001")  # QuickBooks Online keeps 7 decimals of Qty and UnitPrice
NOTE_PREFIX = "billing:"

KIND_ITEM_NAMES = {
    "retainer_fee": "Retainer fee",
    "fixed_fee": "Fixed fee",
    "retainer_covered": "Retainer hours",
    "hourly": "Hourly services",
    "overage": "Overage hours",
    "cap_adjustment": "Cap adjustment",
    "discount": "Discount",
    "minimum_adjustment": "Minimum adjustment",
    "prior_period_adjustment": "Prior period adjustment",
    "expense": "Reimbursable expenses",
}
ROLE_KINDS = ("retainer_covered", "hourly", "overage")  # one service item per role for time lines


def doc_number(client: str, month: str) -> str:
    """Deterministic DocNumber for one client-month: `<slug prefix>-<YYYYMM>-<hash5>`, at most 21 chars."""
    if not re.fullmatch(r"\d{4}-\d{2}", month):
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    prefix = re.sub(r"[^A-Za-z0-9]", "", client).upper()[:7] or "INV"
    digest = hashlib.sha256(f"{client}|{month}".encode()).hexdigest()[:5].upper()
    number = f"{prefix}-{month.replace('-', '')}-{digest}"
    assert len(number) <= DOC_NUMBER_MAX
    return number


def private_note(draft: InvoiceDraft) -> str:
    """The PrivateNote that marks an invoice as ours: client-month key and content hash."""
    return f"{NOTE_PREFIX}{draft.key} hash:{draft.content_hash}"


def parse_private_note(note: str | None) -> tuple[str, str] | None:
    """(key, content_hash) from a PrivateNote we wrote, or None when the note is not ours."""
    match = re.fullmatch(r"billing:(\S+) hash:(\S+)", (note or "").strip())
    return (match.group(1), match.group(2)) if match else None


def item_name(line: InvoiceLine) -> str:
    """The QuickBooks service item for a line: one per kind, and per role for time lines."""
    base = KIND_ITEM_NAMES.get(line.kind)
    if base is None:
        raise ValueError(f"line {line.line_no}: unknown line kind {line.kind!r}")
    role = (line.role or "").strip()
    name = f"{base} - {role}" if line.kind in ROLE_KINDS and role else base
    # ':' separates sub-items in QuickBooks names; tabs/newlines are rejected.
    name = re.sub(r"\s+", " ", re.sub(r"\s*:\s*", " - ", name)).strip()
    return name[:ITEM_NAME_MAX]


def item_names(draft: InvoiceDraft) -> list[str]:
    """The distinct item names a draft needs, in line order."""
    return list(dict.fromkeys(item_name(line) for line in draft.lines))


def round2(value: Decimal) -> Decimal:
    """Round to cents, half up (the pricing convention)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_qty_price(line: InvoiceLine) -> tuple[Decimal, Decimal]:
    """(Qty, UnitPrice) to send so that Qty x UnitPrice rounds to Amount under any rounding rule. Qty is cut to the
    7 decimals QuickBooks keeps (hours are kept to 1e-10: a 1:20:00 is sent as 1.3333333)."""
    qty, price, amount = _trim(line.quantity.quantize(QTY_STEP, rounding=ROUND_HALF_UP)), line.unit_price, line.amount
    if qty == 0:
        return (Decimal(0), price) if amount == 0 else (Decimal(1), amount)
    if abs(qty * price - amount) < HALF_CENT:
        return qty, price
    derived = _trim((amount / qty).quantize(UNIT_PRICE_STEP, rounding=ROUND_HALF_UP))
    if abs(qty * derived - amount) < HALF_CENT:
        return qty, derived
    return Decimal(1), amount


def _trim(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (10.02000 -> 10.02, 150.000 -> 150)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


FEE_KINDS = ("retainer_fee", "fixed_fee", "retainer_covered", "hourly", "overage")
FEE_ADJUSTMENTS = ("cap_adjustment", "discount", "minimum_adjustment", "prior_period_adjustment")


def line_tax_code(draft: InvoiceDraft, line: InvoiceLine) -> str | None:
    """The contract's QuickBooks tax code for a line (its kind's, else `default`), or None. A line that adjusts the
    fees (cap, discount, minimum, a late change) without a code of its own is taxed as the invoice's fee lines when
    they share one code, before `default`: an uncoded minimum left 500.00 of fees taxed as 250.00. When they do not
    share one, an uncoded discount goes out in parts, one per code (`discount_parts`), and any other adjustment has
    no code (`fee_codes_differ` refuses the draft): `default` would tax a minimum of fees at 20% as exempt."""
    tax = draft.quickbooks.tax if draft.quickbooks else None
    if tax is None:
        return None
    if line.kind in FEE_ADJUSTMENTS and line.kind not in tax.codes:
        if discount_parts(draft, line):  # as the payload sends it: in parts, none of one code
            return None
        fees = fee_codes(draft)
        if len(fees) == 1 and None not in fees:
            return next(iter(fees))
        if len(fees) > 1:  # refused (`fee_codes_differ`): `default` says not which fees it adjusts
            return None
    return tax.code_for(line.kind)


def discount_parts(draft: InvoiceDraft, line: InvoiceLine) -> list[tuple[str | None, Decimal]]:
    """An uncoded discount of fee lines taxed with different codes, split by code in proportion to those fees net
    of their cap adjustments (the discount is a share of every fee, spec section 4 step 9), to the cent, the
    largest part taking the rounding: taxed at `default`, a discount of fees at 20% and exempt ones reduced no VAT
    (found by an auditor: 314.00 of VAT for 282.60). Empty when the discount has one code (its own, or its
    fees' one)."""
    tax = draft.quickbooks.tax if draft.quickbooks else None
    if tax is None or line.kind != "discount" or line.kind in tax.codes:
        return []
    fees: dict[str | None, Decimal] = {}
    for fee in draft.lines:  # the fees the discount is a share of, the cap adjustments included (step 9)
        if fee.kind in (*FEE_KINDS, "cap_adjustment") and fee.amount:
            code = tax.code_for(fee.kind) if fee.kind in FEE_KINDS else line_tax_code(draft, fee)
            fees[code] = fees.get(code, Decimal(0)) + fee.amount
    total = sum(fees.values(), Decimal(0))
    if len(fees) < 2 or not total:
        return []
    order = sorted(fees, key=lambda code: (fees[code], code or ""), reverse=True)  # the largest part first
    parts = [(code, round2(line.amount * fees[code] / total)) for code in order[1:]]
    parts.insert(0, (order[0], line.amount - sum((amount for _, amount in parts), Decimal(0))))
    return [(code, amount) for code, amount in parts if amount]


def fee_codes(draft: InvoiceDraft) -> set[str | None]:
    """The tax codes of the draft's fee lines that bill an amount (None for an uncoded one; a line of hours the
    retainer covers bills 0.00 and is taxed on nothing)."""
    settings = draft.quickbooks
    return {settings.code_for(ln.kind) if settings else None for ln in draft.lines
            if ln.kind in FEE_KINDS and ln.amount}


def fee_codes_differ(draft: InvoiceDraft) -> list[str]:
    """Kinds of the draft's uncoded fee adjustment lines when its fee lines are taxed differently: which tax the
    discount or minimum takes off or adds cannot be told, so the contract must name it (`default` does not)."""
    fees = fee_codes(draft)
    if len(fees) < 2 or fees == {None}:
        return []
    return sorted({ln.kind for ln in draft.lines if ln.kind in FEE_ADJUSTMENTS and line_tax_code(draft, ln) is None
                   and not discount_parts(draft, ln)})


def line_description(line: InvoiceLine) -> str:
    """The line's description as sent; when the unit price sent is not the rate (`line_qty_price` moved it so that
    quantity x price gives the amount, as 150.26 for 0.5 h at 150.25 = 75.13), the rate is said at its end."""
    qty, price = line_qty_price(line)
    if line.quantity and (qty, price) != (_trim(line.quantity.quantize(QTY_STEP, rounding=ROUND_HALF_UP)),
                                          line.unit_price):
        said = f" ({_trim(line.quantity.quantize(QTY_STEP, rounding=ROUND_HALF_UP))} at {line.unit_price:,.2f})"
        return _cut(line.description, DESCRIPTION_MAX - len(said)) + said
    return _cut(line.description, DESCRIPTION_MAX)


def _cut(text: str, limit: int) -> str:
    """`text` within QuickBooks' `limit` characters, its cut marked with an ellipsis (a reader sees it goes on)."""
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _line_payload(line: InvoiceLine, item_ref: dict[str, str], tax_ref: dict[str, str] | None) -> dict[str, Any]:
    qty, price = line_qty_price(line)
    detail: dict[str, Any] = {"ItemRef": item_ref, "Qty": qty, "UnitPrice": price}
    if tax_ref is not None:
        detail["TaxCodeRef"] = tax_ref
    return {
        "LineNum": line.line_no,
        "Description": line_description(line),
        "Amount": line.amount,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": detail,
    }


def _invoice_payload(draft: InvoiceDraft, customer_ref: dict[str, str], item_ref: Callable[[str], dict[str, str]],
                     tax_ref: Callable[[str], dict[str, str]], foreign: bool) -> dict[str, Any]:
    if not draft.lines:
        raise ValueError(f"{draft.key}: an invoice needs at least one line")
    lines = []
    for line in draft.lines:
        if parts := discount_parts(draft, line):
            for code, amount in parts:
                part = replace(line, description=f"{line.description} (fees taxed {code or 'without a code'})",
                               quantity=Decimal(1), unit_price=amount, amount=amount)
                lines.append(_line_payload(part, item_ref(item_name(line)), tax_ref(code) if code else None))
            continue
        code = line_tax_code(draft, line)
        lines.append(_line_payload(line, item_ref(item_name(line)), tax_ref(code) if code else None))
    payload: dict[str, Any] = {
        "DocNumber": doc_number(draft.client, draft.month),
        "TxnDate": draft.invoice_date.isoformat(),
        "DueDate": draft.due_date.isoformat(),
        "CustomerRef": customer_ref,
        "CurrencyRef": {"value": draft.currency},
        "EmailStatus": "NotSet",
        "PrivateNote": private_note(draft),
        "Line": lines,
    }
    settings = draft.quickbooks
    if settings is not None and settings.exchange_rate is not None and foreign:
        payload["ExchangeRate"] = settings.exchange_rate
    tax = settings.tax if settings is not None else None
    if tax is not None and tax.global_calculation:
        payload["GlobalTaxCalculation"] = tax.global_calculation
    if tax is not None and tax.txn_code:
        payload["TxnTaxDetail"] = {"TxnTaxCodeRef": tax_ref(tax.txn_code)}
    return payload


def qbo_invoice_payload(draft: InvoiceDraft, customer_ref: str, item_refs: Mapping[str, str],
                        tax_refs: Mapping[str, str] | None = None, home_currency: str | None = None
                        ) -> dict[str, Any]:
    """The QBO v3 Invoice JSON for a draft. `customer_ref` is the Customer Id; `item_refs` maps
    `item_name(line)` to the Item Id; `tax_refs` maps the contract's tax codes to TaxCode Ids (default: as
    written). ExchangeRate goes only with a currency other than `home_currency` (when known). Money values are
    Decimal (serialize with `dumps_payload`)."""

    def ref(name: str) -> dict[str, str]:
        if name not in item_refs:
            raise ValueError(f"{draft.key}: no QuickBooks item id for {name!r}")
        return {"value": str(item_refs[name]), "name": name}

    def tax(code: str) -> dict[str, str]:
        return {"value": str((tax_refs or {}).get(code, code))}

    foreign = home_currency is None or draft.currency != home_currency
    return _invoice_payload(draft, {"value": str(customer_ref), "name": draft.customer_name}, ref, tax, foreign)


def outbox_payload(draft: InvoiceDraft) -> dict[str, Any]:
    """The same invoice with the customer and items by name (no QuickBooks ids), for the offline outbox."""
    return _invoice_payload(draft, {"name": draft.customer_name}, lambda name: {"name": name},
                            lambda code: {"value": code}, True)


_DECIMAL_MARK = re.compile(r'"\\u0000dec:([-0-9.Ee+]+)"')


def dumps_payload(payload: Any, *, indent: int | None = None) -> str:
    """JSON text with Decimals written as exact JSON numbers (never through float)."""

    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise ValueError(f"not a finite amount: {value}")
            return f"\u0000dec:{value}"
        if isinstance(value, date):
            return value.isoformat()
        raise TypeError(f"not JSON serializable: {type(value).__name__}")

    return _DECIMAL_MARK.sub(r"\1", json.dumps(payload, default=default, indent=indent, sort_keys=False))


# --- HTML preview -------------------------------------------------------------------------------------

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#222;margin:2rem;}
.invoice{max-width:860px;margin:auto;}
.banner{background:#fff4d6;border:1px solid #e8c66a;padding:.5rem .75rem;margin-bottom:1rem;font-size:.9rem;}
.head{display:flex;justify-content:space-between;align-items:flex-start;}
h1{font-size:1.6rem;margin:0 0 .25rem 0;} h2{font-size:1.1rem;margin:0;color:#555;font-weight:normal;}
dl{display:grid;grid-template-columns:auto auto;gap:.15rem 1rem;margin:0;font-size:.9rem;}
dt{color:#666;} dd{margin:0;text-align:right;}
table{width:100%;border-collapse:collapse;margin-top:1.5rem;font-size:.9rem;}
th{text-align:left;border-bottom:2px solid #333;padding:.4rem;}
td{border-bottom:1px solid #ddd;padding:.4rem;vertical-align:top;}
.num{text-align:right;white-space:nowrap;} .kind{color:#777;font-size:.8rem;}
tfoot td{border:none;font-weight:bold;} .warn{color:#b00020;}
.foot{margin-top:1.5rem;color:#888;font-size:.75rem;}
"""


def _money(value: Decimal) -> str:
    return f"{round2(value):,.2f}"


def _qty(value: Decimal) -> str:
    return format(_trim(value), "f")


def _price(value: Decimal) -> str:
    return f"{value:,.2f}" if value == round2(value) else f"{_trim(value):,f}"


def _month_label(month: str) -> str:
    year, mon = (int(part) for part in month.split("-"))
    return date(year, mon, 1).strftime("%B %Y")


def _preview_row(draft: InvoiceDraft, line: InvoiceLine) -> str:
    qty, price = line_qty_price(line)
    e = html.escape
    code = line_tax_code(draft, line)
    tax = f'<div class="kind">tax code {e(code)}</div>' if code else ""
    return (
        "<tr>"
        f"<td>{line.line_no}</td>"
        f"<td>{e(line_description(line))}<div class=\"kind\">{e(line.kind.replace('_', ' '))}</div></td>"
        f"<td>{e(item_name(line))}{tax}</td>"
        f"<td class=\"num\">{e(_qty(qty))}</td>"
        f"<td class=\"num\">{e(_price(price))}</td>"
        f"<td class=\"num\">{e(_money(line.amount))}</td>"
        "</tr>"
    )


DRAFT_BANNER = ('<div class="banner">Draft for review: not sent. QuickBooks EmailStatus stays NotSet until '
                'approved.</div>')


def sent_preview(page: str, approved_by: str, sent_at: str) -> str:
    """The preview of a draft once it was sent: the same page, its banner saying when and by whom it was approved
    (the page said "not sent" after the approval)."""
    banner = f'<div class="banner">Sent: approved by {html.escape(approved_by)} at {html.escape(sent_at)}.</div>'
    return page.replace(DRAFT_BANNER, banner, 1)


def render_html_preview(draft: InvoiceDraft) -> str:
    """A self-contained HTML page of the draft as QuickBooks will receive it. All text is escaped."""
    e = html.escape
    subtotal = sum((line.amount for line in draft.lines), Decimal(0))
    mismatch = "" if subtotal == draft.total else (
        f'<tr><td colspan="5" class="num warn">Lines sum to {e(_money(subtotal))}, '
        f'draft total is {e(_money(draft.total))}</td><td></td></tr>')
    rows = "\n".join(_preview_row(draft, line) for line in draft.lines)
    settings = draft.quickbooks
    extra = "" if settings is None or settings.exchange_rate is None else (
        f"<dt>Exchange rate</dt><dd>{e(format(settings.exchange_rate, 'f'))}</dd>")
    if settings is not None and settings.tax is not None and settings.tax.global_calculation:
        extra += f"<dt>Tax</dt><dd>{e(settings.tax.global_calculation)}</dd>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Invoice {e(doc_number(draft.client, draft.month))} - {e(draft.customer_name)}</title>
<style>{_CSS}</style></head>
<body><div class="invoice">
{DRAFT_BANNER}
<div class="head">
<div><h1>{e(draft.customer_name)}</h1><h2>Services for {e(_month_label(draft.month))}</h2></div>
<dl>
<dt>Invoice no.</dt><dd>{e(doc_number(draft.client, draft.month))}</dd>
<dt>Invoice date</dt><dd>{e(draft.invoice_date.isoformat())}</dd>
<dt>Due date</dt><dd>{e(draft.due_date.isoformat())}</dd>
<dt>Currency</dt><dd>{e(draft.currency)}</dd>
{extra}</dl>
</div>
<table>
<thead><tr><th>#</th><th>Description</th><th>Item</th><th class="num">Qty</th><th class="num">Unit price</th>
<th class="num">Amount</th></tr></thead>
<tbody>
{rows}
</tbody>
<tfoot>
<tr><td colspan="5" class="num">Subtotal</td><td class="num">{e(_money(subtotal))}</td></tr>
<tr><td colspan="5" class="num">Total ({e(draft.currency)})</td>
<td class="num">{e(_money(draft.total))}</td></tr>
{mismatch}
</tfoot>
</table>
<div class="foot">Client {e(draft.client)} &middot; month {e(draft.month)} &middot;
content hash {e(draft.content_hash[:16])}</div>
</div></body></html>
"""
