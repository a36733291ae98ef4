"""Calibration of the offline classifier, measured leave-one-client-out on the labelled sets.

tests/fixtures/classify_heldout and classify_heldout2 to classify_heldout7 hold six clients each (heldout6 and heldout7:
five) that the classifier was not tuned on when each was written (heldout3 to heldout7 were written blind and first
measured with
the classifier of their round, bench/RESULTS.md); classify_dev is measured with a calibration
fitted on the held-out clients only. Figures are computed here, not copied; the bounds are the levels measured in
bench/RESULTS.md with a little room, so a regression fails.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bench.calibrate import (
    BLIND,
    HELDOUT2_HOME,
    HELDOUT3_HOME,
    HELDOUT4_HOME,
    HELDOUT5_HOME,
    HELDOUT6_HOME,
    HELDOUT7_HOME,
    HELDOUT_HOME,
    HOMES,
    Scored,
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
           "classify_heldout6", "classify_heldout7")


@pytest.mark.parametrize(("home", "ambiguous", "clients"), [
    ("classify_heldout", 30, 6), ("classify_heldout2", 30, 6), ("classify_heldout3", 30, 6),
    ("classify_heldout4", 24, 6), ("classify_heldout5", 24, 6), ("classify_heldout6", 20, 5),
    ("classify_heldout7", 20, 5)])
def test_heldout_sets_are_unseen_clients_in_two_months(rows, home, ambiguous, clients):
    heldout = [r for r in rows if r.home == home and r.condition == "cold"]
    assert len({r.client for r in heldout}) == clients
    assert {r.entry.month for r in heldout} == {"2026-09", "2026-10"}
    assert sum(r.label.ambiguous for r in heldout) == ambiguous
    assert all(h.is_dir() for h in (HELDOUT_HOME, HELDOUT2_HOME, HELDOUT3_HOME, HELDOUT4_HOME, HELDOUT5_HOME,
                                     HELDOUT6_HOME, HELDOUT7_HOME))
    others = {r.client for r in rows if r.home != home}
    assert not others & {r.client for r in heldout}


def test_no_calibration_learns_from_the_client_it_measures(rows):
    assert tuple(HOMES) == ("classify_dev", *HELDOUT) and BLIND == "classify_heldout7"
    for home, client in {(r.home, r.client) for r in rows}:
        train = training_rows(rows, home, client)
        assert client not in {r.client for r in train}
        if home == "classify_dev":
            assert {r.home for r in train} == set(HELDOUT)
        if home == BLIND:
            assert {r.home for r in training_rows(rows, home, client, blind=True)} == {
                "classify_dev", "classify_heldout", "classify_heldout2", "classify_heldout3", "classify_heldout4",
                "classify_heldout5", "classify_heldout6"}


# Targets on unseen clients: cold <= 1% of auto-assigned hours wrong, <= 40% of hours to review, >= 80% of
# ambiguous entries to review; after a reviewed month <= 1% wrong and <= 20% to review. (home, condition) ->
# (wrong bound, review bound) at the measured level (bench/RESULTS.md) plus a little room.
MEASURED = {("classify_heldout", "cold"): (0.01, 0.365),  # 0.0% wrong, 35.7% review: cold targets met
            ("classify_heldout", "history"): (0.01, 0.335),  # 0.0%, 32.6%: error target met
            ("classify_heldout2", "cold"): (0.01, 0.495),  # 0.3%, 49.0%: error target met
            ("classify_heldout2", "history"): (0.025, 0.515),  # 2.1%, 51.2%
            ("classify_heldout3", "cold"): (0.01, 0.395),  # 0.8%, 38.8%: cold targets met
            ("classify_heldout3", "history"): (0.03, 0.42),  # 2.1%, 41.2%
            ("classify_heldout4", "cold"): (0.01, 0.545),  # 0.9%, 53.9%: error target met
            ("classify_heldout4", "history"): (0.01, 0.465),  # 0.0%, 45.7%: error target met
            ("classify_heldout5", "cold"): (0.01, 0.37),  # 0.7%, 36.0%: cold targets met
            ("classify_heldout5", "history"): (0.015, 0.285),  # 1.2%, 27.8%
            ("classify_heldout6", "cold"): (0.01, 0.375),  # 0.8%, 36.8%: cold targets met
            ("classify_heldout6", "history"): (0.02, 0.30),  # 1.4%, 29.3%
            ("classify_heldout7", "cold"): (0.03, 0.355),  # 2.5%, 34.8%
            ("classify_heldout7", "history"): (0.04, 0.28)}  # 3.1%, 27.1%


@pytest.mark.parametrize(("home", "condition"), list(MEASURED))
def test_heldout_auto_errors_review_and_ambiguous(scored, home, condition):
    f = figures(_part(scored, home, condition))
    wrong, review = MEASURED[(home, condition)]
    assert f.ambiguous_share >= 0.80  # target met
    assert f.wrong_share <= wrong
    assert f.review_share <= review


def test_blind_set_measured_with_a_calibration_that_never_saw_it(blind):
    """classify_heldout7 with calibrations fitted on the seven older sets only (after its wrong entries were read)."""
    cold = figures([s for s in blind if s.row.condition == "cold"])
    warm = figures([s for s in blind if s.row.condition == "history"])
    assert cold.entries == 244 and warm.entries == 125
    assert cold.ambiguous_share >= 0.80 and warm.ambiguous_share >= 0.80
    assert cold.wrong_share <= 0.02 and cold.review_share <= 0.395  # measured 1.4%, 39.0%
    assert warm.wrong_share <= 0.035 and warm.review_share <= 0.29  # measured 3.2%, 28.8%


# The same October entries, cold and after September was reviewed (bench/RESULTS.md): (home) -> (cold review,
# reviewed review, cold wrong, reviewed wrong), measured.
OCTOBER = {"classify_dev": (0.284, 0.3023, 0.0, 0.0), "classify_heldout": (0.3833, 0.3263, 0.0, 0.0),
           "classify_heldout2": (0.5529, 0.5124, 0.0076, 0.0208), "classify_heldout3": (0.4787, 0.412, 0.0093, 0.0214),
           "classify_heldout4": (0.5851, 0.4574, 0.0, 0.0), "classify_heldout5": (0.378, 0.2785, 0.0142, 0.0122),
           "classify_heldout6": (0.3599, 0.2928, 0.0152, 0.0138), "classify_heldout7": (0.3178, 0.2711, 0.0247, 0.0313)}


@pytest.mark.parametrize("home", list(OCTOBER))
def test_what_a_reviewed_month_changes_in_the_next(scored, home):
    """Fewer hours to review after a reviewed month on every held-out set (heldout4 58.5% -> 45.7%; heldout5,
    heldout6 and heldout7, whose people repeat their recurring notes, 37.8% -> 27.9%, 36.0% -> 29.3% and
    31.8% -> 27.1%), and fewer wrong on heldout5 and heldout6; not yet "clearly better": heldout2's, heldout3's and
    heldout7's wrong hours rise (notes whose reviewed neighbours point at the other item; hotel cities that one item
    of heldout7 names) and classify_dev sends more to review (its October work is mostly new: reviewed notes
    labelled with other items lower the confidence)."""
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
        conn.execute("INSERT INTO sent_invoices VALUES ('acme', '2026-09', 100, 8, 'h', 'pat', now())")
        history = labelled_history(conn, {"e4": Override("e4", sow_item="A5")})
    # e1 billed in a sent month; e2 was held (not billed); e3's month is not sent; e4 comes from its override
    assert [(h.notes, h.sow_item) for h in history] == [("barrel count", "A2"), ("corrected note", "A5")]
