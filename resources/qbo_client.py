"""QuickBooks Online push client on python-quickbooks + intuit-oauth (no Dagster here).

What the libraries do not do and this module adds (checked in python-quickbooks 0.9.12, intuit-oauth 1.2.6):
- Timeouts: neither library passes one to requests. `_Session` (the OAuth2Session python-quickbooks sends
  through) and `_AuthClient` (intuit-oauth's requests.Session, used for discovery and the token endpoint)
  default every request to `timeout`.
- Retries: none in either library. `_call` retries 429 / 5xx / timeouts / dropped connections with capped
  exponential backoff and jitter (a 429 waits Retry-After or `throttle_delay`, 60 s by default, as Intuit
  asks), behind a per-realm token bucket (10 requests/s, 500/min). After an uncertain outcome of a write
  (timeout, dropped connection, 5xx) it looks the object up (invoice by DocNumber) before trying again,
  and every create carries a deterministic `requestid`, so QuickBooks replays instead of duplicating.
- The HTTP status: python-quickbooks turns a 429/5xx with an XML or HTML body into QuickbooksException
  code 10000 and drops the status; `_QuickBooks.process_request` keeps `last_status` / `last_retry_after`.
- Refresh-token rotation: QuickBooks(auth_client=...) refreshes inside its constructor when the auth
  client has no access token, and nothing persists the rotated token. Here every refresh goes through
  `TokenManager`, which holds the token-store lock, refreshes, and saves the new refresh token at once
  (file: temp file + fsync + os.replace under fcntl.flock; or AWS Secrets Manager); the QuickBooks client
  is only ever built with an access token already set.
- Base URL: the library has no override; `api_url_v3` / `sandbox_api_url_v3` are set on the instance from
  QBO_BASE_URL. The OAuth token endpoint comes from the OpenID discovery document: intuit-oauth treats an
  `environment` that is not sandbox/production as the discovery URL (QBO_DISCOVERY_URL).
- Plain http: requests-oauthlib refuses it unless OAUTHLIB_INSECURE_TRANSPORT is set process-wide; we
  allow http only to loopback hosts and send those requests through plain requests (python-quickbooks has
  already set the Bearer header), leaving the process environment alone.

Invoices are created with EmailStatus NotSet (v3 has no draft status) and are only sent by `send()`, which
needs the approver's name. One pusher is not thread-safe: use one per thread or process.
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import hashlib
import ipaddress
import json
import logging
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import urlsplit

import requests
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks import exceptions as qb_exceptions
from quickbooks.objects.invoice import Invoice
from requests_oauthlib import OAuth2Session

from billing_assets.core.invoice import (
    doc_number,
    dumps_payload,
    item_names,
    outbox_payload,
    parse_private_note,
    qbo_invoice_payload,
)
from billing_assets.core.model import InvoiceDraft

log = logging.getLogger(__name__)

MINOR_VERSION = 75  # python-quickbooks MINIMUM_MINOR_VERSION; Intuit ignores lower ones
ENVIRONMENTS = ("sandbox", "production")
DUPLICATE_DOC_NUMBER = (6140, 6210)
DUPLICATE_NAME = 6240
STALE_OBJECT = 5010
NOT_FOUND = 610
THROTTLED = 3001
UNCERTAIN_ERRORS = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
ACCESS_SKEW = 300.0  # refresh an access token this many seconds before it expires
T = TypeVar("T")

Status = Literal["created", "updated", "unchanged", "conflict_sent", "conflict_edited"]


# --- errors -------------------------------------------------------------------------------------------

class QboError(RuntimeError):
    """A QuickBooks call failed for good. `code` is QuickBooks' error code (0 when there is none)."""

    def __init__(self, message: str, code: int = 0, detail: str = ""):
        super().__init__(message)
        self.code, self.detail = code, detail


class QboAuthError(QboError):
    """The app's tokens were rejected: re-authorize the app and set QBO_REFRESH_TOKEN."""


class QboUnavailable(QboError):
    """Throttling, server errors or timeouts outlasted the retries."""


