"""The Checks tab shows a check's newest evaluation: it must stay failed while any client-month is still blocked
by it, whichever client the latest run closed (a run of another client turned `no_cross_file_duplicates` green
while globex stayed blocked), without alerting twice; and a partition that passes after a failure logs its pass
even in a run too large to log every passing partition (its newest event was the old failure)."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

from dagster import AssetCheckKey, AssetKey, DagsterInstance
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from billing_assets import checks
from billing_assets.cli import main
from resources.notify import LogNotifier
from sensors.alerts import check_alert
from tests.conftest import GOLDEN

DUPLICATES = AssetCheckKey(AssetKey("raw_time_entries"), "no_cross_file_duplicates")


def _home(billing_env) -> Path:
    home = billing_env()
    for case, prefix in ((GOLDEN / "02_rate_cards_rounding", "gx"), (GOLDEN / "03_caps_tiers_fixed_fee", "it")):
        for sub in ("contracts", "timesheets", "expenses"):
            for path in (case / sub).iterdir():
                shutil.copy(path, home / sub / (path.name if sub == "contracts" else f"{prefix}_{path.name}"))
    return home


def _newest(instance: DagsterInstance, partition: str | None = None):
    """The newest execution record of the check (of one partition): what the Checks tab shows as its status."""
    records = instance.event_log_storage.get_asset_check_execution_history(DUPLICATES, limit=50)
    return next(r for r in records if partition is None or r.partition == partition)


def test_the_checks_tab_stays_failed_while_a_client_month_is_blocked(billing_env, monkeypatch, capsys) -> None:
    home = _home(billing_env)
    sheet = home / "timesheets" / "gx_harvest_time_a.csv"
    lines = sheet.read_text().splitlines(keepends=True)
    (home / "timesheets" / "gx_reexport.csv").write_text("".join(lines[:1] + lines[1:4]))  # 3 rows exported twice
    assert main(["close", "--month", "2026-08", "--client", "globex"]) == 1
    assert main(["close", "--month", "2026-08", "--client", "initech"]) == 0
    instance = DagsterInstance.get()
    tab = _newest(instance)  # initech's run passed; globex is still blocked by the check
    assert (tab.status, tab.partition) == (AssetCheckExecutionRecordStatus.FAILED, "globex|2026-08")
    evaluation = tab.event.dagster_event.event_specific_data
    assert evaluation.metadata["carried"].value is True  # the failure of globex's own run, shown again
    assert check_alert(SimpleNamespace(event_log_entry=tab.event, storage_id=1), LogNotifier()) is None

    (home / "timesheets" / "gx_reexport.csv").unlink()
    monkeypatch.setattr(checks, "DETAILED_PARTITIONS", 0)  # a run too large to log every passing partition
    assert main(["close", "--month", "2026-08"]) == 0
    assert _newest(instance, "globex|2026-08").status == AssetCheckExecutionRecordStatus.SUCCEEDED
    assert _newest(instance).status == AssetCheckExecutionRecordStatus.SUCCEEDED
    capsys.readouterr()


def test_the_runs_verdict_check_shows_failed_when_a_client_month_was_held_back(billing_env) -> None:
    """`client_months_pushed` logged its per-partition evaluations in client order: after globex's failure came
    initech's pass, and the Checks tab said "Succeeded" for the run that failed on it."""
    home = _home(billing_env)
    lines = (home / "timesheets" / "gx_harvest_time_a.csv").read_text().splitlines(keepends=True)
    (home / "timesheets" / "gx_reexport.csv").write_text("".join(lines[:1] + lines[1:4]))  # globex blocked
    assert main(["close", "--month", "2026-08"]) == 1
    pushed = AssetCheckKey(AssetKey("quickbooks_draft_invoices"), "client_months_pushed")
    newest = DagsterInstance.get().event_log_storage.get_asset_check_execution_history(pushed, limit=1)[0]
    assert (newest.status, newest.partition) == (AssetCheckExecutionRecordStatus.FAILED, "globex|2026-08")
