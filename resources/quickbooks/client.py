"""The QuickBooks connection: discovery and tokens on first use, and every call behind the realm's rate limit,
with a token refresh on 401 and retries on throttling, server errors, timeouts and dropped connections."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import requests
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError
from quickbooks import exceptions as qb_exceptions

from billing_assets.core.invoice import dumps_payload
from resources.quickbooks.diffs import note_key
from resources.quickbooks.errors import (
    DUPLICATE_NAME,
    NOT_FOUND,
    THROTTLED,
    UNCERTAIN_ERRORS,
    QboAuthError,
    QboError,
    QboRefused,
    QboUnavailable,
)
from resources.quickbooks.limits import RateLimiter, RetryPolicy, realm_limiter
from resources.quickbooks.tokens import TokenGrant, TokenManager, TokenStore
from resources.quickbooks.transport import QboAuthClient, QboQuickBooks, check_transport

log = logging.getLogger(__name__)

MINOR_VERSION = 75  # python-quickbooks MINIMUM_MINOR_VERSION; Intuit ignores lower ones
ENVIRONMENTS = ("sandbox", "production")
T = TypeVar("T")


class QboClient:
    """One QuickBooks company (realm). Connects lazily on first use; not thread-safe (one per thread)."""

    def __init__(self, *, client_id: str, client_secret: str, realm_id: str, token_store: TokenStore,
                 refresh_token: str | None = None, environment: str = "sandbox", base_url: str | None = None,
                 discovery_url: str | None = None, minor_version: int = MINOR_VERSION, timeout: float = 30.0,
                 retry: RetryPolicy | None = None, rate_limiter: RateLimiter | None = None,
                 income_account: str = "Services", redirect_uri: str = "http://localhost/callback",
                 sleep: Callable[[float], None] = time.sleep):
        if environment not in ENVIRONMENTS:
            raise ValueError(f"QBO_ENVIRONMENT must be one of {ENVIRONMENTS}, got {environment!r}")
        if minor_version < MINOR_VERSION:
            raise ValueError(f"minorversion must be >= {MINOR_VERSION}")
        self.client_id, self.client_secret, self.realm_id = client_id, client_secret, str(realm_id)
        self.environment, self.minor_version, self.timeout = environment, minor_version, timeout
        self.base_url = check_transport(base_url.rstrip("/"), "QBO_BASE_URL") if base_url else None
        self.discovery_url = check_transport(discovery_url, "QBO_DISCOVERY_URL") if discovery_url else None
        self.token_store, self.refresh_token = token_store, refresh_token
        self.retry = retry or RetryPolicy()
        self.limiter = rate_limiter or realm_limiter(self.realm_id)
        self.income_account, self.redirect_uri, self._sleep = income_account, redirect_uri, sleep
        self._qb: QboQuickBooks | None = None
        self._tokens: TokenManager | None = None
        self._access_expires_at = 0.0
        self._ids: dict[str, dict[str, str]] = {}

    # --- connection -------------------------------------------------------------------------------------

    @property
    def qb(self) -> QboQuickBooks:
        """The python-quickbooks client, connected (discovery, tokens) on first use."""
        if self._qb is None:
            self._qb = self._connect()
        return self._qb

    def _connect(self) -> QboQuickBooks:
        auth = self._with_retries("OpenID discovery", lambda: QboAuthClient(
            self.client_id, self.client_secret, self.redirect_uri, self.discovery_url or self.environment,
            request_timeout=self.timeout))
        check_transport(auth.token_endpoint, "OAuth token endpoint")
        self._tokens = TokenManager(self.token_store, self.refresh_token,
                                    lambda token: self._grant(auth, token))
        state = self._tokens.access()
        auth.access_token, auth.refresh_token = state.access_token, state.refresh_token
        self._access_expires_at = state.access_expires_at
        qb = QboQuickBooks(auth_client=auth, company_id=self.realm_id, minorversion=self.minor_version,
                         use_decimal=True)
        qb.request_timeout = self.timeout
        qb.session.request_timeout = self.timeout
        qb.sandbox = self.environment == "sandbox"  # a discovery URL as environment would mean production
        if self.base_url:
            qb.api_url_v3 = qb.sandbox_api_url_v3 = self.base_url
        return qb

    def _grant(self, auth: AuthClient, refresh_token: str) -> TokenGrant:
        def refresh() -> TokenGrant:
            auth.refresh(refresh_token=refresh_token)
            return TokenGrant(auth.access_token, auth.refresh_token, float(auth.expires_in or 3600),
                              float(auth.x_refresh_token_expires_in or 0) or None)

        try:
            return self._with_retries("token refresh", refresh)
        except AuthClientError as exc:
            raise QboAuthError(f"QuickBooks rejected the refresh token (HTTP {exc.status_code}: "
                               f"{exc.content[:200]!r}); re-authorize the app and set QBO_REFRESH_TOKEN",
                               exc.status_code) from exc

    def _with_retries(self, what: str, fn: Callable[[], T]) -> T:
        """Retry an OAuth-side call on timeouts, dropped connections and 429/5xx from the token endpoint."""
        for attempt in range(1, self.retry.max_attempts + 1):
            try:
                return fn()
            except (requests.Timeout, requests.ConnectionError, AuthClientError) as exc:
                status = getattr(exc, "status_code", None)
                if status is not None and status != 429 and status < 500:
                    raise
                if attempt == self.retry.max_attempts:
                    raise QboUnavailable(f"{what}: gave up after {attempt} attempts: {exc}") from exc
                self._sleep(self.retry.backoff(attempt))
        raise AssertionError("unreachable")

    def _reauthorize(self, force: bool) -> None:
        assert self._tokens is not None and self._qb is not None
        auth = self._qb.auth_client
        state = self._tokens.after_reject(auth.access_token) if force else self._tokens.access()
        auth.access_token, auth.refresh_token = state.access_token, state.refresh_token
        self._access_expires_at = state.access_expires_at
        self._qb._start_session()

    # --- calls with retries -----------------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[[QboQuickBooks], T],
              recover: Callable[[], T | None] | None = None) -> T:
        """Run one API call with rate limiting, token refresh on 401 and retries on transient failures.
        After an uncertain outcome, `recover()` may find the effect of the lost call and end the retries."""
        qb, refreshed, attempt = self.qb, False, 0
        while True:
            attempt += 1
            if self._access_expires_at - 60 < time.time():
                self._reauthorize(force=False)
            self.limiter.acquire()
            try:
                return fn(qb)
            except qb_exceptions.AuthorizationException as exc:
                if exc.error_code != 401 or refreshed:
                    raise QboAuthError(f"{what}: {exc.message}", int(exc.error_code or 0),
                                       exc.detail) from exc
                refreshed = True
                attempt -= 1
                self._reauthorize(force=True)
                continue
            except (requests.RequestException, qb_exceptions.QuickbooksException) as exc:
                kind = self._transient(exc)
                if kind is None:
                    raise _qbo_error(what, exc) from exc
                if attempt >= self.retry.max_attempts:
                    raise QboUnavailable(f"{what}: gave up after {attempt} attempts: {_short(exc)}") from exc
                delay = self.retry.throttle(qb.last_retry_after) if kind == "throttled" \
                    else self.retry.backoff(attempt)
                log.warning("QuickBooks %s: %s (%s); retry %d in %.2fs", what, _short(exc), kind, attempt,
                            delay)
                self._sleep(delay)
                if kind == "uncertain" and recover is not None:
                    found = recover()
                    if found is not None:
                        log.info("QuickBooks %s: the lost call had taken effect; not repeating it", what)
                        return found

    def _transient(self, exc: Exception) -> str | None:
        if isinstance(exc, UNCERTAIN_ERRORS):
            return "uncertain"
        if not isinstance(exc, qb_exceptions.QuickbooksException):
            return None
        status = self.qb.last_status
        if status == 429 or exc.error_code == THROTTLED:
            return "throttled"
        if status is not None and status >= 500:
            return "uncertain"
        return None

    def _query(self, entity: str, where: str, max_results: int = 10) -> list[dict[str, Any]]:
        sql = f"SELECT * FROM {entity} WHERE {where} MAXRESULTS {max_results}"
        answer = self._call(f"query {entity}", lambda qb: qb.query(sql))
        return list((answer.get("QueryResponse") or {}).get(entity) or [])

    def _write(self, entity: str, payload: Mapping[str, Any], rid: str,
               recover: Callable[[], dict[str, Any] | None] | None = None) -> dict[str, Any]:
        body = dumps_payload(payload)
        if payload.get("Id"):
            def call(qb: QboQuickBooks) -> dict[str, Any]:
                return qb.update_object(entity, body, request_id=rid)[entity]
        else:
            def call(qb: QboQuickBooks) -> dict[str, Any]:
                return qb.create_object(entity, body, request_id=rid)[entity]
        return self._call(f"{'update' if payload.get('Id') else 'create'} {entity}", call, recover)

    # --- reads ------------------------------------------------------------------------------------------

    def get_invoice(self, qbo_id: str) -> dict[str, Any] | None:
        """The invoice by Id, or None when it does not exist (deleted)."""
        try:
            return self._call("read Invoice", lambda qb: qb.get_single_object("Invoice", qbo_id)["Invoice"])
        except QboError as exc:
            if exc.code == NOT_FOUND:
                return None
            raise

    def find_invoice(self, doc: str, key: str | None = None) -> dict[str, Any] | None:
        """The invoice carrying DocNumber `doc` (ours first, by the PrivateNote key), or None."""
        found = self._query("Invoice", f"DocNumber = '{quote(doc)}'")
        ours = [inv for inv in found if key and note_key(inv) == key]
        return (ours or found or [None])[0]

    # --- references -------------------------------------------------------------------------------------

    def _named_id(self, entity: str, field_name: str, name: str, body: dict[str, Any]) -> str:
        cache = self._ids.setdefault(entity, {})
        if name in cache:
            return cache[name]
        where = f"{field_name} = '{quote(name)}'"
        found = next(iter(self._query(entity, where)), None)
        if found is None:
            rid = request_id(self.realm_id, entity, name)
            try:
                found = self._write(entity, body, rid, lambda: next(iter(self._query(entity, where)), None))
            except QboError as exc:
                if exc.code != DUPLICATE_NAME:
                    raise
                found = next(iter(self._query(entity, f"{where} AND Active = false")), None)
                state = "inactive" if found else "used by another record type (vendor, employee?)"
                # refused for the invoices that need it (nothing written for them); every other client-month goes on
                raise QboRefused(f"QuickBooks {entity} name {name!r} is {state}; make it active (or rename it) in "
                                 "QuickBooks", exc.code) from exc
        cache[name] = str(found["Id"])
        return cache[name]

    def customer_id(self, name: str, currency: str | None = None) -> str:
        """The Customer whose DisplayName is the contract name, created if missing."""
        body: dict[str, Any] = {"DisplayName": name}
        if currency:
            body["CurrencyRef"] = {"value": currency}
        return self._named_id("Customer", "DisplayName", name, body)

    def item_id(self, name: str) -> str:
        """The service Item of that name, created if missing (income account: `income_account`)."""
        body = {"Name": name, "Type": "Service", "IncomeAccountRef": {"value": self._income_account_id()}}
        return self._named_id("Item", "Name", name, body)

    def _income_account_id(self) -> str:
        cache = self._ids.setdefault("Account", {})
        if self.income_account not in cache:
            found = self._query("Account", f"Name = '{quote(self.income_account)}'") \
                or self._query("Account", "AccountType = 'Income'", max_results=1)
            if not found:
                raise QboError(f"no income account {self.income_account!r} in QuickBooks for service items")
            cache[self.income_account] = str(found[0]["Id"])
        return cache[self.income_account]



def quote(value: str) -> str:
    """A string literal body for the QuickBooks query language."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def request_id(*parts: str) -> str:
    """A deterministic requestid (<= 50 chars): the same logical write always carries the same id."""
    return "bill-" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def _qbo_error(what: str, exc: BaseException) -> QboError:
    if isinstance(exc, qb_exceptions.QuickbooksException):
        code = int(exc.error_code) if str(exc.error_code).isdigit() else 0
        return QboError(f"{what}: {exc.message} {exc.detail}".strip(), code, str(exc.detail))
    return QboError(f"{what}: {_short(exc)}")

