"""Crash recovery and bounded waits, before a command launches anything.

Runs the CLI starts in-process carry the process that runs them (`billing/pid`, `billing/host`,
`billing/pid_start`: the process start time, so a reused pid is not mistaken for the dead one). A run of this
host still in flight whose process is gone is marked failed through Dagster's API and its pool slots are freed;
slots held by finished or deleted runs are freed too. Runs launched by the UI's daemon carry no such tags and
are left to Dagster's run monitoring (dagster.yaml). Then, if a live run holds a pool slot, the command says so
and waits at most BILLING_SLOT_WAIT seconds (default 900) before giving up with a message.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

TAG_PID, TAG_HOST, TAG_START = "billing/pid", "billing/host", "billing/pid_start"
IN_FLIGHT = [DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED,
             DagsterRunStatus.CANCELING]


def _start_time(pid: int) -> str | None:
    """The process start time in clock ticks since boot (/proc/<pid>/stat field 22), None if no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def process_tags() -> dict[str, str]:
    """Tags for a run this process executes in-process."""
    return {TAG_PID: str(os.getpid()), TAG_HOST: socket.gethostname(), TAG_START: _start_time(os.getpid()) or ""}


def process_alive(tags: dict[str, str]) -> bool | None:
    """True/False for a run of this host tagged by `process_tags`; None when it cannot be told (untagged, or
    another host's)."""
    if TAG_PID not in tags or tags.get(TAG_HOST) != socket.gethostname():
        return None
    try:
        pid = int(tags[TAG_PID])
    except ValueError:
        return None
    started = _start_time(pid)
    return started is not None and (not tags.get(TAG_START) or started == tags[TAG_START])


def recover(instance: DagsterInstance, log: Callable[[str], None] = print) -> tuple[list[str], list[str]]:
    """Fail the in-flight runs whose process died, free pool slots of dead or finished runs; one log line
    saying what was cleaned. Returns (failed run ids, run ids whose slots were freed)."""
    dead = []
    for run in instance.get_runs(filters=RunsFilter(statuses=IN_FLIGHT)):
        if process_alive(run.tags) is False:
            instance.report_run_failed(run, message=f"billing: the process running this run (pid "
                                                    f"{run.tags[TAG_PID]}) is gone; marked failed before a new "
                                                    "command started")
            dead.append(run.run_id)
    storage = instance.event_log_storage
    freed: list[str] = []
    if storage.supports_global_concurrency_limits:
        holders = set()
        for key in storage.get_concurrency_keys():
            info = storage.get_concurrency_info(key)
            holders |= {s.run_id for s in info.claimed_slots} | {p.run_id for p in info.pending_steps}
        for run_id in sorted(holders):
            run = instance.get_run_by_id(run_id)
            if run_id in dead or run is None or run.is_finished:
                storage.free_concurrency_slots_for_run(run_id)
                freed.append(run_id)
    if dead or freed:
        log(f"billing: recovered from a crash: marked {len(dead)} run(s) of dead processes failed "
            f"({', '.join(r[:8] for r in dead) or '-'}), freed pool slots of {len(freed)} run(s) "
            f"({', '.join(r[:8] for r in freed) or '-'})")
    return dead, freed


def _live_holders(instance: DagsterInstance) -> list[str]:
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    found = []
    for key in sorted(storage.get_concurrency_keys()):
        for slot in storage.get_concurrency_info(key).claimed_slots:
            run = instance.get_run_by_id(slot.run_id)
            if run is not None and not run.is_finished and process_alive(run.tags) is not False \
                    and run.tags.get(TAG_PID) != str(os.getpid()):
                who = f"pid {run.tags[TAG_PID]}" if TAG_PID in run.tags else "launched from the UI"
                found.append(f"pool {key!r} held by run {slot.run_id[:8]} step {slot.step_key} ({who})")
    return found


def wait_for_pools(instance: DagsterInstance, timeout: float | None = None, log: Callable[[str], None] = print,
                   poll: float = 1.0) -> None:
    """Wait, saying so, while a live run of another process holds a pool slot; SystemExit after `timeout`."""
    timeout = float(os.environ.get("BILLING_SLOT_WAIT", "900")) if timeout is None else timeout
    deadline = time.monotonic() + timeout
    said = None
    while True:
        holders = _live_holders(instance)
        if not holders:
            return
        if holders != said:
            log(f"billing: waiting (at most {timeout:.0f} s) for another command: {'; '.join(holders)}")
            said = holders
        if time.monotonic() >= deadline:
            raise SystemExit(f"billing: gave up after {timeout:.0f} s waiting for {'; '.join(holders)} "
                             "(another close is running; try again when it ends)")
        time.sleep(poll)
        recover(instance, log)  # the holder may have died meanwhile


def prepare_instance(dagster_home: Path) -> DagsterInstance:
    """Every command's first step against the instance: create it under the set-up lock (instance_setup), clean
    up after crashes, then wait (bounded, announced) for pool slots another live command holds."""
    from billing_assets.instance_setup import open_instance

    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    instance = open_instance(dagster_home)
    recover(instance, say)
    wait_for_pools(instance, log=say)
    return instance
