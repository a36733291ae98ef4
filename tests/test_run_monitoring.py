"""Pool slots of a run that ended are freed by Dagster's own run monitoring (dagster.yaml), and an earlier
release's unedited dagster.yaml in a DAGSTER_HOME is replaced by this one.

Found by an auditor: a backfill's run worker killed mid-step (kill -9) was marked failed and retried, but its
"duckdb" pool slot stayed claimed, so the retry and every later run from the UI, the daemon or the schedule sat
queued for good; only a CLI close (billing_assets.recovery) freed it."""

from __future__ import annotations

import hashlib
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.test_utils import create_run_for_test
from dagster._daemon.monitoring import concurrency as monitoring

from billing_assets.cli import prepare_environment
from billing_assets.settings import REPO_ROOT, SHIPPED_BEFORE

MONITORING = '''# Run monitoring frees the pool slots a run still held when it ended'''


def _previous_release(text: str) -> str:
    """This dagster.yaml without its run_monitoring block: the copy the previous release installed."""
    start = text.index(MONITORING)
    return text[:start] + text[text.index("run_queue:", start):]


def test_an_earlier_releases_dagster_yaml_is_replaced_and_an_edited_one_kept(tmp_path: Path, monkeypatch) -> None:
    shipped = (REPO_ROOT / "dagster.yaml").read_text()
    before = _previous_release(shipped)
    assert hashlib.sha256(before.encode()).hexdigest() in SHIPPED_BEFORE
    for name, text, kept in (("old", before, False), ("edited", before + "# ours\n", True)):
        home = tmp_path / name
        home.mkdir()
        (home / "dagster.yaml").write_text(text)
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        monkeypatch.setenv("BILLING_HOME", str(tmp_path / "billing"))
        prepare_environment(instance=False)
        assert (home / "dagster.yaml").read_text() == (text if kept else shipped)


def test_the_monitoring_daemon_frees_the_slot_a_killed_run_held(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.get() as instance:
        assert "MONITORING" in instance.get_required_daemon_types()
        storage = instance.event_log_storage
        assert storage.supports_global_concurrency_limits
        dead = create_run_for_test(instance, job_name="month_close", status=DagsterRunStatus.STARTED)
        assert storage.initialize_concurrency_limit_to_default("duckdb")  # as a step's first claim does
        assert storage.claim_concurrency_slot("duckdb", dead.run_id, "priced_line_items").is_claimed
        instance.report_run_failed(dead)  # what run monitoring or the run's own process records of a killed run
        assert [s.run_id for s in storage.get_concurrency_info("duckdb").claimed_slots] == [dead.run_id]

        later = monitoring.get_current_datetime() + timedelta(seconds=60)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(monitoring, "get_current_datetime", lambda: later)
            context = type("Context", (), {"instance": instance})()
            list(monitoring.execute_concurrency_slots_iteration(context, _Log()))
        assert storage.get_concurrency_info("duckdb").claimed_slots == []


class _Log:
    def info(self, message: str) -> None:
        self.said = message