class QboConflictError(QboError):
    """The invoice is not in the state the caller expected (e.g. changed since approval)."""


# --- transport helpers --------------------------------------------------------------------------------

def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_transport(url: str, what: str) -> str:
    """Allow https anywhere and plain http only to loopback; return the url."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname or "")):
        return url
    raise ValueError(f"{what} must use https (plain http only for loopback addresses): {url}")


def _loopback_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and is_loopback(parts.hostname or "")


class _Session(OAuth2Session):
    """The session python-quickbooks sends through, with a default timeout."""

    def __init__(self, *args: Any, request_timeout: float, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.request_timeout = request_timeout

    def request(self, method: str, url: str, data: Any = None, headers: Any = None,  # type: ignore[override]
                withhold_token: bool = False, client_id: Any = None, client_secret: Any = None,
                files: Any = None, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.request_timeout)
        if _loopback_http(url):  # python-quickbooks already set "Authorization: Bearer ..."
            return requests.Session.request(self, method, url, data=data, headers=headers, files=files,
                                            **kwargs)
        return super().request(method, url, data=data, headers=headers, withhold_token=withhold_token,
                               client_id=client_id, client_secret=client_secret, files=files, **kwargs)


class _AuthClient(AuthClient):
    """intuit-oauth's AuthClient (a requests.Session) with a default timeout on discovery and token calls."""

    def __init__(self, *args: Any, request_timeout: float, **kwargs: Any):
        self.request_timeout = request_timeout  # before super().__init__, which fetches the discovery doc
        super().__init__(*args, **kwargs)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.request_timeout)
        return super().request(method, url, *args, **kwargs)


class _QuickBooks(QuickBooks):
    """python-quickbooks with a timed session and the last HTTP status kept (the library drops it)."""

    request_timeout: float = 30.0
    last_status: int | None = None
    last_retry_after: str | None = None

    def _start_session(self) -> str | None:
        if self.auth_client.access_token is None:  # the library would refresh here without persisting
            raise QboAuthError("internal: start the QuickBooks session with an access token from the store")
        self.session = _Session(self.auth_client.client_id, request_timeout=self.request_timeout,
                                token={"access_token": self.auth_client.access_token,
                                       "refresh_token": self.auth_client.refresh_token})
        return self.auth_client.refresh_token

    def process_request(self, request_type: str, url: str, headers: Any = "", params: Any = "",
                        data: Any = "") -> requests.Response:
        self.last_status = self.last_retry_after = None
        response = super().process_request(request_type, url, headers=headers, params=params, data=data)
        self.last_status = response.status_code
        self.last_retry_after = response.headers.get("Retry-After")
        return response


# --- token store --------------------------------------------------------------------------------------

@dataclass
class TokenState:
    """What the token store holds. `seed_sha256` fingerprints the QBO_REFRESH_TOKEN it started from."""

    refresh_token: str
    access_token: str | None = None
    access_expires_at: float = 0.0  # epoch seconds
    refresh_expires_at: float | None = None
    seed_sha256: str | None = None
    updated_at: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_text(cls, text: str) -> TokenState:
        """Parse a stored state; a bare token string (a hand-made secret) is a refresh token."""
        text = text.strip()
        if not text.startswith("{"):
            return cls(refresh_token=text)
        data = json.loads(text)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


class TokenStore(Protocol):
    def load(self) -> TokenState | None: ...

    def save(self, state: TokenState) -> None: ...

    def lock(self) -> contextlib.AbstractContextManager[None]: ...


