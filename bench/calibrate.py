"""Calibration of the offline classifier, measured leave-one-client-out on every labelled set.

    python bench/calibrate.py [--write-shipped] [--no-write]

For each labelled home (classify_dev and the eleven held-out sets of HOMES) and each client it measures
two conditions: cold (no history, both months) and after one fully reviewed month (the first month's labels
written as an overrides CSV, read back with `read_overrides`, joined to the entries as history, then the next
month classified). The logistic calibration used to measure a client is fitted on other clients only (its cutoff
on their out-of-set probabilities, see `fit`); a classify_dev client is measured with a calibration fitted on
the held-out sets alone. `--write-shipped` fits on every client and writes billing_assets/core/calibration.json.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from bench.classify import DEFAULT_HOME, Label, LabelKey, label_key, load_contexts, load_labels  # noqa: E402
from bench.results_md import write_section  # noqa: E402
from billing_assets.core.calibration import (  # noqa: E402
    FEATURES,
    SHIPPED,
    SHIPPED_WITHOUT_SEMANTIC,
    SIGNS,
    Calibrator,
    Evidence,
    features,
)
from billing_assets.core.classifier_api import ClassifyRequest, ClientContext, LabeledExample  # noqa: E402
from billing_assets.core.model import Suggestion, TimeEntry  # noqa: E402
from billing_assets.core.offline_classifier import OfflineClassifier  # noqa: E402
from billing_assets.core.overrides import read_overrides  # noqa: E402
from billing_assets.core.sources import read_folder  # noqa: E402

HELDOUT_HOME = REPO / "tests" / "fixtures" / "classify_heldout"
HELDOUT2_HOME = REPO / "tests" / "fixtures" / "classify_heldout2"
HELDOUT3_HOME = REPO / "tests" / "fixtures" / "classify_heldout3"
HELDOUT4_HOME = REPO / "tests" / "fixtures" / "classify_heldout4"
HELDOUT5_HOME = REPO / "tests" / "fixtures" / "classify_heldout5"
HELDOUT6_HOME = REPO / "tests" / "fixtures" / "classify_heldout6"
HELDOUT7_HOME = REPO / "tests" / "fixtures" / "classify_heldout7"
HELDOUT10_HOME = REPO / "tests" / "fixtures" / "classify_heldout10"
HELDOUT11_HOME = REPO / "tests" / "fixtures" / "classify_heldout11"
HELDOUT12_HOME = REPO / "tests" / "fixtures" / "classify_heldout12"
HELDOUT14_HOME = REPO / "tests" / "fixtures" / "classify_heldout14"
HOMES = {"classify_dev": DEFAULT_HOME, "classify_heldout": HELDOUT_HOME, "classify_heldout2": HELDOUT2_HOME,
         "classify_heldout3": HELDOUT3_HOME, "classify_heldout4": HELDOUT4_HOME, "classify_heldout5": HELDOUT5_HOME,
         "classify_heldout6": HELDOUT6_HOME, "classify_heldout7": HELDOUT7_HOME, "classify_heldout10": HELDOUT10_HOME,
         "classify_heldout11": HELDOUT11_HOME, "classify_heldout12": HELDOUT12_HOME,
         "classify_heldout14": HELDOUT14_HOME}
BLIND = "classify_heldout14"  # the newest set, written blind; see its README
RESULTS = REPO / "bench" / "RESULTS.md"
SECTION = "## Offline classifier: calibration, leave-one-client-out"
TRAIN_ERROR = 0.01  # the cutoff keeps the training clients' auto-assigned hours at most this wrong ...
CUTOFF_DRAWS, CUTOFF_QUANTILE = 400, 0.75  # ... in 3 of 4 resamplings of the labelled sets (`_cutoff`)
L2 = 1.0
BINS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001)


@dataclass(frozen=True)
class Row:
    """One classified entry with its label and the calibration inputs."""

    home: str
    client: str
    condition: str  # "cold" or "history"
    entry: TimeEntry
    label: Label
    suggestion: Suggestion
    evidence: Evidence | None

    @cached_property
    def ok(self) -> bool:
        return (self.suggestion.sow_item == self.label.sow_item
                and self.suggestion.work_type == self.label.work_type)

    @cached_property
    def x(self) -> tuple[float, ...]:
        """The calibration features of the evidence (computed once: every refit reads them)."""
        return tuple(features(self.evidence)) if self.evidence is not None else ()

    @cached_property
    def design(self) -> np.ndarray:
        """The row of the fit's design matrix: 1 (the intercept) and the features."""
        return np.array((1.0, *self.x))

    @property
    def target(self) -> float:
        return float(self.ok and not self.label.ambiguous)

    @property
    def hours(self) -> Decimal:
        return self.entry.hours


