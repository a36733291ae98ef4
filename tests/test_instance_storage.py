"""FastSqliteEventLogStorage subclasses Dagster's private ConsolidatedSqliteEventLogStorage. These tests pin what
it relies on, so that a Dagster upgrade that changes it fails here, by name, rather than slowing or breaking every
close: the minor version it was verified on, the private members it overrides or reads, and that events written
through it (one by one and in a batch) read back."""

from __future__ import annotations

import inspect

import dagster
from dagster._core.storage.event_log.sqlite.consolidated_sqlite_event_log import ConsolidatedSqliteEventLogStorage

from billing_assets.instance_storage import FastSqliteEventLogStorage

VERIFIED_MINOR = "1.13"  # re-measure bench (a) and (c) and re-read the base class before moving this


def test_dagster_is_the_minor_version_the_subclass_was_verified_on() -> None:
    assert dagster.__version__.startswith(VERIFIED_MINOR + "."), (
        f"dagster {dagster.__version__}: FastSqliteEventLogStorage was verified on {VERIFIED_MINOR}.x; check the "
        "private members below against the new ConsolidatedSqliteEventLogStorage and re-run bench (a) and (c)")


def test_the_private_members_it_relies_on_exist() -> None:
    base = ConsolidatedSqliteEventLogStorage
    for name in ("_connect", "has_table", "store_event", "store_event_batch"):
        assert callable(getattr(base, name, None)), f"ConsolidatedSqliteEventLogStorage.{name} is gone"
    assert "_conn_string" in inspect.getsource(base), "the base no longer keeps its SQLite URL in _conn_string"
    params = inspect.signature(base.__init__).parameters
    assert "base_dir" in params, "the base's constructor changed"


def test_events_written_one_by_one_and_in_a_batch_read_back(tmp_path) -> None:
    from dagster import DagsterInstance, asset, materialize

    @asset
    def one() -> int:
        return 1

    storage_yaml = (f"event_log_storage:\n  module: billing_assets.instance_storage\n"
                    f"  class: FastSqliteEventLogStorage\n  config:\n    base_dir: {tmp_path}\n")
    (tmp_path / "dagster.yaml").write_text(storage_yaml)
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance.event_log_storage, FastSqliteEventLogStorage)
        for _ in range(2):
            assert materialize([one], instance=instance).success
        records = instance.fetch_materializations(one.key, limit=10).records
    assert len(records) == 2


def test_an_instance_exited_out_of_order_leaves_its_definitions_state_storage_behind(tmp_path) -> None:
    """Dagster's behaviour the autouse fixture in conftest.py guards against: a resource context built without an
    instance enters an ephemeral one and exits it when the context is garbage-collected, after the instance around
    it has closed, which puts that closed instance's storage back as the "current" one."""
    import gc

    from dagster import DagsterInstance, build_init_resource_context
    from dagster._core.errors import DagsterInvariantViolationError
    from dagster._core.storage.defs_state.base import DefsStateStorage

    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        context = build_init_resource_context()
    assert DefsStateStorage.get() is None
    del context, instance
    gc.collect()
    left = DefsStateStorage.get()
    assert left is not None
    try:
        left.get_latest_defs_state_info()
    except DagsterInvariantViolationError as exc:
        assert "undefined DagsterInstance weakref" in str(exc)
    else:
        raise AssertionError("the storage left behind still resolves its instance")


def test_the_next_test_starts_without_it() -> None:
    """Runs after the test above (a file's tests run in order on one worker): the definitions load."""
    from dagster._core.storage.defs_state.base import DefsStateStorage

    from billing_assets.definitions import build_defs

    assert DefsStateStorage.get() is None
    assert build_defs().resolve_job_def("month_close").name == "month_close"
