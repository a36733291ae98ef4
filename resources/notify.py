"""Where alerts go: a Slack-compatible webhook (httpx) or, by default, a JSON-lines log file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
from dagster import ConfigurableResource


def format_alert(alert: dict) -> str:
    """One readable line: severity, partition, check and what it saw, with a link to the UI."""
    text = f"[{alert['severity']}] {alert['title']}"
    if alert.get("partition"):
        text += f" · {alert['partition']}"
    if alert.get("message"):
        text += f"\n{alert['message']}"
    if alert.get("url"):
        text += f"\n<{alert['url']}|Open in Dagster>"
    return text


class Notifier(ConfigurableResource):
    """`webhook_url` set: POST {"text": ...} (Slack, Mattermost, Teams-compatible). Otherwise append JSON lines
    to `log_path` ($BILLING_HOME/alerts.log by default)."""

    webhook_url: str | None = None
    log_path: str = "./billing_home/alerts.log"
    ui_base_url: str = "http://127.0.0.1:3000"
    timeout_seconds: float = 10.0

    def notify(self, alert: dict) -> None:
        alert = {**alert, "at": datetime.now(UTC).isoformat(timespec="seconds")}
        if self.webhook_url:
            response = httpx.post(self.webhook_url, json={"text": format_alert(alert), "alert": alert},
                                  timeout=self.timeout_seconds)
            response.raise_for_status()
            return
        path = Path(self.log_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(alert, default=str) + "\n")

    def run_url(self, run_id: str) -> str:
        return f"{self.ui_base_url.rstrip('/')}/runs/{run_id}"
