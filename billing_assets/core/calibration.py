"""Calibrated confidence of the offline classifier: a logistic model over the classifier's evidence.

The coefficients (`calibration.json`, next to this module) are fitted by `bench/calibrate.py` on labelled
clients and measured leave-one-client-out. `cutoff` is the review threshold chosen with it: the lowest probability
whose auto-assigned hours were wrong at most 1% on the labelled sets, each scored by a calibration fitted on the
other sets, in 3 of 4 resamplings of the sets (`bench/calibrate._cutoff`). Pure Python, no I/O beyond reading the
shipped file once.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SHIPPED = Path(__file__).with_name("calibration.json")
SHIPPED_WITHOUT_SEMANTIC = Path(__file__).with_name("calibration_nosemantic.json")  # fitted with the view off
FEATURES = ("post_logit", "skeptic_logit", "margin", "vague", "informative", "history_agree",
            "history_disagree", "rush_logit", "lexical_margin", "person_top", "knn_agree", "knn_other",
            "person_share", "no_history", "soft_top", "soft_margin", "history_support", "semantic_top",
            "semantic_margin", "short_note")
VAGUE_CAP = 0.55  # the highest confidence of a vague note
# The direction each feature may move the confidence (+1 up, -1 down): the fit keeps every coefficient on its
# side or at zero, so agreeing with a reviewed note, the person's history or the sentence embedding can never
# lower the confidence, and a vague or short note never raises it (small labelled sets otherwise learn such
# inversions from collinear features, e.g. "agrees with a similar reviewed note" at -0.5).
SIGNS = {"post_logit": 1, "skeptic_logit": 1, "margin": 1, "vague": -1, "informative": 1, "history_agree": 1,
         "history_disagree": -1, "rush_logit": 1, "lexical_margin": 1, "person_top": 1, "knn_agree": 1,
         "knn_other": -1, "person_share": 1, "no_history": -1, "soft_top": 1, "soft_margin": 1,
         "history_support": 1, "semantic_top": 1, "semantic_margin": 1, "short_note": -1}
UNSURE_WORK_TYPE = 0.85  # a work-type confidence below this caps the calibrated confidence
# The confidence of a note its writer wrote before (its numbers aside) and a person reviewed, every time with the
# same item and work type (`offline_classifier.reviewed_repeats`): of such October notes of the sixteen labelled
# sets, 61 of 61 written word for word carry their September label, 25 of 25 with other numbers its item.
REVIEWED_REPEAT = 0.98


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


@dataclass(frozen=True)
class Evidence:
    """What the offline classifier's SOW choice and work type rest on, as numbers."""

    post: Sequence[float]  # posterior over items
    skeptical: float  # posterior of the chosen item when the person's other work counts more
    informative: int  # specific note words some item shares
    history_sim: float  # similarity of the nearest approved note (0 without history)
    history_agrees: bool  # that note's item is the chosen one
    rush_confidence: float
    lexical: Sequence[float]  # note-vs-item scores alone
    person: Sequence[float]  # the person's item mix this month
    knn: tuple[float, float, float] = (0.0, 0.0, 0.0)  # see `history_features`
    has_history: bool = False
    soft: Sequence[float] = ()  # character-n-gram soft match per item (offline_ngrams)
    semantic: Sequence[float] = ()  # sentence-embedding cosine per item, minus their mean (offline_semantic)
    words: int = 0  # content words of the note
    rush_cue_confidence: float | None = None  # the work type's confidence from its cues alone (the model's input;
    # `rush_confidence` also counts the rules that hold a note, such as who-and-when, and caps the result)
    reviewed_repeat: bool = False  # the choice is a person's review of this very note by the same writer


def features(ev: Evidence) -> list[float]:
    """The model's inputs, in FEATURES order."""
    ranked = sorted(ev.post, reverse=True)
    second = ranked[1] if len(ranked) > 1 else 0.0
    lex = sorted(ev.lexical, reverse=True)
    lex_margin = (lex[0] - lex[1]) if len(lex) > 1 else lex[0] if lex else 0.0
    top = max(range(len(ev.post)), key=ev.post.__getitem__)
    return [_logit(ranked[0]), _logit(ev.skeptical), ranked[0] - second, float(ev.informative == 0),
            math.log1p(ev.informative), ev.history_sim if ev.history_agrees else 0.0,
            0.0 if ev.history_agrees else ev.history_sim, _logit(_cue_confidence(ev)),
            min(lex_margin, 5.0), float(max(range(len(ev.person)), key=ev.person.__getitem__) == top),
            *ev.knn, float(not ev.has_history), *_agreement(ev.soft, top),
            ev.knn[2] if ev.knn[0] > ev.knn[1] else 0.0, *_agreement(ev.semantic, top, 10.0),
            float(ev.words <= 2)]


def _cue_confidence(ev: Evidence) -> float:
    return ev.rush_confidence if ev.rush_cue_confidence is None else ev.rush_cue_confidence


def _agreement(scores: Sequence[float], top: int, scale: float = 1.0) -> tuple[float, float]:
    """For one view of the note against the items (character n-grams, sentence embeddings): (its best item is the
    chosen one, chosen minus best other score times `scale`, clipped to +-3); zeros when the view scored nothing."""
    if not scores or not any(scores):
        return 0.0, 0.0
    best = max(range(len(scores)), key=scores.__getitem__)
    other = max((s for i, s in enumerate(scores) if i != top), default=0.0)
    return float(best == top), max(-3.0, min(3.0, scale * (scores[top] - other)))


