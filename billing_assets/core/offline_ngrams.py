"""Soft word matching of a note against SOW items by character n-grams.

Exact stems miss what staff notes do to words: inflection the stemmer does not know ("Schulungen",
"Testmigrationen"), compounds ("Endanwenderschulung" vs "Schulung"), typos ("applicaton") and clipped
words ("reconcil", "depr"). Each note word is matched to its closest word in each item's name and description by
the Dice overlap of character 4-grams (or containment of a long word in a compound); the item's score is the
sum over note words of similarity times the word's IDF over the items (a word close to every item says
nothing). Pure, deterministic, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from billing_assets.core.offline_lexicon import GENERIC_WORDS, STOPWORDS
from billing_assets.core.offline_text import raw_tokens, stem

GRAM = 4
MIN_WORD = 4  # shorter words are left to exact matching
MIN_SIM = 0.5  # a note word counts for an item from this similarity on
CONTAINED = 0.75  # similarity of a word of at least CONTAINED_LEN letters found inside a compound
CONTAINED_LEN = 6
PREFIX_SIM = 0.8  # a note word that is a clipped SOW word (`shorthand`)


@lru_cache(maxsize=4096)
def grams(word: str) -> frozenset[str]:
    """Character 4-grams of a word with its boundaries marked."""
    padded = f"<{word}>"
    return frozenset(padded[i:i + GRAM] for i in range(len(padded) - GRAM + 1))


@lru_cache(maxsize=65536)
def similarity(a: str, b: str) -> float:
    """How close note word `a` is to SOW word `b`: Dice overlap of 4-grams; CONTAINED when the shorter long
    word sits inside the other; or `a` is a shorthand of `b` (see `shorthand`)."""
    if a == b:
        return 1.0
    ga, gb = grams(a), grams(b)
    dice = 2 * len(ga & gb) / (len(ga) + len(gb))
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= CONTAINED_LEN and short in long_:
        dice = max(dice, CONTAINED)
    return max(dice, shorthand(a, b))


def shorthand(a: str, b: str) -> float:
    """PREFIX_SIM when note word `a` is a clipped form of SOW word `b` ("depr", "insp", "coord"): at least
    four letters, `b` at least two letters longer. (Three-letter clips and consonant skeletons such as "rpt"
    were measured too and made classify_dev and classify_heldout slightly worse.)"""
    return PREFIX_SIM if len(a) >= 4 and len(b) >= len(a) + 2 and b.startswith(a) else 0.0


def content_words(text: str) -> list[str]:
    """Lower-cased words of at least MIN_WORD letters, abbreviations expanded, stopwords and generic words out."""
    return [w for w in raw_tokens(text) if len(w) >= MIN_WORD and w.isalpha()
            and w not in STOPWORDS and w not in GENERIC_WORDS]


@dataclass(frozen=True)
class ItemWords:
    """The distinct content words of each SOW item's name and description."""

    words: tuple[frozenset[str], ...]


def item_words(texts: Sequence[str], drop: frozenset[str] = frozenset()) -> ItemWords:
    """Each item's content words, without those whose stem is in `drop` (context words, `context_stems`)."""
    return ItemWords(tuple(frozenset(w for w in content_words(t) if stem(w) not in drop) for t in texts))


def soft_scores(note: str, items: ItemWords) -> list[float]:
    """Per item: sum over the note's distinct words of IDF x best similarity to one of the item's words."""
    n = len(items.words)
    out = [0.0] * n
    if n == 0:
        return out
    for word in dict.fromkeys(content_words(note)):
        sims = [max((similarity(word, w) for w in bag), default=0.0) for bag in items.words]
        hits = [s if s >= MIN_SIM else 0.0 for s in sims]
        df = sum(1 for s in hits if s > 0)
        if df == 0:
            continue
        idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        for i, s in enumerate(hits):
            out[i] += idf * s
    return out


def soft_informative(note: str, items: ItemWords, min_sim: float = 0.75) -> int:
    """Note words that closely match a word of some, but not every, item (specific evidence that exact stems
    can miss: "Testmigration" against "Testmigrationen")."""
    n = len(items.words)
    count = 0
    for word in dict.fromkeys(content_words(note)):
        hits = sum(1 for bag in items.words if max((similarity(word, w) for w in bag), default=0.0) >= min_sim)
        count += 0 < hits < n
    return count
