"""Calibration of the offline classifier, measured leave-one-client-out on the labelled sets.

tests/fixtures/classify_heldout, classify_heldout2 to classify_heldout7, classify_heldout10 to classify_heldout12
and classify_heldout14 hold four to six clients each that the classifier was not tuned on when each was written
(heldout3 to heldout15 were written blind and first measured with the classifier of their round,
bench/RESULTS.md; heldout8, heldout9, heldout13 and heldout15 are measured apart, tests/test_unseen_bench.py);
classify_dev is measured with a calibration fitted on the held-out clients only. Figures are computed here, not
copied; the bounds are the levels measured in bench/RESULTS.md with a little room, so a regression fails.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import numpy as np
import pytest

from bench.calibrate import (
    BLIND,
    HELDOUT2_HOME,
    HELDOUT3_HOME,
    HELDOUT4_HOME,
    HELDOUT5_HOME,
    HELDOUT6_HOME,
    HELDOUT7_HOME,
    HELDOUT10_HOME,
    HELDOUT11_HOME,
    HELDOUT12_HOME,
    HELDOUT14_HOME,
    HELDOUT_HOME,
    HOMES,
    Scored,
    _cutoff,
    _lowest_cutoff,
    collect_all,
    figures,
    fit,
    leave_one_client_out,
    reliability,
    training_rows,
    without_semantic,
)
from billing_assets.core.calibration import FEATURES, SIGNS, shipped
from billing_assets.core.classifier_api import ClassifierUsage, ClassifyRequest, ClientContext
from billing_assets.core.classify import classify_entries
from billing_assets.core.contract import Contract
from billing_assets.core.model import Suggestion, TimeEntry
from billing_assets.core.offline_classifier import OfflineClassifier


@pytest.fixture(scope="module")
def rows():
    return collect_all()


@pytest.fixture(scope="module")
def scored(rows) -> list[Scored]:
    return leave_one_client_out(rows)


@pytest.fixture(scope="module")
def blind(rows) -> list[Scored]:
    return leave_one_client_out(rows, blind=True, only=BLIND)


def _part(scored, home, condition, month=None):
    return [s for s in scored if s.row.home == home and s.row.condition == condition
            and (month is None or s.row.entry.month == month)]


HELDOUT = ("classify_heldout", "classify_heldout2", "classify_heldout3", "classify_heldout4", "classify_heldout5",
           "classify_heldout6", "classify_heldout7", "classify_heldout10", "classify_heldout11", "classify_heldout12",
           "classify_heldout14")


@pytest.mark.parametrize(("home", "ambiguous", "clients"), [
    ("classify_heldout", 30, 6), ("classify_heldout2", 30, 6), ("classify_heldout3", 30, 6),
    ("classify_heldout4", 24, 6), ("classify_heldout5", 24, 6), ("classify_heldout6", 20, 5),
    ("classify_heldout7", 20, 5), ("classify_heldout10", 20, 5), ("classify_heldout11", 16, 4),
    ("classify_heldout12", 20, 5), ("classify_heldout14", 20, 5)])
def test_heldout_sets_are_unseen_clients_in_two_months(rows, home, ambiguous, clients):
    heldout = [r for r in rows if r.home == home and r.condition == "cold"]
    assert len({r.client for r in heldout}) == clients
    assert {r.entry.month for r in heldout} == {"2026-09", "2026-10"}
    assert sum(r.label.ambiguous for r in heldout) == ambiguous
    assert all(h.is_dir() for h in (HELDOUT_HOME, HELDOUT2_HOME, HELDOUT3_HOME, HELDOUT4_HOME, HELDOUT5_HOME,
                                     HELDOUT6_HOME, HELDOUT7_HOME, HELDOUT10_HOME, HELDOUT11_HOME,
                                     HELDOUT12_HOME, HELDOUT14_HOME))
    others = {r.client for r in rows if r.home != home}
    assert not others & {r.client for r in heldout}


def test_no_calibration_learns_from_the_client_it_measures(rows):
    assert tuple(HOMES) == ("classify_dev", *HELDOUT) and BLIND == "classify_heldout14"
    for home, client in {(r.home, r.client) for r in rows}:
        train = training_rows(rows, home, client)
        assert client not in {r.client for r in train}
        if home == "classify_dev":
            assert {r.home for r in train} == set(HELDOUT)
        if home == BLIND:
            assert {r.home for r in training_rows(rows, home, client, blind=True)} == {
                "classify_dev", "classify_heldout", "classify_heldout2", "classify_heldout3", "classify_heldout4",
                "classify_heldout5", "classify_heldout6", "classify_heldout7", "classify_heldout10",
                "classify_heldout11", "classify_heldout12"}


# Targets on unseen clients: cold <= 1% of auto-assigned hours wrong, <= 40% of hours to review, >= 80% of
# ambiguous entries to review; after a reviewed month <= 1% wrong and <= 20% to review. (home, condition) ->
# (wrong bound, review bound) at the measured level (bench/RESULTS.md) plus a little room.
MEASURED = {("classify_heldout", "cold"): (0.01, 0.505),  # 0.0% wrong, 50.4% review: error target met
            ("classify_heldout", "history"): (0.01, 0.44),  # 0.0%, 43.3%: error target met
            ("classify_heldout2", "cold"): (0.01, 0.685),  # 0.0%, 68.2%: error target met
            ("classify_heldout2", "history"): (0.01, 0.665),  # 0.0%, 66.4%: error target met
            ("classify_heldout3", "cold"): (0.015, 0.555),  # 1.1%, 55.0%
            ("classify_heldout3", "history"): (0.015, 0.545),  # 1.1%, 54.1%
            ("classify_heldout4", "cold"): (0.01, 0.72),  # 0.0%, 71.9%: error target met
            ("classify_heldout4", "history"): (0.01, 0.61),  # 0.0%, 60.7%: error target met
            ("classify_heldout5", "cold"): (0.01, 0.52),  # 0.6%, 51.8%: error target met
            ("classify_heldout5", "history"): (0.02, 0.36),  # 1.4%, 35.6%
            ("classify_heldout6", "cold"): (0.01, 0.525),  # 0.0%, 52.0%: error target met
            ("classify_heldout6", "history"): (0.01, 0.43),  # 0.0%, 42.6%: error target met
            ("classify_heldout7", "cold"): (0.01, 0.56),  # 0.5%, 55.9%: error target met
            ("classify_heldout7", "history"): (0.01, 0.455),  # 0.0%, 45.0%: error target met
            ("classify_heldout10", "cold"): (0.01, 0.60),  # 0.0%, 59.6%: error target met
            ("classify_heldout10", "history"): (0.01, 0.395),  # 0.0%, 39.1%: error target met
            ("classify_heldout11", "cold"): (0.01, 0.68),  # 1.0%, 67.6%: error target met
            ("classify_heldout11", "history"): (0.015, 0.41),  # 1.1%, 40.8%
            ("classify_heldout12", "cold"): (0.01, 0.775),  # 0.0%, 77.2%: error target met
            ("classify_heldout12", "history"): (0.01, 0.685),  # 0.0%, 68.2%: error target met
            ("classify_heldout14", "cold"): (0.05, 0.615),  # 4.8%, 61.1% (confident errors no cutoff holds)
            ("classify_heldout14", "history"): (0.03, 0.57)}  # 2.5%, 56.7%
# Every set holds at least 80% of its ambiguous entries at the 0.96 cutoff (heldout11 7 of 8 after a reviewed month,
# heldout12 8 of 10, heldout14 9 of 10).


@pytest.mark.parametrize(("home", "condition"), list(MEASURED))
def test_heldout_auto_errors_review_and_ambiguous(scored, home, condition):
    f = figures(_part(scored, home, condition))
    wrong, review = MEASURED[(home, condition)]
    assert f.ambiguous_share >= 0.80  # the target
    assert f.wrong_share <= wrong
    assert f.review_share <= review


def test_blind_set_measured_with_a_calibration_that_never_saw_it(blind):
    """classify_heldout14 with calibrations fitted on the other sets only (cutoff 0.94): cold, its first, blind
    measurement (fourteenth session, `offline-v14`); after a reviewed month 3 of 58 auto-assigned entries wrong and
    49.4% to review when first measured, and below with `offline-v15` (a person whose reviewed stories were
    standard is not held for the next). The three cedarline-dental errors name the integration item's practice for
    claims and eligibility work, at 0.95-0.99."""
    cold = figures([s for s in blind if s.row.condition == "cold"])
    warm = figures([s for s in blind if s.row.condition == "history"])
    assert cold.entries == 240 and warm.entries == 120
    assert (cold.ambiguous_review, warm.ambiguous_review) == (15, 9)  # of 20 and 10: cold below the 80% target
    assert (cold.wrong_auto_entries, cold.auto_entries) == (4, 119) and round(cold.review_share, 3) == 0.5
    assert (warm.wrong_auto_entries, warm.auto_entries) == (3, 60) and round(warm.review_share, 3) == 0.47


# The same October entries, cold and after September was reviewed (bench/RESULTS.md): (home) -> (cold review,
# reviewed review, cold wrong, reviewed wrong), measured.
OCTOBER = {"classify_dev": (0.552, 0.6977, 0.0, 0.0), "classify_heldout": (0.4921, 0.4329, 0.0, 0.0),
           "classify_heldout2": (0.6959, 0.6644, 0.0, 0.0), "classify_heldout3": (0.647, 0.5406, 0.0137, 0.0105),
           "classify_heldout4": (0.7746, 0.6068, 0.0, 0.0), "classify_heldout5": (0.5201, 0.3555, 0.0117, 0.0142),
           "classify_heldout6": (0.5175, 0.4261, 0.0, 0.0), "classify_heldout7": (0.569, 0.4499, 0.0092, 0.0),
           "classify_heldout10": (0.6014, 0.3913, 0.0, 0.0), "classify_heldout11": (0.6483, 0.4081, 0.0187, 0.0111),
           "classify_heldout12": (0.8017, 0.6818, 0.0, 0.0), "classify_heldout14": (0.6869, 0.5673, 0.0796, 0.0253)}


@pytest.mark.parametrize("home", list(OCTOBER))
def test_what_a_reviewed_month_changes_in_the_next(scored, home):
    """Fewer hours to review after a reviewed month on every held-out set (heldout4 77.5% -> 60.7%; heldout5,
    heldout6, heldout10 and heldout11, whose people repeat their recurring notes, 52.0% -> 35.6%, 51.8% -> 42.6%,
    60.1% -> 39.1% and 64.8% -> 40.8%; heldout12 80.2% -> 68.2%; heldout14, written for recurring work, 68.7% ->
    56.7%), and fewer wrong on heldout3, heldout7, heldout11 and heldout14; not yet "clearly better": heldout5's
    wrong hours rise (1.2% -> 1.4%), heldout14 is still 2.5% wrong (notes whose words name another item), and
    classify_dev sends more to review (its October work is mostly new: reviewed notes labelled with other items
    lower the confidence)."""
    cold = figures(_part(scored, home, "cold", "2026-10"))
    warm = figures(_part(scored, home, "history", "2026-10"))
    assert warm.entries == cold.entries
    assert (cold.review_share, warm.review_share, cold.wrong_share, warm.wrong_share) == pytest.approx(
        OCTOBER[home], abs=0.0006)


def test_reviewed_agreement_never_lowers_the_confidence():
    """The fit keeps each coefficient on its side (calibration.SIGNS): agreeing with a reviewed note or the
    person's reviewed work, and the sentence embedding's agreement, never count against an item."""
    cal = shipped()
    for name, coef in zip(FEATURES, cal.coefs, strict=True):
        assert coef * SIGNS[name] >= 0, name
    assert set(SIGNS) == set(FEATURES)


def test_confidence_means_what_it_says_on_unseen_clients(scored):
    bins = reliability(scored)
    for label, n, mean_p, right in bins:
        if n >= 40:
            assert abs(mean_p - right) <= 0.12, (label, n, mean_p, right)
    top = [s for s in scored if s.p >= 0.9]
    assert sum(s.row.target for s in top) / len(top) >= 0.9


def test_shipped_calibration_is_the_fit_on_every_client(rows):
    cal = shipped()
    assert len(cal.coefs) == len(FEATURES)
    refit = fit(rows, [r.client for r in rows])
    assert cal.cutoff == refit.cutoff
    assert cal.coefs == pytest.approx(refit.coefs, abs=1e-4)
    assert OfflineClassifier().review_floor == cal.cutoff


def test_shipped_fallback_calibration_is_the_fit_without_embeddings():
    """calibration_nosemantic.json: the same fit on the classifier's evidence with the embedding view off."""
    plain = without_semantic(collect_all)
    assert all(not any(r.evidence.semantic) for r in plain if r.evidence is not None)
    refit = fit(plain, [r.client for r in plain])
    fallback = shipped(False)
    assert fallback.cutoff == refit.cutoff
    assert fallback.coefs == pytest.approx(refit.coefs, abs=1e-4)
    assert fallback.coefs[FEATURES.index("semantic_margin")] == 0.0