def reviewed_history(entries: Sequence[TimeEntry], labels: dict[LabelKey, Label], context: ClientContext,
                     folder: Path) -> tuple[LabeledExample, ...]:
    """The review loop: a reviewer's overrides CSV for these entries, read back and joined to their text."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "review-labels.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["entry_id", "work_type", "sow_item", "action", "note"])
        for e in entries:
            label = labels[label_key(e)]
            writer.writerow([e.entry_id, label.work_type, label.sow_item, "", ""])
    overrides, problems = read_overrides(folder)
    if problems:
        raise ValueError(f"overrides could not be read: {problems[0]}")
    return tuple(LabeledExample(context.client, e.notes, e.person, e.project, e.task,
                                overrides[e.entry_id].sow_item or None, overrides[e.entry_id].work_type or None)
                 for e in entries if e.entry_id in overrides)


def _classify(classifier: OfflineClassifier, context: ClientContext, entries: Sequence[TimeEntry]
              ) -> tuple[list[Suggestion], list[Evidence | None]]:
    requests = [ClassifyRequest(entry=e, need_sow_item=True, need_work_type=True) for e in entries]
    suggestions, _ = classifier.classify(context, requests)
    return suggestions, list(classifier.last_features)


def collect(name: str, home: Path, classifier: OfflineClassifier | None = None) -> list[Row]:
    """Every labelled entry of a home, cold and (for months after the first) after a reviewed month."""
    classifier = classifier or OfflineClassifier()
    contexts = load_contexts(home)
    labels = load_labels(home)
    groups: dict[str, dict[str, list[TimeEntry]]] = {}
    for e in read_folder(home).entries:
        if label_key(e) in labels and e.client_name in contexts:
            groups.setdefault(e.client_name, {}).setdefault(e.month, []).append(e)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for client_name, months in sorted(groups.items()):
            context = contexts[client_name]
            ordered = sorted(months)
            for month in ordered:
                sugg, ev = _classify(classifier, context, months[month])
                rows += [Row(name, context.client, "cold", e, labels[label_key(e)], s, f)
                         for e, s, f in zip(months[month], sugg, ev, strict=True)]
            for before, month in zip(ordered, ordered[1:], strict=False):
                history = reviewed_history(months[before], labels, context, Path(tmp) / context.client / before)
                with_history = ClientContext(context.client, context.client_name, context.sow_items,
                                             context.work_types, context.sow_version, history)
                sugg, ev = _classify(classifier, with_history, months[month])
                rows += [Row(name, context.client, "history", e, labels[label_key(e)], s, f)
                         for e, s, f in zip(months[month], sugg, ev, strict=True)]
    return rows


def collect_all() -> list[Row]:
    return [r for name, home in HOMES.items() for r in collect(name, home)]


Fits = dict[frozenset[tuple[str, str]], Calibrator]  # coefficients by the (home, client) pairs they were fitted on


def _coefficients(rows: Sequence[Row], memo: Fits | None = None) -> Calibrator:
    """L2-regularised logistic regression (Newton) of p(right) on the features, each coefficient held on the
    side `SIGNS` gives it (active set: the worst offender is fixed at zero and the rest refitted); no cutoff.
    `memo`: fits already made from the same collection of rows, by the clients they cover (leaving out A then B
    fits the same rows as leaving out B then A)."""
    key = frozenset((r.home, r.client) for r in rows)
    if memo is not None and key in memo:
        return memo[key]
    fitted = _fit_coefficients(rows)
    if memo is not None:
        memo[key] = fitted
    return fitted


def _fit_coefficients(rows: Sequence[Row]) -> Calibrator:
    x = np.stack([r.design for r in rows])
    y = np.fromiter((r.target for r in rows), dtype=float, count=len(rows))
    signs = np.array([0.0] + [float(SIGNS[f]) for f in FEATURES])
    free = np.ones(x.shape[1], dtype=bool)
    while True:
        w = np.zeros(x.shape[1])
        w[free] = _newton(x[:, free], y)
        wrong_side = (w * signs < 0) & free
        if not wrong_side.any():
            return Calibrator(tuple(float(c) for c in w[1:]), float(w[0]), 1.0)
        free[int(np.argmin(np.where(wrong_side, w * signs, 0.0)))] = False


def _newton(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Newton's method for the L2-penalised logistic fit; column 0 is the (unpenalised) intercept."""
    w = np.zeros(x.shape[1])
    penalty = np.eye(x.shape[1]) * L2
    penalty[0, 0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))
        grad = x.T @ (p - y) + penalty @ w
        hess = x.T @ (x * (p * (1 - p))[:, None]) + penalty + np.eye(x.shape[1]) * 1e-9
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def _cutoff(scored: Sequence[tuple[Row, float]], group: Callable[[Row], str]) -> float:
    """The review threshold: the lowest probability whose auto-assigned hours are at most TRAIN_ERROR wrong, in
    CUTOFF_QUANTILE of CUTOFF_DRAWS resamplings (with replacement, fixed seed) of the groups (labelled sets, or
    clients) the probabilities come from. A handful of confident errors of one writer moves the plain threshold by
    several hundredths; resampling the writers asks for one that holds for most of them."""
    steps = [step / 100 for step in range(50, 100)]
    grid = np.array(steps)
    curves: dict[str, np.ndarray] = {}
    for row, p in scored:
        curve = curves.setdefault(group(row), np.zeros((2, len(steps))))
        reached = p >= grid  # the steps this probability auto-assigns at
        curve[0] += float(row.hours) * reached
        curve[1] += float(row.hours) * (not row.ok) * reached
    if not curves:
        return 1.0
    ordered = [curves[g] for g in sorted(curves)]
    rng = np.random.default_rng(0)
    draws = [_lowest_cutoff(steps, sum(ordered[i] for i in rng.integers(0, len(ordered), len(ordered))))
             for _ in range(CUTOFF_DRAWS)]
    return float(np.quantile(draws, CUTOFF_QUANTILE, method="higher"))


