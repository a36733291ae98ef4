"""Markdown of the month-close benchmarks (bench/run.py) for bench/RESULTS.md: each scenario's tables and
per-close text, the machine and code header, and the subsections the section holds already."""

from __future__ import annotations

import os
import platform
import statistics
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench.close_measure import Outcome, Sample, code_state

SECTION = "## Month close performance"


# -- per-close tables and text ----------------------------------------------------------------------------


def describe(s: Sample) -> str:
    state = "ok" if s.ok else ("TIMEOUT" if s.timed_out else "KILLED (memory)" if s.killed_for_memory
                               else f"exit {s.returncode}")
    api = f", {s.api_requests} API requests" if s.api_requests is not None else ""
    return (f"{s.wall:.2f} s wall, {s.cpu:.1f} s CPU, {s.rss_mb:,.0f} MB, {s.runs} run(s), {s.events:,} events{api}, "
            f"load {s.load:.1f}, {state}")


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
