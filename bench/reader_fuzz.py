"""The export reader under mutation, longer than its test: hand-written and random (seeded) mutations of the reader
tests' realistic exports, judged by three oracles (tests/reader_oracles.py): no crash and one-line messages naming
the file; mutations that keep the meaning read the same entries; damage is refused or flagged, never a silent change.

    python bench/reader_fuzz.py --cases 200000            # about 2 minutes per 70,000 cases
    python bench/reader_fuzz.py --cases 20000 --seed 7 --validate-every 50

Prints every finding (its oracle, the seed export, the mutation, what happened and the input bytes) as it is found,
then a summary by oracle and mutation; findings of judgement (tests/reader_oracles.py JUDGEMENT) are counted
apart. Writes nothing; bench/RESULTS.md records a run. Exit 1 when a finding is not one of judgement.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.reader_mutations import seeds  # noqa: E402
from tests.reader_oracles import JUDGEMENT, Finding, run  # noqa: E402

HAND_CASES_PER_ROUND = 40  # about: the hand mutations of one seed in one round


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000, help="about how many mutated files to read")
    parser.add_argument("--random", type=int, default=100, help="random mutations per seed and round")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--validate-every", type=int, default=100, help="run `billing validate` on every n-th case")
    parser.add_argument("--quiet", action="store_true", help="print only the summary and the first of each kind")
    args = parser.parse_args(argv)
    per_round = len(seeds()) * (HAND_CASES_PER_ROUND + args.random)
    rounds = max(1, round(args.cases / per_round))
    shown: Counter = Counter()

    def report(finding: Finding) -> None:
        key = (finding.oracle, finding.case.name)
        shown[key] += 1
        if not args.quiet or shown[key] == 1:
            print(finding, flush=True)

    start = time.monotonic()
    count, findings = run(rounds=rounds, random_cases=args.random, seed=args.seed,
                          validate_every=args.validate_every, report=report)
    elapsed = time.monotonic() - start
    kinds = Counter((f.oracle, f.case.name) for f in findings)
    serious = {k: n for k, n in kinds.items() if k not in JUDGEMENT}
    print(f"\n{count} mutated files read in {elapsed:.0f} s ({len(seeds())} seed exports, {rounds} rounds, "
          f"seed {args.seed}); {len(findings)} finding(s), {sum(serious.values())} not of judgement")
    for (oracle, name), n in sorted(kinds.items(), key=lambda item: -item[1]):
        note = "" if (oracle, name) in serious else " (judgement, see tests/reader_oracles.py JUDGEMENT)"
        print(f"  {n:6d}  {oracle:12s}  {name}{note}")
    return 1 if serious else 0


if __name__ == "__main__":
    sys.exit(main())
