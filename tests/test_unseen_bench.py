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


def measured(home: Path) -> list[unseen.Scored]:
    """Every labelled entry of `home` (named as its folder), cold and after a reviewed month, at the confidence and
    threshold the close gives it."""
    classifier = OfflineClassifier()
    return unseen.score(collect(home.name, home, classifier), home, classifier.review_floor)


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


def _review_september(home: Path) -> None:
    """The reviewer labels every September entry: the overrides CSV the bench writes, in the home's overrides/."""
    labels, contexts = load_labels(home), load_contexts(home)
    september = [e for e in read_folder(home).entries if e.month == "2026-09"]
    (home / "overrides").mkdir(exist_ok=True)
    for name, context in contexts.items():
        reviewed_history([e for e in september if e.client_name == name], labels, context,
                         home / "reviews" / context.client)
        (home / "reviews" / context.client / "review-labels.csv").rename(home / "overrides" / f"{context.client}.csv")


def test_bench_figures_are_the_hours_the_close_holds_in_whatever_order_the_closes_run(billing_env) -> None:
    """September and October closed cold, September reviewed, October closed again: each close holds what the
    bench's figures hold; the second October close uses the review (not the cached cold answers)."""
    scored = measured(CLASSIFY_DEV)
    home = billing_env(CLASSIFY_DEV)
    assert main(["close", "--month", "2026-09"]) == 0
    assert held_hours(home, "2026-09") == bench_held(scored, "cold", "2026-09")
    assert main(["close", "--month", "2026-10"]) == 0
    assert held_hours(home, "2026-10") == bench_held(scored, "cold", "2026-10")

    _review_september(home)
    assert main(["close", "--month", "2026-10"]) == 0
    october = held_hours(home, "2026-10")
    assert october == bench_held(scored, "history", "2026-10")
    assert october != bench_held(scored, "cold", "2026-10"), "the reviewed month must have been used"
    assert main(["close", "--month", "2026-09"]) == 0
    assert held_hours(home, "2026-09") == {}  # every September entry is labelled

    text = unseen.report("classify_dev", scored)
    assert "| **all clients** | cold | 174 | 418.5 |" in text
    assert "- history: NOT met (targets <= 1% wrong, <= 20% to review" in text  # 27.2% of October's hours (in-sample)


HELDOUT8 = Path(__file__).parent / "fixtures" / "classify_heldout8"  # blind, measured once, not read


def test_the_standing_blind_set_as_first_measured() -> None:
    """classify_heldout8 was written blind and measured with the shipped classifier (bench/RESULTS.md, tenth session:
    cold 2.2% wrong (2 of 117 entries) / 53.0% to review, after a reviewed month 1.5% (1 of 81) / 35.3%); its notes
    and errors were not read, and it is not in the calibration, so each change to the classifier is measured on it
    honestly. Measured again in the eleventh session after the story rules (`offline-v9`: cold 1.1% / 54.1%, after
    review 0.0% / 37.4%) and after initialisms weighed as one word with the cutoff chosen leaving out whole sets
    (`offline-v10`: 1.1% / 53.3%, 0.0% / 38.7%); in the twelfth, with compound words split and word endings read
    for SOWs not in English (one client's SOW is French; with the calibration unchanged, no figure moved), the
    cutoff chosen over resampled sets and classify_heldout10 and 11 added to the calibration (`offline-v12`: 1.1% /
    54.7%, 0.0% / 44.7%); in the thirteenth, with classify_heldout12 added to the calibration (cutoff 0.94,
    `offline-v13`); in the fourteenth, with the reviewed notes read as the month's notes are (`offline-v14`, no
    figure moved), with classify_heldout14 added to the calibration (cutoff 0.96, `offline-v15`: 0.0% / 68.0%,
    0.0% / 49.8%) and with every number alike in the reviewed notes' trigrams (`offline-v16`): below. A change that
    moves these figures re-measures and records them."""
    text = unseen.report("classify_heldout8", measured(HELDOUT8))
    assert "| **all clients** | cold | 244 | 543.0 | 0.0% (0 of 81 entries) | 67.5% | 20/20 (100.0%) |" in text
    assert "| **all clients** | history | 127 | 285.8 | 0.0% (0 of 67 entries) | 49.5% | 10/10 (100.0%) |" in text


