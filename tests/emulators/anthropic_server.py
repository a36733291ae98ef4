"""A loopback emulator of the Anthropic API for tests that go through the real `anthropic` SDK.

The SDK (2.x) sends through httpx2, which transport mocks such as respx cannot intercept, so this is a
real HTTP server on 127.0.0.1 (port 0) in a background thread. It reproduces the public shapes:

- POST /v1/messages: checks the key (`x-api-key` or `Authorization: Bearer`) and `anthropic-version`,
  validates `output_config.format` against the strict JSON-schema subset, answers a Message whose
  text is JSON following that schema, with usage counters that behave like prompt caching;
- POST /v1/messages/batches, GET /v1/messages/batches/{id}, GET .../results (JSONL), POST .../cancel;
- errors as {"type": "error", "error": {"type", "message"}, "request_id"} with a `request-id` header.

Its "model" is deterministic: for each entry of the JSON array in the last user message it picks the
SOW id (from the schema's `sow_item` enum) whose line in the system prompt shares most words with the
entry's notes and task, and "rush" when the notes contain a rush phrase ("tonight", "moved up", ...).
Tests can script labels, raw replies, faults (429 with retry-after, 529, 500) and batch outcomes.
The model and its usage counters are tests/emulators/anthropic_model.py; the request checks are
tests/emulators/anthropic_requests.py.

Draft mode (`script_draft`): a request whose last user message contains a given document text is answered with a
canned extraction `{"facts": [...]}` (the reading of `billing contract draft`), after checking that the request
asks for that shape (an output schema whose `facts` items require key, value and quote).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.emulators.anthropic_model import LabelScript, label_reply, last_user_text, usage_of
from tests.emulators.anthropic_requests import (
    ERROR_TYPES,
    ApiError,
    batch_requests,
    check_draft_schema,
    validate_message_body,
)
from tests.emulators.loopback import LoopbackServer

DEFAULT_API_KEY = "sk-ant-emulator-key"


@dataclass
class Fault:
    """An injected error answer for requests whose path starts with `path`; `times=None` = forever."""

    status: int
    error_type: str
    message: str
    path: str = "/v1/messages"
    method: str = "POST"
    times: int | None = 1
    retry_after: float | None = None
    retry_after_ms: float | None = None


@dataclass
class RecordedRequest:
    """One HTTP request as received (headers lower-cased) and the status it was answered with."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float
    status: int = 0
    response: Any = None  # the JSON answer (None for JSONL results)


@dataclass
class _Batch:
    id: str
    created_at: datetime
    results: list[dict[str, Any]]
    polls: int = 0
    ended_at: datetime | None = None
    cancel_initiated_at: datetime | None = None


@dataclass
class _CacheEntry:
    expires_at: float
    ttl: float



