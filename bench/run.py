"""Month-close benchmarks: `billing close` on generated billing homes, timed as a subprocess.

    python bench/run.py [--quick] [--only abcdep] [--reps 3] [--large-timeout 900] [--no-write] [--keep]

Scenarios (generation is not timed; every close runs in fresh temp dirs unless it is a re-close):
  a  100 clients x 10,000 entries, one month close                 target <= 20 s
  b  cold re-close of one client-month of (a) (`--client X`)        target <= 8 s
  c  1,000 clients x 1,000,000 entries, one month close             target <= 5 min and <= 4 GB peak RSS
  d  reconciliation of (c): hours in the CSVs = raw_time_entries = entry_outcomes.source_hours
  e  (a)-sized home where some entries need the classifier, Claude configured against the loopback
     Anthropic emulator (tests/emulators): the unchanged re-close makes 0 API requests
  g  (a) with the warehouse in PostgreSQL (BILLING_DB=postgresql://, a local cluster started as tests/servers.py
     does) beside the same close on DuckDB, in turn; invoices compared between the two
  p  py-spy profiles of one (a) close and one (b) re-close, bucketed by pipeline stage (needs py-spy)
Each close is measured with /usr/bin/time -v plus /proc polling of the process tree (peak RSS, children
included); runs launched and events written are counted in the DAGSTER_HOME sqlite storage. Results
replace the section "## Month close performance" of bench/RESULTS.md (other sections are kept; with
--only, the other scenarios' subsections of this section are kept too).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import platform
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.generate import generate_home  # noqa: E402
from bench.results_md import write_section  # noqa: E402

BILLING = Path(sys.executable).with_name("billing")
RESULTS = REPO / "bench" / "RESULTS.md"
SECTION = "## Month close performance"
OWN_SECTIONS = {"g": "## Warehouse in PostgreSQL beside DuckDB (issue 17)"}
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


# -- scenarios -------------------------------------------------------------------------------------------


@dataclass
class Config:
    """What this invocation runs (sizes shrink with --quick)."""

    workdir: Path
    reps: int
    small: tuple[int, int]
    large: tuple[int, int]
    large_reps: int
    large_timeout: float
    rss_limit_mb: float
    classifier_share: float


def fresh_home(config: Config, source: Path, name: str) -> tuple[Path, Path]:
    """A copy of a generated home in a new directory, with its own (empty) DAGSTER_HOME."""
    root = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=config.workdir))
    shutil.copytree(source, root / "home")
    return root / "home", root / "dagster_home"


def generated(config: Config, clients: int, entries: int, share: float = 0.0) -> Path:
    """Generate (once per size) a billing home under the workdir; not timed."""
    path = config.workdir / f"src-{clients}x{entries}-{share}"
    if not path.exists():
        t0 = time.time()
        generate_home(path, clients, entries, (MONTH,), classifier_share=share)
        print(f"  generated {clients} clients x {entries} entries in {time.time() - t0:.1f} s", flush=True)
    return path


def full_closes(config: Config, source: Path, entries: int, reps: int, timeout: float,
                name: str) -> tuple[list[Sample], Path, Path]:
    """`reps` closes of the whole home, each in fresh dirs; returns the samples and the home of the last
    successful close (the first one when none succeeded)."""
    samples, home, dagster_home = [], source, source
    for i in range(reps):
        run_home, run_dagster_home = fresh_home(config, source, name)
        sample = run_close(run_home, run_dagster_home, entries, timeout=timeout, rss_limit_mb=config.rss_limit_mb)
        samples.append(sample)
        if sample.ok or i == 0:
            home, dagster_home = run_home, run_dagster_home
        print(f"  {name} rep {i + 1}: {describe(sample)}", flush=True)
        if not sample.ok:
            print(sample.tail, flush=True)
            break
    return samples, home, dagster_home


def describe(s: Sample) -> str:
    state = "ok" if s.ok else ("TIMEOUT" if s.timed_out else "KILLED (memory)" if s.killed_for_memory
                               else f"exit {s.returncode}")
    api = f", {s.api_requests} API requests" if s.api_requests is not None else ""
    return (f"{s.wall:.2f} s wall, {s.cpu:.1f} s CPU, {s.rss_mb:,.0f} MB, {s.runs} run(s), {s.events:,} events{api}, "
            f"load {s.load:.1f}, {state}")


def client_entries(home: Path, client: str) -> int:
    """Time entries of one client in the home's timesheets (by contract name and aliases)."""
    import yaml

    contract = yaml.safe_load((home / "contracts" / f"{client}.yaml").read_text())
    names = {contract["name"], *contract.get("aliases", [])}
    return sum(1 for _, row in csv_rows(home) if row["Client"] in names)


