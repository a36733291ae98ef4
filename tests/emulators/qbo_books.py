"""The books of the QuickBooks emulator's company (tests/emulators/qbo_server.py serves them over HTTP): the entity
stores and what QuickBooks does with them.

- customer|item|invoice: create, read, full and sparse update with SyncToken checks (5010 Stale Object Error),
  duplicate names (6240), duplicate DocNumber (6140), Qty x UnitPrice = Amount (6070), DocNumber <= 21 chars;
  invoices get TotalAmt, Balance, line ids, item and customer names and the trailing SubTotalLineDetail line the
  real service appends.
- query: SELECT * | COUNT(*) FROM <entity> [WHERE a AND b ...] with =, <, >, <=, >=, LIKE, IN, [ORDER BY|ORDERBY f
  [ASC|DESC]] [STARTPOSITION n] [MAXRESULTS n]; \\' escapes; OR is a parse error (the parser is
  tests/emulators/qbo_query.py); Customer/Item/Account/TaxCode return active rows unless Active is filtered.
- send: sets EmailStatus EmailSent, DeliveryInfo, BillEmail.
- delete (POST invoice?operation=delete, body Id and SyncToken, as Intuit documents for transactions): answers
  {"Invoice": {"status": "Deleted", "domain": "QBO", "Id": ...}}; 610 Object Not Found when it is gone, 5010 at a
  stale SyncToken, 6000 while a payment is linked to it (unlink first; the wording is ours).
- Humans in QuickBooks: `edit_invoice`, `send_invoice`, `pay_invoice`, `delete_invoice`.
- The company (set per test, or by attribute between runs): `country` (CompanyInfo.Country), `home_currency` and
  `multicurrency` (Preferences.CurrencyPrefs), `tax_codes` {Id: (Name, rate %)} (TaxCode, queryable). GET
  /companyinfo/{realm} and /preferences answer them. Enforced as QuickBooks does: outside the US every sales line
  needs a TaxCodeRef (6000 "Make sure all your transactions have a VAT rate before you save", GST/HST in CA, GST
  in AU), a TaxCodeRef or TxnTaxCodeRef naming no TaxCode is 2500 Invalid Reference Id, a US line's code is TAX
  or NON (6100); a currency other than the home currency needs multicurrency on, and an invoice's currency must be
  its customer's (6000; the wording of these two currency faults is ours, the code and shape QuickBooks'). Tax is
  computed into TxnTaxDetail.TotalTax (TaxExcluded adds it to TotalAmt; TaxInclusive keeps it inside the lines;
  NotApplicable: none); a US invoice taxes its TAX lines at the TxnTaxCodeRef's rate.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tests.emulators.qbo_answers import Answer, fault_answer, json_answer, now_stamp
from tests.emulators.qbo_query import QueryError, dec, lookup, parse_query, sort_value

ENTITIES = {"customer": "Customer", "item": "Item", "invoice": "Invoice", "account": "Account",
            "taxcode": "TaxCode"}
ACTIVE_FILTERED = ("Customer", "Item", "Account", "TaxCode")
BUSINESS = "A business validation error has occurred while processing your request"
TAX_NAMES = {"CA": "GST/HST", "AU": "GST", "IN": "GST"}  # what the 6000 fault calls a tax rate (else VAT)
CENT = Decimal("0.01")
REQUIRED = "Required param missing, need to supply the required value for the API"
SEED_ACCOUNTS = (("Services", "Income"), ("Sales of Product Income", "Income"),
                 ("Accounts Receivable (A/R)", "Accounts Receivable"))


class QboBooks:
    """One company's entities and settings. The people's methods take `lock`; the emulator holds it while it calls
    the others (store, read, create, update, send, query, company_info, preferences)."""

    def __init__(self, *, enforce_unique_doc_number: bool = True, country: str = "US", home_currency: str = "USD",
                 multicurrency: bool = False, tax_codes: Mapping[str, tuple[str, Decimal | str]] | None = None):
        self.enforce_unique_doc_number = enforce_unique_doc_number
        self.customers: dict[str, dict[str, Any]] = {}
        self.items: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.accounts: dict[str, dict[str, Any]] = {}
        self.country, self.home_currency, self.multicurrency = country, home_currency, multicurrency
        self.tax_codes: dict[str, dict[str, Any]] = {}
        self.tax_rates: dict[str, Decimal] = {}
        self._paid: dict[str, Decimal] = {}
        self._next_id = 100
        self.lock = threading.RLock()
        for code_id, (name, rate) in (tax_codes or {}).items():
            self.add_tax_code(code_id, name, rate)
        self._seed_accounts()

    # --- people in QuickBooks ---------------------------------------------------------------------------

    def add_customer(self, display_name: str, **fields: Any) -> dict[str, Any]:
        with self.lock:
            answer = self.create("Customer", {"DisplayName": display_name, **fields})
            return json.loads(answer.body, parse_float=Decimal)["Customer"]

    def add_tax_code(self, code_id: str, name: str, rate: Decimal | str) -> None:
        """A TaxCode of the company (as the TaxService would create it), with its sales rate in percent."""
        with self.lock:
            self.tax_codes[str(code_id)] = {"Id": str(code_id), "Name": name, "Description": name, "Active": True,
                                            "Taxable": dec(rate) != 0, "TaxGroup": False, "SyncToken": "0"}
            self.tax_rates[str(code_id)] = dec(rate)

    def edit_invoice(self, invoice_id: str,
                     changes: Mapping[str, Any] | Callable[[dict], None]) -> dict[str, Any]:
        """A person edits the invoice in QuickBooks: apply changes, bump SyncToken and LastUpdatedTime."""
        with self.lock:
            invoice = self.invoices[invoice_id]
            if callable(changes):
                changes(invoice)
            else:
                invoice.update(changes)
            self._finish_invoice(invoice)
            self._touch(invoice)
            return invoice

    def send_invoice(self, invoice_id: str, to: str = "ap@example.com") -> dict[str, Any]:
        """A person sends the invoice from QuickBooks."""
        with self.lock:
            return self._mark_sent(self.invoices[invoice_id], to)

    def pay_invoice(self, invoice_id: str, amount: Decimal | None = None) -> dict[str, Any]:
        """A payment is received against the invoice."""
        with self.lock:
            invoice = self.invoices[invoice_id]
            paid = dec(amount if amount is not None else invoice["Balance"])
            self._paid[invoice_id] = self._paid.get(invoice_id, Decimal(0)) + paid
            invoice.setdefault("LinkedTxn", []).append({"TxnId": self._new_id(), "TxnType": "Payment"})
            self._finish_invoice(invoice)
            self._touch(invoice)
            return invoice

    def delete_invoice(self, invoice_id: str) -> None:
        with self.lock:
            del self.invoices[invoice_id]

    # --- entities ---------------------------------------------------------------------------------------

    def store(self, entity: str) -> dict[str, dict[str, Any]]:
        """The records of one entity (Customer, Item, Invoice, Account, TaxCode) by Id."""
        return {"Customer": self.customers, "Item": self.items, "Invoice": self.invoices,
                "Account": self.accounts, "TaxCode": self.tax_codes}[entity]

    def company_info(self) -> dict[str, Any]:
        return {"Id": "1", "SyncToken": "0", "CompanyName": "Emulated Company", "Country": self.country,
                "CompanyAddr": {"Country": self.country}, "SupportedLanguages": "en", "domain": "QBO"}

    def preferences(self) -> dict[str, Any]:
        return {"Id": "1", "SyncToken": "0", "domain": "QBO",
                "CurrencyPrefs": {"HomeCurrency": {"value": self.home_currency},
                                  "MultiCurrencyEnabled": self.multicurrency},
                "TaxPrefs": {"UsingSalesTax": bool(self.tax_codes)}}

    def read(self, entity: str, object_id: str) -> Answer:
        """GET <entity>/<id>: the record, or 610 Object Not Found."""
        record = self.store(entity).get(object_id)
        if record is None:
            return fault_answer(400, 610, "Object Not Found",
                                f"Object Not Found : Something you're trying to use has been made inactive "
                                f"or deleted. {entity} {object_id}")
        return json_answer({entity: record})

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    @staticmethod
    def _touch(record: dict[str, Any]) -> None:
        record["SyncToken"] = str(int(record.get("SyncToken", "0")) + 1)
        record.setdefault("MetaData", {})["LastUpdatedTime"] = now_stamp()

    def create(self, entity: str, payload: dict[str, Any]) -> Answer:
        """POST <entity> without an Id: validated, completed as QuickBooks does, stored."""
        problem = self._validate(entity, payload, None)
        if problem:
            return problem
        record = dict(payload)
        stamp = now_stamp()
        record.update(Id=self._new_id(), SyncToken="0", domain="QBO", sparse=False,
                      MetaData={"CreateTime": stamp, "LastUpdatedTime": stamp})
        self._complete(entity, record)
        self.store(entity)[record["Id"]] = record
        return json_answer({entity: record})

    def update(self, entity: str, payload: dict[str, Any]) -> Answer:
        """POST <entity> with an Id: a full or sparse update at the current SyncToken."""
        store = self.store(entity)
        current = store.get(str(payload["Id"]))
        if current is None:
            return self.read(entity, str(payload["Id"]))
        if str(payload.get("SyncToken")) != current["SyncToken"]:
            return fault_answer(400, 5010, "Stale Object Error",
                                "Stale Object Error : You and root were working on this at the same time. "
                                "root finished before you did, so your work was not saved.")
        problem = self._validate(entity, payload, current["Id"])
        if problem:
            return problem
        if payload.get("sparse"):
            record = {**current, **{k: v for k, v in payload.items() if k != "sparse"}}
        else:
            record = dict(payload)
            for keep in ("Id", "SyncToken", "MetaData", "domain", "LinkedTxn", "DeliveryInfo"):
                if keep in current and keep not in payload:
                    record[keep] = current[keep]
        record["sparse"] = False
        record["MetaData"] = dict(current["MetaData"])
        self._complete(entity, record)
        self._touch(record)
        store[record["Id"]] = record
        return json_answer({entity: record})

    def _complete(self, entity: str, record: dict[str, Any]) -> None:
        if entity == "Customer":
            record.setdefault("Active", True)
            record["FullyQualifiedName"] = record["DisplayName"]
            record.setdefault("CurrencyRef", {"value": self.home_currency})
            record.setdefault("Balance", Decimal(0))
        elif entity == "Item":
            record.setdefault("Active", True)
            record["FullyQualifiedName"] = record["Name"]
        elif entity == "Invoice":
            self._finish_invoice(record)

    # --- validation -------------------------------------------------------------------------------------

    def _validate(self, entity: str, payload: dict[str, Any], self_id: str | None) -> Answer | None:
        if entity == "Customer":
            currency = (payload.get("CurrencyRef") or {}).get("value") or self.home_currency
            if self_id is None and currency != self.home_currency and not self.multicurrency:
                return self._multicurrency_off(currency)
            return self._validate_named(self.customers, "DisplayName", payload, self_id)
        if entity == "Item":
            problem = self._validate_named(self.items, "Name", payload, self_id)
            if problem is None and payload.get("Type", "Service") in ("Service", "NonInventory"):
                account = (payload.get("IncomeAccountRef") or {}).get("value")
                if str(account) not in self.accounts:
                    return fault_answer(400, 2020, "Required param missing, need to supply the required "
                                        "value for the API", "Required parameter IncomeAccountRef is missing")
            return problem
        if entity == "Invoice":
            return self._validate_invoice(payload, self_id)
        return fault_answer(400, 4001, "Unsupported operation", f"create {entity}")

    @staticmethod
    def _validate_named(store: dict[str, dict[str, Any]], key: str, payload: dict[str, Any],
                        self_id: str | None) -> Answer | None:
        name = str(payload.get(key) or "").strip()
        if not name:
            return fault_answer(400, 2020, REQUIRED,
                                f"Required parameter {key} is missing in the request", element=key)
        if ":" in name or len(name) > (500 if key == "DisplayName" else 100):
            return fault_answer(400, 2050, "String length is either shorter or longer than supported by "
                                "specification or contains invalid characters", element=key)
        for other in store.values():
            if other["Id"] != self_id and str(other.get(key, "")).lower() == name.lower():
                return fault_answer(400, 6240, "Duplicate Name Exists Error",
                                    f"The name supplied already exists. : Id={other['Id']}")
        return None

    def _validate_invoice(self, payload: dict[str, Any], self_id: str | None) -> Answer | None:
        customer = str((payload.get("CustomerRef") or {}).get("value", ""))
        if customer not in self.customers:
            return fault_answer(400, 2500, "Invalid Reference Id",
                                f"Invalid Reference Id : Customer {customer}")
        doc = payload.get("DocNumber")
        if doc is not None and len(str(doc)) > 21:
            return fault_answer(400, 2050, "String length is either shorter or longer than supported by "
                                "specification", "DocNumber: max length 21", element="DocNumber")
        if doc and self.enforce_unique_doc_number:
            for other in self.invoices.values():
                if other["Id"] != self_id and other.get("DocNumber") == doc:
                    return fault_answer(400, 6140, "Duplicate Document Number Error",
                                        f"Duplicate Document Number Error : You must specify a different "
                                        f"number. This number has already been used. DocNumber={doc} "
                                        f"is assigned to TxnType=Invoice with TxnId={other['Id']}")
        lines = [ln for ln in payload.get("Line") or [] if ln.get("DetailType") != "SubTotalLineDetail"]
        if not lines:
            return fault_answer(400, 2020, REQUIRED,
                                "Required parameter Line is missing in the request")
        currency = (payload.get("CurrencyRef") or {}).get("value") or self.home_currency
        if currency != self.home_currency and not self.multicurrency:
            return self._multicurrency_off(currency)
        theirs = (self.customers[customer].get("CurrencyRef") or {}).get("value") or self.home_currency
        if theirs != currency:
            return fault_answer(400, 6000, BUSINESS, f"Business Validation Error: The transaction needs to be in the "
                                f"same currency as its customer ({theirs}); the transaction is in {currency}.")
        for line in lines:
            problem = self._validate_line(line)
            if problem:
                return problem
        txn_code = ((payload.get("TxnTaxDetail") or {}).get("TxnTaxCodeRef") or {}).get("value")
        if txn_code is not None and str(txn_code) not in self.tax_codes:
            return fault_answer(400, 2500, "Invalid Reference Id", f"Invalid Reference Id : TaxCode {txn_code}")
        return None

    def _multicurrency_off(self, currency: str) -> Answer:
        return fault_answer(400, 6000, BUSINESS, f"Business Validation Error: Multicurrency is not enabled for this "
                            f"company; {currency} is not its home currency {self.home_currency}.",
                            element="CurrencyRef")

    def _validate_tax(self, detail: dict[str, Any]) -> Answer | None:
        code = (detail.get("TaxCodeRef") or {}).get("value")
        if self.country == "US":
            if code is not None and str(code) not in ("TAX", "NON"):
                return fault_answer(400, 6100, "Invalid Line TaxCode in the request",
                                    f"Valid Line TaxCodes for US should be TAX or NON. Supplied value:{code}")
            return None
        if code is None:
            rate = TAX_NAMES.get(self.country, "VAT")
            return fault_answer(400, 6000, BUSINESS, f"Business Validation Error: Make sure all your transactions "
                                f"have a {rate} rate before you save.")
        if str(code) not in self.tax_codes:
            return fault_answer(400, 2500, "Invalid Reference Id", f"Invalid Reference Id : TaxCode {code}")
        return None

    def _validate_line(self, line: dict[str, Any]) -> Answer | None:
        if line.get("DetailType") != "SalesItemLineDetail":
            return None
        detail = line.get("SalesItemLineDetail") or {}
        item = str((detail.get("ItemRef") or {}).get("value", ""))
        if item not in self.items:
            return fault_answer(400, 2500, "Invalid Reference Id", f"Invalid Reference Id : Item {item}")
        problem = self._validate_tax(detail)
        if problem:
            return problem
        if "Qty" in detail and "UnitPrice" in detail:
            product = dec(detail["Qty"]) * dec(detail["UnitPrice"])
            if product.quantize(CENT, ROUND_HALF_EVEN) != dec(line.get("Amount", 0)).quantize(CENT):
                return fault_answer(400, 6070, "Amount is not equal to UnitPrice * Qty",
                                    f"Amount is not equal to UnitPrice * Qty. "
                                    f"Supplied value:{line.get('Amount')}")
        return None

    # --- invoice totals and tax -------------------------------------------------------------------------

    def _finish_invoice(self, invoice: dict[str, Any]) -> None:
        lines = [dict(ln) for ln in invoice.get("Line") or [] if ln.get("DetailType") != "SubTotalLineDetail"]
        total = Decimal(0)
        for number, line in enumerate(lines, start=1):
            line["Id"] = str(number)
            line.setdefault("LineNum", number)
            line["Amount"] = dec(line.get("Amount", 0))
            total += line["Amount"]
            detail = line.get("SalesItemLineDetail")
            if detail and "ItemRef" in detail:
                ref = dict(detail["ItemRef"])
                item = self.items.get(str(ref.get("value")))
                ref["name"] = item["Name"] if item else ref.get("name")
                line["SalesItemLineDetail"] = {**detail, "ItemRef": ref}
        lines.append({"Amount": total, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
        invoice["Line"] = lines
        customer = self.customers.get(str(invoice["CustomerRef"]["value"]))
        invoice["CustomerRef"] = {"value": str(invoice["CustomerRef"]["value"]),
                                  "name": customer["DisplayName"] if customer else ""}
        tax = self._tax(invoice, lines)
        if tax is not None or invoice.get("TxnTaxDetail"):  # no taxed line left: the tax is 0, not the old one
            invoice["TxnTaxDetail"] = {**(invoice.get("TxnTaxDetail") or {}), "TotalTax": tax or Decimal(0)}
        if tax is not None and invoice.get("GlobalTaxCalculation") != "TaxInclusive":
            total += tax
        invoice["TotalAmt"] = total
        invoice["Balance"] = total - self._paid.get(invoice.get("Id", ""), Decimal(0))
        invoice.setdefault("CurrencyRef", {"value": "USD", "name": "United States Dollar"})
        invoice.setdefault("EmailStatus", "NotSet")
        invoice.setdefault("PrintStatus", "NotSet")
        invoice.setdefault("LinkedTxn", [])
        invoice.setdefault("TxnDate", date.today().isoformat())
        invoice.setdefault("DueDate", invoice["TxnDate"])
        if not invoice.get("DocNumber"):
            invoice["DocNumber"] = str(1000 + len(self.invoices) + 1)

    def _tax(self, invoice: dict[str, Any], lines: list[dict[str, Any]]) -> Decimal | None:
        """TotalTax of the invoice's sales lines, or None when no line carries a tax code."""
        mode = invoice.get("GlobalTaxCalculation") or "TaxExcluded"
        txn = str(((invoice.get("TxnTaxDetail") or {}).get("TxnTaxCodeRef") or {}).get("value", ""))
        tax, coded = Decimal(0), False
        for line in lines:
            code = ((line.get("SalesItemLineDetail") or {}).get("TaxCodeRef") or {}).get("value")
            if code is None:
                continue
            coded = True
            if self.country == "US":
                rate = self.tax_rates.get(txn, Decimal(0)) if code == "TAX" else Decimal(0)
            else:
                rate = self.tax_rates.get(str(code), Decimal(0))
            amount = line["Amount"]
            if mode == "TaxInclusive":
                tax += amount * rate / (100 + rate)
            elif mode != "NotApplicable":
                tax += amount * rate / 100
        return tax.quantize(CENT, ROUND_HALF_EVEN) if coded else None

    def delete(self, entity: str, payload: dict[str, Any]) -> Answer:
        """POST <entity>?operation=delete: the record of that Id at its current SyncToken is deleted."""
        object_id, token = payload.get("Id"), payload.get("SyncToken")
        if object_id is None or token is None:
            return fault_answer(400, 2020, REQUIRED, "Required parameter Id and SyncToken are missing in the request")
        current = self.store(entity).get(str(object_id))
        if current is None:
            return self.read(entity, str(object_id))
        if str(token) != current["SyncToken"]:
            return fault_answer(400, 5010, "Stale Object Error",
                                "Stale Object Error : You and root were working on this at the same time. "
                                "root finished before you did, so your work was not saved.")
        if any(t.get("TxnType") == "Payment" for t in current.get("LinkedTxn") or []):
            return fault_answer(400, 6000, BUSINESS, "A payment is linked to this transaction: unlink it before "
                                                     "deleting the transaction.")
        del self.store(entity)[str(object_id)]
        return json_answer({entity: {"status": "Deleted", "domain": "QBO", "Id": str(object_id)}})

    # --- send -------------------------------------------------------------------------------------------

    def send(self, invoice_id: str, send_to: str | None) -> Answer:
        """POST invoice/<id>/send[?sendTo=]: to sendTo, else BillEmail, else the customer's email."""
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            return self.read("Invoice", invoice_id)
        customer = self.customers.get(invoice["CustomerRef"]["value"], {})
        to = send_to or (invoice.get("BillEmail") or {}).get("Address") \
            or (customer.get("PrimaryEmailAddr") or {}).get("Address")
        if not to:
            return fault_answer(400, 2020, REQUIRED,
                                "Required parameter BillEmail is missing in the request")
        return json_answer({"Invoice": self._mark_sent(invoice, to)})

    def _mark_sent(self, invoice: dict[str, Any], to: str) -> dict[str, Any]:
        invoice["EmailStatus"] = "EmailSent"
        invoice["BillEmail"] = {"Address": to}
        invoice["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": now_stamp()}
        self._touch(invoice)
        return invoice

    # --- query ------------------------------------------------------------------------------------------

    def query(self, text: str) -> Answer:
        """/query: the rows the query selects, or their count."""
        try:
            parsed = parse_query(text)
        except QueryError as exc:
            return fault_answer(400, 4000, "Error parsing query", f"QueryParserError: {exc}")
        entity = next((name for name in ENTITIES.values() if name.lower() == parsed.entity.lower()), None)
        if entity is None:
            return fault_answer(400, 4000, "Error parsing query",
                                f"QueryParserError: unknown {parsed.entity}")
        rows = list(self.store(entity).values())
        fields = {cond.field for cond in parsed.where}
        if entity in ACTIVE_FILTERED and "Active" not in fields:
            rows = [r for r in rows if r.get("Active", True)]
        rows = [r for r in rows if all(cond.test(r) for cond in parsed.where)]
        if parsed.count:
            return json_answer({"QueryResponse": {"totalCount": len(rows)}})
        rows.sort(key=lambda r: int(r["Id"]))
        for field_name, descending in reversed(parsed.order):
            rows.sort(key=lambda r, f=field_name: sort_value(lookup(r, f)), reverse=descending)
        page = rows[parsed.start - 1: parsed.start - 1 + parsed.max_results]
        if not page:
            return json_answer({"QueryResponse": {}})
        return json_answer({"QueryResponse": {entity: page, "startPosition": parsed.start,
                                              "maxResults": len(page)}})

    def _seed_accounts(self) -> None:
        for number, (name, kind) in enumerate(SEED_ACCOUNTS, start=1):
            self.accounts[str(number)] = {"Id": str(number), "Name": name, "AccountType": kind,
                                          "Active": True, "FullyQualifiedName": name, "SyncToken": "0"}