HELDOUT13 = Path(__file__).parent / "fixtures" / "classify_heldout13"  # blind, not read


def test_the_second_standing_blind_set() -> None:
    """classify_heldout13 was written blind and measured with `offline-v13` at cutoff 0.93 (thirteenth session: cold
    2.2% wrong, 4 of 95 entries, 60.0% to review; after a reviewed month 1.2%, 2 of 58, 54.1%); below, with
    classify_heldout12 added to the calibration (cutoff 0.94; unchanged with `offline-v14`), 2.1% / 64.8% and 1.3%
    / 54.9%; with `offline-v15` (a person whose reviewed story-telling notes were standard is not held for the
    next) 2.1% / 64.8% and 1.3% / 54.3%; with classify_heldout14 added to the calibration (cutoff 0.96) 0.7% /
    72.3% and 0.0% / 63.4%; below, with every number alike in the reviewed notes' trigrams (`offline-v16`).
    Unread and outside the calibration, like heldout8."""
    text = unseen.report("classify_heldout13", measured(HELDOUT13))
    assert "| **all clients** | cold | 240 | 531.8 | 0.7% (1 of 64 entries) | 72.3% | 19/20 (95.0%) |" in text
    assert "| **all clients** | history | 120 | 262.0 | 0.0% (0 of 45 entries) | 61.4% | 10/10 (100.0%) |" in text


HELDOUT9 = Path(__file__).parent / "fixtures" / "classify_heldout9"  # blind when first measured, then read


def test_the_ninth_set_as_measured() -> None:
    """classify_heldout9 was written blind and measured first with the classifier of the eleventh session's start
    (cold 2.9% wrong, 4 of 124 entries, 45.6% to review; after a reviewed month 5.7%, 4 of 74, 35.9%) and with
    `offline-v9` (2.9% / 46.2%, 5.8% / 36.3%; bench/RESULTS.md, eleventh session). Its 8 wrong auto-assigned entries
    were then read (an initialism the SOW spells out pulling a note to the item that names a staff group; "CI" read
    as the SOW's "CBP inquiries"; a Spanish rush note), and `offline-v10` weighs an initialism's spelled-out words
    as one word (2.3%, 3 of 124 entries, 46.0%; 4.6% / 38.1%). It is not in the calibration. With `offline-v12`
    (twelfth session: the calibration fitted on ten sets, its cutoff over resampled sets) 1.8% / 46.5% and 3.2% /
    40.0%; with classify_heldout12 added to the calibration (thirteenth session, cutoff 0.94) 0.9% / 53.1% and 1.1%
    / 41.3%; with the reviewed notes read as the month's notes are (`offline-v14`) 0.9% / 53.1% and 0.0% / 43.4%;
    with classify_heldout14 added to the calibration (cutoff 0.96) 0.0% / 64.9% and 0.0% / 52.9%; below, with every
    number alike in the reviewed notes' trigrams (`offline-v16`)."""
    text = unseen.report("classify_heldout9", measured(HELDOUT9))
    assert "| **all clients** | cold | 240 | 537.5 | 0.0% (0 of 79 entries) | 64.2% | 20/20 (100.0%) |" in text
    assert "| **all clients** | history | 120 | 272.8 | 0.0% (0 of 52 entries) | 52.9% | 10/10 (100.0%) |" in text


HELDOUT15 = Path(__file__).parent / "fixtures" / "classify_heldout15"  # blind when first measured, then read


def test_the_fifteenth_set_as_first_measured() -> None:
    """classify_heldout15 was written blind (a hospital foundation's capital campaign with dictated notes, a Lisbon
    interior-design studio writing Portuguese, an island airline's airworthiness consultancy, a New Zealand
    archaeological authority, a Swiss fire-protection engineer writing German; notes that open with a time range)
    and measured once with `offline-v16` at cutoff 0.96 before it was read (fifteenth session): below. Its two
    confident errors are a prospect profile read as campaign management at 0.98 and a note straddling reporting and
    engagement at 0.97. It is not in the calibration: added, the resampled rule keeps 0.96 (bench/RESULTS.md,
    fifteenth session)."""
    text = unseen.report("classify_heldout15", measured(HELDOUT15))
    assert "| **all clients** | cold | 240 | 501.5 | 2.2% (2 of 59 entries) | 77.0% | 19/20 (95.0%) |" in text
    assert "| **all clients** | history | 120 | 252.5 | 0.0% (0 of 35 entries) | 74.1% | 9/10 (90.0%) |" in text
    assert "| 2026-10 | cold | 120 | 252.5 | 3.4% (1 of 27 entries) | 79.4% | 9/10 (90.0%) |" in text


