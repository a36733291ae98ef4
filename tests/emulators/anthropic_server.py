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

Draft mode (`script_draft`): a request whose last user message contains a given document text is answered with a
canned extraction `{"facts": [...]}` (the reading of `billing contract draft`), after checking that the request
asks for that shape (an output schema whose `facts` items require key, value and quote).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.emulators.loopback import LoopbackServer

DEFAULT_API_KEY = "sk-ant-emulator-key"
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
RUSH_PHRASES = ("tonight", "moved up", "asap", "urgent", "same-day", "same day", "overnight", "by morning")
STOPWORDS = frozenset(
    {
        "the",
        "and",
        "for",
        "with",
        "from",
        "into",
        "onto",
        "that",
        "this",
        "was",
        "were",
        "are",
        "our",
        "their",
        "per",
        "via",
        "phase",
        "work",
        "hourly",
        "fixed",
        "fee",
        "billing",
        "project",
        "projects",
        "task",
        "tasks",
        "notes",
        "item",
        "items",
    }
)
UNSUPPORTED_KEYWORDS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "maxItems",
    "uniqueItems",
    "patternProperties",
    "minProperties",
    "maxProperties",
)
CUSTOM_ID_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


class ApiError(Exception):
    """An error answer: HTTP status, error type and message (the public error shape)."""

    def __init__(self, status: int, message: str, error_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type or ERROR_TYPES.get(status, "api_error")
        self.message = message


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


@dataclass
class LabelScript:
    """Overrides the model's label for entries matching `key` and/or `notes_contains`."""

    key: str | None = None
    notes_contains: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    omit: bool = False

    def matches(self, entry: dict[str, Any]) -> bool:
        if self.key is not None and entry.get("key") != self.key:
            return False
        notes = str(entry.get("notes", "")).lower()
        return self.notes_contains is None or self.notes_contains.lower() in notes


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
        _validate_message_body(body)
        schema = body.get("output_config", {}).get("format", {}).get("schema")
        text = self._next_reply(body, schema)
        usage = self._usage(body, schema, text)
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
        user = [m for m in body["messages"] if isinstance(m, dict) and m.get("role") == "user"]
        document = _content_text(user[-1].get("content")) if user else ""
        for contains, facts in drafts:
            if contains in document:
                _check_draft_schema(schema)
                return json.dumps({"facts": facts})
        entries = _entries_of(body["messages"])
        system = _system_text(body.get("system"))
        labels = []
        for entry in entries:
            label = _model_label(entry, system, schema)
            omitted = False
            for script in scripts:
                if script.matches(entry):
                    omitted = omitted or script.omit
                    label = {**label, **script.fields}
            if not omitted:
                labels.append(label)
        return json.dumps(_wrap_labels(labels, schema))

    def _usage(self, body: dict[str, Any], schema: Any, text: str) -> dict[str, Any]:
        """Token counts (~4 characters a token) and prompt-cache behaviour for one request."""
        segments = _prompt_segments(body)
        total = _tokens("".join(t for t, _ in segments) + json.dumps(schema or {}))
        breakpoint_at = max((i for i, (_, cc) in enumerate(segments) if cc), default=-1)
        created = read = created_1h = 0
        if breakpoint_at >= 0:
            prefix = "".join(t for t, _ in segments[: breakpoint_at + 1])
            prefix_tokens = _tokens(prefix)
            ttl = TTL_SECONDS.get(segments[breakpoint_at][1].get("ttl", "5m"), 300.0)
            if prefix_tokens >= self.min_cacheable_tokens:
                key = hashlib.sha256(
                    json.dumps([body["model"], schema, prefix], sort_keys=True).encode()
                ).hexdigest()
                if self._cache_hit(key, ttl):
                    read = prefix_tokens
                else:
                    created = prefix_tokens
                    created_1h = prefix_tokens if ttl > 300 else 0
        return {
            "input_tokens": max(total - created - read, 1),
            "output_tokens": _tokens(text),
            "cache_creation_input_tokens": created,
            "cache_read_input_tokens": read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": created - created_1h,
                "ephemeral_1h_input_tokens": created_1h,
            },
        }

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
        requests = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list) or not requests:
            raise ApiError(400, "requests: must be a non-empty list")
        ids = [r.get("custom_id") if isinstance(r, dict) else None for r in requests]
        for custom_id in ids:
            if not isinstance(custom_id, str) or not CUSTOM_ID_RE.match(custom_id):
                raise ApiError(400, f"requests: custom_id {custom_id!r} must match {CUSTOM_ID_RE.pattern}")
        if len(set(ids)) != len(ids):
            raise ApiError(400, "requests: custom_id values must be unique within a batch")
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


# -- pure helpers -------------------------------------------------------------------------------------


def _validate_message_body(body: Any) -> None:
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise ApiError(400, "model: Field required")
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
        raise ApiError(400, "max_tokens: must be an integer >= 1")
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        raise ApiError(400, "messages: at least one message is required")
    if "output_config" in body:
        _validate_output_config(body["output_config"])


def _validate_output_config(config: Any) -> None:
    if not isinstance(config, dict):
        raise ApiError(400, "output_config: must be an object")
    fmt = config.get("format")
    if fmt is None:
        return
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        raise ApiError(400, "output_config.format.type: Input should be 'json_schema'")
    if not isinstance(fmt.get("schema"), dict):
        raise ApiError(400, "output_config.format.schema: Field required")
    _validate_schema(fmt["schema"], "output_config.format.schema")