def _entry(notes: str) -> TimeEntry:
    return TimeEntry(entry_id="e1", source="harvest_csv", source_file="t.csv", source_row=1, date=date(2026, 9, 1),
                     client_name="Acme", project="P", project_code="", task="", notes=notes, hours=Decimal("2"),
                     billable=True, person="Pat Lee")


def test_review_floor_holds_an_entry_whose_item_the_classifier_chose():
    contract = Contract.model_validate({
        "client": "acme", "name": "Acme", "currency": "USD", "default_rate": 100,
        "sow": {"items": [{"id": "A", "name": "Alpha", "description": "alpha work"},
                          {"id": "B", "name": "Beta", "description": "beta work"}]}})

    def answer(_context: ClientContext, requests: list[ClassifyRequest]):
        return [Suggestion("A", "standard", 0.9, "closest: A 0.90, B 0.10") for _ in requests], ClassifierUsage()

    held, _ = classify_entries(contract, [_entry("alpha")], {}, answer, "t", review_floor=0.93)
    kept, _ = classify_entries(contract, [_entry("alpha")], {}, answer, "t", review_floor=0.0)
    assert held[0].review_reasons == ["low_confidence"] and "closest: A 0.90, B 0.10" in held[0].rationale
    assert kept[0].review_reasons == []


