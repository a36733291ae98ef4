"""The code location loads and validates the way `dagster dev` and the daemon load it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from billing_assets.definitions import build_defs

REPO = Path(__file__).resolve().parent.parent


def test_dagster_definitions_validate(tmp_path: Path) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "BILLING_HOME": str(tmp_path / "home")}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run([str(dagster), "definitions", "validate", "-w", "workspace.yaml"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "All code locations passed validation" in result.stderr + result.stdout


def test_definitions_hold_the_graph_checks_jobs_and_sensors() -> None:
    defs = build_defs()
    keys = {spec.key.path[-1] for spec in defs.resolve_all_asset_specs()}
    assert keys == {"contracts", "raw_time_entries", "raw_expenses", "classified_time_entries", "review_queue",
                    "priced_line_items", "quickbooks_draft_invoices", "firm_overview"}
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert {"contract_valid", "inputs_readable", "priceable", "client_months_pushed",
            "hours_reconcile", "no_cross_file_duplicates", "sow_items_exist", "retainer_burn_before_20th"} <= checks
    assert {j.name for j in defs.jobs} >= {"month_close", "approve_invoices"}
    assert {s.name for s in defs.sensors} >= {"clients_from_contracts", "check_failure_alerts", "run_failure_alerts"}
