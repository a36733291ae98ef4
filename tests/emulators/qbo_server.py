"""A loopback QuickBooks Online v3 emulator for tests that go through the real python-quickbooks and
intuit-oauth libraries. A stdlib ThreadingHTTPServer on 127.0.0.1 (port 0) in a background thread.

What it reproduces:
- OAuth: an OpenID discovery document (`discovery_url`, passed to intuit-oauth as its environment) and a
  token endpoint (Basic client auth, grant_type=refresh_token) that rotates the refresh token on every
  refresh; the previous refresh token is rejected with `invalid_grant` (or, with `rotate_grace=True`,
  answered with the latest tokens, as Intuit does for ~24 h). Access tokens expire after `access_ttl`
  or on `expire_access_tokens()`; an expired/unknown token gets 401 with the lowercase `fault` body.
- /v3/company/{realm}/customer|item|invoice: create, read (GET .../{id}), full and sparse update with
  SyncToken checks (5010 Stale Object Error), duplicate names (6240), duplicate DocNumber (6140),
  Qty x UnitPrice = Amount (6070), DocNumber <= 21 chars; invoices get TotalAmt, Balance, line ids, item and
  customer names and the trailing SubTotalLineDetail line the real service appends.
- /query (POST text body or GET ?query=): SELECT * | COUNT(*) FROM <entity> [WHERE a AND b ...] with =, <,
  >, <=, >=, LIKE, IN, [ORDER BY|ORDERBY f [ASC|DESC]] [STARTPOSITION n] [MAXRESULTS n]; \\' escapes; OR is
  a parse error (the parser is tests/emulators/qbo_query.py); Customer/Item/Account/TaxCode return active rows
  unless Active is filtered.
- /invoice/{id}/send: sets EmailStatus EmailSent, DeliveryInfo, BillEmail.
- requestid: a POST repeating a requestid gets the stored first answer, nothing is executed again.
- Faults (`inject`): "401", "429_json", "429_xml", "429_retry_after" (JSON 429 with `Retry-After: <seconds>`),
  "500", "502", "503" (HTML error pages), "hang" (holds the request, never processes it, closes without
  answering), "drop_after_commit" (processes and commits, calls `action(emulator)` if given, then closes
  without answering), "dup_docnumber"
  (6140 without creating), "empty_query" (a stale, empty query result), "action" (calls `action(emulator)`
  before processing, e.g. to simulate a concurrent edit) and "after_commit" (processes and commits, then calls
  `action(emulator)` before answering, e.g. to kill the client between QuickBooks' accept and its record).
  Faults apply to /v3/ requests; a fault whose `path` names the token endpoint (`/oauth2/`) applies there.
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

import base64
import json
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.emulators.loopback import LoopbackServer, QuietHandler
from tests.emulators.qbo_query import QueryError, dec, lookup, parse_query, sort_value

DEFAULT_CLIENT_ID = "qbo-emulator-client"
DEFAULT_CLIENT_SECRET = "qbo-emulator-secret"
DEFAULT_REALM = "9130357766900001"
DEFAULT_REFRESH_TOKEN = "RT-initial"
ENTITIES = {"customer": "Customer", "item": "Item", "invoice": "Invoice", "account": "Account",
            "taxcode": "TaxCode"}
ACTIVE_FILTERED = ("Customer", "Item", "Account", "TaxCode")
BUSINESS = "A business validation error has occurred while processing your request"
TAX_NAMES = {"CA": "GST/HST", "AU": "GST", "IN": "GST"}  # what the 6000 fault calls a tax rate (else VAT)
FAULT_KINDS = ("401", "429_json", "429_xml", "429_retry_after", "500", "502", "503", "hang", "drop_after_commit",
               "dup_docnumber", "empty_query", "action", "after_commit")
DROP = object()  # answer: close the connection without a response
COMPANY_TZ = timezone(timedelta(hours=-8))
CENT = Decimal("0.01")
REQUIRED = "Required param missing, need to supply the required value for the API"
SEED_ACCOUNTS = (("Services", "Income"), ("Sales of Product Income", "Income"),
                 ("Accounts Receivable (A/R)", "Accounts Receivable"))


@dataclass
class Request:
    """One request as the emulator saw it."""

    method: str
    path: str
    query: dict[str, str]
    body: str
    headers: dict[str, str]
    status: int | None = None
    fault: str | None = None
    replayed: bool = False

    @property
    def requestid(self) -> str | None:
        return self.query.get("requestid")

    @property
    def minorversion(self) -> str | None:
        return self.query.get("minorversion")


@dataclass
class Fault:
    kind: str
    method: str | None = None
    path: str | None = None  # substring of the path
    body: str | None = None  # substring of the body
    times: int = 1
    seconds: float = 5.0
    action: Callable[[QboEmulator], None] | None = None

    def matches(self, method: str, path: str, body: str) -> bool:
        return ((self.method is None or self.method == method)
                and (self.path is None or self.path in path)
                and (self.body is None or self.body.lower() in body.lower()))


@dataclass
class Answer:
    status: int
    body: str
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def now_stamp() -> str:
    """A QuickBooks timestamp: seconds, in the company's zone."""
    return datetime.now(COMPANY_TZ).isoformat(timespec="seconds")