def test_entries_of_approved_invoices_and_overrides_become_history(tmp_path):
    from billing_assets.classification_store import labelled_history
    from billing_assets.core.overrides import Override
    from resources.warehouse_duckdb import DuckDBWarehouse

    def raw(entry_id: str, month: str, row: int, notes: str) -> str:
        return (f"('acme', '{month}', '{entry_id}', 'harvest_csv', 't.csv', {row}, DATE '{month}-03', 'Acme', 'P', "
                f"'', '', '{notes}', 2, true, 'Pat Lee', '', '')")

    def classified(entry_id: str, month: str, item: str, held: bool) -> str:
        return f"('acme', '{month}', '{entry_id}', 'standard', '{item}', 0.99, 'classifier', '', NULL, '', '', {held})"

    with DuckDBWarehouse(database=str(tmp_path / "b.duckdb")).connect() as conn:
        conn.execute("INSERT INTO raw_time_entries VALUES " + ", ".join([
            raw("e1", "2026-09", 1, "barrel count"), raw("e2", "2026-09", 2, "misc"),
            raw("e3", "2026-10", 3, "tax provision"), raw("e4", "2026-09", 4, "corrected note")]))
        conn.execute("INSERT INTO classified_time_entries VALUES " + ", ".join([
            classified("e1", "2026-09", "A2", False), classified("e2", "2026-09", "A1", True),
            classified("e3", "2026-10", "A4", False), classified("e4", "2026-09", "A3", False)]))
        conn.execute("INSERT INTO sent_invoices (client, month, total, hours_billed, content_hash, approved_by, "
                     "sent_at) VALUES ('acme', '2026-09', 100, 8, 'h', 'pat', now())")
        history = labelled_history(conn, {"e4": Override("e4", sow_item="A5")})
    # e1 billed in a sent month; e2 was held (not billed); e3's month is not sent; e4 comes from its override
    assert [(h.notes, h.sow_item) for h in history] == [("barrel count", "A2"), ("corrected note", "A5")]