def test_a_home_the_labels_cannot_be_joined_to_is_refused_by_name(tmp_path: Path, capsys) -> None:
    """Without a `file` column, labels.csv numbers the rows of one timesheet file: two files (or none) would join
    labels to the wrong rows."""
    home = tmp_path / "two_exports"
    shutil.copytree(CLASSIFY_DEV, home)
    shutil.copy(home / "timesheets" / "time.csv", home / "timesheets" / "time_reexport.csv")
    assert unseen.main([str(home), str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"bench/unseen.py: {home}/labels.csv: without a `file` column, `row` numbers the rows of one "
                   "timesheet file; found 2 (timesheets/time.csv, timesheets/time_reexport.csv)",
                   f"bench/unseen.py: {tmp_path / 'empty'}: needs contracts/ and labels.csv (the layout of "
                   "../shared/classify_dev)"]
    assert unseen.unmatched([], CLASSIFY_DEV) == 174


def _split_by_month(source: Path, home: Path) -> None:
    """`source`'s timesheet as one file per month, its labels with a `file` column and other spellings of the
    same values (Yes/No, Rush, padded item ids)."""
    shutil.copytree(source, home)
    (home / "timesheets" / "time.csv").unlink()
    with (source / "timesheets" / "time.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header, data = next(reader), list(reader)
    with (source / "labels.csv").open(newline="", encoding="utf-8") as handle:
        labels = {int(r["row"]): r for r in csv.DictReader(handle)}
    files: dict[str, list[list[str]]] = defaultdict(list)
    rows_out = []
    for n, row in enumerate(data, start=1):
        name = f"{row[0][:7]}.csv"
        files[name].append(row)
        label = labels[n]
        rows_out.append([name, len(files[name]), label["client"], f" {label['sow_item']}",
                         label["work_type"].title(), label["ambiguous"].title()])
    for name, rows in files.items():
        with (home / "timesheets" / name).open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([header, *rows])
    with (home / "labels.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["file", "row", "client", "sow_item", "work_type", "ambiguous"], *rows_out])


def test_a_home_with_a_file_per_month_is_measured_like_one_file(tmp_path: Path) -> None:
    """A `file` column joins labels to several timesheet files; the figures are those of the one-file home."""
    home = tmp_path / "monthly"
    _split_by_month(CLASSIFY_DEV, home)
    assert unseen.layout_problem(home) is None
    assert sorted(p.name for p in (home / "timesheets").iterdir()) == ["2026-09.csv", "2026-10.csv"]
    one, monthly = measured(CLASSIFY_DEV), measured(home)
    assert unseen.report("set", monthly) == unseen.report("set", one)
    assert "| **all clients** | cold | 174 | 418.5 |" in unseen.report("set", monthly)
    assert unseen.unmatched([s.row for s in monthly], home) == 0


def test_a_labels_file_naming_a_missing_timesheet_or_a_bad_flag_is_refused_by_name(tmp_path: Path) -> None:
    home = tmp_path / "monthly"
    _split_by_month(CLASSIFY_DEV, home)
    (home / "timesheets" / "2026-10.csv").rename(home / "timesheets" / "october.csv")
    assert unseen.layout_problem(home) == (f"{home}/labels.csv: names timesheet files that are not in timesheets/: "
                                           "timesheets/2026-10.csv")
    (home / "timesheets" / "october.csv").rename(home / "timesheets" / "2026-10.csv")
    text = (home / "labels.csv").read_text(encoding="utf-8")
    assert ",Yes\n" in text
    text = text.replace(",Yes\n", ",maybe\n", 1)
    (home / "labels.csv").write_text(text, encoding="utf-8", newline="")
    problem = unseen.layout_problem(home)
    assert problem is not None and problem.startswith(f"{home}/labels.csv line ")
    assert problem.endswith(": ambiguous 'maybe' is not yes or no")

