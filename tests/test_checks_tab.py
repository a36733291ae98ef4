"""The Checks tab shows a check's latest evaluation: it must stay failed while any client-month is still blocked
by it, whichever client the latest run closed (a run of another client turned `no_cross_file_duplicates` green
while globex stayed blocked); and a partition that passes after a failure logs its pass even in a run too large
to log every passing partition (its newest event was the old failure)."""

from __future__ import annotations

import shutil
from pathlib import Path

from dagster import AssetCheckKey, AssetKey, DagsterInstance

from billing_assets import checks
from billing_assets.cli import main
from tests.conftest import GOLDEN

DUPLICATES = AssetCheckKey(AssetKey("raw_time_entries"), "no_cross_file_duplicates")


def _home(billing_env) -> Path:
    home = billing_env()
    for case, prefix in ((GOLDEN / "02_rate_cards_rounding", "gx"), (GOLDEN / "03_caps_tiers_fixed_fee", "it")):
        for sub in ("contracts", "timesheets", "expenses"):
            for path in (case / sub).iterdir():
                shutil.copy(path, home / sub / (path.name if sub == "contracts" else f"{prefix}_{path.name}"))
    return home


def _latest(instance: DagsterInstance, partition: str | None = None):
    """The newest evaluation of the check (for one partition, or the run-level one the Checks tab shows)."""
    records = instance.event_log_storage.get_asset_check_execution_history(DUPLICATES, limit=50)
    for record in records:
        evaluation = record.event.dagster_event.event_specific_data if record.event else None
        if evaluation is not None and evaluation.partition == partition:
            return evaluation
    return None


def test_the_checks_tab_stays_failed_while_a_client_month_is_blocked(billing_env, monkeypatch, capsys) -> None:
    home = _home(billing_env)
    sheet = home / "timesheets" / "gx_harvest_time_a.csv"
    lines = sheet.read_text().splitlines(keepends=True)
    (home / "timesheets" / "gx_reexport.csv").write_text("".join(lines[:1] + lines[1:4]))  # 3 rows exported twice
    assert main(["close", "--month", "2026-08", "--client", "globex"]) == 1
    assert main(["close", "--month", "2026-08", "--client", "initech"]) == 0
    instance = DagsterInstance.get()
    tab = _latest(instance)
    assert tab is not None and not tab.passed  # initech's run passed; globex is still blocked by the check
    assert tab.description.startswith("1 client-month(s) fail: globex|2026-08: ")

    (home / "timesheets" / "gx_reexport.csv").unlink()
    monkeypatch.setattr(checks, "DETAILED_PARTITIONS", 0)  # a run too large to log passing partitions
    assert main(["close", "--month", "2026-08"]) == 0
    assert _latest(instance, "globex|2026-08").passed and _latest(instance).passed
    capsys.readouterr()