def csv_rows(home: Path):
    for path in sorted((home / "timesheets").glob("*.csv")):
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                yield path.name, row


# -- reconciliation ----------------------------------------------------------------------------------------


def reconcile(home: Path) -> dict[str, object]:
    """Entries and hours of MONTH in the CSVs, in raw_time_entries and in entry_outcomes (by outcome)."""
    import duckdb

    csv_count, csv_hours = 0, Decimal(0)
    for _, row in csv_rows(home):
        if row["Date"].startswith(MONTH):
            csv_count += 1
            csv_hours += Decimal(row["Hours"])
    db = home / "billing.duckdb"
    if not db.exists():
        return {"csv": (csv_count, csv_hours), "raw": (0, Decimal(0)), "outcomes": (0, Decimal(0)), "by_outcome": []}
    with duckdb.connect(str(db), read_only=True) as conn:
        raw = conn.execute("SELECT count(*), coalesce(sum(hours), 0) FROM raw_time_entries WHERE month = ?",
                           [MONTH]).fetchone()
        out = conn.execute("SELECT count(*), coalesce(sum(source_hours), 0) FROM entry_outcomes WHERE month = ?",
                           [MONTH]).fetchone()
        by = conn.execute("SELECT outcome, count(*), sum(source_hours) FROM entry_outcomes WHERE month = ? "
                          "GROUP BY outcome ORDER BY outcome", [MONTH]).fetchall()
        invoices = conn.execute("SELECT count(*), sum(total) FROM invoices WHERE month = ?", [MONTH]).fetchone()
    return {"csv": (csv_count, csv_hours), "raw": tuple(raw), "outcomes": tuple(out), "by_outcome": by,
            "invoices": tuple(invoices)}


def reconciliation_markdown(label: str, r: dict) -> tuple[str, bool]:
    csv_count, csv_hours = r["csv"]
    ok = r["csv"] == (r["raw"][0], r["raw"][1]) == (r["outcomes"][0], r["outcomes"][1]) and csv_count > 0
    lines = [f"Reconciliation of {label} ({MONTH}): **{'PASS' if ok else 'FAIL'}** (hours in = hours out)", "",
             "| where | entries | hours |", "|---|---:|---:|",
             f"| timesheets/*.csv (Hours column) | {csv_count:,} | {csv_hours:,.2f} |",
             f"| raw_time_entries.hours | {r['raw'][0]:,} | {Decimal(r['raw'][1]):,.2f} |",
             f"| entry_outcomes.source_hours | {r['outcomes'][0]:,} | {Decimal(r['outcomes'][1]):,.2f} |"]
    lines += [f"| - outcome `{name}` | {count:,} | {Decimal(hours):,.2f} |" for name, count, hours in r["by_outcome"]]
    if r.get("invoices"):
        count, total = r["invoices"]
        lines.append(f"\nInvoices written: {count:,}, total billed {Decimal(total or 0):,.2f} USD.")
    return "\n".join(lines), ok


# -- markdown ---------------------------------------------------------------------------------------------


def stats_row(target: str, samples: list[Sample], passed: bool) -> str:
    walls = [s.wall for s in samples]
    med = statistics.median(walls)
    entries = samples[0].entries if samples else 0
    return (f"| {target} | {len(samples)} | {med:.2f} s | {min(walls):.2f} s | {max(walls):.2f} s | "
            f"{statistics.median(s.cpu for s in samples):.1f} s | "
            f"{statistics.median(s.rss_mb for s in samples):,.0f} MB (max {max(s.rss_mb for s in samples):,.0f}) | "
            f"{statistics.median(s.runs for s in samples):g} | {statistics.median(s.events for s in samples):,.0f} | "
            f"{entries / med:,.0f} | **{'PASS' if passed else 'FAIL'}** |")