def _validate_schema(schema: Any, where: str) -> None:
    """The strict subset: closed objects, no numeric/length bounds, non-empty primitive enums."""
    if not isinstance(schema, dict):
        raise ApiError(400, f"{where}: must be an object")
    kind = schema.get("type")
    for keyword in UNSUPPORTED_KEYWORDS:
        if keyword in schema:
            raise ApiError(400, f"{where}: For '{kind}' type, property '{keyword}' is not supported")
    if "enum" in schema:
        enum = schema["enum"]
        if not isinstance(enum, list) or not enum or not all(_is_primitive(v) for v in enum):
            raise ApiError(
                400, f"{where}.enum: must be a non-empty list of strings, numbers, booleans or null"
            )
    elif not any(k in schema for k in ("type", "anyOf", "allOf", "const", "$ref")):
        raise ApiError(400, f"{where}: schema must have a 'type'")
    if kind == "object":
        if schema.get("additionalProperties") is not False:
            raise ApiError(
                400, f"{where}: For 'object' type, 'additionalProperties' must be explicitly set to false"
            )
        for name, sub in (schema.get("properties") or {}).items():
            _validate_schema(sub, f"{where}.properties.{name}")
    if kind == "array" and "items" in schema:
        _validate_schema(schema["items"], f"{where}.items")
    for key in ("anyOf", "allOf"):
        for i, sub in enumerate(schema.get(key) or []):
            _validate_schema(sub, f"{where}.{key}[{i}]")


def _check_draft_schema(schema: Any) -> None:
    """A draft request must ask for {"facts": [{key, value, quote}]}."""
    facts = ((schema or {}).get("properties") or {}).get("facts") or {}
    required = set((facts.get("items") or {}).get("required") or [])
    if facts.get("type") != "array" or not {"key", "value", "quote"} <= required:
        raise ApiError(400, "draft mode: output_config.format.schema must require facts[].key, value and quote")


def _is_primitive(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _label_schema(schema: Any) -> tuple[str | None, dict[str, Any]]:
    """(name of the array property or None for a root array, the schema of one label)."""
    if not isinstance(schema, dict):
        return "labels", {}
    if schema.get("type") == "array":
        return None, schema.get("items") or {}
    for name, sub in (schema.get("properties") or {}).items():
        if isinstance(sub, dict) and sub.get("type") == "array":
            return name, sub.get("items") or {}
    return "labels", {}


def _enum_of(label_schema: dict[str, Any], name: str) -> list[Any]:
    prop = (label_schema.get("properties") or {}).get(name) or {}
    return list(prop.get("enum") or [])


def _wrap_labels(labels: list[dict[str, Any]], schema: Any) -> Any:
    name, _ = _label_schema(schema)
    return labels if name is None else {name: labels}


def _model_label(entry: dict[str, Any], system: str, schema: Any) -> dict[str, Any]:
    """The deterministic "model": word overlap for the SOW item, rush phrases for the work type."""
    _, label_schema = _label_schema(schema)
    sow_ids = [v for v in _enum_of(label_schema, "sow_item") if isinstance(v, str)]
    work_types = _enum_of(label_schema, "work_type") or ["standard", "rush"]
    text = f"{entry.get('notes', '')} {entry.get('task', '')}"
    words = _words(text)
    scored = [(len(words & (_words(_sow_line(system, sid)) - _words(sid))), sid) for sid in sow_ids]
    best = max((score for score, _ in scored), default=0)
    winners = [sid for score, sid in scored if score == best and best > 0]
    sow_item = winners[0] if winners else None
    confidence = 0.92 if len(winners) == 1 else (0.55 if winners else 0.3)
    notes = str(entry.get("notes", "")).lower()
    rush = any(phrase in notes for phrase in RUSH_PHRASES) and "rush" in work_types
    work_type = "rush" if rush else ("standard" if "standard" in work_types else work_types[0])
    overlap = sorted(words & _words(_sow_line(system, sow_item))) if sow_item else []
    rationale = f"matched {', '.join(overlap)}" if overlap else "no SOW item matches the notes"
    return {
        "key": entry.get("key"),
        "sow_item": sow_item,
        "work_type": work_type,
        "confidence": confidence,
        "rationale": rationale,
    }


def _sow_line(system: str, sow_id: str | None) -> str:
    if not sow_id:
        return ""
    match = re.search(rf"^\s*[-*]?\s*{re.escape(sow_id)}\b.*$", system, flags=re.MULTILINE)
    if match:
        return match.group(0)
    return next((line for line in system.splitlines() if re.search(rf"\b{re.escape(sow_id)}\b", line)), "")


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) >= 3 and w not in STOPWORDS}


def _entries_of(messages: list[Any]) -> list[dict[str, Any]]:
    """The JSON array of entries in the last user message (empty when there is none)."""
    user = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    text = _content_text(user[-1].get("content")) if user else ""
    start = text.find("[")
    if start < 0:
        return []
    try:
        data, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError:
        return []
    return [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


def _system_text(system: Any) -> str:
    return _content_text(system)


def _prompt_segments(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Prompt text in cache order (tools, system, messages) with each block's cache_control ({} = none)."""
    segments: list[tuple[str, dict[str, Any]]] = []
    for tool in body.get("tools") or []:
        segments.append((json.dumps(tool, sort_keys=True), tool.get("cache_control") or {}))
    system = body.get("system")
    blocks = [{"type": "text", "text": system}] if isinstance(system, str) else (system or [])
    for message in [{"content": blocks}, *body["messages"]]:
        content = message.get("content")
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else (content or [])
        for block in parts:
            if isinstance(block, dict):
                segments.append((str(block.get("text", "")), block.get("cache_control") or {}))
    return segments


def _tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


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
