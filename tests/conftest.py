"""Shared fixtures: isolated billing homes and Dagster instances per test."""

from __future__ import annotations

import fcntl
import functools
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
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


SETTING_PREFIXES = ("BILLING_", "QBO_", "ANTHROPIC_", "HARVEST_", "DAGSTER_")
HOME_SETTINGS = {"BILLING_HOME", "BILLING_DB", "DAGSTER_HOME"}  # set by use_home to the test's own folders


@pytest.fixture(scope="session")
def _built_homes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of built homes, shared by the xdist workers of one run (the base temp's parent, as pytest-xdist
    documents for data made once per session)."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "built_homes"
    folder.mkdir(exist_ok=True)
    return folder


def _built(folder: Path, key: str, build: Callable[[Callable[..., Path]], object]) -> tuple[Path, dict, str, str]:
    """(root, the environment the build changed, what it printed to stdout and stderr): made by the first worker to
    ask, under a lock, and read by the others."""
    name = hashlib.sha256(key.encode()).hexdigest()[:16]
    root, made = folder / name, folder / f"{name}.json"
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not made.exists():
            shutil.rmtree(root, ignore_errors=True)  # a build that failed in another worker
            before = dict(os.environ)
            out, err = io.StringIO(), io.StringIO()
            with pytest.MonkeyPatch.context() as patch, redirect_stdout(out), redirect_stderr(err):
                build(lambda source=None: use_home(patch, root, source))
                after = dict(os.environ)
            changed = {setting: after.get(setting) for setting in before.keys() | after.keys()
                       if after.get(setting) != before.get(setting)}
            made.write_text(json.dumps({"changed": changed, "out": out.getvalue(), "err": err.getvalue()}))
    kept = json.loads(made.read_text())
    return root, kept["changed"], kept["out"], kept["err"]


@pytest.fixture
def built_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _built_homes: Path):
    """`make(key, build)`: the home `build(billing_env)` leaves (closes, approvals...), built once per test run
    and key, then copied for each test that asks: its own home, DuckDB file and Dagster instance under tmp_path,
    in the state the build left. A close takes seconds; a copy, milliseconds.

    The environment the build set is set again for the copy, its paths moved there; what the build printed is
    printed again (a test reads it with capsys as if it had run the build). Paths the build stored inside the
    files (an outbox location, a partition page's review file) still name the build's folder."""

    def make(key: str, build: Callable[[Callable[..., Path]], object]) -> Path:
        key += repr(sorted((name, value) for name, value in os.environ.items()  # a build in another setting
                           if name.startswith(SETTING_PREFIXES) and name not in HOME_SETTINGS))
        root, changed, out_text, err_text = _built(_built_homes, key, build)
        for part in ("home", "dagster_home"):
            shutil.copytree(root / part, tmp_path / part, symlinks=True)
        for name, value in changed.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value.replace(str(root), str(tmp_path)))
        sys.stdout.write(out_text.replace(str(root), str(tmp_path)))
        sys.stderr.write(err_text.replace(str(root), str(tmp_path)))
        return tmp_path / "home"

    return make


@pytest.fixture
def closed_golden(built_home):
    """`make(case, months)`: the golden case's home closed for `months` with exit 0 (`billing close --month
    months`), built once per test run (see `built_home`)."""
    from billing_assets.cli import main

    def make(case: Path, months: str) -> Path:
        def build(billing_env) -> None:
            billing_env(case)
            assert main(["close", "--month", months]) == 0

        return built_home(f"{case} closed {months}", build)

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