def _lowest_cutoff(steps: Sequence[float], curve: np.ndarray) -> float:
    """The lowest step whose auto-assigned hours (curve[0]) are at most TRAIN_ERROR wrong (curve[1])."""
    for t, hours, wrong in zip(steps, curve[0], curve[1], strict=True):
        if hours and wrong / hours <= TRAIN_ERROR:
            return t
    return 1.0


def fit(rows: Sequence[Row], fitted_on: Sequence[str] = (), memo: Fits | None = None) -> Calibrator:
    """Coefficients fitted on all `rows`; the cutoff chosen on out-of-set probabilities (each labelled set of `rows`
    scored by coefficients fitted on the other sets; each client, when `rows` hold one set), so it allows for how much
    worse the fit does on clients it has not seen, written by someone it has not read: the clients of one set share a
    writer, and every blind first measurement was worse than leave-one-client-out said. `memo`: see `_coefficients`."""
    usable = [r for r in rows if r.evidence is not None]
    draft = _coefficients(usable, memo)
    by_set = len({r.home for r in usable}) > 1
    group = (lambda r: r.home) if by_set else (lambda r: r.client)
    held_out: list[tuple[Row, float]] = []
    for name in sorted({group(r) for r in usable}):
        others = _coefficients([r for r in usable if group(r) != name], memo)
        held_out += [(r, others.confidence(r.evidence, r.x)) for r in usable if group(r) == name]
    return Calibrator(draft.coefs, draft.intercept, _cutoff(held_out, group), tuple(sorted(set(fitted_on))))


