"""Setting up the DAGSTER_HOME instance safely when two commands start at once.

Dagster creates its SQLite storages (tables, alembic stamp, secondary indexes) on first use and adds dynamic
partitions by reading then inserting: two `billing` commands starting together on a new DAGSTER_HOME race
(`table alembic_version already exists`, UNIQUE on dynamic partitions). Each command therefore takes an
exclusive `flock` on `$DAGSTER_HOME/.billing-setup.lock` while it writes dagster.yaml, creates the instance
(with every storage) and registers clients. The lock is held for well under a second once the storages exist;
a command that has to wait says so and gives up after SETUP_WAIT_SECONDS with a message naming the lock."""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from dagster import AssetCheckKey, AssetKey, DagsterInstance

from billing_assets.partitions import CLIENT_ID
from billing_assets.settings import shipped_before

LOCK_NAME = ".billing-setup.lock"
SETUP_WAIT_SECONDS = 120.0


@contextmanager
def setup_lock(dagster_home: Path, wait_seconds: float = SETUP_WAIT_SECONDS) -> Iterator[None]:
    """Exclusive while held, across processes; released when the block ends or the process dies."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    path = dagster_home / LOCK_NAME
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        deadline, said = time.monotonic() + wait_seconds, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise SystemExit(f"billing: {path} is still held by another command after {wait_seconds:.0f} s; "
                                     "is a command stuck? (the lock frees itself when that process ends)") from None
                if not said:
                    print(f"billing: waiting for another command setting up {dagster_home} (at most "
                          f"{wait_seconds:.0f} s)", file=sys.stderr)
                    said = True
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def install_dagster_yaml(dagster_home: Path, source: Path) -> None:
    """Copy dagster.yaml into a DAGSTER_HOME that has none, or that holds an earlier release's copy unedited,
    atomically (a reader never sees half a file)."""
    target = dagster_home / "dagster.yaml"
    if target.exists() and not shipped_before(target):
        return
    with setup_lock(dagster_home):
        if target.exists() and not shipped_before(target):
            return
        fd, tmp = tempfile.mkstemp(dir=dagster_home, prefix=".dagster.yaml.")
        os.close(fd)
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)


READY_NAME = ".billing-instance-ready"  # written once every storage of the instance has been created
# Dagster's SQLite storages in DAGSTER_HOME: runs, compute logs, schedules, and our consolidated event log
SQLITE_PATHS = ("history", "storage", "schedules", "event_log.db", "event_log.db-wal", "event_log.db-shm")


def open_instance(dagster_home: Path) -> DagsterInstance:
    """`DagsterInstance.get()` with its run, event log and schedule storages created under the set-up lock.

    A command killed while Dagster created the SQLite storages of a new DAGSTER_HOME left them half made (an empty
    event log, tables missing), and every later command failed asking for `dagster instance migrate`, which fails
    too. The set-up is finished by writing READY_NAME; storages that cannot be opened, were never finished and never
    ran a run to success are moved aside and created again. Others that fail are never touched: the error
    stands."""
    ready = dagster_home / READY_NAME
    with setup_lock(dagster_home):
        try:
            instance = _created_storages(DagsterInstance.get())
        except Exception as exc:
            made = [dagster_home / name for name in SQLITE_PATHS if (dagster_home / name).exists()]
            if ready.exists() or not made or _succeeded_once(dagster_home):
                raise  # finished, not SQLite, or a run succeeded in it (an earlier release's): never moved
            aside = dagster_home / f".unfinished-setup-{int(time.time())}"
            aside.mkdir()
            for path in made:
                path.rename(aside / path.name)
            print(f"billing: the Dagster instance in {dagster_home} was never fully set up (a command stopped while "
                  f"creating it: {type(exc).__name__}); its storage was moved to {aside} and created again",
                  file=sys.stderr)
            instance = _created_storages(DagsterInstance.get())
        ready.touch()
    return instance


def _succeeded_once(dagster_home: Path) -> bool:
    """Whether a run ever succeeded in the SQLite run storage (or it cannot be read for a reason other than a
    missing table, such as a lock: then it is taken to have). The run of a close killed during set-up never did."""
    db = dagster_home / "history" / "runs.db"
    if not db.exists() or db.stat().st_size == 0:
        return False
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
            return conn.execute("SELECT count(*) FROM runs WHERE status = 'SUCCESS'").fetchone()[0] > 0
    except sqlite3.DatabaseError as exc:
        return "no such table" not in str(exc)


def _created_storages(instance: DagsterInstance) -> DagsterInstance:
    instance.get_runs(limit=1)  # run storage: tables, alembic stamp, secondary indexes
    instance.get_dynamic_partitions("client")  # event log storage, dynamic partitions table
    instance.event_log_storage.get_asset_check_execution_history(  # asset check executions table
        AssetCheckKey(AssetKey("quickbooks_draft_invoices"), "client_months_pushed"), limit=1)
    if instance.schedule_storage is not None:
        instance.schedule_storage.all_instigator_state()
    return instance


def register_clients(instance: DagsterInstance, ids: list[str], dagster_home: Path | None = None) -> None:
    """Add every client id that is a valid slug and not yet registered (never removes: the sensor retires).
    Under the set-up lock when `dagster_home` is given; a concurrent add by the sensor is tolerated."""
    if dagster_home is None:
        _add_missing(instance, ids)
        return
    with setup_lock(dagster_home):
        _add_missing(instance, ids)


def _add_missing(instance: DagsterInstance, ids: list[str]) -> None:
    from sqlalchemy.exc import IntegrityError

    for attempt in range(3):
        existing = set(instance.get_dynamic_partitions("client"))
        new = [c for c in sorted(ids) if CLIENT_ID.fullmatch(c) and c not in existing]
        if not new:
            return
        try:
            instance.add_dynamic_partitions("client", new)
            return
        except IntegrityError:  # another process (the daemon's sensor) added some of them meanwhile
            if attempt == 2:
                raise
