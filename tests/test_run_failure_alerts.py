"""A failed run is alerted however it was launched. `billing close` runs in process, and Dagster records such a run
without a code location; the run-failure sensor watched its own location's runs only, so a failed close was never
alerted under the daemon (found by an auditor)."""

from __future__ import annotations

import json

from dagster import DagsterInstance, SensorEvaluationContext
from dagster._core.remote_origin import RegisteredCodeLocationOrigin

from billing_assets.cli import main
from billing_assets.definitions import build_defs
from resources.notify import LogNotifier
from sensors.alerts import run_failure_alerts
from tests.conftest import GOLDEN


def _tick(instance: DagsterInstance, notifier: LogNotifier, cursor: str | None) -> str | None:
    """One tick as the daemon evaluates it: in the workspace's code location (not the test default of none)."""
    with SensorEvaluationContext(instance_ref=None, instance=instance, cursor=cursor, sensor_name="run_failure_alerts",
                                 resources={"notifier": notifier}, definitions=build_defs(),
                                 repository_name="__repository__",
                                 code_location_origin=RegisteredCodeLocationOrigin("billing")) as context:
        run_failure_alerts.evaluate_tick(context)
        return context.cursor


def test_a_failed_close_from_the_command_line_is_alerted(billing_env, tmp_path, capsys) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    with (home / "contracts" / "globex.yaml").open("a") as contract:
        contract.write("discount_pct: [5\n")  # unreadable: the close fails client_months_pushed on purpose
    notifier = LogNotifier(log_path=str(tmp_path / "alerts.log"))
    instance = DagsterInstance.get()
    cursor = _tick(instance, notifier, None)  # the first tick starts after the runs already there
    assert main(["close", "--month", "2026-08"]) == 1
    capsys.readouterr()
    _tick(instance, notifier, cursor)
    (alert,) = [json.loads(line) for line in (tmp_path / "alerts.log").read_text().splitlines()]
    assert (alert["kind"], alert["title"], alert["partition"]) == ("run", "run of month_close failed", "globex|2026-08")
    assert alert["message"] == ("Execution of run for \"month_close\" failed. Steps failed: "
                                "['quickbooks_draft_invoices'].")