def training_rows(rows: Sequence[Row], home: str, client: str, blind: bool = False) -> list[Row]:
    """Rows a calibration that measures `client` may learn from: other clients; never classify_dev's own set
    when a classify_dev client is measured. `blind`: a client of the blind set is measured with a calibration
    fitted on the other sets only (as shipped before the blind set was first measured)."""
    if home == "classify_dev":
        return [r for r in rows if r.home != "classify_dev"]
    if blind and home == BLIND:
        return [r for r in rows if r.home != BLIND]
    return [r for r in rows if r.client != client]


@dataclass(frozen=True)
class Scored:
    row: Row
    p: float
    cutoff: float

    @property
    def auto(self) -> bool:
        return self.p >= self.cutoff


def leave_one_client_out(rows: Sequence[Row], blind: bool = False, only: str | None = None) -> list[Scored]:
    """Each row (of the home `only`, if given) scored by the calibration fitted without its client (see
    `training_rows`)."""
    out = []
    memo: Fits = {}
    for home, client in sorted({(r.home, r.client) for r in rows if only in (None, r.home)}):
        train = training_rows(rows, home, client, blind)
        cal = fit(train, [r.client for r in train], memo)
        for r in rows:
            if r.client == client:
                p = cal.confidence(r.evidence, r.x) if r.evidence is not None else r.suggestion.confidence
                out.append(Scored(r, p, cal.cutoff))
    return out


@dataclass(frozen=True)
class Figures:
    entries: int
    hours: float
    auto_hours: float
    wrong_auto_hours: float
    review_hours: float
    ambiguous: int
    ambiguous_review: int
    wrong_auto_entries: int
    auto_entries: int

    @property
    def wrong_share(self) -> float:
        return self.wrong_auto_hours / self.auto_hours if self.auto_hours else 0.0

    @property
    def review_share(self) -> float:
        return self.review_hours / self.hours if self.hours else 0.0

    @property
    def ambiguous_share(self) -> float:
        return self.ambiguous_review / self.ambiguous if self.ambiguous else 1.0


def figures(scored: Sequence[Scored]) -> Figures:
    auto = [s for s in scored if s.auto]
    amb = [s for s in scored if s.row.label.ambiguous]
    return Figures(len(scored), sum(float(s.row.hours) for s in scored), sum(float(s.row.hours) for s in auto),
                   sum(float(s.row.hours) for s in auto if not s.row.ok),
                   sum(float(s.row.hours) for s in scored if not s.auto), len(amb),
                   sum(not s.auto for s in amb), sum(not s.row.ok for s in auto), len(auto))


def reliability(scored: Sequence[Scored]) -> list[tuple[str, int, float, float]]:
    """(bin, entries, mean confidence, share right) per confidence bin."""
    out = []
    for lo, hi in zip(BINS, BINS[1:], strict=False):
        inside = [s for s in scored if lo <= s.p < hi]
        if inside:
            out.append((f"{lo:.2f}-{min(hi, 1.0):.2f}", len(inside), sum(s.p for s in inside) / len(inside),
                        sum(s.row.target for s in inside) / len(inside)))
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


HEAD = ("| set | condition | entries | hours | auto-assigned hours wrong | hours to review | ambiguous to review |\n"
        "|---|---|---|---|---|---|---|")


def table_line(label: str, condition: str, f: Figures) -> str:
    return (f"| {label} | {condition} | {f.entries} | {f.hours:.1f} | {_pct(f.wrong_share)} "
            f"({f.wrong_auto_entries} of {f.auto_entries} entries) | {_pct(f.review_share)} | "
            f"{f.ambiguous_review}/{f.ambiguous} ({_pct(f.ambiguous_share)}) |")


