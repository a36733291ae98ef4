"""Re-executing a failed close from the Dagster UI ("re-execute from failure") after fixing what failed."""

from __future__ import annotations

from dagster import DagsterInstance, ReexecutionOptions, execute_job, reconstructable

from billing_assets.cli import main
from billing_assets.definitions import build_defs
from tests.conftest import GOLDEN, partition_observation


def month_close_job():
    """The job the close and the UI run, rebuilt by Dagster in the re-execution (module level: reconstructable)."""
    return build_defs().resolve_job_def("month_close")


def test_a_run_re_executed_from_failure_after_a_contract_fix_says_the_contract_reads_now(billing_env) -> None:
    """Found by an auditor: a close failed on a broken contract; a person fixed the file and pressed "re-execute from
    failure". Dagster runs only the failed step, the push, which read the contracts step's old record and gave the
    old error as current. Its page now says the contract reads without error now, and what to run."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    contract = home / "contracts" / "globex.yaml"
    fixed = contract.read_text()
    contract.write_text(fixed + "bogus_key: 1\n")
    assert main(["close", "--month", "2026-08"]) == 1
    instance = DagsterInstance.get()
    (parent,) = instance.get_runs(limit=1)
    why = partition_observation("quickbooks_draft_invoices", "globex", "2026-08")["why_not_pushed"]
    assert why == ("contracts/globex.yaml: bogus_key: Extra inputs are not permitted (as the contracts step last "
                   "recorded it: once fixed, materialize contracts and the assets after it, or close the month again)")

    contract.write_text(fixed)
    result = execute_job(reconstructable(month_close_job), instance, tags=parent.tags, raise_on_error=False,
                         reexecution_options=ReexecutionOptions.from_failure(parent.run_id, instance))
    assert [e.step_key for e in result.all_events if e.event_type_value == "STEP_START"] == [
        "quickbooks_draft_invoices"]  # what Dagster re-executes: the failed step alone
    why = partition_observation("quickbooks_draft_invoices", "globex", "2026-08")["why_not_pushed"]
    assert why == ("contracts/globex.yaml: bogus_key: Extra inputs are not permitted (as the contracts step recorded "
                   "it; contracts/globex.yaml reads without error now: materialize contracts and the assets after it, "
                   "or close the month again; re-executing a run from failure runs only its failed steps)")
    assert not result.success
    (check,) = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
                and e.event_specific_data.partition == "globex|2026-08"]  # the run's Checks tab says it too
    assert check.description == f"contracts.contract_valid: {why}"
    assert main(["close", "--month", "2026-08"]) == 0  # what the page says to do