def dump_json(value: Any) -> str:
    """JSON with Decimal written as the exact number literal."""
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dump_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dump_json(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(value)




def fault_answer(status: int, code: int | str, message: str, detail: str = "",
                 kind: str = "ValidationFault", element: str = "") -> Answer:
    body = {"Fault": {"Error": [{"Message": message, "Detail": detail or message, "code": str(code),
                                 "element": element}], "type": kind}, "time": now_stamp()}
    return Answer(status, dump_json(body))


def json_answer(body: Mapping[str, Any], status: int = 200) -> Answer:
    return Answer(status, dump_json({**body, "time": now_stamp()}))


class QboEmulator(LoopbackServer):
    """QuickBooks Online v3 on loopback. Use as a context manager; see the module docstring."""

    def __init__(self, *, client_id: str = DEFAULT_CLIENT_ID, client_secret: str = DEFAULT_CLIENT_SECRET,
                 realm_id: str = DEFAULT_REALM, refresh_token: str = DEFAULT_REFRESH_TOKEN,
                 access_ttl: int = 3600, rotate_grace: bool = False, enforce_unique_doc_number: bool = True,
                 country: str = "US", home_currency: str = "USD", multicurrency: bool = False,
                 tax_codes: Mapping[str, tuple[str, Decimal | str]] | None = None):
        self.client_id, self.client_secret, self.realm_id = client_id, client_secret, realm_id
        self.access_ttl, self.rotate_grace = access_ttl, rotate_grace
        self.enforce_unique_doc_number = enforce_unique_doc_number
        self.refresh_token = refresh_token
        self.retired_refresh_tokens: list[str] = []
        self.access_tokens: dict[str, datetime] = {}
        self.token_requests: list[dict[str, str]] = []
        self.customers: dict[str, dict[str, Any]] = {}
        self.items: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.accounts: dict[str, dict[str, Any]] = {}
        self.country, self.home_currency, self.multicurrency = country, home_currency, multicurrency
        self.tax_codes: dict[str, dict[str, Any]] = {}
        self.tax_rates: dict[str, Decimal] = {}
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self._replay: dict[str, Answer] = {}
        self._paid: dict[str, Decimal] = {}
        self._next_id = 100
        self._lock = threading.RLock()
        for code_id, (name, rate) in (tax_codes or {}).items():
            self.add_tax_code(code_id, name, rate)
        self._stopping = threading.Event()
        self._init_server()
        self._seed_accounts()

    # --- lifecycle --------------------------------------------------------------------------------------

    thread_name = "qbo-emulator"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    def stop(self) -> None:
        self._stopping.set()
        super().stop()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v3"

    @property
    def discovery_url(self) -> str:
        return f"{self.origin}/.well-known/openid_configuration"

    @property
    def token_url(self) -> str:
        return f"{self.origin}/oauth2/v1/tokens/bearer"

    # --- test controls ----------------------------------------------------------------------------------

    def inject(self, kind: str, *, method: str | None = None, path: str | None = None,
               body: str | None = None, times: int = 1, seconds: float = 5.0,
               action: Callable[[QboEmulator], None] | None = None) -> None:
        """Fail the next `times` requests matching method / path substring / body substring."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULT_KINDS}")
        with self._lock:
            self.faults.append(Fault(kind, method, path, body, times, seconds, action))

    def expire_access_tokens(self) -> None:
        with self._lock:
            self.access_tokens.clear()

    def calls(self, method: str | None = None, path: str | None = None) -> list[Request]:
        """Logged API requests filtered by method and path substring."""
        with self._lock:
            return [r for r in self.requests
                    if (method is None or r.method == method) and (path is None or path in r.path)]

    def creates(self, entity: str) -> list[Request]:
        """POSTs to /<entity> that carried no Id (create attempts)."""
        return [r for r in self.calls("POST", f"/{entity.lower()}")
                if r.path.endswith(f"/{entity.lower()}") and '"Id"' not in r.body]

    def add_customer(self, display_name: str, **fields: Any) -> dict[str, Any]:
        with self._lock:
            answer = self._create("Customer", {"DisplayName": display_name, **fields})
            return json.loads(answer.body, parse_float=Decimal)["Customer"]

    def add_tax_code(self, code_id: str, name: str, rate: Decimal | str) -> None:
        """A TaxCode of the company (as the TaxService would create it), with its sales rate in percent."""
        with self._lock:
            self.tax_codes[str(code_id)] = {"Id": str(code_id), "Name": name, "Description": name, "Active": True,
                                            "Taxable": dec(rate) != 0, "TaxGroup": False, "SyncToken": "0"}
            self.tax_rates[str(code_id)] = dec(rate)

    def edit_invoice(self, invoice_id: str,
                     changes: Mapping[str, Any] | Callable[[dict], None]) -> dict[str, Any]:
        """A person edits the invoice in QuickBooks: apply changes, bump SyncToken and LastUpdatedTime."""
        with self._lock:
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
        with self._lock:
            return self._mark_sent(self.invoices[invoice_id], to)

    def pay_invoice(self, invoice_id: str, amount: Decimal | None = None) -> dict[str, Any]:
        """A payment is received against the invoice."""
        with self._lock:
            invoice = self.invoices[invoice_id]
            paid = dec(amount if amount is not None else invoice["Balance"])
            self._paid[invoice_id] = self._paid.get(invoice_id, Decimal(0)) + paid
            invoice.setdefault("LinkedTxn", []).append({"TxnId": self._new_id(), "TxnType": "Payment"})
            self._finish_invoice(invoice)
            self._touch(invoice)
            return invoice

    def delete_invoice(self, invoice_id: str) -> None:
        with self._lock:
            del self.invoices[invoice_id]

    # --- HTTP entry point -------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: str) -> Answer | object:
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        request = Request(method, parts.path, query, body, dict(headers))
        with self._lock:
            self.requests.append(request)
            fault = self._take_fault(method, parts.path, body)
        answer = self._answer_with_fault(fault, request) if fault else self._route(request)
        if fault and fault.kind in ("drop_after_commit", "after_commit") and fault.action is not None:
            fault.action(self)
        if fault and fault.kind == "drop_after_commit":
            answer = DROP
        request.status = answer.status if isinstance(answer, Answer) else None
        return answer

    def _take_fault(self, method: str, path: str, body: str) -> Fault | None:
        token = path.startswith("/oauth2/")
        if not (path.startswith("/v3/") or token):
            return None
        for fault in self.faults:
            if token and not (fault.path and fault.path in path):
                continue
            if fault.times > 0 and fault.matches(method, path, body):
                fault.times -= 1
                return fault
        return None

    def _answer_with_fault(self, fault: Fault, request: Request) -> Answer | object:
        request.fault = fault.kind
        kind = fault.kind
        if kind == "401":
            return self._unauthorized()
        if kind == "429_json":
            return fault_answer(429, 3001, "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                                "The request limit was reached.", kind="ThrottleExceeded")
        if kind == "429_retry_after":
            answer = fault_answer(429, 3001, "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                                  "The request limit was reached.", kind="ThrottleExceeded")
            answer.headers["Retry-After"] = f"{fault.seconds:g}"
            return answer
        if kind == "429_xml":
            xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><IntuitResponse '
                   f'time="{now_stamp()}"><Fault type="ThrottleExceeded"><Error code="3001">'
                   '<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>'
                   '<Detail>The request limit was reached.</Detail></Error></Fault></IntuitResponse>')
            return Answer(429, xml, "application/xml")
        if kind in ("500", "502", "503"):
            return Answer(int(kind), f"<html><body><h1>{kind} Service Unavailable</h1></body></html>",
                          "text/html")
        if kind == "hang":
            self._stopping.wait(fault.seconds)
            return DROP
        if kind == "dup_docnumber":
            return fault_answer(400, 6140, "Duplicate Document Number Error",
                                "Duplicate Document Number Error : You must specify a different number.")
        if kind == "empty_query":
            return json_answer({"QueryResponse": {}})
        if kind == "action" and fault.action is not None:
            fault.action(self)
        return self._route(request)  # action, drop_after_commit: process normally

    def _route(self, request: Request) -> Answer:
        path, method = request.path, request.method
        if path == "/.well-known/openid_configuration" and method == "GET":
            return self._discovery()
        if path == "/oauth2/v1/tokens/bearer" and method == "POST":
            return self._token(request)
        match = re.fullmatch(r"/v3/company/([^/]+)/(.+)", path)
        if not match:
            return Answer(404, json.dumps({"error": "not found"}))
        if not self._authorized(request.headers):
            return self._unauthorized()
        if match.group(1) != self.realm_id:
            return fault_answer(403, 120, "Authorization Failure", "realm mismatch",
                                kind="AuthorizationFault")
        with self._lock:
            return self._api(method, match.group(2), request)

    # --- OAuth ------------------------------------------------------------------------------------------

    def _discovery(self) -> Answer:
        origin = self.origin
        doc = {
            "issuer": f"{origin}/op/v1",
            "authorization_endpoint": f"{origin}/connect/oauth2",
            "token_endpoint": self.token_url,
            "userinfo_endpoint": f"{origin}/v1/openid_connect/userinfo",
            "revocation_endpoint": f"{origin}/oauth2/v1/tokens/revoke",
            "jwks_uri": f"{origin}/op/v1/jwks",
        }
        return Answer(200, json.dumps(doc))

    def _token(self, request: Request) -> Answer:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("Authorization", "") != f"Basic {expected}":
            return Answer(401, json.dumps({"error": "invalid_client"}))
        form = {k: v[-1] for k, v in parse_qs(request.body).items()}
        with self._lock:
            self.token_requests.append(form)
            if form.get("grant_type") != "refresh_token":
                return Answer(400, json.dumps({"error": "unsupported_grant_type"}))
            token = form.get("refresh_token", "")
            if token == self.refresh_token:
                return self._rotate()
            if self.rotate_grace and token in self.retired_refresh_tokens:
                return self._issue(self.refresh_token)
            return Answer(400, json.dumps({"error": "invalid_grant"}))

    def _rotate(self) -> Answer:
        self.retired_refresh_tokens.append(self.refresh_token)
        self.refresh_token = f"RT-{len(self.retired_refresh_tokens)}-{uuid.uuid4().hex[:8]}"
        return self._issue(self.refresh_token)

    def _issue(self, refresh_token: str) -> Answer:
        access = f"AT-{uuid.uuid4().hex}"
        self.access_tokens[access] = datetime.now(UTC) + timedelta(seconds=self.access_ttl)
        body = {"token_type": "bearer", "access_token": access, "refresh_token": refresh_token,
                "expires_in": self.access_ttl, "x_refresh_token_expires_in": 8726400}
        return Answer(200, json.dumps(body))

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        auth = headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        with self._lock:
            expires = self.access_tokens.get(token)
        return expires is not None and expires > datetime.now(UTC)

    @staticmethod
    def _unauthorized() -> Answer:
        body = {"warnings": None, "intuitObject": None, "fault": {"error": [{
            "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
            "detail": "Token expired or invalid", "code": "3200", "element": None}],
            "type": "AUTHENTICATION"},
            "report": None, "queryResponse": None, "batchItemResponse": [], "attachableResponse": [],
            "syncErrorResponse": None, "requestId": None, "time": 0, "status": None, "cdcresponse": []}
        return Answer(401, json.dumps(body), headers={"WWW-Authenticate": 'Bearer realm="Intuit"'})

    # --- API --------------------------------------------------------------------------------------------

    def _api(self, method: str, rest: str, request: Request) -> Answer:
        rid = request.requestid
        if method == "POST" and rid and rid in self._replay:
            request.replayed = True
            return self._replay[rid]
        answer = self._dispatch(method, rest, request)
        if method == "POST" and rid:
            self._replay[rid] = answer
        return answer

    def _dispatch(self, method: str, rest: str, request: Request) -> Answer:
        if rest == "query":
            text = request.body if method == "POST" else request.query.get("query", "")
            return self._query(text)
        if method == "GET" and rest == f"companyinfo/{self.realm_id}":
            return json_answer({"CompanyInfo": self._company_info()})
        if method == "GET" and rest == "preferences":
            return json_answer({"Preferences": self._preferences()})
        send = re.fullmatch(r"invoice/([^/]+)/send", rest)
        if send and method == "POST":
            return self._send(send.group(1), request.query.get("sendTo"))
        one = re.fullmatch(r"(\w+)/([^/]+)", rest)
        if one and method == "GET" and one.group(1) in ENTITIES:
            return self._read(ENTITIES[one.group(1)], one.group(2))
        if rest in ENTITIES and method == "POST":
            if request.query.get("operation"):
                return fault_answer(400, 4001, "Unsupported operation", request.query["operation"])
            try:
                payload = json.loads(request.body or "{}", parse_float=Decimal)
            except json.JSONDecodeError as exc:
                return fault_answer(400, 2500, "Invalid Request", f"Request has invalid JSON: {exc}")
            entity = ENTITIES[rest]
            return self._update(entity, payload) if payload.get("Id") else self._create(entity, payload)
        return fault_answer(400, 4001, "Unsupported operation", f"{method} {rest}")

    def _store(self, entity: str) -> dict[str, dict[str, Any]]:
        return {"Customer": self.customers, "Item": self.items, "Invoice": self.invoices,
                "Account": self.accounts, "TaxCode": self.tax_codes}[entity]

    def _company_info(self) -> dict[str, Any]:
        return {"Id": "1", "SyncToken": "0", "CompanyName": "Emulated Company", "Country": self.country,
                "CompanyAddr": {"Country": self.country}, "SupportedLanguages": "en", "domain": "QBO"}

    def _preferences(self) -> dict[str, Any]:
        return {"Id": "1", "SyncToken": "0", "domain": "QBO",
                "CurrencyPrefs": {"HomeCurrency": {"value": self.home_currency},
                                  "MultiCurrencyEnabled": self.multicurrency},
                "TaxPrefs": {"UsingSalesTax": bool(self.tax_codes)}}

    def _read(self, entity: str, object_id: str) -> Answer:
        record = self._store(entity).get(object_id)
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

    def _create(self, entity: str, payload: dict[str, Any]) -> Answer:
        problem = self._validate(entity, payload, None)
        if problem:
            return problem
        record = dict(payload)
        stamp = now_stamp()
        record.update(Id=self._new_id(), SyncToken="0", domain="QBO", sparse=False,
                      MetaData={"CreateTime": stamp, "LastUpdatedTime": stamp})
        self._complete(entity, record)
        self._store(entity)[record["Id"]] = record
        return json_answer({entity: record})

    def _update(self, entity: str, payload: dict[str, Any]) -> Answer:
        store = self._store(entity)
        current = store.get(str(payload["Id"]))
        if current is None:
            return self._read(entity, str(payload["Id"]))
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
        if tax is not None:
            invoice["TxnTaxDetail"] = {**(invoice.get("TxnTaxDetail") or {}), "TotalTax": tax}
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

    # --- send -------------------------------------------------------------------------------------------

    def _send(self, invoice_id: str, send_to: str | None) -> Answer:
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            return self._read("Invoice", invoice_id)
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

    def _query(self, text: str) -> Answer:
        try:
            parsed = parse_query(text)
        except QueryError as exc:
            return fault_answer(400, 4000, "Error parsing query", f"QueryParserError: {exc}")
        entity = next((name for name in ENTITIES.values() if name.lower() == parsed.entity.lower()), None)
        if entity is None:
            return fault_answer(400, 4000, "Error parsing query",
                                f"QueryParserError: unknown {parsed.entity}")
        rows = list(self._store(entity).values())
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


def _handler_for(emulator: QboEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        disable_nagle_algorithm = True  # headers and body go out in separate writes: avoid 40 ms stalls

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            answer = emulator.handle(method, self.path, dict(self.headers.items()), body)
            if not isinstance(answer, Answer):  # DROP: close without a response
                self.close_connection = True
                return
            self.reply(answer.status, answer.body.encode(), {
                "Content-Type": f"{answer.content_type}; charset=utf-8", "intuit_tid": uuid.uuid4().hex,
                **answer.headers})

    return Handler