TABLE_HEAD = ("| target | runs measured | median wall | min | max | median CPU (user+sys) | peak RSS (median) | "
              "Dagster runs launched | events written | entries/s | result |\n"
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")


def steps_markdown(sample: Sample) -> str:
    """Where the wall time of one close went, from the Dagster event log."""
    if not sample.steps:
        return ""
    total: dict[str, float] = {}
    for step, seconds, status in sample.steps:
        key = step if status == "ok" else f"{step} ({status})"
        total[key] = total.get(key, 0.0) + seconds
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(total.items(), key=lambda kv: -kv[1]))
    startup = f"process start to first Dagster event {sample.startup:.1f} s; " if sample.startup is not None else ""
    memory = ", ".join(f"{name} {mb:,.0f} MB" for name, mb in sample.rss_phases.items())
    return (f"Step times of the last run (event log): {startup}{parts}.\n\n"
            f"Peak RSS by phase of the last run, in order: {memory or 'n/a'}.\n\n"
            f"Events of the last run by type: {events_text(sample)}.")


def samples_line(samples: list[Sample]) -> str:
    text = "Each run: " + "; ".join(describe(s) for s in samples) + "."
    codes = [s.code for s in samples]
    if len(set(codes)) > 1:
        text += (" **The code changed between these runs** (other engineers' work; HEAD+changed paths:hash): "
                 + ", ".join(codes) + ".")
    return text


# -- the scenarios ----------------------------------------------------------------------------------------


def scenario_a_b(config: Config, do_b: bool) -> list[Outcome]:
    clients, entries = config.small
    print(f"(a) {clients} clients x {entries} entries", flush=True)
    source = generated(config, clients, entries)
    samples, home, dagster_home = full_closes(config, source, entries, config.reps, 600, "a")
    passed_a = all(s.ok for s in samples) and statistics.median(s.wall for s in samples) <= 20
    recon, recon_ok = reconciliation_markdown("(a)", reconcile(home))
    out = [Outcome("a", f"(a) {clients} clients x {entries:,} entries, one month close", "\n".join([
        f"`billing close --month {MONTH}` on a fresh home and DAGSTER_HOME each run.", "", TABLE_HEAD,
        stats_row("<= 20 s wall", samples, passed_a), "", samples_line(samples), "", steps_markdown(samples[-1]),
        "", recon]), passed_a and recon_ok, samples[0].code)]
    if do_b and samples[-1].ok:
        out.append(scenario_b(config, home, dagster_home))
    return out


