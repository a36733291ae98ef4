"""Request checks of the Anthropic API emulator (tests/emulators/anthropic_server.py): the Messages body, the strict
JSON-schema subset of `output_config.format`, a draft request's shape, a batch's requests, and the `ApiError` a
failed check answers with (the public error types)."""

from __future__ import annotations

import re
from typing import Any

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


class ApiError(Exception):
    """An error answer: HTTP status, error type and message (the public error shape)."""

    def __init__(self, status: int, message: str, error_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type or ERROR_TYPES.get(status, "api_error")
        self.message = message


def validate_message_body(body: Any) -> None:
    """A Messages request (POST /v1/messages or a batch request's params): model, max_tokens, messages, format."""
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


def check_draft_schema(schema: Any) -> None:
    """A draft request must ask for {"facts": [{key, value, quote}]}."""
    facts = ((schema or {}).get("properties") or {}).get("facts") or {}
    required = set((facts.get("items") or {}).get("required") or [])
    if facts.get("type") != "array" or not {"key", "value", "quote"} <= required:
        raise ApiError(400, "draft mode: output_config.format.schema must require facts[].key, value and quote")


def _is_primitive(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def batch_requests(body: Any) -> list[dict[str, Any]]:
    """The requests of a batch create: a non-empty list, each with a unique custom_id of the allowed form."""
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not requests:
        raise ApiError(400, "requests: must be a non-empty list")
    ids = [r.get("custom_id") if isinstance(r, dict) else None for r in requests]
    for custom_id in ids:
        if not isinstance(custom_id, str) or not CUSTOM_ID_RE.match(custom_id):
            raise ApiError(400, f"requests: custom_id {custom_id!r} must match {CUSTOM_ID_RE.pattern}")
    if len(set(ids)) != len(ids):
        raise ApiError(400, "requests: custom_id values must be unique within a batch")
    return requests
