"""What history a client-month is classified with, and that the cache keys on it.

A month sees approved invoices of earlier months and reviewers' labels up to its own; a re-close after a review
re-classifies with what the review taught, and an unchanged re-close asks nobody."""

from __future__ import annotations

from pathlib import Path

from billing_assets.core.classifier_api import LabeledExample
from billing_assets.core.classify import SuggestionCache, classify_entries, client_context
from billing_assets.core.contract import load_contracts
from billing_assets.core.model import Suggestion
from billing_assets.core.offline_classifier import OfflineClassifier
from billing_assets.core.overrides import Override
from billing_assets.core.sources import read_folder

CLASSIFY_DEV = Path(__file__).parent / "fixtures" / "classify_dev"
CLIENT = "cedar-valley-health"


def _example(notes: str, month: str, approved: bool = False, client: str = CLIENT) -> LabeledExample:
    return LabeledExample(client, notes, "Tom Brasher", "Ops", "Consulting", "S2", "standard", month, approved)


def _contract():
    files, problems = load_contracts(CLASSIFY_DEV / "contracts")
    assert problems == {}
    return files[CLIENT].for_month("2026-10")


def test_a_month_sees_earlier_approvals_and_reviews_up_to_its_own() -> None:
    history = [_example("approved in September", "2026-09", approved=True),
               _example("labelled in September", "2026-09"),
               _example("labelled in October", "2026-10"),
               _example("approved in October", "2026-10", approved=True),
               _example("labelled in November", "2026-11"),
               _example("labelled before months were recorded", ""),
               _example("another client's label", "2026-09", client="bramble-oak-coffee")]
    seen = [h.notes for h in client_context(_contract(), history, "2026-10").history]
    assert seen == ["approved in September", "labelled in September", "labelled in October",
                    "labelled before months were recorded"]
    assert len(client_context(_contract(), history).history) == 6  # no month: all of the client's history


class DictCache(SuggestionCache):
    def __init__(self) -> None:
        self.answers: dict[str, Suggestion] = {}

    def get_many(self, keys):
        return {k: self.answers[k] for k in keys if k in self.answers}

    def put_many(self, items) -> None:
        self.answers.update(items)


def test_the_cache_keys_on_the_history_a_month_was_classified_with() -> None:
    contract = _contract()
    october = [e for e in read_folder(CLASSIFY_DEV).entries
               if e.month == "2026-10" and e.client_name == contract.name]
    assert len(october) > 20
    offline = OfflineClassifier()
    asked: list[int] = []

    def classify(context, requests):
        asked.append(len(requests))
        return offline.classify(context, requests)

    cache = DictCache()
    run = lambda history: classify_entries(contract, october, {}, classify, offline.cache_id, history, cache)  # noqa: E731
    cold, _ = run([])
    assert asked == [len(october)]
    run([])
    assert asked == [len(october)], "an unchanged re-close asks nobody"
    reviewed = [_example(e.notes, "2026-09") for e in october[:5]]
    warm, _ = run(reviewed)
    assert asked == [len(october), len(october)], "a review re-classifies the month with what it taught"
    run(reviewed + [_example("labelled in November", "2026-11")])
    assert len(asked) == 2, "a later month's label is not this month's history"
    assert [c.sow_item for c in warm] != [c.sow_item for c in cold] or [c.confidence for c in warm] != [
        c.confidence for c in cold]


def test_a_sent_month_keeps_what_it_billed_unless_a_reviewer_decides() -> None:
    """Found by an auditor: a sent month closed again (one late row) held five entries it had billed, because the
    reviews since had moved the classifier's confidence, and the next invoice credited 2,890.00 of billed work.
    Each entry billed on the sent invoice keeps its SOW item and work type; a reviewer's decision still wins, and
    an entry the sent invoice did not bill (new since, or held then) is classified as before."""
    contract = _contract()
    october = [e for e in read_folder(CLASSIFY_DEV).entries
               if e.month == "2026-10" and e.client_name == contract.name]
    offline = OfflineClassifier()
    cold, _ = classify_entries(contract, october, {}, offline.classify, offline.cache_id)
    held = next(c for c in cold if c.held and "low_confidence" in c.review_reasons)
    billed = next(c for c in cold if not c.held and c.method == "classifier")
    other = next(i for i in sorted(contract.sow_item_ids) if i != billed.sow_item)
    sent = {held.entry_id: (billed.sow_item, "standard"), billed.entry_id: (other, "rush")}
    decided = {billed.entry_id: Override(billed.entry_id, sow_item=billed.sow_item, action="bill")}

    again, _ = classify_entries(contract, october, decided, offline.classify, offline.cache_id, sent=sent)
    by_id = {c.entry_id: c for c in again}
    assert (by_id[held.entry_id].sow_item, by_id[held.entry_id].work_type, by_id[held.entry_id].held,
            by_id[held.entry_id].method) == (billed.sow_item, "standard", False, "as_sent")
    assert by_id[held.entry_id].rationale.startswith("as billed on the invoice sent for the month")
    assert (by_id[billed.entry_id].sow_item, by_id[billed.entry_id].method) == (billed.sow_item, "override")
    rest = [(c.entry_id, c.sow_item, c.held) for c in again if c.entry_id not in sent]
    assert rest == [(c.entry_id, c.sow_item, c.held) for c in cold if c.entry_id not in sent]