def scenario_b(config: Config, home: Path, dagster_home: Path) -> Outcome:
    client = sorted(p.stem for p in (home / "contracts").glob("*.yaml"))[len(list((home / "contracts")
                                                                                   .glob("*.yaml"))) // 2]
    entries = client_entries(home, client)
    print(f"(b) re-close {client} ({entries} entries)", flush=True)
    samples = []
    for i in range(config.reps):
        samples.append(run_close(home, dagster_home, entries, clients=[client], timeout=300))
        print(f"  b rep {i + 1} (cold process): {describe(samples[-1])}", flush=True)
    passed = all(s.ok for s in samples) and statistics.median(s.wall for s in samples) <= 8
    return Outcome("b", "(b) re-close of one client-month of (a)", "\n".join([
        f"`billing close --month {MONTH} --client {client}` ({entries} entries) on the closed home of (a), "
        "same DAGSTER_HOME, repeated, each a cold process (Python start-up, imports and instance loading "
        "included).", "",
        TABLE_HEAD, stats_row("<= 8 s wall (cold process)", samples, passed), "",
        samples_line(samples), "", steps_markdown(samples[-1])]), passed, samples[0].code)


def scenario_c_d(config: Config, do_d: bool) -> list[Outcome]:
    clients, entries = config.large
    print(f"(c) {clients} clients x {entries} entries", flush=True)
    source = generated(config, clients, entries)
    samples, home, _ = full_closes(config, source, entries, config.large_reps, config.large_timeout, "c")
    med = statistics.median(s.wall for s in samples)
    peak = max(s.rss_mb for s in samples)
    passed = all(s.ok for s in samples) and med <= 300 and peak <= 4096
    notes = []
    if not samples[-1].ok:
        notes.append(f"**The run did not finish**: {describe(samples[-1])} (timeout {config.large_timeout:.0f} s, "
                     f"memory guard {config.rss_limit_mb:,.0f} MB). How far it got: "
                     f"{progress_text(samples[-1])}.")
    out = [Outcome("c", f"(c) {clients:,} clients x {entries:,} entries, one month close", "\n".join([
        f"`billing close --month {MONTH}` on a fresh home and DAGSTER_HOME each run.", "", TABLE_HEAD,
        stats_row("<= 300 s wall and <= 4,096 MB peak RSS", samples, passed), "", samples_line(samples), "",
        *notes, steps_markdown(samples[-1])]), passed, samples[0].code)]
    if do_d:
        print("(d) reconciliation", flush=True)
        text, ok = reconciliation_markdown("(c)", reconcile(home))
        if not any(s.ok for s in samples):
            text = (f"(c) did not finish ({describe(samples[-1])}): this reconciles what it had written when it "
                    f"was stopped.\n\n{text}")
        out.append(Outcome("d", "(d) reconciliation of (c)", text, ok, samples[0].code))
    return out


def progress_text(sample: Sample) -> str:
    done = [s for s, _, status in sample.steps if status == "ok"]
    running = [f"{s} (for {sec:.0f} s)" for s, sec, status in sample.steps if status == "running"]
    return (f"steps finished: {', '.join(done) or 'none'}; still running: {', '.join(running) or 'none'}; "
            f"first Dagster event after {startup_text(sample)}; events written by then: "
            f"{events_text(sample)}")


def startup_text(sample: Sample) -> str:
    return f"{sample.startup:.0f} s" if sample.startup is not None else "n/a (no event yet)"


def events_text(sample: Sample) -> str:
    return ", ".join(f"{n:,} {kind}" for kind, n in sample.event_types.items()) or "none"


STEPS = ("contracts", "raw_time_entries", "raw_expenses", "raw_time_entry_checks", "classified_time_entries",
         "classified_entry_checks", "review_queue", "priced_line_items", "priced_checks", "quickbooks_draft_invoices")
EVENT_CAUSES = (("_report", "billing_assets/checks.py",
                 "asset check evaluations, one per partition and check (billing_assets/checks.py _report)"),
                ("_log_asset_planned_events", "", "planned events at run creation (one per asset partition)"),
                ("_log_materialization_or_observation_events_for_asset", "",
                 "materializations (one per asset partition)"),
                ("_materialize_result", "billing_assets/",
                 "per-partition observations (billing_assets/price.py _materialize_result)"))
BEFORE_RUN = (("DagsterInstance.get", "", "DagsterInstance.get (instance start)"),
              ("load_contracts", "billing_assets/", "load_contracts (every contract, before the run)"),
              ("summary_rows", "billing_assets/", "summary_rows (after the run)"))


def called(frames: list[str], name: str, path: str = "") -> bool:
    """Whether a py-spy frame `Class.name (path:line)` or `name (path:line)` is on the stack."""
    pattern = re.compile(rf"(?:^|\.){re.escape(name)} \(")
    return any(pattern.search(f) and path in f for f in frames)


def profile_bucket(frames: list[str]) -> str:
    """Where one py-spy sample's time belongs (first matching rule)."""
    if called(frames, "store_event"):
        cause = next((label for name, path, label in EVENT_CAUSES if called(frames, name, path)),
                     "other events (step start/output/...)")
        return f"Dagster event log write (SqliteEventLogStorage.store_event): {cause}"
    step = next((step for step in STEPS if called(frames, step, "billing_assets/")), None)
    if step:
        return f"step compute: {step}"
    if not called(frames, "close_months"):
        return "Python start-up and imports (billing CLI, dagster, pydantic, duckdb)"
    label = next((label for name, path, label in BEFORE_RUN if called(frames, name, path)), None)
    return label or "Dagster run machinery (plan, steps, version lookups, concurrency slots)"


COST_CATEGORIES = (
    ("Dagster event-log writes (store_event)", r"(^|\.)store_event \("),
    ("DuckDB reads into Python: resources/warehouse.py query() (fetchall, one dict per row)",
     r"(^|\.)query(\.<locals>\.<listcomp>)? \(resources/warehouse"),
    ("DuckDB writes: resources/warehouse.py replace_partitions / staged_frame / append_rows",
     r"(replace_partitions|staged_frame|append_rows)\b.*\(resources/warehouse"),
    ("export parsing: billing_assets/core/sources.py read_folder", r"read_folder \(billing_assets/core/sources"),
    ("row -> object conversions (tables.py *_from_row / *_row, price.py _pricing_entries)",
     r"(time_entry_from_row|expense_from_row|_pricing_entries|line_from_row|classification_row|time_entry_row) \("),
    ("pricing engine: billing_assets/core/pricing.py", r"billing_assets/core/pricing\.py"),
    ("classification: billing_assets/core/classify.py", r"billing_assets/core/classify\.py"),
    ("check logic: billing_assets/core/quality.py, checks.py", r"billing_assets/(core/quality|checks)\.py"),
)


def cost_category(frames: list[str]) -> str:
    """What kind of work one py-spy sample is (first matching rule)."""
    for label, pattern in COST_CATEGORIES:
        if any(re.search(pattern, f) for f in frames):
            return label
    if not called(frames, "close_months"):
        return "Python start-up and imports"
    return "other (Dagster run machinery, contracts, misc.)"


def profile_markdown(raw: Path, hz: int) -> str:
    """Two tables of py-spy `--format raw` samples: by pipeline stage and by kind of work."""
    tables = []
    for title, classify in (("stage", profile_bucket), ("kind of work", cost_category)):
        buckets: dict[str, int] = {}
        for line in raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            bucket = classify(stack.split(";"))
            buckets[bucket] = buckets.get(bucket, 0) + int(count)
        total = sum(buckets.values()) or 1
        ranked = sorted(buckets.items(), key=lambda kv: -kv[1])
        rows = [f"| {name} | {n / hz:.1f} s | {n / total:.1%} |" for name, n in ranked]
        tables.append("\n".join([f"| by {title} (first matching rule) | sampled time | share |", "|---|---:|---:|",
                                  *rows]))
    return "\n\n".join(tables)


def profiled_close(home: Path, dagster_home: Path, raw: Path, hz: int, extra: Sequence[str] = ()) -> float:
    """One `billing close` under `py-spy record`; returns its wall seconds."""
    started = time.time()
    subprocess.run([str(Path(sys.executable).with_name("py-spy")), "record", "-r", str(hz), "--format", "raw",
                    "-o", str(raw), "--", str(BILLING), "close", "--month", MONTH, *extra],
                   env=close_env(home, dagster_home), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.time() - started


def scenario_p(config: Config) -> Outcome:
    """py-spy profiles of one (a) close, one (b) re-close and one (c) close."""
    clients, entries = config.small
    home, dagster_home = fresh_home(config, generated(config, clients, entries), "p")
    client = sorted(p.stem for p in (home / "contracts").glob("*.yaml"))[clients // 2]
    big, big_dagster_home = fresh_home(config, generated(config, *config.large), "p")
    runs = ((f"(a) full close, {clients} clients x {entries:,} entries", home, dagster_home, [], 100),
            (f"(b) re-close of {client}", home, dagster_home, ["--client", client], 100),
            (f"(c) full close, {config.large[0]:,} clients x {config.large[1]:,} entries", big, big_dagster_home,
             [], 50))
    parts = []
    for i, (label, run_home, run_dagster_home, extra, hz) in enumerate(runs):
        print(f"(p) py-spy on {label}", flush=True)
        raw = run_home.parent / f"profile-{i}.raw"
        wall = profiled_close(run_home, run_dagster_home, raw, hz, extra)
        parts += [f"**{label}**: py-spy {hz} Hz, active samples; {wall:.1f} s wall under the profiler.", "",
                  profile_markdown(raw, hz), ""]
    return Outcome("p", "(p) where the time goes (py-spy profiles)", "\n".join([
        "`py-spy record --format raw -- billing close ...` on fresh homes of (a) and (c). Each sample is counted "
        "once per table, in the first row whose rule its stack matches (event-log writes first).", "", *parts]),
        True, code_state())


def scenario_e(config: Config) -> Outcome:
    """Claude configured (emulator): the first close asks for what needs the classifier, re-closes ask 0."""
    from tests.emulators.anthropic_server import AnthropicEmulator

    clients, entries = config.small
    print(f"(e) {clients} clients x {entries} entries, Claude emulator, share {config.classifier_share}", flush=True)
    source = generated(config, clients, entries, config.classifier_share)
    home, dagster_home = fresh_home(config, source, "e")
    with AnthropicEmulator() as emu:
        env = close_env(home, dagster_home, {"ANTHROPIC_API_KEY": emu.api_key, "ANTHROPIC_BASE_URL": emu.base_url,
                                             "BILLING_CLASSIFIER": "claude"})
        first = counted(emu, lambda: run_close(home, dagster_home, entries, env=env, timeout=600))
        print(f"  e first close: {describe(first)}", flush=True)
        samples = []
        for i in range(config.reps):
            samples.append(counted(emu, lambda: run_close(home, dagster_home, entries, env=env, timeout=600)))
            print(f"  e re-close {i + 1}: {describe(samples[-1])}", flush=True)
    asked = classifier_entries(home)
    passed = first.ok and all(s.ok and s.api_requests == 0 for s in samples)
    return Outcome("e", f"(e) unchanged re-close with the Claude classifier configured ({clients} x {entries:,})",
                   "\n".join([
                       f"Home generated with `--classifier-share {config.classifier_share}` ({asked:,} entries whose "
                       "work type only the classifier decides); ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL point at the "
                       "loopback emulator `tests/emulators/anthropic_server.py`, BILLING_CLASSIFIER=claude. API "
                       "requests are counted by the emulator.", "",
                       "| close | API requests | wall | CPU (user+sys) | peak RSS | result |",
                       "|---|---:|---:|---:|---:|---|",
                       f"| first close (cold cache) | {first.api_requests} | {first.wall:.2f} s | {first.cpu:.1f} s | "
                       f"{first.rss_mb:,.0f} MB | {'ok' if first.ok else 'FAILED'} |",
                       *[f"| re-close {i + 1}, unchanged | {s.api_requests} | {s.wall:.2f} s | {s.cpu:.1f} s | "
                         f"{s.rss_mb:,.0f} MB | **{'PASS' if s.ok and s.api_requests == 0 else 'FAIL'}** |"
                         for i, s in enumerate(samples)],
                       "", f"Target: 0 API requests on the unchanged re-close: **{'PASS' if passed else 'FAIL'}** "
                       f"(median {statistics.median(s.api_requests or 0 for s in samples):g} requests over "
                       f"{len(samples)} re-closes)."]), passed, first.code)


def invoice_totals(home: Path, url: str | None = None) -> tuple[int, Decimal]:
    """(invoices, sum of totals) in the DuckDB file of `home`, or in the PostgreSQL database `url`."""
    sql = "SELECT count(*), coalesce(sum(total), 0) FROM invoices"
    if url:
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute(sql).fetchone()
    import duckdb

    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchone()


def scenario_g(config: Config) -> Outcome:
    """(a)'s close with the warehouse in PostgreSQL beside DuckDB, alternating so both see the same machine."""
    from tests.servers import create_database, postgres_cluster

    clients, entries = config.small
    print(f"(g) {clients} clients x {entries} entries, DuckDB and PostgreSQL warehouse in turn", flush=True)
    source = generated(config, clients, entries)
    samples: dict[str, list[Sample]] = {"duckdb": [], "postgres": []}
    totals: dict[str, set] = {"duckdb": set(), "postgres": set()}
    with postgres_cluster() as server:
        for i in range(config.reps):
            for kind in samples:
                home, dagster_home = fresh_home(config, source, f"g-{kind}")
                url = create_database(server, f"bench_{i}") if kind == "postgres" else None
                env = close_env(home, dagster_home, {"BILLING_DB": url} if url else None)
                sample = run_close(home, dagster_home, entries, env=env, timeout=config.large_timeout,
                                   rss_limit_mb=config.rss_limit_mb)
                samples[kind].append(sample)
                print(f"  g {kind} rep {i + 1}: {describe(sample)}", flush=True)
                if not sample.ok:
                    print(sample.tail, flush=True)
                    continue
                totals[kind].add(invoice_totals(home, url))
                leftover = [p.name for p in home.parent.rglob("*.duckdb")]
                if url and leftover:
                    totals[kind].add(("duckdb files written", tuple(leftover)))
    same = totals["duckdb"] == totals["postgres"] and len(totals["duckdb"]) == 1
    passed = same and all(s.ok for kind in samples for s in samples[kind])
    (count, billed), = totals["duckdb"] or {(0, Decimal(0))}
    medians = {k: statistics.median(s.wall for s in v) for k, v in samples.items() if v}
    ratio = medians["postgres"] / medians["duckdb"] if len(medians) == 2 else float("nan")
    return Outcome("g", f"(g) the (a) close with the warehouse in PostgreSQL, beside DuckDB ({clients} x "
                        f"{entries:,})", "\n".join([
                            "The same generated home closed on a fresh home and DAGSTER_HOME each run, DuckDB and "
                            "PostgreSQL in turn (DuckDB first). PostgreSQL: Debian's server on 127.0.0.1 started as "
                            "`tests/servers.py` does (trust auth, `fsync=off`: no disk flushes, so this is the "
                            "warehouse's SQL and COPY cost, not a durable RDS write), a new database per run, "
                            "`BILLING_DB=postgresql://...`. CPU and peak RSS are the `billing` process tree's only: "
                            "the server's own CPU is not in them (it runs on the same 2 shared cores).", "",
                            TABLE_HEAD,
                            *[stats_row(f"{kind}", v, all(s.ok for s in v)) for kind, v in samples.items()], "",
                            f"PostgreSQL / DuckDB median wall: **{ratio:.2f}x**. Invoices: {count} in both, total "
                            f"billed {billed:,.2f} {'identical' if same else 'DIFFERENT'} in both "
                            f"(**{'PASS' if same else 'FAIL'}**); no `.duckdb` file written in the PostgreSQL runs' "
                            "homes.", "",
                            "DuckDB runs: " + samples_line(samples["duckdb"]), "",
                            "PostgreSQL runs: " + samples_line(samples["postgres"]), "",
                            "PostgreSQL, " + steps_markdown(samples["postgres"][-1]) if samples["postgres"] else ""]),
                   passed, samples["duckdb"][0].code if samples["duckdb"] else "")


def counted(emu, close: Callable[[], Sample]) -> Sample:
    before = len(emu.requests)
    sample = close()
    sample.api_requests = len(emu.requests) - before
    return sample


def classifier_entries(home: Path) -> int:
    """Entries of the home that went to the classifier in the last close (method classifier)."""
    import duckdb

    db = home / "billing.duckdb"
    if not db.exists():
        return 0
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute("SELECT count(*) FROM classified_time_entries WHERE method = 'classifier'").fetchone()[0]


# -- RESULTS.md -------------------------------------------------------------------------------------------


def machine_text() -> str:
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("dagster", "duckdb", "pandas", "pydantic"))
    return "\n".join([
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), {mem_kb / 1024 ** 2:.1f} GiB "
        f"RAM, {platform.platform()}",
        f"- Python {platform.python_version()}; {versions}",
        f"- Code when written: {code_text(code_state())}; other engineers commit meanwhile, so each scenario "
        "below names the code it ran on",
        "- Reproduce: `.venv/bin/python bench/run.py` (all scenarios, 3 runs each; `--only ab`, `--only cd`, "
        "`--only e` for parts; `--quick` for a smoke test). Homes: `.venv/bin/python bench/generate.py DIR "
        "--clients 100 --entries 10000` (seed 7).",
        "- Wall = subprocess wall time of `billing close` (Python start-up included); peak RSS = max of "
        "`/usr/bin/time -v` and 0.1 s polling of the process tree; CPU = user + sys of `/usr/bin/time -v`; "
        "runs and events = new rows in `$DAGSTER_HOME/history/runs.db` `runs` and in the `event_logs` table of "
        "`$DAGSTER_HOME/event_log.db` (the consolidated storage of dagster.yaml; per-run "
        "`history/runs/<run_id>.db` with the default storage); `load` = 1-minute load average at the start "
        "(other engineers' work shares the 2 cores).",
    ])


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "?"


def code_text(code: str) -> str:
    """`abc1234` -> commit abc1234 (clean); `abc1234+2:deadbeef` -> commit with 2 changed paths (hash)."""
    head, _, changes = code.partition("+")
    if not changes:
        return f"commit {head} (no uncommitted changes outside bench/)"
    count, _, digest = changes.partition(":")
    return f"commit {head} plus {count} uncommitted path(s) outside bench/ (content hash {digest})"


def section_body(header: str, outcomes: list[Outcome], kept: dict[str, str]) -> str:
    blocks = dict(kept)
    blocks |= {o.key: f"### {o.title}\n\nMeasured {o.when:%Y-%m-%d %H:%M} UTC on {code_text(o.code or code_state())}. "
                      f"{o.markdown}" for o in outcomes}
    return "\n\n".join([header, *[blocks[k] for k in sorted(blocks)]])


def existing_blocks(path: Path) -> dict[str, str]:
    """This section's `### (x) ...` subsections currently in RESULTS.md, by scenario key."""
    if not path.exists():
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == SECTION), None)
    if start is None:
        return {}
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    blocks: dict[str, list[str]] = {}
    key = None
    for line in lines[start + 1:end]:
        if line.startswith("### ("):
            key = line[5]
            blocks[key] = []
        if key:
            blocks[key].append(line)
    return {k: "\n".join(v).strip() for k, v in blocks.items()}


