"""Where alerts go: a Slack-compatible webhook (httpx) or, by default, a JSON-lines log file."""

from __future__ import annotations

import json
from abc import abstractmethod
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
    """Where alerts go. Variants: `LogNotifier` (JSON lines in a file, the local twin) and `WebhookNotifier`
    (a Slack-compatible webhook, its URL a secret)."""

    ui_base_url: str = "http://127.0.0.1:3000"

    def notify(self, alert: dict) -> None:
        self.deliver({**alert, "at": datetime.now(UTC).isoformat(timespec="seconds")})

    @abstractmethod
    def deliver(self, alert: dict) -> None:
        """Send one stamped alert; raise when it could not be delivered (the sensor retries)."""

    def run_url(self, run_id: str) -> str:
        return f"{self.ui_base_url.rstrip('/')}/runs/{run_id}"


class LogNotifier(Notifier):
    """Appends JSON lines to `log_path` ($BILLING_HOME/alerts.log by default)."""

    log_path: str = "./billing_home/alerts.log"

    def deliver(self, alert: dict) -> None:
        path = Path(self.log_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(alert, default=str) + "\n")


class WebhookNotifier(Notifier):
    """POSTs {"text": ..., "alert": ...} to a Slack, Mattermost or Teams-compatible webhook
    (`EnvVar("BILLING_ALERT_WEBHOOK")`: the URL carries the hook's secret)."""

    webhook_url: str
    timeout_seconds: float = 10.0

    def deliver(self, alert: dict) -> None:
        response = httpx.post(self.webhook_url, json={"text": format_alert(alert), "alert": alert},
                              timeout=self.timeout_seconds)
        response.raise_for_status()
