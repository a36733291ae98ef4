"""py-spy profiles of a close for the month-close benchmarks (bench/run.py): one `billing close` under
`py-spy record`, and its samples bucketed by pipeline stage and by kind of work into markdown tables."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.close_measure import BILLING, MONTH, close_env

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
