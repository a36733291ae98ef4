"""Rush detection for the offline classifier: compressed, client-driven timing read from cue phrases.

Rush needs a timing cue (a deadline within hours, a schedule moved up, a production incident) backed by
more evidence (someone asked for it, evening/weekend work, rework). Planned late or weekend work without
such pressure stays standard.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from billing_assets.core.classifier_api import LabeledExample
from billing_assets.core.model import RUSH
from billing_assets.core.offline_lexicon import RUSH_CUES, STOPWORDS
from billing_assets.core.offline_text import raw_tokens

CATEGORY_CAP = {"deadline": 3.0, "compress": 3.0, "incident": 3.0, "demand": 1.0, "offhours": 1.0,
                "rework": 1.0, "planned": -4.0}
TIMING = ("deadline", "compress", "incident")
RUSH_AT = 3.0  # score at or above which an entry is rush (with a timing cue); confident from there
SURE_RUSH_AT = 4.0  # score from which rush is very confident
SURE_STANDARD_BELOW = 1.5  # score below which standard is confident
_EARLY_HOUR = re.compile(r"^([5-9]|1[0-2])(:\d\d)?am$")
_LATE_HOUR = re.compile(r"^(9|1[01]|12)(:\d\d)?pm$")
_DAYS = frozenset("mon monday tue tues tuesday wed wednesday thu thur thurs thursday fri friday sat "
                  "saturday sun sunday".split())


@dataclass(frozen=True)
class RushAssessment:
    """Work type evidence of one note."""

    is_rush: bool
    confidence: float
    score: float
    cues: tuple[str, ...]

    @property
    def rationale(self) -> str:
        kind = "rush" if self.is_rush else "standard"
        if not self.cues:
            return f"{kind}: no time-pressure cues"
        return f"{kind}: cues {', '.join(self.cues)} (score {self.score:g})"


@lru_cache(maxsize=1)
def _cue_table() -> tuple[tuple[str, str, float], ...]:
    return tuple((" " + " ".join(raw_tokens(p)) + " ", cat, w) for p, cat, w in RUSH_CUES)


def rush_cues(notes: str) -> dict[str, tuple[float, list[str]]]:
    """Category -> (capped weight, phrases found) for one note."""
    words = raw_tokens(notes)
    text = " " + " ".join(words) + " "
    found: dict[str, list[tuple[str, float]]] = {}
    for phrase, cat, weight in _cue_table():
        if phrase in text and not any(phrase.strip() in p for p, _ in found.get(cat, [])):
            found.setdefault(cat, []).append((phrase.strip(), weight))
    for i, word in enumerate(words):
        before = words[max(0, i - 3):i]
        if _EARLY_HOUR.match(word) and any(b in ("for", "before", "by") for b in before):
            found.setdefault("deadline", []).append((word + " deadline", 1.0))
        elif _LATE_HOUR.match(word) and any(b in ("til", "till", "until") for b in before):
            found.setdefault("compress", []).append(("until " + word, 2.0))
        elif word in _DAYS and "demand" in found and (
                any(b in ("for", "before", "by") for b in before)
                or any(w in ("needs", "wants", "need", "want") for w in words[max(0, i - 5):i])):
            found.setdefault("deadline", []).append(("due " + word, 1.0))
    out = {}
    for cat, items in found.items():
        total = sum(w for _, w in items)
        cap = CATEGORY_CAP[cat]
        total = max(total, cap) if cap < 0 else min(total, cap)
        out[cat] = (total, [p for p, _ in items])
    return out


def _near_duplicate(notes: str, history: Sequence[LabeledExample]) -> LabeledExample | None:
    """A history note with nearly the same content words (Jaccard >= 0.75), the latest one."""
    words = {w for w in raw_tokens(notes) if w not in STOPWORDS}
    if len(words) < 3:
        return None
    best = None
    for example in history:
        other = {w for w in raw_tokens(example.notes) if w not in STOPWORDS}
        if other and len(words & other) / len(words | other) >= 0.75 and example.work_type:
            best = example
    return best


def assess_rush(notes: str, history: Sequence[LabeledExample] = ()) -> RushAssessment:
    """Rush or standard, with a confidence, from cue phrases (and a near-duplicate history label)."""
    cues = rush_cues(notes)
    score = sum(w for w, _ in cues.values())
    phrases = tuple(p for _, ps in cues.values() for p in ps)
    timing = any(cat in cues for cat in TIMING)
    is_rush = timing and score >= RUSH_AT
    if is_rush:
        confidence = 0.95 if score >= SURE_RUSH_AT else 0.88
    else:
        confidence = 0.97 if score < SURE_STANDARD_BELOW else 0.6
    twin = _near_duplicate(notes, history)
    if twin is not None and twin.work_type in (RUSH, "standard"):
        is_rush = twin.work_type == RUSH
        confidence = max(confidence, 0.9) if (twin.work_type == RUSH) == (score >= RUSH_AT) else 0.75
        phrases = phrases + (f"history: {twin.work_type}",)
    return RushAssessment(is_rush=is_rush, confidence=confidence, score=score, cues=phrases)
