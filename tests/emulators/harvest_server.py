"""A loopback Harvest v2 emulator: real HTTP on 127.0.0.1, real response shapes, real failure modes.

    with HarvestEmulator(rate_limit=5, rate_window=0.5) as harvest:
        harvest.add_entries([{"spent_date": "2026-11-02", "client": "Acme Corp", "hours": "1.25"}])
        client = HarvestClient(harvest.token, harvest.account_id, base_url=harvest.base_url)

Serves GET /v2/time_entries and /v2/expenses with from/to/updated_since/page/per_page filters and cursor
`links.next` (`links="page"`: page-number links, as Harvest answers some listings); 400 without User-Agent,
401 for a wrong token, 403 for a wrong account id, 429 with `Retry-After` past `rate_limit` requests in any
`rate_window` seconds. Numbers are written from Decimal exactly. `clock` drives created_at/updated_at;
`fail_next` / `delay_next` inject 5xx and slow answers;
`after_page(resource, page)` runs after each page is built (to change the data while a client pages through it).
"""

from __future__ import annotations

import base64
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.emulators.loopback import LoopbackServer, QuietHandler, dump_json

DEFAULT_NOW = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)
RESOURCES = ("time_entries", "expenses")


class Clock:
    """The emulator's settable wall clock (UTC) for created_at / updated_at."""

    def __init__(self, now: datetime = DEFAULT_NOW):
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        self._now += timedelta(seconds=seconds)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment


@dataclass(frozen=True)
class Request:
    """One request as the emulator saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int
    at: float = field(default_factory=time.monotonic)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class _Named:
    """Stable ids for named things (clients, projects, tasks, users, categories)."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], int] = {}

    def ref(self, kind: str, value: Any, **extra: Any) -> dict[str, Any] | None:
        if value is None or isinstance(value, Mapping):
            return dict(value) if value is not None else None
        key = (kind, str(value))
        if key not in self._ids:
            self._ids[key] = 1000 + len(self._ids)
        return {"id": self._ids[key], "name": str(value), **extra}