def report(scored: Sequence[Scored], blind_scored: Sequence[Scored] = ()) -> str:
    lines = [HEAD]
    for condition in ("cold", "history"):
        everything = [s for s in scored if s.row.condition == condition]
        lines.append(table_line("**all sets**", condition, figures(everything)))
    for home in HOMES:
        for condition in ("cold", "history"):
            part = [s for s in scored if s.row.home == home and s.row.condition == condition]
            lines.append(table_line(f"**{home}**", condition, figures(part)))
            for client in sorted({s.row.client for s in part}):
                lines.append(table_line(client, condition, figures([s for s in part if s.row.client == client])))
    lines += ["", "The second month alone, cold vs after the reviewed first month (same entries):", "", HEAD]
    for home in HOMES:
        for condition in ("cold", "history"):
            part = [s for s in scored if s.row.home == home and s.row.condition == condition
                    and s.row.entry.month == "2026-10"]
            lines.append(table_line(f"{home} 2026-10", condition, figures(part)))
    if blind_scored:
        older = ", ".join(h for h in HOMES if h != BLIND)
        lines += ["", f"{BLIND} with a calibration that never saw it: each client with a calibration fitted on "
                  f"the older sets only ({older}); its first, blind figures are in the section of the session "
                  "that added it:", "", HEAD]
        for condition in ("cold", "history"):
            part = [s for s in blind_scored if s.row.condition == condition]
            lines.append(table_line(f"**{BLIND}** unseen calibration", condition, figures(part)))
            for client in sorted({s.row.client for s in part}):
                lines.append(table_line(client, condition, figures([s for s in part if s.row.client == client])))
    lines += ["", "Targets on unseen clients: cold <= 1% wrong, <= 40% to review, >= 80% ambiguous to review; "
              "after a reviewed month <= 1% wrong, <= 20% to review."]
    lines += ["", "Reliability (all sets, both conditions, leave-one-client-out confidence; right = both fields "
              "right on a non-ambiguous entry):", "", "| confidence | entries | mean confidence | share right |",
              "|---|---|---|---|"]
    lines += [f"| {b} | {n} | {m:.3f} | {_pct(a)} |" for b, n, m, a in reliability(scored)]
    return "\n".join(lines)


def without_semantic(collect: Callable[[], list[Row]]) -> list[Row]:
    """`collect()` with the sentence-embedding view off (BILLING_SEMANTIC=off), as when the model is not installed."""
    before = os.environ.get("BILLING_SEMANTIC")
    os.environ["BILLING_SEMANTIC"] = "off"
    try:
        return collect()
    finally:
        if before is None:
            del os.environ["BILLING_SEMANTIC"]
        else:
            os.environ["BILLING_SEMANTIC"] = before


def fallback_report(scored: Sequence[Scored]) -> str:
    """The classifier without the sentence-embedding view (calibration_nosemantic.json), LOCO, per set."""
    lines = ["Without the sentence-embedding view (the model not installed, or BILLING_SEMANTIC=off; its own "
             "calibration, `calibration_nosemantic.json`), leave-one-client-out:", "", HEAD]
    for home in HOMES:
        for condition in ("cold", "history"):
            part = [s for s in scored if s.row.home == home and s.row.condition == condition]
            lines.append(table_line(f"**{home}** no embeddings", condition, figures(part)))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-shipped", action="store_true", help="fit on every client, write calibration.json")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args(argv)
    rows = collect_all()
    plain = without_semantic(collect_all)
    if args.write_shipped:
        SHIPPED.write_text(fit(rows, [r.client for r in rows]).to_json(), encoding="utf-8")
        SHIPPED_WITHOUT_SEMANTIC.write_text(fit(plain, [r.client for r in plain]).to_json(), encoding="utf-8")
    scored = leave_one_client_out(rows)
    plain_scored = leave_one_client_out(plain)
    blind_scored = leave_one_client_out(rows, blind=True, only=BLIND)
    cutoffs = sorted({s.cutoff for s in scored})
    body = (f"Command: `{' '.join(['python bench/calibrate.py', *(argv or sys.argv[1:])])}`. Each client is measured "
            "with a calibration fitted on the other clients (a classify_dev client: on the held-out sets only); "
            "its cutoff (review threshold) is chosen on those clients' out-of-set probabilities (each labelled set "
            "scored by a calibration fitted on the other sets): "
            f"{', '.join(f'{c:.2f}' for c in cutoffs)}. "
            "'history' = the second month after every entry of the first month was labelled through an "
            "overrides CSV. Shares of hours; wrong = SOW item or work type differs from the label.\n\n"
            + report(scored, blind_scored) + "\n\n" + fallback_report(plain_scored))
    print(body)
    if not args.no_write:
        write_section(RESULTS, SECTION, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
