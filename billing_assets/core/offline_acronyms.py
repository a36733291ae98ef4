"""Acronyms and shorthand of a note resolved against the client's own SOW text.

Staff write the SOW's phrases as initials: "DD set" for design development, "TSA" for a transition services
agreement, "CE doc" for a categorical exclusion. A fixed table cannot know which expansion a client means
("CD" is construction documents to an architect and a creative director to an agency), but the SOW says it:
- an upper-case note token whose letters are the initials of consecutive words of an item's name or
  description (with or without the little words: "LOI" = letter of intent) stands for that phrase; initials
  that fit phrases of different items are left alone;
- a shorthand of the general lexicon (`SHORTHAND`: "rec", "depr", "insp", "svy") stands for the candidate
  expansion whose words the SOW uses; when the SOW uses none, the note is left as written.
A token that is itself a word of the SOW is never expanded. Pure, deterministic, no I/O.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from billing_assets.core.offline_lexicon import GENERIC_WORDS, SHORTHAND, STOPWORDS
from billing_assets.core.offline_text import stem

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_TOKEN = re.compile(r"(?<![\w&/])([A-Za-z][A-Za-z0-9]*)(?![\w&])")
MAX_PHRASE = 5
SUPPORT = 0.6  # share of a candidate's words the SOW must use


def _phrases(text: str) -> dict[str, set[str]]:
    """Initials -> phrases of consecutive words of `text` (hyphenated words split)."""
    out: dict[str, set[str]] = defaultdict(set)
    for clause in re.split(r"[.;:,()\[\]/]", text):
        words = [w.lower() for w in _WORD.findall(clause)]
        for i in range(len(words)):
            if words[i] in STOPWORDS:
                continue
            for j in range(i + 2, min(len(words), i + MAX_PHRASE) + 1):
                span = words[i:j]
                if span[-1] in STOPWORDS:
                    continue
                phrase = " ".join(span)
                content = [w for w in span if w not in STOPWORDS]
                # Two letters only for two adjacent content words: "PM" is not "pleadings and motions".
                if len(span) >= 3 or len(content) == 2:
                    out["".join(w[0] for w in span)].add(phrase)
                if len(content) >= 3 and len(content) < len(span):
                    out["".join(w[0] for w in content)].add(phrase)
    return out


@dataclass(frozen=True)
class ExpansionTable:
    """Per client: acronyms (upper case in the note) and shorthand (any case) -> the phrase they stand for."""

    acronyms: dict[str, str]
    shorthand: dict[str, str]

    def expand(self, note: str) -> str:
        """The note with each resolvable token replaced by its phrase ("DD set" -> "design development set")."""
        def repl(match: re.Match[str]) -> str:
            token = match.group(1)
            low = token.lower()
            if token.isupper() or (token[:-1].isupper() and token.endswith("s") and len(token) > 2):
                phrase = self.acronyms.get(low) or self.acronyms.get(low[:-1] if low.endswith("s") else "")
                if phrase:
                    return phrase
            return self.shorthand.get(low, token)

        return _TOKEN.sub(repl, note) if (self.acronyms or self.shorthand) else note


def _sow_stems(texts: Sequence[str]) -> tuple[set[str], set[str]]:
    words = {w.lower() for t in texts for w in _WORD.findall(t)}
    return words, {stem(w) for w in words}


def _support(candidate: str, stems: set[str]) -> float:
    words = [w for w in candidate.split() if w not in STOPWORDS]
    return sum(stem(w) in stems for w in words) / len(words) if words else 0.0


def _known_meaning(phrase: str, meanings: Sequence[str]) -> bool:
    """The SOW phrase is one of the lexicon's meanings of its initials (compared by stems, little words
    ignored): "PR" may be the SOW's "press release" but not its "phased rollout"."""
    def content(text: str) -> list[str]:
        return [stem(w) for w in text.split() if w not in STOPWORDS]

    return content(phrase) in [content(m) for m in meanings]


def expansion_table(texts: Sequence[str]) -> ExpansionTable:
    """From the items' texts (one per item)."""
    words, stems = _sow_stems(texts)
    by_initials: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for n, text in enumerate(texts):
        for initials, phrases in _phrases(text).items():
            for phrase in phrases:
                by_initials[initials][phrase].add(n)
    acronyms = {}
    for initials, phrases in by_initials.items():
        if initials in words or initials in STOPWORDS or initials in GENERIC_WORDS:
            continue
        if initials in SHORTHAND:  # a well-known initialism means one of its usual meanings or nothing
            phrases = {p: n for p, n in phrases.items() if _known_meaning(p, SHORTHAND[initials])}
        if len(phrases) == 1:
            acronyms[initials] = next(iter(phrases))
        elif phrases and len({n for items in phrases.values() for n in items}) == 1:
            acronyms[initials] = max(phrases, key=lambda p: (len(p), p))
    shorthand = {}
    for token, candidates in SHORTHAND.items():
        if token in words or stem(token) in stems:
            continue
        best = max(candidates, key=lambda c: _support(c, stems))
        if _support(best, stems) >= SUPPORT:
            shorthand[token] = best
    return ExpansionTable(acronyms, shorthand)