class HarvestEmulator(LoopbackServer):
    """Context manager running the emulator in a thread; `base_url` ends in /v2."""

    def __init__(self, token: str = "test-token", account_id: str = "123456", *, rate_limit: int = 100,
                 rate_window: float = 15.0, max_per_page: int = 2000, clock: Clock | None = None,
                 currency: str = "USD", links: str = "cursor",
                 after_page: Callable[[str, dict[str, Any]], None] | None = None):
        if links not in ("cursor", "page"):
            raise ValueError(f"links must be 'cursor' or 'page', not {links!r}")
        self.token, self.account_id = token, account_id
        self.links, self.after_page = links, after_page
        self.rate_limit, self.rate_window, self.max_per_page = rate_limit, rate_window, max_per_page
        self.clock = clock or Clock()
        self.currency = currency
        self.requests: list[Request] = []
        self.data: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in RESOURCES}
        self._names = _Named()
        self._next_id = 100_000
        self._stamps: deque[float] = deque()
        self._faults: deque[tuple[str, float]] = deque()
        self._lock = threading.RLock()
        self._init_server()

    # --- lifecycle ----------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    @property
    def base_url(self) -> str:
        assert self._server, "emulator not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v2"

    # --- data ---------------------------------------------------------------------------------------

    def add_entries(self, entries: Iterable[Mapping[str, Any]]) -> list[int]:
        """Add time entries; names may be given as strings (`client="Acme Corp"`); returns their ids."""
        return [self._add("time_entries", self._time_entry(fields)) for fields in entries]

    def add_expenses(self, expenses: Iterable[Mapping[str, Any]]) -> list[int]:
        """Add expenses (`total_cost`, `expense_category` as a string or object); returns their ids."""
        return [self._add("expenses", self._expense(fields)) for fields in expenses]

    def edit_entry(self, entry_id: int, **fields: Any) -> dict[str, Any]:
        """Change a time entry's fields and set its updated_at to the clock's now."""
        with self._lock:
            entry = self.data["time_entries"][entry_id]
            entry.update(self._time_entry({**self._flat(entry), **fields}, keep=entry))
            entry["updated_at"] = stamp(self.clock.now())
            return entry

    def delete_entry(self, entry_id: int) -> None:
        """Delete a time entry (Harvest's `updated_since` never reports it again)."""
        with self._lock:
            del self.data["time_entries"][entry_id]

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        """Answer the next `times` API requests with `status`."""
        self._faults.extend([("status", float(status))] * times)

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """Sleep `seconds` before answering the next `times` API requests (to provoke client timeouts)."""
        self._faults.extend([("delay", seconds)] * times)

    def _add(self, resource: str, record: dict[str, Any]) -> int:
        with self._lock:
            self._next_id += 1
            now = stamp(self.clock.now())
            record = {"id": self._next_id, **record, "created_at": now, "updated_at": now}
            self.data[resource][self._next_id] = record
            return self._next_id

    @staticmethod
    def _flat(entry: Mapping[str, Any]) -> dict[str, Any]:
        flat = dict(entry)
        flat["project_code"] = (entry.get("project") or {}).get("code")
        for key in ("client", "project", "task", "user"):
            flat[key] = (entry.get(key) or {}).get("name")
        return flat

    def _time_entry(self, f: Mapping[str, Any], keep: Mapping[str, Any] | None = None) -> dict[str, Any]:
        hours = Decimal(str(f.get("hours", "1.0")))
        return {
            "spent_date": str(f.get("spent_date", "2026-11-02")),
            "hours": hours, "rounded_hours": Decimal(str(f.get("rounded_hours", hours))),
            "notes": f.get("notes"),
            "is_locked": bool(f.get("is_billed", False)), "is_billed": bool(f.get("is_billed", False)),
            "is_running": bool(f.get("is_running", False)),
            "billable": bool(f.get("billable", True)),
            "billable_rate": None, "cost_rate": None, "external_reference": None,
            "invoice": {"id": 9000 + int(f["invoice"]), "number": str(f["invoice"])} if f.get("invoice") else None,
            "user": self._names.ref("user", f.get("user", "Alice Ng")),
            "client": self._names.ref("client", f.get("client", "Acme Corp"), currency=self.currency),
            "project": self._names.ref("project", f.get("project", "Website Redesign"),
                                       code=f.get("project_code") or None),
            "task": self._names.ref("task", f.get("task", "Design")),
            **({"id": keep["id"], "created_at": keep["created_at"]} if keep else {}),
        }

    def _expense(self, f: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "spent_date": str(f.get("spent_date", "2026-11-02")),
            "total_cost": Decimal(str(f.get("total_cost", "10.00"))),
            "units": None, "notes": f.get("notes"), "billable": bool(f.get("billable", True)),
            "is_locked": bool(f.get("is_billed", False)), "is_billed": bool(f.get("is_billed", False)),
            "receipt": None,
            "invoice": {"id": 9000 + int(f["invoice"]), "number": str(f["invoice"])} if f.get("invoice") else None,
            "user": self._names.ref("user", f.get("user", "Alice Ng")),
            "client": self._names.ref("client", f.get("client", "Acme Corp"), currency=self.currency),
            "project": self._names.ref("project", f.get("project", "Website Redesign"),
                                       code=f.get("project_code") or None),
            "expense_category": self._names.ref("category", f.get("expense_category", "Travel")),
        }

    # --- request handling ---------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str]) -> tuple[int, dict[str, str], str]:
        """Status, extra headers and body for one request; logs it."""
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        lowered = {k.lower(): v for k, v in headers.items()}
        status, extra, body = self._answer(method, parts.path, query, lowered)
        with self._lock:
            self.requests.append(Request(method, parts.path, query, dict(headers), status))
        return status, extra, body

    def _answer(self, method: str, path: str, query: dict[str, str],
                headers: Mapping[str, str]) -> tuple[int, dict[str, str], str]:
        """`headers` has lower-case names."""
        if not headers.get("user-agent", "").strip():
            return _error(400, "bad_request", "User-Agent header is required")
        if headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, "invalid_token", "The access token provided is expired, revoked, malformed "
                          "or invalid for other reasons.")
        if headers.get("harvest-account-id") != self.account_id:
            return _error(403, "forbidden", "You do not have access to this account.")
        retry_after = self._throttle()
        if retry_after is not None:
            status, extra, body = _error(429, "too_many_requests", "Rate limit exceeded")
            return status, {**extra, "Retry-After": str(retry_after)}, body
        fault = self._take_fault()
        if fault is not None:
            return _error(fault, "server_error", "Injected failure")
        resource = path.removeprefix("/v2/")
        if method != "GET" or resource not in RESOURCES:
            return _error(404, "not_found", f"No route for {method} {path}")
        try:
            return 200, {}, dump_json(self._page(resource, query))
        except ValueError as exc:
            return _error(422, "unprocessable_entity", str(exc))

    def _throttle(self) -> int | None:
        """Count the request in the sliding window; whole seconds to wait when it does not fit."""
        with self._lock:
            now = time.monotonic()
            while self._stamps and self._stamps[0] <= now - self.rate_window:
                self._stamps.popleft()
            if len(self._stamps) >= self.rate_limit:
                return max(1, math.ceil(self._stamps[0] + self.rate_window - now))
            self._stamps.append(now)
            return None

    def _take_fault(self) -> int | None:
        while True:
            with self._lock:
                if not self._faults:
                    return None
                kind, value = self._faults.popleft()
            if kind == "status":
                return int(value)
            time.sleep(value)

    # --- listing ------------------------------------------------------------------------------------

    def _matching(self, resource: str, query: dict[str, str]) -> list[dict[str, Any]]:
        """Filtered records, newest spent_date first then highest id (Harvest's order)."""
        start = date.fromisoformat(query["from"]) if query.get("from") else None
        end = date.fromisoformat(query["to"]) if query.get("to") else None
        since = parse_stamp(query["updated_since"]) if query.get("updated_since") else None
        with self._lock:
            records = [dict(r) for r in self.data[resource].values()]
        out = [r for r in records
               if (start is None or date.fromisoformat(r["spent_date"]) >= start)
               and (end is None or date.fromisoformat(r["spent_date"]) <= end)
               and (since is None or parse_stamp(r["updated_at"]) >= since)]
        return sorted(out, key=_sort_key)

    def _page(self, resource: str, query: dict[str, str]) -> dict[str, Any]:
        records = self._matching(resource, query)
        per_page = max(1, min(int(query.get("per_page") or 100), self.max_per_page, 2000))
        if query.get("cursor"):
            after = _decode_cursor(query["cursor"])
            offset = next((i for i, r in enumerate(records) if _sort_key(r) > after), len(records))
        else:
            offset = (max(1, int(query.get("page") or 1)) - 1) * per_page
        chunk = records[offset:offset + per_page]
        total_pages = max(1, math.ceil(len(records) / per_page))
        page = offset // per_page + 1
        has_next = offset + per_page < len(records)
        filters = {k: v for k, v in query.items() if k in ("from", "to", "updated_since")}
        base = f"{self.base_url}/{resource}"

        def page_link(n: int) -> str:
            return f"{base}?{urlencode({**filters, 'page': n, 'per_page': per_page})}"

        next_link = None
        if has_next and self.links == "page":
            next_link = page_link(page + 1)
        elif has_next and chunk:
            cursor = _encode_cursor(_sort_key(chunk[-1]))
            params = {**filters, "cursor": cursor, "per_page": per_page, "ref": "next"}
            next_link = f"{base}?{urlencode(params)}"
        out = {
            resource: chunk, "per_page": per_page, "total_pages": total_pages, "total_entries": len(records),
            "next_page": page + 1 if has_next else None, "previous_page": page - 1 if page > 1 else None,
            "page": page,
            "links": {"first": page_link(1), "next": next_link,
                      "previous": page_link(page - 1) if page > 1 else None, "last": page_link(total_pages)},
        }
        if self.after_page:
            self.after_page(resource, out)
        return out


def _sort_key(record: Mapping[str, Any]) -> tuple[int, int]:
    """Ascending key for Harvest's order: spent_date descending, then id descending."""
    return (-date.fromisoformat(record["spent_date"]).toordinal(), -int(record["id"]))


def _encode_cursor(key: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": list(key)}).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        after = json.loads(base64.urlsafe_b64decode(cursor.encode()))["after"]
        return int(after[0]), int(after[1])
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"invalid cursor {cursor!r}") from exc


def _error(status: int, code: str, description: str) -> tuple[int, dict[str, str], str]:
    return status, {}, json.dumps({"error": code, "error_description": description})


def _handler_for(emulator: HarvestEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            headers = {k: v for k, v in self.headers.items()}
            status, extra, body = emulator.handle(method, self.path, headers)
            self.reply(status, body.encode(), {"Content-Type": "application/json; charset=utf-8", **extra})

    return Handler