class AnthropicEmulator(LoopbackServer):
    """The server: `with AnthropicEmulator() as emu:`, then point the SDK at `emu.base_url`, `emu.api_key`."""

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        *,
        min_cacheable_tokens: int = 0,
        batch_polls_until_ended: int = 2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api_key = api_key
        self.min_cacheable_tokens = min_cacheable_tokens  # the real API silently skips shorter prefixes
        self.batch_polls_until_ended = batch_polls_until_ended
        self.clock = clock
        self._lock = threading.Lock()
        self._log: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._scripts: list[LabelScript] = []
        self._replies: list[str] = []
        self._drafts: list[tuple[str, list[dict[str, Any]]]] = []
        self._batch_outcomes: dict[str, str] = {}
        self._batches: dict[str, _Batch] = {}
        self._cache: dict[str, _CacheEntry] = {}
        self._init_server()

    # -- lifecycle ----------------------------------------------------------------------------------

    thread_name = "anthropic-emulator"
    poll_interval = 0.02

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"emulator": self})

    @property
    def base_url(self) -> str:
        assert self._server is not None, "emulator not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- test controls -------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def message_requests(self) -> list[RecordedRequest]:
        """The POST /v1/messages requests, in arrival order (including failed attempts)."""
        return [r for r in self.requests if r.method == "POST" and r.path == "/v1/messages"]

    def inject(
        self,
        status: int,
        *,
        times: int | None = 1,
        retry_after: float | None = None,
        retry_after_ms: float | None = None,
        message: str | None = None,
        error_type: str | None = None,
        path: str = "/v1/messages",
        method: str = "POST",
    ) -> None:
        """Queue an error answer for the next `times` matching requests (None = every one)."""
        error_type = error_type or ERROR_TYPES.get(status, "api_error")
        fault = Fault(
            status,
            error_type,
            message or f"emulated {error_type}",
            path,
            method,
            times,
            retry_after,
            retry_after_ms,
        )
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def script_label(
        self, *, key: str | None = None, notes_contains: str | None = None, omit: bool = False, **fields: Any
    ) -> None:
        """Force label fields (sow_item=..., work_type=..., confidence=...) or omit the label entirely."""
        with self._lock:
            self._scripts.append(LabelScript(key, notes_contains, dict(fields), omit))

    def script_reply(self, text: str) -> None:
        """The next /v1/messages answer's text, verbatim (e.g. not JSON)."""
        with self._lock:
            self._replies.append(text)

    def script_draft(self, document_contains: str, facts: list[dict[str, Any]]) -> None:
        """Answer a draft request whose document contains `document_contains` with these facts."""
        with self._lock:
            self._drafts.append((document_contains, list(facts)))

    def set_batch_outcome(self, custom_id: str, outcome: str) -> None:
        """Make a batch request end "errored", "expired" or "canceled" instead of succeeding."""
        with self._lock:
            self._batch_outcomes[custom_id] = outcome

    def expire_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    # -- request handling ----------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict, bytes]:
        """Answers one request: (status, extra headers, body)."""
        record = RecordedRequest(method, path, headers, _try_json(raw), self.clock())
        with self._lock:
            self._log.append(record)
        request_id = "req_emu_" + uuid.uuid4().hex[:24]
        try:
            self._check_headers(headers)
            fault = self._take_fault(method, path)
            if fault is not None:
                status, extra, body = _fault_response(fault, request_id)
            else:
                status, extra, body = 200, {}, self._route(method, path, record.body)
        except ApiError as err:
            status, extra, body = err.status, {}, _error_body(err.error_type, err.message, request_id)
        record.status = status
        record.response = None if isinstance(body, bytes) else body
        extra = {"request-id": request_id, **extra}
        if isinstance(body, bytes):
            return status, {"content-type": "application/binary", **extra}, body
        return status, {"content-type": "application/json", **extra}, json.dumps(body).encode()

    def _check_headers(self, headers: dict[str, str]) -> None:
        bearer = headers.get("authorization", "")
        key = headers.get("x-api-key") or (bearer[7:] if bearer.lower().startswith("bearer ") else None)
        if key is None:
            raise ApiError(401, "x-api-key header is required")
        if key != self.api_key:
            raise ApiError(401, "invalid x-api-key")
        if not headers.get("anthropic-version"):
            raise ApiError(400, "anthropic-version: header is required")

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method == method and path.startswith(fault.path) and fault.times != 0:
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def _route(self, method: str, path: str, body: Any) -> Any:
        parts = [p for p in path.split("?")[0].split("/") if p]
        if method == "POST" and parts == ["v1", "messages"]:
            return self._message(body, batch=False)
        if parts[:3] == ["v1", "messages", "batches"]:
            return self._route_batches(method, parts[3:], body)
        raise ApiError(404, f"Not found: {method} {path}")

    def _route_batches(self, method: str, rest: list[str], body: Any) -> Any:
        if method == "POST" and not rest:
            return self._create_batch(body)
        batch = self._batches.get(rest[0]) if rest else None
        if batch is None:
            raise ApiError(404, f"message batch {rest[0] if rest else ''!r} not found")
        if method == "GET" and len(rest) == 1:
            return self._poll_batch(batch)
        if method == "GET" and rest[1:] == ["results"]:
            return self._batch_results(batch)
        if method == "POST" and rest[1:] == ["cancel"]:
            batch.cancel_initiated_at = batch.cancel_initiated_at or datetime.now(UTC)
            return self._batch_json(batch)
        raise ApiError(404, f"Not found: {method} /v1/messages/batches/{'/'.join(rest)}")

    # -- messages ------------------------------------------------------------------------------------

    def _message(self, body: Any, *, batch: bool) -> dict[str, Any]:
        validate_message_body(body)
        schema = body.get("output_config", {}).get("format", {}).get("schema")
        text = self._next_reply(body, schema)
        usage = usage_of(body, schema, text, min_cacheable_tokens=self.min_cacheable_tokens, cache_hit=self._cache_hit)
        stop_reason = "end_turn"
        if usage["output_tokens"] > body["max_tokens"]:
            text, stop_reason = text[: body["max_tokens"] * 4], "max_tokens"
            usage["output_tokens"] = body["max_tokens"]
        usage["service_tier"] = "batch" if batch else "standard"
        return {
            "id": "msg_emu_" + uuid.uuid4().hex[:24],
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }

    def _next_reply(self, body: dict[str, Any], schema: Any) -> str:
        with self._lock:
            if self._replies:
                return self._replies.pop(0)
            scripts, drafts = list(self._scripts), list(self._drafts)
        document = last_user_text(body["messages"])
        for contains, facts in drafts:
            if contains in document:
                check_draft_schema(schema)
                return json.dumps({"facts": facts})
        return label_reply(body, schema, scripts)

    def _cache_hit(self, key: str, ttl: float) -> bool:
        """True when the prefix is cached and fresh; either way it is (re)written with a fresh TTL."""
        now = self.clock()
        with self._lock:
            entry = self._cache.get(key)
            hit = entry is not None and entry.expires_at > now
            self._cache[key] = _CacheEntry(expires_at=now + ttl, ttl=ttl)
        return hit

    # -- batches -------------------------------------------------------------------------------------

    def _create_batch(self, body: Any) -> dict[str, Any]:
        requests = batch_requests(body)
        batch = _Batch(
            id="msgbatch_emu_" + uuid.uuid4().hex[:24],
            created_at=datetime.now(UTC),
            results=[self._batch_result(r) for r in requests],
        )
        with self._lock:
            self._batches[batch.id] = batch
        return self._batch_json(batch)

    def _batch_result(self, request: dict[str, Any]) -> dict[str, Any]:
        custom_id = request["custom_id"]
        outcome = self._batch_outcomes.get(custom_id, "succeeded")
        if outcome in ("expired", "canceled"):
            return {"custom_id": custom_id, "result": {"type": outcome}}
        try:
            if outcome == "errored":
                raise ApiError(500, "emulated batch item failure")
            message = self._message(request.get("params"), batch=True)
        except ApiError as err:
            return {
                "custom_id": custom_id,
                "result": {"type": "errored", "error": _error_body(err.error_type, err.message)},
            }
        return {"custom_id": custom_id, "result": {"type": "succeeded", "message": message}}

    def _poll_batch(self, batch: _Batch) -> dict[str, Any]:
        batch.polls += 1
        if batch.ended_at is None and (
            batch.polls >= self.batch_polls_until_ended or batch.cancel_initiated_at
        ):
            batch.ended_at = datetime.now(UTC)
        return self._batch_json(batch)

    def _batch_results(self, batch: _Batch) -> bytes:
        if batch.ended_at is None:
            raise ApiError(400, f"message batch {batch.id} has not ended; results are not available yet")
        lines = [json.dumps(r) for r in reversed(batch.results)]  # real order is not guaranteed either
        return ("\n".join(lines) + "\n").encode()

    def _batch_json(self, batch: _Batch) -> dict[str, Any]:
        ended = batch.ended_at is not None
        counts = {
            "processing": 0 if ended else len(batch.results),
            "succeeded": 0,
            "errored": 0,
            "canceled": 0,
            "expired": 0,
        }
        if ended:
            for result in batch.results:
                counts[result["result"]["type"]] += 1
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": "ended"
            if ended
            else ("canceling" if batch.cancel_initiated_at else "in_progress"),
            "request_counts": counts,
            "created_at": _iso(batch.created_at),
            "expires_at": _iso(batch.created_at + timedelta(hours=24)),
            "ended_at": _iso(batch.ended_at) if batch.ended_at else None,
            "archived_at": None,
            "cancel_initiated_at": _iso(batch.cancel_initiated_at) if batch.cancel_initiated_at else None,
            "results_url": f"{self.base_url}/v1/messages/batches/{batch.id}/results" if ended else None,
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API
    emulator: AnthropicEmulator

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._answer("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._answer("POST")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, extra, body = self.emulator.handle(method, self.path, headers, raw)
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


# -- helpers -----------------------------------------------------------------------------------------


def _fault_response(fault: Fault, request_id: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    extra: dict[str, str] = {}
    if fault.retry_after is not None:
        extra["retry-after"] = f"{fault.retry_after:g}"
    if fault.retry_after_ms is not None:
        extra["retry-after-ms"] = f"{fault.retry_after_ms:g}"
    return fault.status, extra, _error_body(fault.error_type, fault.message, request_id)


def _error_body(error_type: str, message: str, request_id: str | None = None) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": error_type, "message": message},
        "request_id": request_id or "req_emu_" + uuid.uuid4().hex[:24],
    }


def _try_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