def test_the_cutoff_holds_for_most_resamplings_of_the_writers():
    """`_cutoff`: the lowest probability whose auto-assigned hours are at most 1% wrong in 3 of 4 resamplings of the
    sets. One writer's confident errors (set "d", wrong at 0.95) barely move the pooled hours under 1%, but most
    resamplings that draw that set twice need a higher threshold; the plain rule would not see it."""
    def row(home: str, hours: float, ok: bool) -> SimpleNamespace:
        return SimpleNamespace(home=home, hours=Decimal(str(hours)), ok=ok)

    scored = [(row(h, 10, True), 0.97) for h in "abcd" for _ in range(10)]
    scored += [(row(h, 10, True), 0.90) for h in "abc" for _ in range(5)]
    scored += [(row("d", 3.5, False), 0.95), (row("d", 10, False), 0.90)]
    steps = [s / 100 for s in range(50, 100)]
    pooled = np.zeros((2, len(steps)))
    for r, p in scored:
        reached = np.array([p >= t for t in steps])
        pooled[0] += float(r.hours) * reached
        pooled[1] += float(r.hours) * (not r.ok) * reached
    assert _lowest_cutoff(steps, pooled) == 0.91  # 3.5 of 403.5 hours wrong from 0.91: 0.87%
    assert _cutoff(scored, lambda r: r.home) == 0.96  # with set d drawn twice, 0.95 is over 1% wrong
    assert _cutoff(scored, lambda r: r.home) == _cutoff(list(reversed(scored)), lambda r: r.home)  # fixed seed
