"""Our pricing against an independent reader of the spec, on random billing homes.

Each seed generates a home (tests/random_homes.py), prices it with tests/spec_reference.py (written from
BILLING_SPEC.md alone) and closes it with the project's real path (`billing close --month A..B`, as
tests/test_golden.py does), then prints every field that differs:

    seed  client|month  field  reference=<value>  ours=<value>

and a summary. Usage: .venv/bin/python bench/spec_diff.py --seeds 40 [--first 0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pytest  # noqa: E402

from tests.conftest import use_home  # noqa: E402
from tests.random_homes import (  # noqa: E402
    close_with_project,
    differences,
    generate_home,
    unexpected_failures,
)
from tests.spec_reference import price_home  # noqa: E402


def run_seed(seed: int, workdir: Path) -> dict:
    src = workdir / f"src_{seed}"
    first, last = generate_home(seed, src)
    reference = price_home(src, first, last)
    monkeypatch = pytest.MonkeyPatch()
    try:
        home = use_home(monkeypatch, workdir / f"run_{seed}", src)
        ours = close_with_project(home, first, last)
    finally:
        monkeypatch.undo()
    return {"seed": seed, "months": (first, last), "reference": reference, "ours": ours,
            "diffs": differences(reference, ours["priced"])}


def exercised(src: Path, reference: dict) -> Counter:
    """What a home exercised: line kinds, carried lots, held hours (per reference client-month) and contract
    features (per contract)."""
    from tests.spec_reference import load_contract

    seen: Counter = Counter()
    for result in reference.values():
        seen.update(f"kind:{kind}" for kind in result["kinds"])
        seen["month:lots_carried"] += bool(result["lots_carried"])
        seen["month:hours_held"] += Decimal(result["hours_held"]) > 0
        seen["month:no_lines"] += not result["kinds"]
    for path in (src / "contracts").glob("*.yaml"):
        contract = load_contract(path)
        seen.update(f"contract:{key}" for key in ("start", "end", "rounding", "default_rate", "rate_overrides",
                                                  "work_types", "task_map", "rush_keywords", "retainer", "caps",
                                                  "tiers", "discount_pct", "minimum_monthly_fee", "sow",
                                                  "amendments", "require_project_code") if key in contract)
        seen["contract:rollover"] += "rollover" in (contract.get("retainer") or {})
        for cap in contract.get("caps") or []:
            scope = "project" if "project" in cap else "sow_item" if "sow_item" in cap else "unscoped"
            seen[f"cap:{cap['period']}:{scope}{':since' if 'since' in cap else ''}"] += 1
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--first", type=int, default=0, help="first seed")
    parser.add_argument("--keep", type=Path, help="keep the generated homes in this folder")
    args = parser.parse_args(argv)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="spec_diff_"))
    workdir.mkdir(parents=True, exist_ok=True)
    by_field: Counter = Counter()
    seeds_with_diffs = []
    client_months = 0
    classifier_seeds = []
    started = time.monotonic()
    coverage: Counter = Counter()
    unexpected = []
    for seed in range(args.first, args.first + args.seeds):
        result = run_seed(seed, workdir)
        coverage.update(exercised(workdir / f"src_{seed}", result["reference"]))
        for where, text in unexpected_failures(result["ours"]):
            unexpected.append(seed)
            print(f"seed {seed}  FAILED {where}: {text}")
        client_months += len(set(result["reference"]) | set(result["ours"]["priced"]))
        if result["ours"]["classifier"]:
            classifier_seeds.append(seed)
            for row in result["ours"]["classifier"]:
                print(f"seed {seed}  classifier decided {row}  (generator should avoid this)")
        for key, field, ref, ours in result["diffs"]:
            print(f"seed {seed}  {key}  {field}  reference={ref}  ours={ours}")
            by_field[field.split(".")[0] if field.startswith("kinds") else field] += 1
        if result["diffs"]:
            seeds_with_diffs.append(seed)
        print(f"# seed {seed}: {result['months'][0]}..{result['months'][1]}, "
              f"{len(result['reference'])} reference client-months, {len(result['ours']['priced'])} priced by ours, "
              f"{len(result['diffs'])} differences, close exit {result['ours']['rc']}", flush=True)
    print()
    print(f"seeds {args.first}..{args.first + args.seeds - 1}: {args.seeds} homes, {client_months} client-months, "
          f"{sum(by_field.values())} differing fields in {len(seeds_with_diffs)} homes "
          f"({time.monotonic() - started:.0f} s)")
    for field, n in by_field.most_common():
        print(f"  {field}: {n}")
    print("exercised (client-months of the reference, or contracts):")
    print("  " + ", ".join(f"{name} {n}" for name, n in sorted(coverage.items())))
    if seeds_with_diffs:
        print(f"homes with differences: {seeds_with_diffs}")
    if unexpected:
        print(f"homes with a failure other than no_rate: {sorted(set(unexpected))}")
    if classifier_seeds:
        print(f"homes where the classifier decided a work type: {classifier_seeds}")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if seeds_with_diffs else 0


if __name__ == "__main__":
    sys.exit(main())
