"""Run retries on a real Dagster instance made from this repo's dagster.yaml: a run the product fails on purpose
(a blocked client-month fails the blocking `client_months_pushed` check) is not relaunched, so its alerts are not
doubled; a run whose process died (marked failed as run monitoring and `billing_assets.recovery` do) still is."""

from __future__ import annotations

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus
from dagster._core.storage.tags import RUN_FAILURE_REASON_TAG, WILL_RETRY_TAG
from dagster._core.utils import make_new_run_id
from dagster._daemon.auto_run_reexecution.auto_run_reexecution import filter_runs_to_should_retry

from billing_assets.cli import main
from billing_assets.definitions import build_defs
from tests.conftest import GOLDEN

RETRY_ON_STEP_FAILURE = "dagster/retry_on_asset_or_op_failure"


def test_a_run_failed_by_a_check_is_not_retried_and_a_killed_run_is(billing_env) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    (home / "contracts" / "acme.yaml").write_text(  # a misspelt key: acme's month is blocked, the run ends failed
        "client: acme\nname: Acme Corp\ncurrency: USD\ndefault_rate: 100\nterms_dayz: 30\n")
    assert main(["close", "--month", "2026-08"]) == 1
    with DagsterInstance.get() as instance:
        assert instance.run_retries_enabled and instance.run_retries_max_retries >= 1
        [blocked] = instance.get_runs(limit=1)
        assert blocked.status == DagsterRunStatus.FAILURE
        assert blocked.tags[RUN_FAILURE_REASON_TAG] == "STEP_FAILURE"
        assert blocked.tags[WILL_RETRY_TAG] == "false"
        # a run of the same job whose process was killed: marked failed without a step failure
        tags = {k: v for k, v in blocked.tags.items() if k not in (RUN_FAILURE_REASON_TAG, WILL_RETRY_TAG)}
        killed = instance.add_run(DagsterRun(job_name=blocked.job_name, run_id=make_new_run_id(),
                                             status=DagsterRunStatus.STARTED, tags=tags))
        instance.report_run_failed(killed, message="the run worker is gone")
        killed = instance.get_run_by_id(killed.run_id)
        assert killed is not None and killed.tags[WILL_RETRY_TAG] == "true"
        retried = [r.run_id for r in filter_runs_to_should_retry([blocked, killed], instance)]
        assert retried == [killed.run_id]


def test_every_job_says_not_to_retry_its_own_failures() -> None:
    """The tag travels with the runs, so an instance made from an older dagster.yaml (DAGSTER_HOME is copied once)
    or the deployment's own instance does not relaunch them either."""
    defs = build_defs()
    for name in ("month_close", "approve_invoices", "approve_client_month"):
        assert defs.resolve_job_def(name).tags.get(RETRY_ON_STEP_FAILURE) == "false", name