# -- main -------------------------------------------------------------------------------------------------


def build_config(args: argparse.Namespace) -> Config:
    workdir = Path(tempfile.mkdtemp(prefix="billing-bench-", dir=args.workdir))
    if args.quick:
        return Config(workdir, 1, (5, 500), (10, 2000), 1, args.large_timeout, args.rss_limit_mb, 0.2)
    return Config(workdir, args.reps, (100, 10_000), (1000, 1_000_000), args.large_reps, args.large_timeout,
                  args.rss_limit_mb, 0.2)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 1 repetition, no RESULTS.md update")
    parser.add_argument("--only", default="abcdep",
                        help="scenario letters to run (default abcdep; p needs py-spy in the venv; g, PostgreSQL "
                             "beside DuckDB, needs Debian's postgresql server package)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--large-reps", type=int, default=3, help="repetitions of (c); stops after a failure")
    parser.add_argument("--large-timeout", type=float, default=900, help="seconds before (c) is stopped")
    parser.add_argument("--rss-limit-mb", type=float, default=12_000, help="kill a close above this RSS")
    parser.add_argument("--workdir", type=Path, default=None, help="where temp homes go (default $TMPDIR)")
    parser.add_argument("--keep", action="store_true", help="keep the temp homes")
    parser.add_argument("--no-write", action="store_true", help="leave RESULTS.md alone")
    args = parser.parse_args(argv)
    config = build_config(args)
    only = set(args.only.replace(",", ""))
    outcomes: list[Outcome] = []
    try:
        if "a" in only:
            outcomes += scenario_a_b(config, "b" in only)
        if "c" in only:
            outcomes += scenario_c_d(config, "d" in only)
        if "e" in only:
            outcomes.append(scenario_e(config))
        if "g" in only:
            outcomes.append(scenario_g(config))
        if "p" in only and Path(sys.executable).with_name("py-spy").exists():
            outcomes.append(scenario_p(config))
    finally:
        if not args.keep:
            shutil.rmtree(config.workdir, ignore_errors=True)
    for o in outcomes:
        print(f"\n### {o.title}\n\n{o.markdown}")
    if not (args.quick or args.no_write):
        header = machine_text()
        own = [o for o in outcomes if o.key in OWN_SECTIONS]
        for o in own:  # a scenario with a section of its own (g: the warehouse comparison)
            write_section(RESULTS, OWN_SECTIONS[o.key], section_body(header, [o], {}))
            print(f"\nwrote {RESULTS.relative_to(REPO)} ({OWN_SECTIONS[o.key]})")
        closes = [o for o in outcomes if o.key not in OWN_SECTIONS]
        if closes:
            kept = {k: v for k, v in existing_blocks(RESULTS).items() if k not in {o.key for o in closes}}
            write_section(RESULTS, SECTION, section_body(header, closes, kept))
            print(f"\nwrote {RESULTS.relative_to(REPO)} ({SECTION})")
    return 0 if all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
