"""A failed run is alerted however it was launched. `billing close` runs in process, and Dagster records such a run
without a code location; the run-failure sensor watched its own location's runs only, so a failed close was never
alerted under the daemon (found by an auditor). A run failed on purpose by `client_months_pushed` (a client-month
held back) is alerted by that check's evaluations, once per client-month, not again as a run (found by an auditor:
each close of a blocked month alerted the same failed run)."""

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


def test_a_failed_run_in_process_is_alerted_and_a_held_back_month_by_its_check_only(billing_env, tmp_path,
                                                                                      capsys) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    notifier = LogNotifier(log_path=str(tmp_path / "alerts.log"))
    instance = DagsterInstance.get()
    cursor = _tick(instance, notifier, None)  # the first tick starts after the runs already there
    assert main(["close", "--month", "2026-08"]) == 0
    whatif = build_defs().get_job_def("whatif")  # a run that fails otherwise: a what-if contract that does not read
    failed = whatif.execute_in_process(instance=instance, raise_on_error=False, run_config={"ops": {"whatif_backtest": {
        "config": {"months": "2026-08", "contract_yaml": "client: globex\nroles: [oops\n"}}}})
    assert not failed.success
    with (home / "contracts" / "globex.yaml").open("a") as contract:
        contract.write("discount_pct: [5\n")  # unreadable: the close fails client_months_pushed on purpose
    assert main(["close", "--month", "2026-08"]) == 1
    capsys.readouterr()
    _tick(instance, notifier, cursor)
    (alert,) = [json.loads(line) for line in (tmp_path / "alerts.log").read_text().splitlines()]
    assert (alert["kind"], alert["title"], alert["url"]) == ("run", "run of whatif failed",
                                                             f"http://127.0.0.1:3000/runs/{failed.run_id}")
    assert alert["message"] == "Execution of run for \"whatif\" failed. Steps failed: ['whatif_backtest']."
