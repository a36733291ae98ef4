"""Invoices in QuickBooks: create, update in place, or leave alone (conflict + diff) one draft per
client-month, find the one a lost call or a crash left unrecorded, withdraw (delete) a draft whose month now
prices to nothing, and send an approved one."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.preferences import Preferences

from billing_assets.core.invoice import doc_number, item_names, outbox_payload, parse_private_note, qbo_invoice_payload
from billing_assets.core.model import InvoiceDraft
from billing_assets.core.months import add_months
from billing_assets.core.parsed import name_key
from resources.quickbooks.client import QboClient, quote, request_id
from resources.quickbooks.company import Company, check_draft, with_tax_ids
from resources.quickbooks.diffs import (
    HEADER_LINES,
    invoice_diff,
    invoice_lines,
    names_taxes,
    note_hash,
    note_key,
    sent_reason,
    withdrawal_diff,
)
from resources.quickbooks.errors import (
    DUPLICATE_DOC_NUMBER,
    NOT_FOUND,
    STALE_OBJECT,
    QboConflictError,
    QboError,
    QboRefused,
)

RENAME_LOOKBACK = 24  # months of a client's earlier invoices looked up before a new customer is created
log = logging.getLogger(__name__)

Status = Literal["created", "updated", "unchanged", "conflict_sent", "conflict_edited", "conflict_deleted",
                 "withdrawn"]


@dataclass(frozen=True)
class PushRecord:
    """What our database recorded from the previous push of one client-month."""

    qbo_id: str
    sync_token: str
    content_hash: str
    last_updated_time: str | None = None


@dataclass(frozen=True)
class PushResult:
    """The outcome of one upsert. For conflicts nothing was written: keep the previous record."""

    status: Status
    qbo_id: str | None
    sync_token: str | None
    doc_number: str
    content_hash: str  # the draft's hash
    diff: str = ""  # for conflicts: what QuickBooks holds vs what we would push (unified diff)
    request_id: str | None = None  # the requestid of the write, if one was made
    last_updated_time: str | None = None
    recovered: bool = False  # found in QuickBooks without a record (e.g. after a crash)
    reason: str = ""
    total_amt: Decimal | None = None  # what QuickBooks totals the invoice at (TotalAmt), tax included
    total_tax: Decimal | None = None  # the tax QuickBooks computed (TxnTaxDetail.TotalTax), when it did

    @property
    def conflict(self) -> bool:
        return self.status.startswith("conflict")

    def record(self) -> PushRecord | None:
        """What to persist for the next push, or None for a conflict (keep the old record)."""
        if self.conflict or self.qbo_id is None or self.sync_token is None:
            return None
        return PushRecord(self.qbo_id, self.sync_token, self.content_hash, self.last_updated_time)


@dataclass(frozen=True)
class SendResult:
    """An approved invoice sent through /invoice/{id}/send: who approved it and when it went out."""

    qbo_id: str
    doc_number: str | None
    approved_by: str
    sent_at: str  # UTC ISO time of our send call (or QuickBooks' delivery time if it was already sent)
    email_status: str
    delivery_time: str | None
    sent_to: str | None
    sync_token: str | None
    already_sent: bool = False



class QuickBooksPusher(QboClient):
    """Pushes priced invoices to one QuickBooks company."""

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        self._company: Company | None = None
        self._customer_currency: dict[str, str | None] = {}

    def _refs(self, draft: InvoiceDraft) -> tuple[str, dict[str, str]]:
        customer = self.customer_id(draft.customer_name, draft.currency)
        if self._customer_currency.get(draft.customer_name) is None:  # created just now, in the draft's currency
            self._customer_currency[draft.customer_name] = draft.currency
        return customer, {name: self.item_id(name) for name in item_names(draft)}

    def _payload(self, draft: InvoiceDraft) -> dict[str, Any]:
        customer, items = self._refs(draft)
        return qbo_invoice_payload(draft, customer, items, home_currency=self.company().home_currency)

    # --- the company --------------------------------------------------------------------------------------

    def company(self) -> Company:
        """Country, home currency, multicurrency and tax codes: read once, until `forget_company()`."""
        if self._company is None:
            info = self._call("read CompanyInfo", lambda qb: CompanyInfo.get(self.realm_id, qb=qb))
            prefs = self._call("read Preferences", lambda qb: Preferences.get(qb=qb))
            currency = getattr(prefs, "CurrencyPrefs", None)
            home = getattr(getattr(currency, "HomeCurrency", None), "value", None) or "USD"
            codes = self._query("TaxCode", "Active = true", max_results=1000)
            self._company = Company(country=str(getattr(info, "Country", "") or "US"), home_currency=str(home),
                                    multicurrency=bool(getattr(currency, "MultiCurrencyEnabled", False)),
                                    tax_codes={str(c["Id"]): str(c.get("Name", "")) for c in codes})
        return self._company

    def forget_company(self) -> None:
        """Read the company's settings and customers' currencies again on next use (a new run)."""
        self._company = None
        self._customer_currency = {}

    def customer_currency(self, name: str) -> str | None:
        """The currency of the existing Customer of that DisplayName, or None when there is none yet."""
        if name not in self._customer_currency:
            found = self._query("Customer", f"DisplayName = '{quote(name)}'", max_results=1)
            self._customer_currency[name] = ((found[0].get("CurrencyRef") or {}).get("value") if found else None)
        return self._customer_currency[name]

    def check(self, draft: InvoiceDraft) -> InvoiceDraft:
        """Raise QboRefused when the company would refuse the draft (nothing written); else the draft with its
        tax codes as the company's TaxCode Ids (its content hash unchanged)."""
        refs = check_draft(draft, self.company(), self.customer_currency(draft.customer_name))
        return with_tax_ids(draft, refs)

    # --- upsert -----------------------------------------------------------------------------------------

    def upsert(self, draft: InvoiceDraft, known: PushRecord | None = None, replaces: str = "",
               recreate_deleted: bool = False) -> PushResult:
        """Create, update in place, or leave alone the client-month's invoice; never touch one that was
        sent, paid or edited in QuickBooks since our push (the result is a conflict with a diff). `replaces`: the
        Id of a withdrawn (deleted) invoice of this client-month, part of a new create's requestid. Our draft
        deleted in QuickBooks by a person is reported, not created again, unless `recreate_deleted` (a person
        asked for it: `billing close --recreate-deleted`)."""
        doc = doc_number(draft.client, draft.month)
        try:
            draft = self.check(draft)
        except QboRefused:  # a sent invoice stays reported as sent: nothing would be written to it anyway
            current = self.get_invoice(known.qbo_id) if known is not None else None
            if current is not None and sent_reason(current):
                return _conflict("conflict_sent", draft, doc, current, sent_reason(current) or "sent")
            raise
        if known is not None:
            current = self.get_invoice(known.qbo_id)
            if current is None and recreate_deleted:  # unless someone drafted it again under our DocNumber
                current = self.find_invoice(doc, draft.key)
                return self._create(draft, doc, known.qbo_id) if current is None else \
                    self._reconcile(draft, doc, current, None)
            if current is None:
                return _result("conflict_deleted", draft, doc, None, reason="deleted",
                               diff=f"invoice {known.qbo_id} ({doc}) was deleted in QuickBooks; nothing was pushed. "
                                    f"To draft it again: billing close --month {draft.month} --client "
                                    f"{draft.client} --recreate-deleted (in the UI, launch the run with the tag "
                                    "billing/recreate_deleted=true)")
            return self._reconcile(draft, doc, current, known)
        current = self.find_invoice(doc, draft.key)
        if current is None:
            return self._create(draft, doc, replaces)
        return self._reconcile(draft, doc, current, None)

    def _create(self, draft: InvoiceDraft, doc: str, replaces: str = "") -> PushResult:
        if self.customer_currency(draft.customer_name) is None:  # its customer would be created now
            self._refuse_renamed_customer(draft)
        payload = self._payload(draft)
        rid = request_id(self.realm_id, "Invoice", doc, "create", draft.content_hash,
                         *([f"after {replaces}"] if replaces else []))
        try:
            invoice = self._write("Invoice", payload, rid, lambda: self.find_invoice(doc, draft.key))
        except QboError as exc:
            if exc.code not in DUPLICATE_DOC_NUMBER:
                raise
            existing = self.find_invoice(doc, draft.key)
            if existing is None:
                raise QboError(f"QuickBooks reports DocNumber {doc} as taken, but no invoice carries it",
                               exc.code) from exc
            log.info("DocNumber %s already exists in QuickBooks (id %s): reconciling", doc, existing["Id"])
            return self._reconcile(draft, doc, existing, None)
        if note_hash(invoice) != draft.content_hash:  # the lookup found someone else's version
            return self._reconcile(draft, doc, invoice, None)
        return _result("created", draft, doc, invoice, request_id=rid)

    def _refuse_renamed_customer(self, draft: InvoiceDraft) -> None:
        """QboRefused when no customer has the contract's name but this client's invoice of an earlier month (by
        its DocNumber, up to RENAME_LOOKBACK months back) is billed to a customer: renamed in QuickBooks, most
        likely. A new customer of the old name would split the client's receivables in two, in silence."""
        docs = [doc_number(draft.client, add_months(draft.month, -k)) for k in range(1, RENAME_LOOKBACK + 1)]
        found = self._query("Invoice", "DocNumber IN ({})".format(", ".join(f"'{quote(d)}'" for d in docs)),
                            max_results=1)
        if not found:
            return
        ref = found[0].get("CustomerRef") or {}
        raise QboRefused(f"{draft.client}|{draft.month}: no QuickBooks customer is named {draft.customer_name!r}, but "
                         f"this client's {found[0].get('DocNumber')} is billed to customer {ref.get('value')} "
                         f"({ref.get('name')!r}): renamed in QuickBooks? Give it the contract's `name` again, or set "
                         "the contract's `name` to it (the old name in `aliases`, as the exports spell it)")

    def _reconcile(self, draft: InvoiceDraft, doc: str, current: dict[str, Any],
                   known: PushRecord | None) -> PushResult:
        sent = sent_reason(current)
        if sent:
            if _holds_draft(current, draft):  # sent exactly as we would push it: nothing to do
                return _result("unchanged", draft, doc, current, recovered=known is None)
            return _conflict("conflict_sent", draft, doc, current, sent)
        note = parse_private_note(current.get("PrivateNote"))
        if note is None or note[0] != draft.key:
            return _conflict("conflict_edited", draft, doc, current,
                             f"DocNumber {doc} belongs to an invoice we did not create "
                             "(or its note was edited)")
        if known is not None:
            if _changed_since(current, known):
                if _our_lost_update(current, known, draft):
                    return _result("updated", draft, doc, current, recovered=True)
                if _only_our_unrecorded_write(current, known, draft):  # and the draft changed again since
                    return self._update(draft, doc, current, recovered=True)
                return _conflict("conflict_edited", draft, doc, current,
                                 f"edited in QuickBooks since our push (SyncToken {known.sync_token} -> "
                                 f"{current.get('SyncToken')})")
            if known.content_hash == draft.content_hash and _same_header(current, draft):
                return _result("unchanged", draft, doc, current)
            # new lines, or the contract's customer name, terms (DueDate) or currency changed alone: the draft follows
            return self._update(draft, doc, current, recovered=False)
        # No record of our push (e.g. we crashed after the create committed).
        if note[1] == draft.content_hash:
            if _same_lines(current, draft):
                return _result("unchanged", draft, doc, current, recovered=True)
            return _conflict("conflict_edited", draft, doc, current, "edited in QuickBooks since our push")
        if str(current.get("SyncToken")) == "0":  # never updated since we created it
            return self._update(draft, doc, current, recovered=True)
        return _conflict("conflict_edited", draft, doc, current,
                         "no record of our last push and the invoice was updated since it was created; "
                         "cannot tell our update from a person's edit")

    def _update(self, draft: InvoiceDraft, doc: str, current: dict[str, Any], recovered: bool) -> PushResult:
        payload = self._payload(draft)
        base = str(current["SyncToken"])
        payload.update(Id=str(current["Id"]), SyncToken=base, sparse=True)  # keep QuickBooks-filled fields
        rid = request_id(self.realm_id, "Invoice", str(current["Id"]), "update", base, draft.content_hash)

        def already_updated() -> dict[str, Any] | None:
            now = self.get_invoice(str(current["Id"]))
            ok = now is not None and note_hash(now) == draft.content_hash and now.get("SyncToken") != base
            return now if ok else None

        try:
            invoice = self._write("Invoice", payload, rid, already_updated)
        except QboError as exc:
            if exc.code != STALE_OBJECT:
                raise
            latest = self.get_invoice(str(current["Id"])) or current
            return _conflict("conflict_edited", draft, doc, latest,
                             "edited in QuickBooks while we updated it")
        return _result("updated", draft, doc, invoice, request_id=rid, recovered=recovered)

    # --- withdraw ---------------------------------------------------------------------------------------

    def withdraw(self, draft: InvoiceDraft, known: PushRecord) -> PushResult:
        """Delete the draft we pushed for a client-month that now prices to nothing (`draft`), by its Id and the
        SyncToken of our push: one a person sent, paid or edited since is left alone (a conflict with a diff).
        Idempotent: an invoice already gone is withdrawn without a write."""
        doc, qbo_id = doc_number(draft.client, draft.month), known.qbo_id
        current = self.get_invoice(qbo_id)
        if current is None:
            return _withdrawn(draft, doc, qbo_id, "was already gone from QuickBooks")
        sent = sent_reason(current)
        if sent:
            return _kept("conflict_sent", draft, doc, current, f"{sent}; not deleted")
        note = parse_private_note(current.get("PrivateNote"))
        if note is None or note[0] != draft.key or _changed_since(current, known):
            return _kept("conflict_edited", draft, doc, current,
                         f"edited in QuickBooks since our push (SyncToken {known.sync_token} -> "
                         f"{current.get('SyncToken')}); not deleted")
        base = str(current["SyncToken"])
        body = json.dumps({"Id": qbo_id, "SyncToken": base})
        rid = request_id(self.realm_id, "Invoice", qbo_id, "delete", base)

        def gone() -> dict[str, Any] | None:
            return {"Id": qbo_id, "status": "Deleted"} if self.get_invoice(qbo_id) is None else None

        try:
            self._call("delete Invoice", lambda qb: qb.delete_object("Invoice", body, request_id=rid)["Invoice"],
                       gone)
        except QboError as exc:
            if exc.code == NOT_FOUND:
                return _withdrawn(draft, doc, qbo_id, "was already gone from QuickBooks")
            if exc.code != STALE_OBJECT:
                raise
            latest = self.get_invoice(qbo_id) or current
            return _kept("conflict_edited", draft, doc, latest, "edited in QuickBooks while we deleted it")
        log.info("QuickBooks invoice %s (%s) deleted: the month has nothing to bill", qbo_id, doc)
        return _withdrawn(draft, doc, qbo_id, "deleted in QuickBooks", rid)

    # --- send -------------------------------------------------------------------------------------------

    def send(self, qbo_id: str, approved_by: str, *, send_to: str | None = None,
             expected_sync_token: str | None = None) -> SendResult:
        """Send an approved invoice through QuickBooks' /invoice/{id}/send. Refuses without an approver,
        or when `expected_sync_token` (the version the reviewer approved) is no longer current. Sending an
        invoice that is already sent does nothing (already_sent=True)."""
        if not (approved_by or "").strip():
            raise ValueError("send() needs the approver's name: drafts are never sent without approval")
        current = self.get_invoice(qbo_id)
        if current is None:
            raise QboError(f"invoice {qbo_id} no longer exists in QuickBooks (a person deleted it); nothing was sent. "
                           "To draft it again: billing close --recreate-deleted for its month and client", NOT_FOUND)
        if current.get("EmailStatus") == "EmailSent":
            delivered = (current.get("DeliveryInfo") or {}).get("DeliveryTime")
            return _send_result(current, approved_by, delivered or _now(), already_sent=True)
        if expected_sync_token is not None and str(current.get("SyncToken")) != str(expected_sync_token):
            raise QboConflictError(f"invoice {qbo_id} was changed in QuickBooks since we pushed it (SyncToken "
                                   f"{expected_sync_token} -> {current.get('SyncToken')}: a person edited it), so it "
                                   "was not sent: send it from QuickBooks, or delete it there and close the month "
                                   "again with --recreate-deleted to draft ours")
        invoice = Invoice()
        invoice.Id = qbo_id

        def already_sent() -> dict[str, Any] | None:
            now = self.get_invoice(qbo_id)
            return now if now is not None and now.get("EmailStatus") == "EmailSent" else None

        sent_at = _now()
        result = self._call("send Invoice", lambda qb: invoice.send(qb=qb, send_to=send_to)["Invoice"],
                            already_sent)
        log.info("invoice %s (%s) sent, approved by %s", qbo_id, result.get("DocNumber"), approved_by)
        return _send_result(result, approved_by, sent_at)



