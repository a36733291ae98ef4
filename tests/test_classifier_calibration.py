"""Calibration of the offline classifier, measured leave-one-client-out on the labelled sets.

tests/fixtures/classify_heldout holds six clients the classifier was not tuned on; classify_dev is measured
with a calibration fitted on the held-out clients only. Figures are computed here, not copied.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bench.calibrate import (
    HELDOUT_HOME,
    Scored,
    collect_all,
    figures,
    fit,
    leave_one_client_out,
    reliability,
    training_rows,
)
from billing_assets.core.calibration import FEATURES, shipped
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


def _part(scored, home, condition, month=None):
    return [s for s in scored if s.row.home == home and s.row.condition == condition
            and (month is None or s.row.entry.month == month)]


def test_heldout_set_is_six_clients_in_two_months(rows):
    heldout = [r for r in rows if r.home == "classify_heldout" and r.condition == "cold"]
    assert len({r.client for r in heldout}) == 6
    assert {r.entry.month for r in heldout} == {"2026-09", "2026-10"}
    assert sum(r.label.ambiguous for r in heldout) == 30
    assert HELDOUT_HOME.is_dir()


def test_no_calibration_learns_from_the_client_it_measures(rows):
    for home, client in {(r.home, r.client) for r in rows}:
        train = training_rows(rows, home, client)
        assert client not in {r.client for r in train}
        if home == "classify_dev":
            assert {r.home for r in train} == {"classify_heldout"}


def test_heldout_cold_auto_errors_review_and_ambiguous(scored):
    f = figures(_part(scored, "classify_heldout", "cold"))
    assert f.ambiguous_share >= 0.80  # target met
    # Targets are <= 1% wrong and <= 40% to review; measured 2.9% and 46.0% (bench/RESULTS.md). These bounds
    # keep the measured level from getting worse.
    assert f.wrong_share <= 0.035
    assert f.review_share <= 0.50


def test_heldout_after_a_reviewed_month(scored):
    f = figures(_part(scored, "classify_heldout", "history"))
    assert f.ambiguous_share >= 0.80
    # Targets <= 1% wrong and <= 20% to review; measured 1.6% and 38.9%.
    assert f.wrong_share <= 0.02
    assert f.review_share <= 0.42


def test_a_reviewed_month_makes_the_next_month_better(scored):
    for home in ("classify_heldout", "classify_dev"):
        cold = figures(_part(scored, home, "cold", "2026-10"))
        warm = figures(_part(scored, home, "history", "2026-10"))
        assert warm.entries == cold.entries
        assert warm.review_share < cold.review_share - 0.03, home
        assert warm.wrong_share <= cold.wrong_share + 0.005, home


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
