"""The deterministic "model" of the Anthropic API emulator (tests/emulators/anthropic_server.py): the labels it
answers a labelling request with, which tests can override (`LabelScript`), and the usage it reports (~4 characters
a token, prompt-cache writes and reads at the request's cache breakpoint).

For each entry of the JSON array in the last user message it picks the SOW id (from the schema's `sow_item` enum)
whose line in the system prompt shares most words with the entry's notes and task, and "rush" when the notes
contain a rush phrase ("tonight", "moved up", ...).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


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


def label_reply(body: dict[str, Any], schema: Any, scripts: list[LabelScript]) -> str:
    """The answer's text: one label per entry (the model's, with the matching scripts' fields), shaped by the schema."""
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


def usage_of(body: dict[str, Any], schema: Any, text: str, *, min_cacheable_tokens: int,
             cache_hit: Callable[[str, float], bool]) -> dict[str, Any]:
    """Token counts (~4 characters a token) and prompt-cache behaviour for one request. `cache_hit(key, ttl)` says
    whether the prefix up to the last cache breakpoint is cached (and caches it afresh)."""
    segments = _prompt_segments(body)
    total = _tokens("".join(t for t, _ in segments) + json.dumps(schema or {}))
    breakpoint_at = max((i for i, (_, cc) in enumerate(segments) if cc), default=-1)
    created = read = created_1h = 0
    if breakpoint_at >= 0:
        prefix = "".join(t for t, _ in segments[: breakpoint_at + 1])
        prefix_tokens = _tokens(prefix)
        ttl = TTL_SECONDS.get(segments[breakpoint_at][1].get("ttl", "5m"), 300.0)
        if prefix_tokens >= min_cacheable_tokens:
            key = hashlib.sha256(
                json.dumps([body["model"], schema, prefix], sort_keys=True).encode()
            ).hexdigest()
            if cache_hit(key, ttl):
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


def last_user_text(messages: list[Any]) -> str:
    """The text of the last user message ("" when there is none)."""
    user = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    return _content_text(user[-1].get("content")) if user else ""


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
    text = last_user_text(messages)
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

