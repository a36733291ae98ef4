"""A loopback QuickBooks Online v3 emulator for tests that go through the real python-quickbooks and
intuit-oauth libraries. A stdlib ThreadingHTTPServer on 127.0.0.1 (port 0) in a background thread.

What it reproduces:
- OAuth: an OpenID discovery document (`discovery_url`, passed to intuit-oauth as its environment) and a
  token endpoint (Basic client auth, grant_type=refresh_token) that rotates the refresh token on every
  refresh; the previous refresh token is rejected with `invalid_grant` (or, with `rotate_grace=True`,
  answered with the latest tokens, as Intuit does for ~24 h). Access tokens expire after `access_ttl`
  or on `expire_access_tokens()`; an expired/unknown token gets 401 with the lowercase `fault` body.
- /v3/company/{realm}/customer|item|invoice (create, read, full and sparse update; an invoice's delete with
  ?operation=delete), /query (POST text body or GET
  ?query=), /invoice/{id}/send, /companyinfo/{realm} and /preferences: routed to the company's books
  (tests/emulators/qbo_books.py, which documents what QuickBooks checks and computes there). The books' entity
  stores, company settings and people (`invoices`, `customers`, `multicurrency`, `edit_invoice`, ...) are
  attributes of the emulator too.
- requestid: a POST repeating a requestid gets the stored first answer, nothing is executed again.
- Faults (`inject`): "401", "429_json", "429_xml", "429_retry_after" (JSON 429 with `Retry-After: <seconds>`),
  "500", "502", "503" (HTML error pages), "hang" (holds the request, never processes it, closes without
  answering), "drop_after_commit" (processes and commits, calls `action(emulator)` if given, then closes
  without answering), "dup_docnumber"
  (6140 without creating), "empty_query" (a stale, empty query result), "action" (calls `action(emulator)`
  before processing, e.g. to simulate a concurrent edit) and "after_commit" (processes and commits, then calls
  `action(emulator)` before answering, e.g. to kill the client between QuickBooks' accept and its record).
  Faults apply to /v3/ requests; a fault whose `path` names the token endpoint (`/oauth2/`) applies there.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.emulators.loopback import LoopbackServer, QuietHandler
from tests.emulators.qbo_answers import Answer, fault_answer, json_answer, now_stamp
from tests.emulators.qbo_books import ENTITIES, QboBooks
from tests.emulators.qbo_query import parse_query  # noqa: F401 - tests import it from here

DEFAULT_CLIENT_ID = "qbo-emulator-client"
DEFAULT_CLIENT_SECRET = "qbo-emulator-secret"
DEFAULT_REALM = "9130357766900001"
DEFAULT_REFRESH_TOKEN = "RT-initial"
FAULT_KINDS = ("401", "429_json", "429_xml", "429_retry_after", "500", "502", "503", "hang", "drop_after_commit",
               "dup_docnumber", "empty_query", "action", "after_commit")
DROP = object()  # answer: close the connection without a response


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


class _OfBooks:
    """An emulator attribute that is the books' attribute of the same name (read and set through the emulator)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, emulator: QboEmulator | None, owner: type | None = None) -> Any:
        return self if emulator is None else getattr(emulator.books, self.name)

    def __set__(self, emulator: QboEmulator, value: Any) -> None:
        setattr(emulator.books, self.name, value)


class QboEmulator(LoopbackServer):
    """QuickBooks Online v3 on loopback. Use as a context manager; see the module docstring."""

    def __init__(self, *, client_id: str = DEFAULT_CLIENT_ID, client_secret: str = DEFAULT_CLIENT_SECRET,
                 realm_id: str = DEFAULT_REALM, refresh_token: str = DEFAULT_REFRESH_TOKEN,
                 access_ttl: int = 3600, rotate_grace: bool = False, enforce_unique_doc_number: bool = True,
                 country: str = "US", home_currency: str = "USD", multicurrency: bool = False,
                 tax_codes: Mapping[str, tuple[str, Decimal | str]] | None = None):
        self.client_id, self.client_secret, self.realm_id = client_id, client_secret, realm_id
        self.access_ttl, self.rotate_grace = access_ttl, rotate_grace
        self.refresh_token = refresh_token
        self.retired_refresh_tokens: list[str] = []
        self.access_tokens: dict[str, datetime] = {}
        self.token_requests: list[dict[str, str]] = []
        self.books = QboBooks(enforce_unique_doc_number=enforce_unique_doc_number, country=country,
                              home_currency=home_currency, multicurrency=multicurrency, tax_codes=tax_codes)
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self._replay: dict[str, Answer] = {}
        self._lock = self.books.lock  # one lock for the books and the emulator's own logs, tokens and faults
        self._stopping = threading.Event()
        self._init_server()

    # The company's books, seen through the emulator (tests read and set these here).
    customers = _OfBooks()
    items = _OfBooks()
    invoices = _OfBooks()
    accounts = _OfBooks()
    tax_codes = _OfBooks()
    tax_rates = _OfBooks()
    country = _OfBooks()
    home_currency = _OfBooks()
    multicurrency = _OfBooks()
    enforce_unique_doc_number = _OfBooks()
    add_customer = _OfBooks()
    add_tax_code = _OfBooks()
    edit_invoice = _OfBooks()
    send_invoice = _OfBooks()
    pay_invoice = _OfBooks()
    delete_invoice = _OfBooks()

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
            return self.books.query(text)
        if method == "GET" and rest == f"companyinfo/{self.realm_id}":
            return json_answer({"CompanyInfo": self.books.company_info()})
        if method == "GET" and rest == "preferences":
            return json_answer({"Preferences": self.books.preferences()})
        send = re.fullmatch(r"invoice/([^/]+)/send", rest)
        if send and method == "POST":
            return self.books.send(send.group(1), request.query.get("sendTo"))
        one = re.fullmatch(r"(\w+)/([^/]+)", rest)
        if one and method == "GET" and one.group(1) in ENTITIES:
            return self.books.read(ENTITIES[one.group(1)], one.group(2))
        if rest in ENTITIES and method == "POST":
            operation, entity = request.query.get("operation"), ENTITIES[rest]
            if operation and not (operation == "delete" and entity == "Invoice"):  # name lists are made inactive
                return fault_answer(400, 4001, "Unsupported operation", operation)
            try:
                payload = json.loads(request.body or "{}", parse_float=Decimal)
            except json.JSONDecodeError as exc:
                return fault_answer(400, 2500, "Invalid Request", f"Request has invalid JSON: {exc}")
            if operation == "delete":
                return self.books.delete(entity, payload)
            return self.books.update(entity, payload) if payload.get("Id") else self.books.create(entity, payload)
        return fault_answer(400, 4001, "Unsupported operation", f"{method} {rest}")


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
