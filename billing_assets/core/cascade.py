"""The cascade: the offline classifier decides what it is sure of; only the rest goes to a remote model.

Pure: the remote classifier (Claude) is passed in. For an entry the offline model is unsure of, the remote
answer is kept with the lower of the two confidences when the two disagree (or the remote model is unsure),
so it goes to review naming both; when they agree and the remote model is sure, it passes the review floor.
"""

from __future__ import annotations

from collections.abc import Sequence

from billing_assets.core.classifier_api import Classifier, ClassifierUsage, ClassifyRequest, ClientContext
from billing_assets.core.model import Suggestion
from billing_assets.core.offline_classifier import OfflineClassifier

REMOTE_SURE = 0.9  # a remote confidence from which an agreeing answer is accepted
DISAGREE_CAP = 0.5  # confidence of an entry the two models answer differently


class CascadeClassifier:
    """Offline first, the remote model for the rest; see the module docstring."""

    def __init__(self, offline: OfflineClassifier, remote: Classifier) -> None:
        self.offline = offline
        self.remote = remote
        self.last_sent = 0  # entries sent to the remote model by the last call

    @property
    def cache_id(self) -> str:
        return f"cascade[{self.offline.cache_id}+{self.remote.cache_id}]"

    @property
    def review_floor(self) -> float:
        return self.offline.review_floor

    def close(self) -> None:
        close = getattr(self.remote, "close", None)
        if close is not None:
            close()

    def classify(self, context: ClientContext, requests: Sequence[ClassifyRequest]
                 ) -> tuple[list[Suggestion], ClassifierUsage]:
        local, _ = self.offline.classify(context, requests)
        unsure = [j for j, (req, s) in enumerate(zip(requests, local, strict=True))
                  if s.confidence < self._threshold(req)]
        self.last_sent = len(unsure)
        if not unsure:
            return local, ClassifierUsage()
        answers, usage = self.remote.classify(context, [requests[j] for j in unsure])
        out = list(local)
        for j, remote in zip(unsure, answers, strict=True):
            out[j] = combine(local[j], remote, self.review_floor)
        return out, usage

    def _threshold(self, req: ClassifyRequest) -> float:
        return self.review_floor if req.need_sow_item else REMOTE_SURE


def combine(local: Suggestion, remote: Suggestion, floor: float) -> Suggestion:
    """One answer from the offline and the remote model for an entry the offline model was unsure of."""
    agree = local.sow_item == remote.sow_item and local.work_type == remote.work_type
    both = (f"remote: {remote.sow_item}/{remote.work_type} ({remote.confidence:.2f}) {remote.rationale}; "
            f"offline: {local.sow_item}/{local.work_type} ({local.confidence:.2f}) {local.rationale}")
    if agree and remote.confidence >= REMOTE_SURE:
        return Suggestion(remote.sow_item, remote.work_type, max(remote.confidence, floor),
                          f"remote and offline agree; {both}")
    if agree:
        return Suggestion(remote.sow_item, remote.work_type, min(remote.confidence, local.confidence),
                          f"remote unsure; {both}")
    return Suggestion(remote.sow_item, remote.work_type, min(remote.confidence, local.confidence, DISAGREE_CAP),
                      f"remote and offline disagree; {both}")