class FileTokenStore:
    """A JSON file (mode 0600) replaced atomically; an fcntl lock on `<path>.lock` serialises refreshes
    across processes on this host."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self._thread_lock = threading.RLock()
        self._depth = 0

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        with self._thread_lock:
            if self._depth:  # re-entered by this thread: flock on a second fd would deadlock
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(f"{self.path}.lock", "a+") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def load(self) -> TokenState | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return TokenState.from_text(text) if text.strip() else None

    def save(self, state: TokenState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(state.to_json())
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _fsync_dir(self.path.parent)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class SecretsManagerTokenStore:
    """The token state as the SecretString of an AWS Secrets Manager secret (boto3). `put_secret_value`
    replaces the value atomically. The lock is process-local: Secrets Manager has none, and Intuit keeps
    the previous refresh token valid for about a day, so a cross-host race costs one extra refresh.
    Pass `client` to reuse one (e.g. dagster-aws `SecretsManagerResource.get_client()`)."""

    def __init__(self, secret_id: str, client: Any = None, region_name: str | None = None):
        self.secret_id = secret_id
        self._client = client
        self.region_name = region_name or _arn_region(secret_id)
        self._lock = threading.RLock()

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("secretsmanager", region_name=self.region_name)
        return self._client

    def lock(self) -> contextlib.AbstractContextManager[None]:
        return self._lock

    def load(self) -> TokenState | None:
        try:
            answer = self.client.get_secret_value(SecretId=self.secret_id)
        except Exception as exc:
            if _aws_code(exc) == "ResourceNotFoundException":
                return None
            raise
        text = answer.get("SecretString") or ""
        return TokenState.from_text(text) if text.strip() else None

    def save(self, state: TokenState) -> None:
        try:
            self.client.put_secret_value(SecretId=self.secret_id, SecretString=state.to_json())
        except Exception as exc:
            if _aws_code(exc) != "ResourceNotFoundException" or self.secret_id.startswith("arn:"):
                raise
            self.client.create_secret(Name=self.secret_id, SecretString=state.to_json())


def _aws_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str((response.get("Error") or {}).get("Code", ""))


def _arn_region(secret_id: str) -> str | None:
    parts = secret_id.split(":")
    return parts[3] if secret_id.startswith("arn:") and len(parts) > 3 and parts[3] else None


def token_store_from_env(value: str | None, billing_home: str | None = None) -> TokenStore:
    """QBO_TOKEN_STORE: `arn:...` or `secretsmanager:<name>` -> Secrets Manager, else a file path
    (default `$BILLING_HOME/secrets/qbo_tokens.json`, or `.billing/qbo_tokens.json`)."""
    value = (value or "").strip()
    if value.startswith("arn:"):
        return SecretsManagerTokenStore(value)
    if value.startswith("secretsmanager:"):
        return SecretsManagerTokenStore(value.removeprefix("secretsmanager:"))
    if value:
        return FileTokenStore(Path(value).expanduser())
    home = Path(billing_home).expanduser() if billing_home else Path(".billing")
    return FileTokenStore(home / "secrets" / "qbo_tokens.json")


@dataclass(frozen=True)
class TokenGrant:
    """One answer of the token endpoint."""

    access_token: str
    refresh_token: str
    expires_in: float
    refresh_expires_in: float | None = None


class TokenManager:
    """Hands out access tokens; every refresh happens under the store lock and is saved before use."""

    def __init__(self, store: TokenStore, initial_refresh_token: str | None,
                 refresher: Callable[[str], TokenGrant], clock: Callable[[], float] = time.time):
        self.store, self.refresher, self.clock = store, refresher, clock
        self.initial = (initial_refresh_token or "").strip() or None
        self.seed = hashlib.sha256(self.initial.encode()).hexdigest() if self.initial else None

    def access(self) -> TokenState:
        """A state whose access token is valid for at least ACCESS_SKEW seconds."""
        with self.store.lock():
            state = self._current()
            return state if self._fresh(state) else self._refresh(state)

    def after_reject(self, rejected: str | None) -> TokenState:
        """A new access token after QuickBooks rejected `rejected` (unless another process refreshed)."""
        with self.store.lock():
            state = self._current()
            if state.access_token != rejected and self._fresh(state):
                return state
            return self._refresh(state)

    def _fresh(self, state: TokenState) -> bool:
        return bool(state.access_token) and state.access_expires_at - ACCESS_SKEW > self.clock()

    def _current(self) -> TokenState:
        state = self.store.load()
        reauthorized = bool(state and state.seed_sha256 and self.seed and state.seed_sha256 != self.seed)
        if state is not None and not reauthorized:
            return state
        if self.initial is None:
            raise QboAuthError("no QuickBooks refresh token: set QBO_REFRESH_TOKEN (or seed the token store)")
        return TokenState(refresh_token=self.initial, seed_sha256=self.seed)

    def _refresh(self, state: TokenState) -> TokenState:
        grant = self.refresher(state.refresh_token)
        now = self.clock()
        new = TokenState(
            refresh_token=grant.refresh_token or state.refresh_token,
            access_token=grant.access_token,
            access_expires_at=now + float(grant.expires_in or 3600),
            refresh_expires_at=now + grant.refresh_expires_in if grant.refresh_expires_in else None,
            seed_sha256=state.seed_sha256 if state.seed_sha256 else self.seed,
            updated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self._save(new)
        log.info("QuickBooks tokens refreshed; refresh token %s", "rotated" if
                 new.refresh_token != state.refresh_token else "unchanged")
        return new

    def _save(self, state: TokenState) -> None:
        for attempt in range(3):
            try:
                self.store.save(state)
                return
            except Exception:
                if attempt == 2:
                    log.critical("QuickBooks refresh token rotated but could not be saved; re-authorize if "
                                 "the next run fails with invalid_grant")
                    raise
                time.sleep(0.2 * (attempt + 1))


# --- rate limit and retry policy ----------------------------------------------------------------------

class RateLimiter:
    """Token buckets: `per_second` and `per_minute` requests (QuickBooks: 10/s and 500/min per realm)."""

    def __init__(self, per_second: float = 10, per_minute: float = 500,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.clock, self.sleep = clock, sleep
        now = clock()
        # each bucket: [capacity, refill per second, tokens, last refill]
        self._buckets = [[float(per_second), float(per_second), float(per_second), now],
                         [float(per_minute), per_minute / 60.0, float(per_minute), now]]
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                wait = self._try_take()
            if wait <= 0:
                return
            self.sleep(wait)

    def _try_take(self) -> float:
        now = self.clock()
        for bucket in self._buckets:
            capacity, rate, tokens, last = bucket
            bucket[2], bucket[3] = min(capacity, tokens + (now - last) * rate), now
        short = [(1 - b[2]) / b[1] for b in self._buckets if b[2] < 1 - 1e-9]  # 1e-9: float residue
        if short:
            return max(short)
        for bucket in self._buckets:
            bucket[2] = max(0.0, bucket[2] - 1)
        return 0.0


_LIMITERS: dict[str, RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def realm_limiter(realm_id: str) -> RateLimiter:
    """The process-wide limiter of one realm (shared by every pusher of that company)."""
    with _LIMITERS_LOCK:
        return _LIMITERS.setdefault(realm_id, RateLimiter())


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with jitter; a 429 waits Retry-After or `throttle_delay`."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    throttle_delay: float = 60.0
    jitter: float = 0.25

    def backoff(self, attempt: int) -> float:
        delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return min(self.max_delay, delay * (1 + random.uniform(-self.jitter, self.jitter)))

    def throttle(self, retry_after: str | None) -> float:
        try:
            wanted = float(retry_after) if retry_after else self.throttle_delay
        except ValueError:
            wanted = self.throttle_delay
        return max(0.0, wanted) * (1 + random.uniform(0, self.jitter))


# --- results ------------------------------------------------------------------------------------------

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


# --- the pusher ---------------------------------------------------------------------------------------

class QuickBooksPusher:
    """Pushes priced invoices to one QuickBooks company. Connects lazily on first use."""

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
        self._qb: _QuickBooks | None = None
        self._tokens: TokenManager | None = None
        self._access_expires_at = 0.0
        self._ids: dict[str, dict[str, str]] = {}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> QuickBooksPusher:
        """Build from QBO_* variables; keyword arguments override them (e.g. retry=, rate_limiter=)."""
        env = os.environ if environ is None else environ
        required = ("QBO_CLIENT_ID", "QBO_CLIENT_SECRET", "QBO_REALM_ID")
        missing = [name for name in required if not env.get(name)]
        if missing:
            raise ValueError(f"missing QuickBooks settings: {', '.join(missing)}")
        settings: dict[str, Any] = {
            "client_id": env["QBO_CLIENT_ID"],
            "client_secret": env["QBO_CLIENT_SECRET"],
            "realm_id": env["QBO_REALM_ID"],
            "refresh_token": env.get("QBO_REFRESH_TOKEN") or None,
            "environment": (env.get("QBO_ENVIRONMENT") or "sandbox").strip().lower(),
            "base_url": env.get("QBO_BASE_URL") or None,
            "discovery_url": env.get("QBO_DISCOVERY_URL") or None,
            "token_store": token_store_from_env(env.get("QBO_TOKEN_STORE"), env.get("BILLING_HOME")),
        }
        if env.get("QBO_MINOR_VERSION"):
            settings["minor_version"] = int(env["QBO_MINOR_VERSION"])
        if env.get("QBO_TIMEOUT"):
            settings["timeout"] = float(env["QBO_TIMEOUT"])
        if env.get("QBO_INCOME_ACCOUNT"):
            settings["income_account"] = env["QBO_INCOME_ACCOUNT"]
        settings.update(overrides)
        return cls(**settings)

    # --- connection -------------------------------------------------------------------------------------

    @property
    def qb(self) -> _QuickBooks:
        """The python-quickbooks client, connected (discovery, tokens) on first use."""
        if self._qb is None:
            self._qb = self._connect()
        return self._qb

    def _connect(self) -> _QuickBooks:
        auth = self._with_retries("OpenID discovery", lambda: _AuthClient(
            self.client_id, self.client_secret, self.redirect_uri, self.discovery_url or self.environment,
            request_timeout=self.timeout))
        check_transport(auth.token_endpoint, "OAuth token endpoint")
        self._tokens = TokenManager(self.token_store, self.refresh_token,
                                    lambda token: self._grant(auth, token))
        state = self._tokens.access()
        auth.access_token, auth.refresh_token = state.access_token, state.refresh_token
        self._access_expires_at = state.access_expires_at
        qb = _QuickBooks(auth_client=auth, company_id=self.realm_id, minorversion=self.minor_version,
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

    def _call(self, what: str, fn: Callable[[_QuickBooks], T],
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

    def _write(self, entity: str, payload: Mapping[str, Any], request_id: str,
               recover: Callable[[], dict[str, Any] | None] | None = None) -> dict[str, Any]:
        body = dumps_payload(payload)
        if payload.get("Id"):
            def call(qb: _QuickBooks) -> dict[str, Any]:
                return qb.update_object(entity, body, request_id=request_id)[entity]
        else:
            def call(qb: _QuickBooks) -> dict[str, Any]:
                return qb.create_object(entity, body, request_id=request_id)[entity]
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
        found = self._query("Invoice", f"DocNumber = '{_quote(doc)}'")
        ours = [inv for inv in found if key and _note_key(inv) == key]
        return (ours or found or [None])[0]

    # --- references -------------------------------------------------------------------------------------

    def _named_id(self, entity: str, field_name: str, name: str, body: dict[str, Any]) -> str:
        cache = self._ids.setdefault(entity, {})
        if name in cache:
            return cache[name]
        where = f"{field_name} = '{_quote(name)}'"
        found = next(iter(self._query(entity, where)), None)
        if found is None:
            rid = _request_id(self.realm_id, entity, name)
            try:
                found = self._write(entity, body, rid, lambda: next(iter(self._query(entity, where)), None))
            except QboError as exc:
                if exc.code != DUPLICATE_NAME:
                    raise
                found = next(iter(self._query(entity, f"{where} AND Active = false")), None)
                state = "inactive" if found else "used by another record type (vendor, employee?)"
                raise QboError(f"QuickBooks {entity} name {name!r} is {state}; fix it in QuickBooks",
                               exc.code) from exc
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
            found = self._query("Account", f"Name = '{_quote(self.income_account)}'") \
                or self._query("Account", "AccountType = 'Income'", max_results=1)
            if not found:
                raise QboError(f"no income account {self.income_account!r} in QuickBooks for service items")
            cache[self.income_account] = str(found[0]["Id"])
        return cache[self.income_account]

    def _refs(self, draft: InvoiceDraft) -> tuple[str, dict[str, str]]:
        customer = self.customer_id(draft.customer_name, draft.currency)
        return customer, {name: self.item_id(name) for name in item_names(draft)}

    # --- upsert -----------------------------------------------------------------------------------------

    def upsert(self, draft: InvoiceDraft, known: PushRecord | None = None) -> PushResult:
        """Create, update in place, or leave alone the client-month's invoice; never touch one that was
        sent, paid or edited in QuickBooks since our push (the result is a conflict with a diff)."""
        doc = doc_number(draft.client, draft.month)
        if known is not None:
            current = self.get_invoice(known.qbo_id)
            if current is None:
                return _result("conflict_edited", draft, doc, None, reason="deleted",
                               diff=f"invoice {known.qbo_id} ({doc}) no longer exists in QuickBooks; "
                                    "nothing was pushed")
            return self._reconcile(draft, doc, current, known)
        current = self.find_invoice(doc, draft.key)
        if current is None:
            return self._create(draft, doc)
        return self._reconcile(draft, doc, current, None)

    def _create(self, draft: InvoiceDraft, doc: str) -> PushResult:
        customer, items = self._refs(draft)
        payload = qbo_invoice_payload(draft, customer, items)
        rid = _request_id(self.realm_id, "Invoice", doc, "create", draft.content_hash)
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
        if _note_hash(invoice) != draft.content_hash:  # the lookup found someone else's version
            return self._reconcile(draft, doc, invoice, None)
        return _result("created", draft, doc, invoice, request_id=rid)

    def _reconcile(self, draft: InvoiceDraft, doc: str, current: dict[str, Any],
                   known: PushRecord | None) -> PushResult:
        sent = sent_reason(current)
        if sent:
            return _conflict("conflict_sent", draft, doc, current, sent)
        note = parse_private_note(current.get("PrivateNote"))
        if note is None or note[0] != draft.key:
            return _conflict("conflict_edited", draft, doc, current,
                             f"DocNumber {doc} belongs to an invoice we did not create "
                             "(or its note was edited)")
        if known is not None:
            if _changed_since(current, known):
                return _conflict("conflict_edited", draft, doc, current,
                                 f"edited in QuickBooks since our push (SyncToken {known.sync_token} -> "
                                 f"{current.get('SyncToken')})")
            if known.content_hash == draft.content_hash:
                return _result("unchanged", draft, doc, current)
            return self._update(draft, doc, current, recovered=False)
        # No record of our push (e.g. we crashed after the create committed).
        if note[1] == draft.content_hash:
            if invoice_lines(current) == invoice_lines(outbox_payload(draft)):
                return _result("unchanged", draft, doc, current, recovered=True)
            return _conflict("conflict_edited", draft, doc, current, "edited in QuickBooks since our push")
        if str(current.get("SyncToken")) == "0":  # never updated since we created it
            return self._update(draft, doc, current, recovered=True)
        return _conflict("conflict_edited", draft, doc, current,
                         "no record of our last push and the invoice was updated since it was created; "
                         "cannot tell our update from a person's edit")

    def _update(self, draft: InvoiceDraft, doc: str, current: dict[str, Any], recovered: bool) -> PushResult:
        customer, items = self._refs(draft)
        payload = qbo_invoice_payload(draft, customer, items)
        base = str(current["SyncToken"])
        payload.update(Id=str(current["Id"]), SyncToken=base, sparse=True)  # keep QuickBooks-filled fields
        rid = _request_id(self.realm_id, "Invoice", str(current["Id"]), "update", base, draft.content_hash)

        def already_updated() -> dict[str, Any] | None:
            now = self.get_invoice(str(current["Id"]))
            ok = now is not None and _note_hash(now) == draft.content_hash and now.get("SyncToken") != base
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
            raise QboError(f"invoice {qbo_id} not found in QuickBooks", NOT_FOUND)
        if current.get("EmailStatus") == "EmailSent":
            delivered = (current.get("DeliveryInfo") or {}).get("DeliveryTime")
            return _send_result(current, approved_by, delivered or _now(), already_sent=True)
        if expected_sync_token is not None and str(current.get("SyncToken")) != str(expected_sync_token):
            raise QboConflictError(f"invoice {qbo_id} changed since it was approved (SyncToken "
                                   f"{expected_sync_token} -> {current.get('SyncToken')}); review it again")
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


# --- helpers ------------------------------------------------------------------------------------------

def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _quote(value: str) -> str:
    """A string literal body for the QuickBooks query language."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _request_id(*parts: str) -> str:
    """A deterministic requestid (<= 50 chars): the same logical write always carries the same id."""
    return "bill-" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def _qbo_error(what: str, exc: BaseException) -> QboError:
    if isinstance(exc, qb_exceptions.QuickbooksException):
        code = int(exc.error_code) if str(exc.error_code).isdigit() else 0
        return QboError(f"{what}: {exc.message} {exc.detail}".strip(), code, str(exc.detail))
    return QboError(f"{what}: {_short(exc)}")


