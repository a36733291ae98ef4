"""UTBMS activity codes (A101-A111) from a time entry's narrative: a small lexicon scorer on the offline classifier's
tokens and stems, with a confidence. An unsure code is listed for review; it never holds the entry's price."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from billing_assets.core.offline_text import raw_tokens, stem

ACTIVITIES = {
    "A101": "Plan and prepare for",
    "A102": "Research",
    "A103": "Draft/revise",
    "A104": "Review/analyze",
    "A105": "Communicate (in firm)",
    "A106": "Communicate (with client)",
    "A107": "Communicate (other outside counsel)",
    "A108": "Communicate (other external)",
    "A109": "Appear for/attend",
    "A110": "Manage data/files",
    "A111": "Other",
}
OTHER = "A111"
MIN_CONFIDENCE = 0.65  # below this the code is listed for review
FIRST_WORDS = 2  # a cue among the narrative's first words (its leading verb) counts more
LEAD_BOOST = 1.5

# cue phrase -> weight, per code (phrases are matched on stems, whole words)
CUES: dict[str, dict[str, float]] = {
    "A101": {"plan": 1, "prepare for": 1.5, "preparation for": 1.5, "prep for": 1.5, "prep": 1.2, "outline": 0.8,
             "strategy": 0.8, "strategize": 1, "agenda": 0.8, "get ready": 1},
    "A102": {"research": 2, "westlaw": 2, "lexis": 2, "case law": 1.5, "precedent": 1, "statute": 0.5,
             "investigate": 1},
    "A103": {"draft": 2, "revise": 1.5, "revision": 1.5, "redline": 1.5, "edit": 1, "write": 1, "prepare": 0.8,
             "finalize": 1, "mark up": 1, "markup": 1},
    "A104": {"review": 2, "analyze": 1.5, "analysis": 1.5, "examine": 1, "evaluate": 1, "assess": 1,
             "study": 0.8, "read": 0.8},
    "A109": {"attend": 2, "appear": 2, "appearance": 2, "hearing": 1, "deposition": 1, "trial": 1,
             "court": 0.8, "mediation": 1},
    "A110": {"organize": 1.5, "index": 1.5, "database": 1, "upload": 1.5, "bates": 2, "scan": 1,
             "document production": 1, "manage file": 2, "file management": 2, "update file": 1.5},
}
COMMUNICATION = ("call", "telephone", "phone", "email", "e-mail", "correspond", "correspondence", "letter",
                 "conference with", "confer", "discuss", "meet with", "meeting with", "message", "speak with",
                 "talk")
PARTIES: dict[str, tuple[str, ...]] = {
    "A105": ("internal", "team", "colleague", "associate", "partner", "paralegal", "in firm", "firm"),
    "A106": ("client", "general counsel", "gc", "in-house"),
    "A107": ("opposing counsel", "co-counsel", "outside counsel", "local counsel", "counsel for", "defense counsel",
             "plaintiff's counsel", "plaintiff counsel"),
    "A108": ("expert", "witness", "vendor", "regulator", "agency", "court clerk", "clerk", "mediator", "insurer",
             "adjuster", "third party"),
}
COMMUNICATION_WEIGHT = 2.0


@dataclass(frozen=True)
class ActivityCode:
    code: str
    confidence: float
    evidence: str  # the cues that decided

    @property
    def unsure(self) -> bool:
        return self.confidence < MIN_CONFIDENCE


def _stems(text: str) -> tuple[str, ...]:
    return tuple(stem(t) for t in raw_tokens(text))


@cache
def _phrase(text: str) -> tuple[str, ...]:
    return _stems(text)


def _find(stems: tuple[str, ...], phrase: str) -> int | None:
    """Index of the first whole-word occurrence of the phrase's stems, or None."""
    wanted = _phrase(phrase)
    for i in range(len(stems) - len(wanted) + 1):
        if stems[i:i + len(wanted)] == wanted:
            return i
    return None


def classify_activity(narrative: str) -> ActivityCode:
    """The UTBMS activity code of a narrative with a confidence in [0, 1]: top score / (top + runner-up + 0.5).
    A communication cue goes to the party it names (client, firm, outside counsel, other external); a narrative with
    no cue is A111 Other with confidence 0."""
    stems = _stems(narrative)
    scores: dict[str, float] = {}
    evidence: dict[str, list[str]] = {}

    def add(code: str, cue: str, weight: float, at: int) -> None:
        scores[code] = scores.get(code, 0.0) + weight * (LEAD_BOOST if at < FIRST_WORDS else 1.0)
        evidence.setdefault(code, []).append(cue)

    matches = [(at, len(_phrase(cue)), code, cue, weight) for code, cues in CUES.items()
               for cue, weight in cues.items() if (at := _find(stems, cue)) is not None]
    for at, size, code, cue, weight in matches:
        if not any(a <= at and at + size <= a + n and n > size for a, n, *_ in matches):  # "prepare" in "prepare for"
            add(code, cue, weight, at)
    talk = [(at, cue) for cue in COMMUNICATION if (at := _find(stems, cue)) is not None]
    if talk:
        at, cue = min(talk)
        parties = {code: [p for p in names if _find(stems, p) is not None] for code, names in PARTIES.items()}
        named = {code: found for code, found in parties.items() if found}
        if "A107" in named:  # "opposing counsel" also says "counsel": the more specific party wins
            named = {"A107": named["A107"]}
        for code, found in named.items():
            add(code, f"{cue} + {found[0]}", COMMUNICATION_WEIGHT / len(named), at)
        if not named:
            for code in PARTIES:
                add(code, f"{cue} (party unknown)", COMMUNICATION_WEIGHT / len(PARTIES), at)
    if not scores:
        return ActivityCode(OTHER, 0.0, "no activity cue")
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    top_code, top = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    confidence = round(top / (top + runner_up + 0.5), 2)
    return ActivityCode(top_code, confidence, ", ".join(evidence[top_code]))