def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _stamp(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _changed_since(current: Mapping[str, Any], known: PushRecord) -> bool:
    if str(current.get("SyncToken")) != str(known.sync_token):
        return True
    theirs = _stamp((current.get("MetaData") or {}).get("LastUpdatedTime"))
    ours = _stamp(known.last_updated_time)
    return bool(theirs and ours and theirs != ours)


def _our_lost_update(current: Mapping[str, Any], known: PushRecord, draft: InvoiceDraft) -> bool:
    """Whether an invoice changed since our record is our own update whose record was lost (the run stopped
    after QuickBooks accepted it): its note carries the current draft's hash, not the recorded one, and its
    lines are exactly the draft's."""
    return known.content_hash != draft.content_hash and _holds_draft(current, draft)


def _only_our_unrecorded_write(current: Mapping[str, Any], known: PushRecord, draft: InvoiceDraft) -> bool:
    """Whether the one change since our record is an update of ours whose record was lost, for a draft that has
    changed again since (a close killed after QuickBooks accepted 1 h -> 2 h, then 3 h): our note carries another
    hash of ours than the recorded one (a person's edit leaves the note as it was), and the SyncToken moved by
    exactly that one write. Anything more is a person's edit too: a conflict."""
    note = parse_private_note(current.get("PrivateNote"))
    moved = str(current.get("SyncToken")) == str(int(known.sync_token) + 1) if str(known.sync_token).isdigit() \
        else False
    return note is not None and note[0] == draft.key and note[1] != known.content_hash and moved


def _holds_draft(current: Mapping[str, Any], draft: InvoiceDraft) -> bool:
    """The invoice carries this draft's hash in our note and exactly its lines, dates and customer."""
    return (note_key(current) == draft.key and note_hash(current) == draft.content_hash
            and _same_lines(current, draft))


def _same_lines(current: Mapping[str, Any], draft: InvoiceDraft) -> bool:
    taxes = names_taxes(draft)
    return _comparable(invoice_lines(current, taxes)) == _comparable(invoice_lines(outbox_payload(draft), taxes))


def _same_header(current: Mapping[str, Any], draft: InvoiceDraft) -> bool:
    """The invoice's customer, dates and currency are the draft's (its lines are compared by our content hash)."""
    return _comparable(invoice_lines(current)[:HEADER_LINES]) == \
        _comparable(invoice_lines(outbox_payload(draft))[:HEADER_LINES])


def _comparable(rendered: list[str]) -> list[str]:
    """`invoice_lines` with the customer's name compared as QuickBooks matches DisplayNames (case and spaces aside):
    a customer the bookkeeper named "ACME CORP" holds the draft of contract name "Acme Corp"."""
    return [name_key(text) if text.startswith("Customer: ") else text for text in rendered]


def _result(status: Status, draft: InvoiceDraft, doc: str, invoice: Mapping[str, Any] | None, *,
            request_id: str | None = None, recovered: bool = False, diff: str = "",
            reason: str = "") -> PushResult:
    invoice = invoice or {}
    return PushResult(
        status=status, qbo_id=str(invoice["Id"]) if invoice.get("Id") else None,
        sync_token=str(invoice["SyncToken"]) if invoice.get("SyncToken") is not None else None,
        doc_number=doc, content_hash=draft.content_hash, diff=diff, request_id=request_id,
        last_updated_time=(invoice.get("MetaData") or {}).get("LastUpdatedTime"), recovered=recovered,
        reason=reason, total_amt=_amount(invoice.get("TotalAmt")),
        total_tax=_amount((invoice.get("TxnTaxDetail") or {}).get("TotalTax")))


def _amount(value: Any) -> Decimal | None:
    """A QuickBooks amount (a JSON number) as the Decimal it was written as; None when absent."""
    return None if value is None else Decimal(str(value))


def _withdrawn(draft: InvoiceDraft, doc: str, qbo_id: str, what: str, rid: str | None = None) -> PushResult:
    reason = f"invoice {qbo_id} ({doc}) {what}: the month now has nothing to bill"
    return _result("withdrawn", draft, doc, {"Id": qbo_id}, request_id=rid, reason=reason)


def _kept(status: Status, draft: InvoiceDraft, doc: str, current: Mapping[str, Any], reason: str) -> PushResult:
    """A draft left in QuickBooks although its month now prices to nothing (sent or edited by a person)."""
    log.warning("QuickBooks invoice %s (%s) not deleted: %s", current.get("Id"), doc, reason)
    return _result(status, draft, doc, current, diff=f"# {reason}\n{withdrawal_diff(current, draft)}", reason=reason)


def _conflict(status: Status, draft: InvoiceDraft, doc: str, current: Mapping[str, Any],
              reason: str) -> PushResult:
    log.warning("QuickBooks invoice %s (%s) not modified: %s", current.get("Id"), doc, reason)
    diff = f"# {reason}\n{invoice_diff(current, draft)}"
    return _result(status, draft, doc, current, diff=diff, reason=reason)


def _send_result(invoice: Mapping[str, Any], approved_by: str, sent_at: str,
                 already_sent: bool = False) -> SendResult:
    return SendResult(
        qbo_id=str(invoice.get("Id")), doc_number=invoice.get("DocNumber"), approved_by=approved_by,
        sent_at=sent_at, email_status=str(invoice.get("EmailStatus")),
        delivery_time=(invoice.get("DeliveryInfo") or {}).get("DeliveryTime"),
        sent_to=(invoice.get("BillEmail") or {}).get("Address"),
        sync_token=str(invoice.get("SyncToken")) if invoice.get("SyncToken") is not None else None,
        already_sent=already_sent)
