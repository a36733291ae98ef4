"""Measuring one `billing close` of the month-close benchmarks (bench/run.py): the close as a subprocess under
/usr/bin/time -v with its process tree's RSS polled from /proc, and the runs, events and step timings it wrote to the
DAGSTER_HOME sqlite storage."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BILLING = Path(sys.executable).with_name("billing")
MONTH = "2026-10"
POLL_SECONDS = 0.1
CLEARED_ENV = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "BILLING_CLASSIFIER", "BILLING_DB", "BILLING_SOURCE",
               "BILLING_PUSH", "HARVEST_ACCESS_TOKEN", "QBO_CLIENT_ID")


@dataclass
class Sample:
    """One measured `billing close`."""

    wall: float
    rss_mb: float
    returncode: int
    runs: int
    events: int
    entries: int
    timed_out: bool = False
    killed_for_memory: bool = False
    cpu: float = 0.0  # user + sys seconds of the process tree
    load: float = 0.0  # 1-minute load average when the close started (other work on the machine)
    api_requests: int | None = None
    code: str = ""  # code_state() when the close started
    steps: list[tuple[str, float, str]] = field(default_factory=list)  # (step, seconds, status)
    rss_phases: dict[str, float] = field(default_factory=dict)  # peak MB per phase (see rss_by_phase)
    event_types: dict[str, int] = field(default_factory=dict)  # events of the measured close by type
    startup: float | None = None  # process start -> first Dagster event
    tail: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.killed_for_memory


@dataclass
class Outcome:
    """A scenario's result: its samples and the markdown it contributes."""

    key: str
    title: str
    markdown: str
    passed: bool
    code: str = ""  # code state of the first measured close
    when: datetime = field(default_factory=lambda: datetime.now(UTC))


# -- measuring one close -------------------------------------------------------------------------------


