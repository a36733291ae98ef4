"""`billing export ledes`: LEDES 1998B files of closed client-months for clients whose contract has `ledes:`, from
the warehouse's invoice lines and the entries behind them. Reads the warehouse only. The format is `core.ledes`."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from billing_assets.common import advised
from billing_assets.core.contract import contract_paths
from billing_assets.core.errors import BillingInputError, ContractError
from billing_assets.core.invoice import doc_number
from billing_assets.core.ledes import FeePiece, LedesFile, build_ledes
from billing_assets.core.model import nothing_to_bill
from billing_assets.core.money import shown_hours
from billing_assets.core.safecsv import safe_cell
from billing_assets.overview import refused_months
from billing_assets.refusals import Refusal
from billing_assets.tables import expense_from_row
from billing_assets.whatif import line_from_row
from resources.home import BillingHome
from resources.warehouse import WarehouseConnection, query_keyed, rows_by_partition

OUTSIDE = "outside the engagement"  # how `blocking_failures` words a month outside the engagement
REVIEW_SHOWN = 5  # unsure codes listed in the command's output; all of them are in the review CSV
REVIEW_COLUMNS = ("line_item_number", "entry_id", "date", "timekeeper", "hours", "narrative", "activity_code",
                  "confidence", "evidence")


@dataclass
class ExportResult:
    written: list[Path] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    failed: bool = False


def review_csv(ledes: LedesFile) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REVIEW_COLUMNS)
    for r in ledes.review:
        writer.writerow([r.line_item, safe_cell(r.entry_id), r.entry_date, safe_cell(r.timekeeper),
                         format(shown_hours(r.hours), "f"), safe_cell(r.narrative), r.activity_code,
                         f"{r.confidence:.2f}", safe_cell(r.evidence)])
    return out.getvalue()


def export_ledes(conn: WarehouseConnection, home: Path, months: list[str], clients: list[str] | None,
                 out: Path, exports_changed: dict[tuple[str, str], Refusal] | None = None) -> ExportResult:
    """One `<client>_<month>.ledes` per closed client-month whose contract has `ledes:` (and a `.review.csv` beside
    it listing unsure activity codes); a message for every client-month skipped and why.

    A sent month is written only while its invoice is the one sent (same content hash): re-priced since, the
    client received the sent total and a later month carries the difference, so a file of the re-priced total
    under the sent invoice number would bill the change twice. A stale month (priced from ledgers its previous
    month no longer leaves) is not written and fails the export: its total is out of date. A blocked month (a
    blocking check whose latest evaluation failed, its recorded state blocked, a pricing problem, or priced checks
    that have not seen the current invoice: the push gate's `blocking_failures`) is not written and fails the
    export, one line per reason; a month outside the engagement with no priced invoice is only skipped. An unsent
    month whose exports, contract or decisions changed since its close (`exports_changed`: `refusals.refusals`) is
    not written and fails the export: its invoice lacks the change."""
    result = ExportResult()
    clients = clients or sorted(contract_paths(home / "contracts"))
    pairs = [(c, m) for c in clients for m in months]
    invoices = rows_by_partition(conn, "invoice_rows", pairs)
    lines = rows_by_partition(conn, "line_rows", pairs)
    pieces = rows_by_partition(conn, "ledes_fee_pieces", pairs)
    expenses = rows_by_partition(conn, "raw_expenses", pairs)
    sent = {k: v[0] for k, v in rows_by_partition(conn, "sent_invoice_rows", pairs).items()}
    stale_rows = query_keyed(conn, "stale_months", pairs)
    refused = refused_months(stale_rows, exports_changed)
    blocked = rows_by_partition(conn, "blocking_failures", pairs)  # the push gate's reasons (billing_assets.gate)
    out.mkdir(parents=True, exist_ok=True)
    billing_home = BillingHome(path=str(home))  # the contract folder listed once, not once per client
    for client in clients:
        try:
            contract_file = billing_home.contract_file(client)
        except ContractError as exc:
            result.messages += [f"{client}: not exported: {p}" for p in exc.problems]
            result.failed = True
            continue
        except BillingInputError as exc:
            result.messages.append(f"{client}: not exported: {exc}")
            result.failed = True
            continue
        for month in months:
            contract = contract_file.for_month(month)
            if contract.ledes is None:
                result.messages.append(f"{client} {month}: skipped: contracts/{contract_file.path.name} has no "
                                       "ledes: block (not an e-billing client)")
                continue
            invoice = invoices.get((client, month))
            was_sent = sent.get((client, month))
            if was_sent and (not invoice or invoice[0]["content_hash"] != was_sent["content_hash"]):
                result.messages.append(_sent_and_changed(client, month, was_sent, invoice[0] if invoice else None))
                continue
            reasons = [_one_line(r["reason"]) for r in blocked.get((client, month), [])]
            if not invoice and reasons and all(r.startswith(OUTSIDE) for r in reasons):
                result.messages.append(f"{client} {month}: skipped: {reasons[0]}")
                continue
            if reasons:
                result.messages += [f"{client} {month}: not exported: blocked: {r}" for r in reasons]
                result.failed = True
                continue
            if not invoice:  # nothing to bill is skipped; something to bill never priced here fails (exit 1)
                unpriced = refused.get((client, month))
                result.messages.append(f"{client} {month}: " + (f"not exported: {unpriced[0]}; close {month} first"
                                                                if unpriced else
                                                                "skipped: no priced invoice; close the month first"))
                result.failed = result.failed or unpriced is not None
                continue
            if not was_sent and (client, month) in refused:
                why_not, span = refused[(client, month)]
                result.messages.append(
                    f"{client} {month}: not exported: "
                    + advised(why_not, f"close {span} again (`billing close --month {span} --client {client}`)"))
                result.failed = True
                continue
            if not was_sent and nothing_to_bill(Decimal(invoice[0]["total"]),
                                                [Decimal(r["amount"]) for r in lines.get((client, month), [])]):
                result.messages.append(f"{client} {month}: skipped: nothing to bill (no line charges anything, so "
                                       "no invoice was drafted)")
                continue
            ledes = build_ledes(
                contract, client, month, Decimal(invoice[0]["total"]),
                [line_from_row(r) for r in lines.get((client, month), [])],
                [FeePiece(r["line_no"], r["entry_id"], Decimal(r["hours"]), r["entry_date"], r["person"] or "",
                          r["notes"] or "") for r in pieces.get((client, month), [])],
                [expense_from_row(r) for r in expenses.get((client, month), [])])
            path = out / f"{client}_{month}.ledes"
            path.write_bytes(ledes.text.encode("ascii"))
            result.written.append(path)
            held = Decimal(invoice[0]["hours_held"])
            note = f"; {shown_hours(held):f} h still held for review" if held else ""
            result.messages.append(f"{client} {month}: {path} ({len(ledes.records)} line items, total "
                                   f"{Decimal(invoice[0]['total']):,.2f}{note})")
            result.messages += [f"  warning: {w}" for w in ledes.warnings]
            if contract.currency != "USD":  # the format has no currency field: a receiving system assumes its own
                result.messages.append(f"  warning: {client} {month}: amounts are in {contract.currency}; LEDES "
                                       "1998B has no currency field, so tell the client's e-billing system")
            review_path = path.with_name(path.name + ".review.csv")
            if ledes.review:
                review_path.write_text(review_csv(ledes), encoding="utf-8")
                result.messages.append(f"  {len(ledes.review)} activity code(s) to review: {review_path}")
                result.messages += [f"  review: line {r.line_item} {r.entry_date} {r.timekeeper}: "
                                    f"{r.activity_code} ({r.confidence:.2f}) {r.narrative[:60]}"
                                    for r in ledes.review[:REVIEW_SHOWN]]
                if len(ledes.review) > REVIEW_SHOWN:
                    result.messages.append(f"  ... and {len(ledes.review) - REVIEW_SHOWN} more in {review_path.name}")
            else:
                review_path.unlink(missing_ok=True)
    return result


def _one_line(text: str) -> str:
    """A reason as one line of output (a check's message may span lines)."""
    return "; ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _sent_and_changed(client: str, month: str, sent: dict, current: dict | None) -> str:
    """Why a sent client-month re-priced since (or no longer priced) gets no file: the client received the sent
    invoice, and the difference goes on a later month's invoice as a prior-period adjustment."""
    number = sent["doc_number"] or doc_number(client, month)
    sent_total = Decimal(sent["total"])
    head = f"{client} {month}: skipped: sent as {number} for {sent_total:,.2f}"
    if current is None:
        return (f"{head} and has no priced invoice now; the LEDES file of this month is the one exported when it "
                "was sent")
    now = Decimal(current["total"])
    return (f"{head} and re-priced since (now {now:,.2f}); the difference of {now - sent_total:+,.2f} is billed on "
            "later months' invoices as a prior-period adjustment, so the LEDES file of this month is the one "
            "exported when it was sent")