def _note_key(invoice: Mapping[str, Any]) -> str | None:
    note = parse_private_note(invoice.get("PrivateNote"))
    return note[0] if note else None


def _note_hash(invoice: Mapping[str, Any]) -> str | None:
    note = parse_private_note(invoice.get("PrivateNote"))
    return note[1] if note else None


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


def invoice_lines(invoice: Mapping[str, Any]) -> list[str]:
    """A text rendering of the fields we manage, for comparison and diffs (QuickBooks JSON or our payload)."""
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
        out.append(f"Line: {line.get('Description', '')} | {item} | {_num(detail.get('Qty'))} x "
                   f"{_num(detail.get('UnitPrice'))} = {_num(line.get('Amount'))}")
        total += Decimal(str(line.get("Amount") or 0))
    out.append(f"Total: {_num(total)}")
    return out


def invoice_diff(current: Mapping[str, Any], draft: InvoiceDraft) -> str:
    """Unified diff from what QuickBooks holds to what we would push."""
    theirs, ours = invoice_lines(current), invoice_lines(outbox_payload(draft))
    diff = difflib.unified_diff(theirs, ours, "quickbooks", "draft", lineterm="", n=1)
    return "\n".join(diff) or "(no difference in lines, dates or customer)"


def _result(status: Status, draft: InvoiceDraft, doc: str, invoice: Mapping[str, Any] | None, *,
            request_id: str | None = None, recovered: bool = False, diff: str = "",
            reason: str = "") -> PushResult:
    invoice = invoice or {}
    return PushResult(
        status=status, qbo_id=str(invoice["Id"]) if invoice.get("Id") else None,
        sync_token=str(invoice["SyncToken"]) if invoice.get("SyncToken") is not None else None,
        doc_number=doc, content_hash=draft.content_hash, diff=diff, request_id=request_id,
        last_updated_time=(invoice.get("MetaData") or {}).get("LastUpdatedTime"), recovered=recovered,
        reason=reason)


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


__all__ = [
    "FileTokenStore", "PushRecord", "PushResult", "QboAuthError", "QboConflictError", "QboError",
    "QboUnavailable", "QuickBooksPusher", "RateLimiter", "RetryPolicy", "SecretsManagerTokenStore",
    "SendResult", "TokenManager", "TokenState", "TokenStore", "check_transport", "invoice_diff",
    "invoice_lines", "realm_limiter", "sent_reason", "token_store_from_env",
]
