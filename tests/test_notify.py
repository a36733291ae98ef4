"""The webhook notifier posts Slack-compatible JSON to a real HTTP endpoint on loopback; the default logs."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from resources.notify import LogNotifier, WebhookNotifier

ALERT = {"kind": "check", "severity": "ERROR", "title": "priced_line_items.caps_respected",
         "partition": "acme|2026-10", "message": "Monthly NTE: billed 21000 over 20000", "url": "http://ui/runs/1"}


class Hook(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append(json.loads(body))
        self.send_response(Hook.status)
        self.end_headers()

    def log_message(self, *args) -> None:
        return None


@pytest.fixture
def hook_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Hook.received, Hook.status = [], 200
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/billing"
    server.shutdown()


def test_webhook_gets_the_partition_check_numbers_and_link(hook_url: str) -> None:
    WebhookNotifier(webhook_url=hook_url).notify(ALERT)
    (payload,) = Hook.received
    assert payload["text"].startswith("[ERROR] priced_line_items.caps_respected · acme|2026-10")
    assert "billed 21000 over 20000" in payload["text"] and "<http://ui/runs/1|Open in Dagster>" in payload["text"]
    assert payload["alert"]["partition"] == "acme|2026-10"


def test_a_failing_webhook_raises_so_the_sensor_retries(hook_url: str) -> None:
    Hook.status = 500
    with pytest.raises(httpx.HTTPStatusError):
        WebhookNotifier(webhook_url=hook_url).notify(ALERT)


def test_without_a_webhook_alerts_go_to_the_log_file(tmp_path: Path) -> None:
    log = tmp_path / "alerts.log"
    LogNotifier(log_path=str(log)).notify(ALERT)
    LogNotifier(log_path=str(log)).notify({**ALERT, "severity": "WARN"})
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [a["severity"] for a in lines] == ["ERROR", "WARN"] and all("at" in a for a in lines)
