"""The shipped offline classifier on labelled billing homes it has never seen: issue #15's acceptance, in hours.

    python bench/unseen.py HOME [HOME ...]

A home is laid out like ../shared/classify_dev: `contracts/*.yaml`, `timesheets/*.csv` and `labels.csv` (`row` =
1-based data row of the timesheet file, then `client, sow_item, work_type, ambiguous`; with several timesheet files a
`file` column names the row's file). Every client-month is classified cold (no history) and, for each month after
the first, after the month before was fully reviewed (its labels written as an overrides CSV and read back, as the
review loop does). An entry is auto-assigned when its confidence
reaches the threshold the close applies: the higher of the contract's `review.min_confidence` and the classifier's
calibrated floor. Prints the figures and the verdict against the targets; writes nothing (the labels are a firm's
data, and RESULTS.md holds the repository's own sets).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.calibrate import HEAD, Figures, Row, Scored, collect, figures, table_line  # noqa: E402
from bench.classify import label_key, load_labels, timesheet_files  # noqa: E402
from billing_assets.core.contract import load_contracts  # noqa: E402
from billing_assets.core.offline_classifier import OfflineClassifier  # noqa: E402

# condition -> (most wrong auto-assigned hours, most hours to review, fewest ambiguous entries to review)
TARGETS = {"cold": (0.01, 0.40, 0.80), "history": (0.01, 0.20, 0.80)}


def score(rows: Sequence[Row], home: Path, floor: float) -> list[Scored]:
    """Each row at the confidence the shipped classifier gave it, against the threshold the close applies to its
    client-month: the higher of the contract's `review.min_confidence` in force that month and `floor`."""
    files, _ = load_contracts(home / "contracts")
    contracts = {f.client: f for f in files.values()}
    return [Scored(r, r.suggestion.confidence,
                   max(float(contracts[r.client].for_month(r.entry.month).review.min_confidence), floor))
            for r in rows]


def verdict(condition: str, f: Figures) -> str:
    wrong, review, ambiguous = TARGETS[condition]
    met = f.wrong_share <= wrong and f.review_share <= review and f.ambiguous_share >= ambiguous
    return (f"{condition}: {'met' if met else 'NOT met'} (targets <= {wrong:.0%} wrong, <= {review:.0%} to review, "
            f">= {ambiguous:.0%} ambiguous to review)")


def report(name: str, scored: Sequence[Scored]) -> str:
    lines = [f"### {name}", "", HEAD]
    for condition in ("cold", "history"):
        part = [s for s in scored if s.row.condition == condition]
        if not part:
            continue
        lines.append(table_line("**all clients**", condition, figures(part)))
        for client in sorted({s.row.client for s in part}):
            lines.append(table_line(client, condition, figures([s for s in part if s.row.client == client])))
    later = {s.row.entry.month for s in scored if s.row.condition == "history"}
    if later:
        lines += ["", "The months after a reviewed month, cold and with that history (same entries):", "", HEAD]
        for condition in ("cold", "history"):
            part = [s for s in scored if s.row.condition == condition and s.row.entry.month in later]
            lines.append(table_line(", ".join(sorted(later)), condition, figures(part)))
    lines.append("")
    for condition in ("cold", "history"):
        part = [s for s in scored if s.row.condition == condition]
        if part:
            lines.append(f"- {verdict(condition, figures(part))}")
    return "\n".join(lines)


def layout_problem(home: Path) -> str | None:
    """Why `home` cannot be measured (no contracts or labels, a contract the close would refuse, a labels.csv
    that cannot be read or joined to its timesheets), or None."""
    if not (home / "labels.csv").is_file() or not (home / "contracts").is_dir():
        return f"{home}: needs contracts/ and labels.csv (the layout of ../shared/classify_dev)"
    _, problems = load_contracts(home / "contracts")
    if problems:  # the close would not bill these clients either
        return f"{home}: {next(p for ps in problems.values() for p in ps)}"
    try:
        labels = load_labels(home)
    except (OSError, ValueError) as exc:
        return str(exc)
    unknown = sorted({file for file, _ in labels} - set(timesheet_files(home)))
    if unknown:
        return f"{home}/labels.csv: names timesheet files that are not in timesheets/: {', '.join(unknown)}"
    return None


def unmatched(rows: Sequence[Row], home: Path) -> int:
    """Labelled rows the bench did not classify (their client has no contract, or the row was not read)."""
    return len(load_labels(home)) - len({label_key(r.entry) for r in rows if r.condition == "cold"})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("homes", nargs="+", type=Path, help="labelled billing homes (contracts, timesheets, labels)")
    args = parser.parse_args(argv)
    problems = [p for p in map(layout_problem, args.homes) if p]
    if problems:
        print("\n".join(f"bench/unseen.py: {p}" for p in problems), file=sys.stderr)
        return 2
    classifier = OfflineClassifier()
    print(f"Classifier `{classifier.cache_id}`, calibrated review floor {classifier.review_floor}. Shares of hours; "
          "wrong = SOW item or work type differs from the label.\n")
    for home in args.homes:
        rows = collect(home.name, home, classifier)
        missing = unmatched(rows, home)
        note = f"\n\n{missing} labelled rows were not classified (no contract for their client, or not read)." \
            if missing else ""
        print(report(home.name, score(rows, home, classifier.review_floor)) + note + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
