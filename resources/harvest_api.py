"""Harvest v2 REST client: time entries and expenses -> TimeEntry / Expense (sync, httpx).

- Headers: `Authorization: Bearer <token>`, `Harvest-Account-Id`, `User-Agent` (Harvest answers 400 without).
- Pages: `per_page=2000`, following `links.next` (cursor or page links) on the same origin only, so the
  token never leaves for another host. A listing whose objects disagree with the first page's `total_entries`,
  or repeat an id (page links shift when an entry is added or deleted meanwhile), is read again, up to
  `LISTING_ATTEMPTS` times, then HarvestError: a partial listing is never returned.
- Limits: a client-side sliding window (100 requests / 15 s by default); 429 -> sleep `Retry-After`, retry;
  5xx, timeouts and connection errors -> exponential backoff, retry; explicit timeouts on every request.
- Numbers: responses are decoded with `parse_float=Decimal`, so hours and money never pass through a float.
- Running timers (`is_running`) and 0-hour entries are skipped by `time_entries` (`read_time_entries` keeps
  them apart, for the time source to count and name). Stopping a timer bumps `updated_at`, so `changed_since`
  picks the finished entry up.
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from billing_assets.core.model import Expense, TimeEntry

DEFAULT_BASE_URL = "https://api.harvestapp.com/v2"
DEFAULT_USER_AGENT = "billing-automation/0.1 (Harvest time sync)"
PER_PAGE = 2000
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
LISTING_ATTEMPTS = 3


class HarvestError(RuntimeError):
    """Harvest answered with an error, or could not be reached after the retries."""


class HarvestAuthError(HarvestError):
    """401/403: the token or the account id is wrong, or the token lacks permission."""


class HarvestConfigError(HarvestError, ValueError):
    """Missing or unsafe configuration (credentials, base URL)."""


class RateLimiter:
    """Sliding window: at most `limit` requests finish within any `window` seconds.

    A request is stamped when its response arrives, which is never earlier than the server saw it, so a
    server counting the same window never sees more than `limit`.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.limit, self.window = limit, window
        self._clock, self._sleep = clock, sleep
        self._stamps: deque[float] = deque()
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until one more request fits in the window."""
        while True:
            with self._lock:
                now = self._clock()
                while self._stamps and self._stamps[0] <= now - self.window:
                    self._stamps.popleft()
                if len(self._stamps) < self.limit:
                    return
                delay = self._stamps[0] + self.window - now
            self._sleep(max(delay, 0.001))

    def record(self) -> None:
        """Count one finished request."""
        with self._lock:
            self._stamps.append(self._clock())


def check_base_url(base_url: str) -> str:
    """The base URL without a trailing slash; https anywhere, plain http only for loopback hosts."""
    parts = urlsplit(base_url)
    if parts.scheme == "https" and parts.hostname:
        return base_url.rstrip("/")
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return base_url.rstrip("/")
    raise HarvestConfigError(
        f"refusing Harvest base URL {base_url!r}: use https, or plain http only for a loopback host "
        "(127.0.0.1, ::1, localhost)")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def iso_utc(moment: datetime | str) -> str:
    """ISO 8601 UTC (`2026-11-01T12:00:00Z`); naive datetimes are taken as UTC, strings pass through."""
    if isinstance(moment, str):
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _name(obj: Any) -> str:
    return str((obj or {}).get("name") or "")


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def to_time_entry(raw: Mapping[str, Any]) -> TimeEntry:
    """One `/v2/time_entries` object -> TimeEntry (`harvest:<id>`)."""
    project = raw.get("project") or {}
    return TimeEntry(
        entry_id=f"harvest:{raw['id']}", source="harvest", source_file="", source_row=int(raw["id"]),
        date=date.fromisoformat(raw["spent_date"]), client_name=_name(raw.get("client")),
        project=_name(project), project_code=str(project.get("code") or ""), task=_name(raw.get("task")),
        notes=str(raw.get("notes") or ""), hours=_decimal(raw.get("hours") or 0),
        billable=bool(raw.get("billable")), person=_name(raw.get("user")),
        currency=str((raw.get("client") or {}).get("currency") or ""),
    )


def to_expense(raw: Mapping[str, Any]) -> Expense:
    """One `/v2/expenses` object -> Expense (`harvest:<id>`)."""
    project = raw.get("project") or {}
    return Expense(
        expense_id=f"harvest:{raw['id']}", source_file="", source_row=int(raw["id"]),
        date=date.fromisoformat(raw["spent_date"]), client_name=_name(raw.get("client")),
        project=_name(project), project_code=str(project.get("code") or ""),
        category=_name(raw.get("expense_category")), notes=str(raw.get("notes") or ""),
        amount=_decimal(raw.get("total_cost") or 0), billable=bool(raw.get("billable")),
        person=_name(raw.get("user")), currency=str((raw.get("client") or {}).get("currency") or ""),
    )


def invoice_number(raw: Mapping[str, Any]) -> str:
    """The number of the Harvest invoice a billed time entry or expense is on ("" when not given)."""
    return str((raw.get("invoice") or {}).get("number") or "")


@dataclass
class ExpenseRead:
    """Expenses of a listing in (date, id) order, and those Harvest marks billed (id -> invoice number)."""

    expenses: list[Expense] = field(default_factory=list)
    invoiced: dict[str, str] = field(default_factory=dict)


@dataclass
class TimeRead:
    """Time entries of a listing: the ones to bill, and those skipped (running timers, 0 hours)."""

    entries: list[TimeEntry] = field(default_factory=list)
    running: list[TimeEntry] = field(default_factory=list)
    zero: list[TimeEntry] = field(default_factory=list)
    invoiced: dict[str, str] = field(default_factory=dict)  # entry id -> Harvest invoice number ("" if none given)


def split_time_entries(raws: Iterable[Mapping[str, Any]]) -> TimeRead:
    """Raw `/v2/time_entries` objects -> TimeRead, each list in (date, id) order."""
    read = TimeRead()
    for raw in raws:
        entry = to_time_entry(raw)
        (read.running if raw.get("is_running") else read.zero if entry.hours == 0 else read.entries).append(entry)
        if raw.get("is_billed"):
            read.invoiced[entry.entry_id] = invoice_number(raw)
    for entries in (read.entries, read.running, read.zero):
        entries.sort(key=lambda e: e.order_key)
    return read


class HarvestClient:
    """Read-only Harvest v2 client. Use as a context manager or call `close()`."""

    def __init__(self, token: str, account_id: str, *, base_url: str = DEFAULT_BASE_URL,
                 user_agent: str = DEFAULT_USER_AGENT, timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
                 rate_limit: int | None = 100, rate_window: float = 15.0, max_retries: int = 5,
                 backoff: float = 0.5, max_retry_after: float = 300.0,
                 sleep: Callable[[float], None] = time.sleep,
                 transport: httpx.BaseTransport | None = None):
        if not token or not account_id:
            raise HarvestConfigError("Harvest needs an access token and an account id")
        if not user_agent:
            raise HarvestConfigError("Harvest requires a User-Agent")
        self.account_id = str(account_id)
        self.base_url = check_base_url(base_url)
        self._origin = urlsplit(self.base_url)[:2]
        self.max_retries, self.backoff, self.max_retry_after = max_retries, backoff, max_retry_after
        self._sleep = sleep
        self._limiter = RateLimiter(rate_limit, rate_window, sleep=sleep) if rate_limit else None
        self._http = httpx.Client(
            timeout=timeout, transport=transport, follow_redirects=False,
            headers={"Authorization": f"Bearer {token}", "Harvest-Account-Id": self.account_id,
                     "User-Agent": user_agent, "Accept": "application/json"})

    def __enter__(self) -> HarvestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- public reads -------------------------------------------------------------------------------

    def time_entries(self, from_date: date | str | None, to_date: date | str | None,
                     updated_since: datetime | str | None = None) -> list[TimeEntry]:
        """Finished time entries of more than 0 hours with spent_date in [from_date, to_date], in (date, id)
        order."""
        return self.read_time_entries(from_date, to_date, updated_since).entries

    def read_time_entries(self, from_date: date | str | None, to_date: date | str | None,
                          updated_since: datetime | str | None = None) -> TimeRead:
        """Every time entry with spent_date in [from_date, to_date], split into billable, running and 0-hour."""
        return split_time_entries(self._collect("time_entries", _filters(from_date, to_date, updated_since)))

    def expenses(self, from_date: date | str | None, to_date: date | str | None,
                 updated_since: datetime | str | None = None) -> list[Expense]:
        """Expenses with spent_date in [from_date, to_date], in (date, id) order."""
        return self.read_expenses(from_date, to_date, updated_since).expenses

    def read_expenses(self, from_date: date | str | None, to_date: date | str | None,
                      updated_since: datetime | str | None = None) -> ExpenseRead:
        """`expenses`, and which of them Harvest marks billed (on one of its invoices)."""
        raws = self._collect("expenses", _filters(from_date, to_date, updated_since))
        return ExpenseRead(sorted((to_expense(raw) for raw in raws), key=lambda e: e.order_key),
                           {f"harvest:{raw['id']}": invoice_number(raw) for raw in raws if raw.get("is_billed")})

    def time_entry_changes(self, updated_since: datetime | str) -> list[dict[str, Any]]:
        """Raw /v2/time_entries objects (running ones included, with updated_at) updated at or after
        `updated_since`: what the late-entries sensor needs to move its cursor."""
        return self._collect("time_entries", _filters(None, None, updated_since))

    def expense_changes(self, updated_since: datetime | str) -> list[dict[str, Any]]:
        """Raw /v2/expenses objects (with updated_at) updated at or after `updated_since`, for the sensor."""
        return self._collect("expenses", _filters(None, None, updated_since))

    def changed_since(self, updated_since: datetime | str) -> list[TimeEntry]:
        """Every finished time entry updated at or after `updated_since` (incremental sync)."""
        return self.time_entries(None, None, updated_since)

    # --- paging and HTTP ----------------------------------------------------------------------------

    def _collect(self, resource: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """Every object of the listing, read again while it disagrees with its first page's `total_entries` or
        repeats an id (it changed while it was paged through); HarvestError after LISTING_ATTEMPTS readings."""
        problem = ""
        for attempt in range(1, LISTING_ATTEMPTS + 1):
            items, total = self._read_listing(resource, params)
            problem = listing_problem(items, total)
            if not problem:
                return items
            if attempt < LISTING_ATTEMPTS:
                self._sleep(self._backoff_delay(attempt))
        raise HarvestError(f"Harvest /v2/{resource} changed while it was read, {LISTING_ATTEMPTS} times in a row "
                           f"(last: {problem}); not using a partial listing, try again later")

    def _read_listing(self, resource: str, params: dict[str, str]) -> tuple[list[dict[str, Any]], Any]:
        """Every object of every page, following `links.next` (or `next_page`), and the first page's
        `total_entries` (None when absent)."""
        url: str | None = f"{self.base_url}/{resource}"
        query: dict[str, str] | None = {**params, "per_page": str(PER_PAGE)}
        items: list[dict[str, Any]] = []
        seen: set[str] = set()  # pages asked for: a link plus its query (`next_page` keeps the URL)
        total: Any = None
        while url:
            page = self._get(url, query)
            if not seen:  # the first page
                total = page.get("total_entries")
            items.extend(page.get(resource) or [])
            url, query = self._next(page, resource, params)
            where = f"{url}?{sorted((query or {}).items())}"
            if url and where in seen:
                raise HarvestError(f"Harvest pagination loops at {url}")
            if url:
                seen.add(where)
        return items, total

    def _next(self, page: Mapping[str, Any], resource: str,
              params: dict[str, str]) -> tuple[str | None, dict[str, str] | None]:
        link = (page.get("links") or {}).get("next")
        if link:
            if urlsplit(link)[:2] != self._origin:
                raise HarvestError(f"Harvest next link {link!r} leaves {self.base_url}; not following it")
            return link, None
        if page.get("next_page"):
            return (f"{self.base_url}/{resource}",
                    {**params, "per_page": str(PER_PAGE), "page": str(page["next_page"])})
        return None, None

    def _get(self, url: str, params: dict[str, str] | None) -> dict[str, Any]:
        """GET with rate limiting, 429 handling and retries; the decoded JSON body (Decimal numbers)."""
        failures = throttled = 0
        while True:
            response, error = self._attempt(url, params)
            if response is not None and response.status_code == 429:
                throttled += 1
                if throttled > self.max_retries * 4:
                    raise HarvestError(f"Harvest kept answering 429 for account {self.account_id}")
                self._sleep(self._retry_after(response))
                continue
            if response is None or response.status_code in TRANSIENT_STATUSES:
                failures += 1
                if failures > self.max_retries:
                    raise HarvestError(_give_up(url, failures, response, error)) from error
                self._sleep(self._backoff_delay(failures))
                continue
            return self._decode(response)

    def _attempt(self, url: str, params: dict[str, str] | None
                 ) -> tuple[httpx.Response | None, httpx.TransportError | None]:
        """One rate-limited GET: the response, or the transport error (timeout, refused, broken)."""
        if self._limiter:
            self._limiter.wait()
        try:
            return self._http.get(url, params=params), None
        except httpx.TransportError as exc:
            return None, exc
        finally:
            if self._limiter:
                self._limiter.record()

    def _decode(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code in (401, 403):
            raise HarvestAuthError(
                f"Harvest refused account {self.account_id} ({response.status_code}): "
                f"{_error_text(response)}; check HARVEST_ACCESS_TOKEN and HARVEST_ACCOUNT_ID")
        if response.status_code != 200:
            raise HarvestError(f"Harvest answered {response.status_code} for {response.request.url}: "
                               f"{_error_text(response)}")
        try:
            return json.loads(response.text, parse_float=Decimal)
        except ValueError as exc:
            raise HarvestError(f"Harvest sent a body that is not JSON from {response.request.url}") from exc

    def _backoff_delay(self, failures: int) -> float:
        return min(self.backoff * 2 ** (failures - 1), 30.0)

    def _retry_after(self, response: httpx.Response) -> float:
        """Seconds from `Retry-After` (seconds or an HTTP date); 1 s when absent or unreadable."""
        value = response.headers.get("Retry-After", "").strip()
        try:
            seconds = float(value)
        except ValueError:
            try:
                seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
            except (TypeError, ValueError):
                seconds = 1.0
        return min(max(seconds, 0.0), self.max_retry_after)


def listing_problem(items: list[dict[str, Any]], total: Any) -> str:
    """Why a paged listing cannot be trusted ("" when it can): ids repeated, or a count other than
    `total` (the first page's total_entries; not checked when None)."""
    ids = [item.get("id") for item in items]
    repeated = len(ids) - len(set(ids))
    if repeated:
        return f"{repeated} id(s) on two pages, {len(items)} objects read"
    if total is not None and int(total) != len(items):
        return f"{len(items)} objects read, the first page said total_entries {total}"
    return ""


def _filters(from_date: date | str | None, to_date: date | str | None,
             updated_since: datetime | str | None) -> dict[str, str]:
    params: dict[str, str] = {}
    if from_date is not None:
        params["from"] = str(from_date)
    if to_date is not None:
        params["to"] = str(to_date)
    if updated_since is not None:
        params["updated_since"] = iso_utc(updated_since)
    return params


def _give_up(url: str, attempts: int, response: httpx.Response | None,
             error: httpx.TransportError | None) -> str:
    if response is not None:
        return f"Harvest answered {response.status_code} for {url} after {attempts} attempts"
    return f"Harvest unreachable at {url} after {attempts} attempts: {error!r}"


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("error_description") or body.get("message") or body.get("error") or body)[:200]
    return str(body)[:200]
