"""Shared fixtures: isolated billing homes and Dagster instances per test."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).resolve().parent.parent

warnings.filterwarnings("ignore", module=r"dagster.*")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@functools.cache
def _set_up_dagster_home() -> Path:
    """A DAGSTER_HOME as the CLI sets one up on first use (this repo's dagster.yaml, every storage created by
    `open_instance`), made once per test process: creating the storages takes half a second per home."""
    from billing_assets.instance_setup import install_dagster_yaml, open_instance

    template = Path(tempfile.mkdtemp(prefix="dagster_home_set_up_"))
    install_dagster_yaml(template, REPO / "dagster.yaml")
    before = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(template)
    try:
        open_instance(template).dispose()
    finally:
        if before is None:
            del os.environ["DAGSTER_HOME"]
        else:
            os.environ["DAGSTER_HOME"] = before
    return template


def use_home(monkeypatch: pytest.MonkeyPatch, root: Path, source: Path | None = None) -> Path:
    """`root/home` (a copy of `source`, else empty folders) as BILLING_HOME, its DuckDB file and `root/dagster_home`
    (a copy of one already set up: tests/test_instance_race.py sets up new ones), with no API key, classifier,
    source or push choice from the outside environment."""
    home = root / "home"
    if source is not None:
        shutil.copytree(source, home, ignore=shutil.ignore_patterns("expected.json", "CASE.md"))
    else:
        for sub in ("contracts", "timesheets", "expenses", "overrides"):
            (home / sub).mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("BILLING_HOME", str(home))
    monkeypatch.setenv("BILLING_DB", str(home / "billing.duckdb"))
    shutil.copytree(_set_up_dagster_home(), root / "dagster_home")
    monkeypatch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    for name in ("ANTHROPIC_API_KEY", "BILLING_CLASSIFIER", "BILLING_SOURCE", "BILLING_PUSH"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(autouse=True)
def _no_definitions_state_left_by_another_test():
    """Each test starts, as a fresh process does, with no "current" Dagster definitions-state storage.

    `with instance:` sets that storage in a context variable and resets it on exit. A resource context Dagster
    builds without an instance enters an ephemeral one and exits it only when the context is garbage-collected,
    which resets the variable out of order: to the storage of an instance a test closed since, whose next
    definitions load then fails with "Attempted to resolve undefined DagsterInstance weakref" (36 tests of one
    worker failed so once, depending on when the collector ran)."""
    from dagster._core.storage.defs_state.base import _current_storage

    _current_storage.set(None)
    yield


@pytest.fixture
def billing_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A function that copies a billing home into tmp and points BILLING_HOME / DAGSTER_HOME at it."""

    def make(source: Path | None = None) -> Path:
        return use_home(monkeypatch, tmp_path, source)

    return make


@pytest.fixture
def qbo_home(billing_env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The golden case 02 billing home pushing to a QuickBooks emulator (BILLING_PUSH=qbo, QBO_* set)."""
    from tests.emulators.qbo_server import DEFAULT_REALM, DEFAULT_REFRESH_TOKEN, QboEmulator

    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    with QboEmulator() as emulator:
        for name, value in {"QBO_CLIENT_ID": emulator.client_id, "QBO_CLIENT_SECRET": emulator.client_secret,
                            "QBO_REALM_ID": DEFAULT_REALM, "QBO_REFRESH_TOKEN": DEFAULT_REFRESH_TOKEN,
                            "QBO_BASE_URL": emulator.base_url, "QBO_DISCOVERY_URL": emulator.discovery_url,
                            "QBO_TOKEN_STORE": str(tmp_path / "qbo_tokens.json"),
                            "BILLING_PUSH": "qbo"}.items():
            monkeypatch.setenv(name, value)
        yield home, emulator


def partition_observation(asset: str, client: str, month: str) -> dict:
    """The metadata of the latest observation of one client-month of `asset` (the push's words on a client-month
    it held back, which it does not materialise), as the partition page's events list shows it."""
    from dagster import AssetKey, AssetRecordsFilter, DagsterInstance

    with DagsterInstance.get() as instance:
        record = instance.fetch_observations(AssetRecordsFilter(
            asset_key=AssetKey(asset), asset_partitions=[f"{client}|{month}"]), limit=1).records[0]
    return {k: v.value for k, v in record.asset_observation.metadata.items()}


def partition_page(asset: str, client: str, month: str) -> dict:
    """The metadata of the latest materialization of one client-month of `asset`, as the UI's partition page shows
    it (the instance of DAGSTER_HOME)."""
    from dagster import AssetKey, AssetRecordsFilter, DagsterInstance

    with DagsterInstance.get() as instance:
        record = instance.fetch_materializations(AssetRecordsFilter(
            asset_key=AssetKey(asset), asset_partitions=[f"{client}|{month}"]), limit=1).records[0]
    return {k: v.value for k, v in record.asset_materialization.metadata.items()}


# The longest test files (seconds of test time on 2 cores, --durations, session 36), started first: with
# `--dist loadfile` a worker takes files in collection order, and a long file taken last (test_webserver.py sorts
# last) left the other workers idle at the end of the run.
LONGEST_FILES = ("test_checks.py", "test_classifier_calibration.py", "test_stale_chain.py", "test_late_exports.py",
                 "test_approve_atomic.py", "test_changed_closed_months.py", "test_late_entries.py",
                 "test_late_adjustments.py", "test_readers.py", "test_pipeline.py", "test_isolation.py",
                 "test_public_exports.py", "test_pg_warehouse.py", "test_folder_junk.py", "test_crash_recovery.py",
                 "test_unseen_bench.py", "test_instance_race.py", "test_qbo_faults.py", "test_reader_fuzz.py",
                 "test_decision_changes.py", "test_qbo_pipeline.py", "test_withdraw.py", "test_webserver.py",
                 "test_spec_reference.py", "test_sent_in_quickbooks.py", "test_claude_pipeline.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first (LONGEST_FILES order), the others after them as collected."""
    rank = {name: number for number, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
