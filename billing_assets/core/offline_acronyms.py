"""Acronyms of a note resolved against the client's own SOW text.

Staff write the SOW's phrases as initials: "DD set" for design development, "TSA" for a transition services
agreement, "CE doc" for a categorical exclusion. A fixed table cannot know which expansion a client means
("CD" is construction documents to an architect and a creative director to an agency), but the SOW says it:
an upper-case note token whose letters are the initials of consecutive words of an item's name or description
(with or without the little words: "LOI" = letter of intent) is expanded to that phrase. An acronym whose
initials fit phrases of different items is left alone. Pure, deterministic, no I/O.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from billing_assets.core.offline_lexicon import GENERIC_WORDS, STOPWORDS

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_ACRONYM = re.compile(r"\b([A-Z]{2,5})(s?)\b")
MAX_PHRASE = 5


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
class AcronymTable:
    """Initials (lower case) -> the one SOW phrase they stand for."""

    expansions: dict[str, str]

    def expand(self, note: str) -> str:
        """The note with each resolvable acronym followed by its phrase ("DD set" -> "DD (design development)
        set"); tokens that are words of the SOW themselves are left alone."""
        def repl(match: re.Match[str]) -> str:
            phrase = self.expansions.get(match.group(1).lower())
            return f"{match.group(0)} ({phrase})" if phrase else match.group(0)

        return _ACRONYM.sub(repl, note) if self.expansions else note


def acronym_table(texts: Sequence[str]) -> AcronymTable:
    """From the items' texts (one per item): initials whose phrases all belong to one item, or are one phrase."""
    by_initials: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    vocab: set[str] = set()
    for n, text in enumerate(texts):
        vocab.update(w.lower() for w in _WORD.findall(text))
        for initials, phrases in _phrases(text).items():
            for phrase in phrases:
                by_initials[initials][phrase].add(n)
    out = {}
    for initials, phrases in by_initials.items():
        if initials in vocab or initials in STOPWORDS or initials in GENERIC_WORDS:
            continue
        if len(phrases) == 1:
            out[initials] = next(iter(phrases))
        elif len({n for items in phrases.values() for n in items}) == 1:
            out[initials] = max(phrases, key=lambda p: (len(p), p))
    return AcronymTable(out)