NUMBER = re.compile(r"\d+")  # a recurring note's counts, dates and ticket numbers: read as 0


def trigrams(text: str) -> frozenset[str]:
    """Character trigrams of the lower-cased words (robust to compounds, typos and inflection), every number written
    as "0": a recurring note's counts, dates and ticket numbers change from month to month, its work does not."""
    out: set[str] = set()
    for word in "".join(c if c.isalnum() else " " for c in NUMBER.sub("0", text.lower())).split():
        padded = f" {word} "
        out.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return frozenset(out)


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


@dataclass(frozen=True)
class ReviewedNote:
    """A labelled note of the client's history, prepared for nearest-neighbour look-ups."""

    grams: frozenset[str]
    person: str
    sow_item: str | None


def prepare_history(history: Sequence) -> list[ReviewedNote]:
    """LabeledExamples -> ReviewedNotes (the caller filters by client)."""
    return [ReviewedNote(trigrams(h.notes), h.person, h.sow_item) for h in history]


def knn_votes(notes: str, person: str, ids: Sequence[str], history: Sequence[ReviewedNote]) -> list[float]:
    """Per item: the best similarity of a reviewed note labelled with it (another person's at 0.8)."""
    grams = trigrams(notes)
    out = [0.0] * len(ids)
    index = {item: i for i, item in enumerate(ids)}
    for h in history:
        if h.sow_item in index:
            i = index[h.sow_item]
            out[i] = max(out[i], _dice(grams, h.grams) * (1.0 if h.person == person else 0.8))
    return out


def history_features(notes: str, person: str, chosen: str, history: Sequence[ReviewedNote]
                     ) -> tuple[float, float, float]:
    """(best similarity of a reviewed note labelled `chosen`, best of one labelled otherwise, share of the
    person's reviewed notes labelled `chosen`); a note of another person counts at 0.8 of its similarity."""
    grams = trigrams(notes)
    agree = other = 0.0
    mine = same = 0
    for h in history:
        sim = _dice(grams, h.grams) * (1.0 if h.person == person else 0.8)
        if h.sow_item == chosen:
            agree = max(agree, sim)
        else:
            other = max(other, sim)
        if h.person == person:
            mine += 1
            same += h.sow_item == chosen
    return agree, other, same / mine if mine else 0.0


@dataclass(frozen=True)
class Calibrator:
    """p(right) = sigmoid(intercept + coefs . features); entries below `cutoff` go to review."""

    coefs: tuple[float, ...]
    intercept: float
    cutoff: float
    fitted_on: tuple[str, ...] = ()

    def probability(self, ev: Evidence, x: Sequence[float] | None = None) -> float:
        """p(right) of `ev`; `x`: its `features` when the caller has them already (the bench's refits)."""
        z = self.intercept + sum(c * v for c, v in zip(self.coefs, features(ev) if x is None else x, strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))

    def confidence(self, ev: Evidence, x: Sequence[float] | None = None) -> float:
        """The probability, capped by a work-type assessment that is itself unsure (cues too weak for rush,
        or disagreeing with a reviewed twin): the SOW evidence cannot vouch for the work type; and capped below
        any review threshold for a vague note (no specific word some item shares): whatever else points at an
        item, a note that names no work is a reviewer's call. A reviewed repeat (`ev.reviewed_repeat`) is that
        reviewer's call already: at least REVIEWED_REPEAT, whatever the note's words."""
        p = self.probability(ev, x)
        if ev.reviewed_repeat:
            return max(p, REVIEWED_REPEAT)
        if ev.informative == 0:
            p = min(p, VAGUE_CAP)
        return min(p, ev.rush_confidence) if ev.rush_confidence < UNSURE_WORK_TYPE else p

    def to_json(self) -> str:
        return json.dumps({"features": list(FEATURES), "coefs": [round(c, 6) for c in self.coefs],
                           "intercept": round(self.intercept, 6), "cutoff": self.cutoff,
                           "fitted_on": list(self.fitted_on)}, indent=1) + "\n"

    @classmethod
    def from_mapping(cls, doc: Mapping) -> Calibrator:
        if list(doc["features"]) != list(FEATURES):
            raise ValueError(f"calibration features {doc['features']} do not match {list(FEATURES)}")
        return cls(tuple(float(c) for c in doc["coefs"]), float(doc["intercept"]), float(doc["cutoff"]),
                   tuple(doc.get("fitted_on", ())))


@lru_cache(maxsize=2)
def shipped(with_semantic: bool = True) -> Calibrator:
    """The calibration shipped with the package, for the classifier with or without the sentence-embedding view
    (each fitted on the evidence of that classifier, so confidence means the same in both)."""
    path = SHIPPED if with_semantic else SHIPPED_WITHOUT_SEMANTIC
    return Calibrator.from_mapping(json.loads(path.read_text(encoding="utf-8")))


def closest_text(ids: Sequence[str], post: Sequence[float]) -> str:
    """The two closest SOW items with their posterior scores, for a reviewer's choice."""
    ranked = sorted(range(len(ids)), key=lambda i: -post[i])[:2]
    return "closest: " + ", ".join(f"{ids[i]} {post[i]:.2f}" for i in ranked)
