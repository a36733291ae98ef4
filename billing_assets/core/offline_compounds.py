"""Compound words of a client written in German, Dutch or a Scandinavian language, split into the parts the
client's own texts use.

"Lohnabrechnung" in a note and "Lohn- und Gehaltsabrechnung" in the SOW share no word, yet both are payroll;
"Prüferanforderung" is the SOW's "Anforderungen des Prüfers". Word-level matching misses every such pair, so a
client whose SOW is written in a compounding language gets each long word followed by its parts ("Lohnabrechnung"
-> "Lohnabrechnung lohn abrechnung"), in the SOW and in the notes alike. No dictionary ships: a part is known when
the client's own texts (the SOW, the month's notes, the reviewed notes) use it as a word, or as the shared head or
modifier of two different compounds ("abrechnung" of "Gehaltsabrechnung" and "Entgeltabrechnung"). English SOWs
are left alone.
Pure, deterministic, no I/O.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from billing_assets.core.offline_lexicon import word_set

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


# Function words by language: a SOW that uses more of one compounding language's than of English is split.
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": word_set("the and of for with to in on by from a an is are this that"),
    "de": word_set("der die das des dem den und für mit von zur zum im auf aus bei nach sowie einschließlich "
                   "inklusive gemäß über"),
    "nl": word_set("de het een van voor met en bij naar op in aan om tot inclusief volgens"),
    "sv": word_set("och för med av till på enligt inklusive samt den det ett en"),
    "da_no": word_set("og for med af av til på ifølge inklusive samt den det et en"),
    "fr": word_set("le la les des du de et pour avec sur dans au aux une un est"),
    "es": word_set("el la los las del de y para con por en una un es al"),
    "it": word_set("il lo la gli le di del della e per con su una un al nel"),
    "pt": word_set("o a os as do da dos das de e para com por em uma um no na"),
    "pl": word_set("i w z na do dla oraz od po przez we ze lub jest są"),
}
SPLIT_LANGUAGES = ("de", "nl", "sv", "da_no")
MIN_PART = 4  # letters of the shortest part
MIN_WORD = 9  # letters of the shortest word that is split
MIN_SHARED = 6  # letters of the shortest part known only as the shared head or modifier of two compounds
LINKS = ("s", "es", "n", "en", "e", "er")  # linking elements between the parts of a compound ("Gehalts|abrechnung")
TAILS = ("", "e", "n", "en", "s", "es", "er", "ern", "et", "ar", "or", "na", "erne", "ene", "ne")  # inflection


def sow_language(texts: Iterable[str]) -> str:
    """The language whose function words the texts use most ("en" when none reaches 3, or on a tie with English)."""
    counts: Counter[str] = Counter()
    for text in texts:
        for word in _WORD.findall(text.lower()):
            for language, words in FUNCTION_WORDS.items():
                if word in words:
                    counts[language] += 1
    if not counts:
        return "en"
    language, n = max(sorted(counts.items()), key=lambda kv: kv[1])
    return language if n >= 3 and n > counts["en"] else "en"  # a tie with English is English


def _shared_ends(words: Sequence[str]) -> set[str]:
    """Heads and modifiers that at least two different long words share ("abrechnung", "umsatzsteuer")."""
    heads: dict[str, set[str]] = defaultdict(set)
    mods: dict[str, set[str]] = defaultdict(set)
    for word in words:
        if len(word) < MIN_WORD:
            continue
        for i in range(MIN_PART, len(word) - MIN_PART + 1):
            heads[word[i:]].add(word)
            mods[word[:i]].add(word)
    return {p for table in (heads, mods) for p, owners in table.items() if len(owners) >= 2 and len(p) >= MIN_SHARED}


@dataclass(frozen=True)
class CompoundSplitter:
    """Splits the long words of a compounding-language client into parts its texts use."""

    words: frozenset[str]  # every word of the client's texts, lower case
    shared: frozenset[str]  # heads and modifiers shared by two compounds
    cache: dict[str, list[str]] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def _known(self, part: str) -> bool:
        """A word of the client's texts (in some inflection) or a part two of its compounds share."""
        if len(part) < MIN_PART:
            return False
        return part in self.shared or any(part + tail in self.words for tail in TAILS)

    def split(self, word: str) -> list[str]:
        """The parts of one word, lower case, or [] unless a known head follows a modifier that is known itself
        (less a linking "s", "en", ...) or splits again; the longest such head wins."""
        low = word.lower()
        if low not in self.cache:
            self.cache[low] = self._split(low) if len(low) >= MIN_WORD else []
        return list(self.cache[low])

    def _split(self, low: str) -> list[str]:
        for i in range(MIN_PART, len(low) - MIN_PART + 1):
            head, modifier = low[i:], low[:i]
            if not self._known(head):
                continue
            for link in ("", *LINKS):
                if link and not (modifier.endswith(link) and len(modifier) - len(link) >= MIN_PART):
                    continue
                mod = modifier[: len(modifier) - len(link)]
                if self._known(mod):
                    return [mod, head]
                inner = self.split(mod)
                if inner:
                    return [*inner, head]
        return []

    def expand(self, text: str) -> str:
        """`text` with each splittable word followed by its parts."""
        def repl(match: re.Match[str]) -> str:
            parts = self.split(match.group(0))
            return f"{match.group(0)} {' '.join(parts)}" if parts else match.group(0)

        return _WORD.sub(repl, text)


def compound_splitter(sow_texts: Sequence[str], notes: Sequence[str], language: str | None = None
                      ) -> CompoundSplitter | None:
    """The splitter of a client whose SOW is written in a compounding language, else None; `language`: the SOW's
    (`sow_language`), when the caller has it already."""
    if (language or sow_language(sow_texts)) not in SPLIT_LANGUAGES:
        return None
    words = sorted({w.lower() for text in (*sow_texts, *notes) for w in _WORD.findall(text)})
    return CompoundSplitter(frozenset(words), frozenset(_shared_ends(words)))