def tree_rss_kb(pid: int) -> int:
    """Sum of VmRSS over a process and all its descendants (0 when it is gone)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        todo += children(p)
    return total


def children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ValueError):
            continue
    return kids


def stop(proc: subprocess.Popen) -> None:
    """Kill the measured `billing` (the child of /usr/bin/time, so that time still writes its report)."""
    for kid in children(proc.pid):
        os.kill(kid, signal.SIGKILL)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def time_v_report(path: Path) -> tuple[int, float]:
    """(maximum resident set size in kB, user + system seconds) from a `/usr/bin/time -v -o` report."""
    fields = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, value = line.strip().rpartition(": ")
            fields[name] = value
    try:
        return (int(fields.get("Maximum resident set size (kbytes)", 0)),
                float(fields.get("User time (seconds)", 0)) + float(fields.get("System time (seconds)", 0)))
    except ValueError:
        return 0, 0.0


def event_dbs(dagster_home: Path) -> list[Path]:
    """The sqlite files holding the event log: `event_log.db` (ConsolidatedSqliteEventLogStorage) or the
    per-run `history/runs/<run_id>.db` (the default sharded storage; its index.db only repeats asset events)."""
    consolidated = dagster_home / "event_log.db"
    if consolidated.exists():
        return [consolidated]
    return sorted(db for db in (dagster_home / "history" / "runs").glob("*.db") if db.name != "index.db")


def dagster_counts(dagster_home: Path) -> tuple[int, int]:
    """(runs, event log rows) in a sqlite DAGSTER_HOME."""
    runs_db = dagster_home / "history" / "runs.db"
    runs = _count(runs_db, "runs") if runs_db.exists() else 0
    return runs, sum(_count(db, "event_logs") for db in event_dbs(dagster_home))


def event_types(dagster_home: Path, since: float) -> dict[str, int]:
    """Event log rows newer than `since` (epoch) by dagster_event_type, over every run db."""
    counts: dict[str, int] = {}
    stamp = datetime.fromtimestamp(since - 1, UTC).strftime("%Y-%m-%d %H:%M:%S")
    for db in event_dbs(dagster_home):
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            for kind, n in conn.execute("SELECT dagster_event_type, count(*) FROM event_logs WHERE timestamp >= ? "
                                        "GROUP BY 1", [stamp]):
                counts[kind or "log message"] = counts.get(kind or "log message", 0) + n
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


Interval = tuple[str, float, float, str]  # (step, start epoch, end epoch, status)


def step_timings(dagster_home: Path, since: float) -> tuple[list[Interval], float | None]:
    """Per-step intervals of the runs whose events are newer than `since` (epoch), and the epoch of the first
    such event. A step still running at the end has status `running` and ends at the last event."""
    events: list[tuple[str, str, float]] = []
    for db in event_dbs(dagster_home):
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            rows = conn.execute("SELECT dagster_event_type, step_key, timestamp FROM event_logs "
                                "WHERE dagster_event_type IS NOT NULL ORDER BY id").fetchall()
        events += [(t, k or "", _epoch(ts)) for t, k, ts in rows if _epoch(ts) >= since - 1]
    if not events:
        return [], None
    first = min(e[2] for e in events)
    starts: dict[str, float] = {}
    steps: list[Interval] = []
    for kind, step, at in sorted(events, key=lambda e: e[2]):
        if kind == "STEP_START":
            starts[step] = at
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and step in starts:
            steps.append((step, starts.pop(step), at, "ok" if kind == "STEP_SUCCESS" else "failed"))
    last = max(e[2] for e in events)
    steps += [(step, at, last, "running") for step, at in starts.items()]
    return steps, first


def rss_by_phase(timeline: list[tuple[float, int]], steps: list[Interval], started: float,
                 first_event: float | None) -> dict[str, float]:
    """Peak RSS (MB) of each phase of a close: before the first Dagster event, run creation (up to the first
    step), each step, and after the last step."""
    bounds = [("start-up, contracts, exports (before the run)", started, first_event or float("inf"))]
    if steps:
        first_step = min(start for _, start, _, _ in steps)
        bounds += [("run creation (planned events)", first_event or started, first_step)]
        bounds += [(step, start, end) for step, start, end, _ in sorted(steps, key=lambda s: s[1])]
        bounds += [("after the last step (summary)", max(end for _, _, end, _ in steps), float("inf"))]
    phases: dict[str, float] = {}
    for name, start, end in bounds:
        inside = [kb for at, kb in timeline if start <= at < end]
        if inside:
            phases[name] = max(inside) / 1024
    return phases


def _epoch(text: str | float) -> float:
    if isinstance(text, float | int):
        return float(text)
    return datetime.fromisoformat(str(text)).replace(tzinfo=UTC).timestamp()


def code_state() -> str:
    """HEAD plus a hash of the uncommitted changes outside bench/ (other engineers edit the tree meanwhile)."""
    head = git("rev-parse", "--short", "HEAD") or "?"
    changed = git("status", "--porcelain", "--untracked-files=all", "--", ".", ":(exclude)bench").splitlines()
    digest = hashlib.sha1()
    for line in sorted(changed):
        path = REPO / line[3:].split(" -> ")[-1]
        digest.update(line.encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return f"{head}+{len(changed)}:{digest.hexdigest()[:8]}" if changed else head


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "?"


def close_env(home: Path, dagster_home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a measured close, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    env |= {"BILLING_HOME": str(home), "DAGSTER_HOME": str(dagster_home), "GX_ANALYTICS_ENABLED": "false"}
    return env | (extra or {})


def run_close(home: Path, dagster_home: Path, entries: int, clients: Sequence[str] = (), timeout: float = 900,
              rss_limit_mb: float = 12_000, env: dict[str, str] | None = None) -> Sample:
    """Run `billing close --month MONTH [--client X ...]` under /usr/bin/time -v; poll RSS; kill on limits."""
    runs0, events0 = dagster_counts(dagster_home)
    report = Path(tempfile.mkstemp(prefix="time-v-", suffix=".txt")[1])
    command = ["/usr/bin/time", "-v", "-o", str(report), str(BILLING), "close", "--month", MONTH,
               *[arg for c in clients for arg in ("--client", c)]]
    log = home.parent / f"close-{time.time_ns()}.log"
    started, peak_kb, timed_out, oom, load = time.time(), 0, False, False, os.getloadavg()[0]
    timeline: list[tuple[float, int]] = []
    code = code_state()
    with log.open("w") as out:
        proc = subprocess.Popen(command, env=env or close_env(home, dagster_home), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        while proc.poll() is None:
            timeline.append((time.time(), tree_rss_kb(proc.pid)))
            peak_kb = max(peak_kb, timeline[-1][1])
            timed_out = time.time() - started > timeout
            oom = peak_kb / 1024 > rss_limit_mb
            if timed_out or oom:
                stop(proc)
                break
            time.sleep(POLL_SECONDS)
    wall = time.time() - started
    maxrss_kb, cpu = time_v_report(report)
    peak_kb = max(peak_kb, maxrss_kb)
    report.unlink(missing_ok=True)
    runs1, events1 = dagster_counts(dagster_home)
    intervals, first_event = step_timings(dagster_home, started)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
    return Sample(wall, peak_kb / 1024, proc.returncode, runs1 - runs0, events1 - events0, entries, timed_out, oom,
                  cpu=cpu, load=load, steps=[(step, end - start, status) for step, start, end, status in intervals],
                  rss_phases=rss_by_phase(timeline, intervals, started, first_event),
                  event_types=event_types(dagster_home, started),
                  startup=None if first_event is None else first_event - started, tail=tail, code=code)
