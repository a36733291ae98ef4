"""bench/unseen.py measures what the close does: the hours it holds for review, cold and after a reviewed month."""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from bench import unseen
from bench.calibrate import collect, reviewed_history
from bench.classify import load_contexts, load_labels
from billing_assets.cli import main
from billing_assets.core.offline_classifier import OfflineClassifier
from billing_assets.core.sources import read_folder

CLASSIFY_DEV = Path(__file__).parent / "fixtures" / "classify_dev"  # a copy of shared/classify_dev


def held_hours(home: Path, month: str) -> dict[str, Decimal]:
    """Client -> hours of the close's review CSV for `month`."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    with (home / "review" / f"{month}.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            out[row["client"]] += Decimal(row["hours"])
    return dict(out)


def bench_held(scored, condition: str, month: str) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for s in scored:
        if s.row.condition == condition and s.row.entry.month == month and not s.auto:
            out[s.row.client] += s.row.hours
    return dict(out)


def test_bench_figures_are_the_hours_the_close_holds(billing_env) -> None:
    classifier = OfflineClassifier()
    scored = unseen.score(collect("classify_dev", CLASSIFY_DEV, classifier), CLASSIFY_DEV, classifier.review_floor)
    home = billing_env(CLASSIFY_DEV)

    assert main(["close", "--month", "2026-09"]) == 0
    assert held_hours(home, "2026-09") == bench_held(scored, "cold", "2026-09")

    # the reviewer labels every September entry (the overrides CSV the bench writes), then October is closed
    labels, contexts = load_labels(home), load_contexts(home)
    september = [e for e in read_folder(home).entries if e.month == "2026-09"]
    (home / "overrides").mkdir(exist_ok=True)
    for name, context in contexts.items():
        reviewed_history([e for e in september if e.client_name == name], labels, context,
                         home / "reviews" / context.client)
        (home / "reviews" / context.client / "review-labels.csv").rename(home / "overrides" / f"{context.client}.csv")
    assert main(["close", "--month", "2026-10"]) == 0
    october = held_hours(home, "2026-10")
    assert october == bench_held(scored, "history", "2026-10")
    assert october != bench_held(scored, "cold", "2026-10"), "the reviewed month must have been used"

    text = unseen.report("classify_dev", scored)
    assert "| **all clients** | cold | 174 | 418.5 |" in text
    assert "- history: NOT met (targets <= 1% wrong, <= 20% to review" in text  # 27.2% of October's hours (in-sample)


def test_a_home_the_labels_cannot_be_joined_to_is_refused_by_name(tmp_path: Path, capsys) -> None:
    """labels.csv numbers the rows of one timesheet file: two files (or none) would join labels to the wrong rows."""
    home = tmp_path / "two_exports"
    shutil.copytree(CLASSIFY_DEV, home)
    shutil.copy(home / "timesheets" / "time.csv", home / "timesheets" / "time_reexport.csv")
    assert unseen.main([str(home), str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"bench/unseen.py: {home}/timesheets: labels.csv numbers the rows of one file; found 2 "
                   "(time.csv, time_reexport.csv)",
                   f"bench/unseen.py: {tmp_path / 'empty'}: needs contracts/ and labels.csv (the layout of "
                   "../shared/classify_dev)"]
    assert unseen.unmatched([], CLASSIFY_DEV) == 174
