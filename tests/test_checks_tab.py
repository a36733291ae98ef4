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


def _partition_statuses(instance: DagsterInstance, key: AssetCheckKey) -> dict[str, str]:
    """What a check's Partitions tab shows per client-month: the status of its newest evaluation while that targets
    the partition's newest materialization (else none)."""
    return {info.partition_key: info.latest_execution_status.value if info.is_current else "none"
            for info in instance.event_log_storage.get_asset_check_partition_info([key]) if info.partition_key}


def test_a_checks_partitions_tab_shows_each_client_months_own_result(billing_env) -> None:
    """The checks are partitioned: each client-month has its own status. A run of one partition (a UI
    re-materialisation) recorded the firm's state as its result, so August read failed for September's anomaly."""
    home = billing_env()
    for sub in ("contracts", "timesheets", "expenses"):
        shutil.copytree(GOLDEN / "03_caps_tiers_fixed_fee" / sub, home / sub, dirs_exist_ok=True)
    assert main(["close", "--month", "2026-08..2026-10"]) == 0
    instance = DagsterInstance.get()
    hours = AssetCheckKey(AssetKey("priced_line_items"), "hours_in_trailing_range")
    pushed = AssetCheckKey(AssetKey("quickbooks_draft_invoices"), "client_months_pushed")
    # September worked 104 h against August's 65 h (x1.5 = 97.5), October 13 h against 65..104 h
    expected = {"initech|2026-08": "SUCCEEDED", "initech|2026-09": "FAILED", "initech|2026-10": "FAILED"}
    assert _partition_statuses(instance, hours) == expected
    assert set(_partition_statuses(instance, pushed).values()) == {"SUCCEEDED"}
    assert main(["close", "--month", "2026-08"]) == 0  # one partition: its own result, not the firm's
    assert _partition_statuses(instance, hours) == expected
    newest = instance.event_log_storage.get_asset_check_execution_history(hours, limit=1)[0]
    assert newest.status == AssetCheckExecutionRecordStatus.FAILED  # the check's own status: September still fails


def test_the_checks_tab_stays_failed_while_a_client_month_is_blocked(billing_env, monkeypatch, capsys) -> None:
    home = _home(billing_env)
    sheet = home / "timesheets" / "gx_harvest_time_a.csv"
    lines = sheet.read_text().splitlines(keepends=True)
    (home / "timesheets" / "gx_reexport.csv").write_text("".join(lines[:1] + lines[1:4]))  # 3 rows exported twice
    assert main(["close", "--month", "2026-08", "--client", "globex"]) == 1
    assert main(["close", "--month", "2026-08", "--client", "initech"]) == 0
    instance = DagsterInstance.get()
    tab = _newest(instance)  # initech's run passed; globex is still blocked by the check
    assert (tab.status, tab.partition) == (AssetCheckExecutionRecordStatus.FAILED, None)
    evaluation = tab.event.dagster_event.event_specific_data
    assert evaluation.metadata["carried"].value is True  # the failure of globex's own run, shown again
    assert evaluation.metadata["client_month"].value == "globex|2026-08"
    assert _partition_statuses(instance, DUPLICATES) == {"globex|2026-08": "FAILED", "initech|2026-08": "SUCCEEDED"}
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
    instance = DagsterInstance.get()
    newest = instance.event_log_storage.get_asset_check_execution_history(pushed, limit=1)[0]
    assert newest.status == AssetCheckExecutionRecordStatus.FAILED
    assert _partition_statuses(instance, pushed) == {"globex|2026-08": "FAILED", "initech|2026-08": "SUCCEEDED"}
