"""The shape of a QuickBooks emulator answer (tests/emulators/qbo_server.py, qbo_books.py): status, body and headers,
JSON with Decimals written exactly, the `Fault` error body and the company's timestamps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.emulators.loopback import dump_json

COMPANY_TZ = timezone(timedelta(hours=-8))


@dataclass
class Answer:
    status: int
    body: str
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def now_stamp() -> str:
    """A QuickBooks timestamp: seconds, in the company's zone."""
    return datetime.now(COMPANY_TZ).isoformat(timespec="seconds")


def fault_answer(status: int, code: int | str, message: str, detail: str = "",
                 kind: str = "ValidationFault", element: str = "") -> Answer:
    body = {"Fault": {"Error": [{"Message": message, "Detail": detail or message, "code": str(code),
                                 "element": element}], "type": kind}, "time": now_stamp()}
    return Answer(status, dump_json(body))


def json_answer(body: Mapping[str, Any], status: int = 200) -> Answer:
    return Answer(status, dump_json({**body, "time": now_stamp()}))
