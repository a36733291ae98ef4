"""Text features for the offline classifier: tokens, a light stemmer, bigrams and lexicon concepts."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from billing_assets.core.offline_lexicon import (
    ABBREVIATIONS,
    CASED_ABBREVIATIONS,
    CONCEPTS,
    GENERIC_WORDS,
    STOPWORDS,
)

_TOKEN = re.compile(r"[^\W\d_][^\W_&']*(?:[&'][^\W_&']*)*|\d+(?:[.:]\d+)?(?:am|pm|k|x|%)?", re.IGNORECASE)
_STEM_EXCEPTIONS = {
    "packaging": "packaging", "package": "package", "packages": "package", "news": "news",
    "analysis": "analysi", "analyses": "analysi", "series": "series", "status": "status", "sales": "sale",
    "business": "business", "process": "process", "access": "access", "scheduling": "schedul",
    "wires": "wireframe", "wire": "wireframe", "data": "data", "media": "media", "ups": "up",
    "ads": "ad", "kpis": "kpi", "faqs": "faq", "skus": "sku", "utms": "utm", "cpms": "cpm",
}
# Where a note's clauses part: a comma, semicolon, colon or bracket, a spaced hyphen or double hyphen, or a full stop
# before a space. Every reader of clauses uses it (features, rush cues, the why and what-happened rules). An en or em
# dash does not part them: measured, splitting there raised one Swedish client's review after a reviewed month.
CLAUSE_BREAK = re.compile(r"[,;:()\[\]]|\s--?\s|\.\s")
LATER_SEGMENT_WEIGHT = 0.6  # words after the first clause of a note describe context more than the work
BIGRAM_WEIGHT = 0.5
CONCEPT_PREFIX = "c:"
BIGRAM_PREFIX = "b:"


def stem(word: str) -> str:
    """A small suffix-stripping stemmer (enough to join plurals, -ing, -ed and -ation forms)."""
    w = word.lower().strip("'")
    if w.endswith("'s"):
        w = w[:-2]
    if w in _STEM_EXCEPTIONS:
        return _STEM_EXCEPTIONS[w]
    if len(w) <= 3:
        return w
    for suffix, repl in (("missions", "mit"), ("mission", "mit"), ("ization", "iz"), ("isation", "iz"),
                         ("ational", "at"), ("ations", "at"), ("ation", "at"), ("ments", ""), ("ment", ""),
                         ("ies", "y"), ("ied", "y"), ("sses", "ss"), ("ings", ""), ("ing", ""), ("ed", ""),
                         ("ers", "er"), ("es", "e"), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            if suffix == "s" and w.endswith(("ss", "us", "is")):
                continue
            w = w[: len(w) - len(suffix)] + repl
            if suffix in ("ing", "ings", "ed") and len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]
            break
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def raw_tokens(text: str) -> list[str]:
    """Words of a note with abbreviations expanded, lower-cased (stopwords kept)."""
    text = re.sub(r"\bw/o\b", " without ", text, flags=re.IGNORECASE)
    text = re.sub(r"\bw/", " with ", text, flags=re.IGNORECASE)
    text = text.replace("+", " and ").replace("/", " ").replace("-", " ").replace("_", " ")
    out: list[str] = []
    for token in _TOKEN.findall(text):
        core = token[:-2] if token.lower().endswith("'s") else token
        if core in CASED_ABBREVIATIONS:
            out.extend(CASED_ABBREVIATIONS[core].split())
            continue
        low = core.lower()
        if low in ABBREVIATIONS:
            out.extend(ABBREVIATIONS[low].split())
        else:
            out.append(low)
    return out


@lru_cache(maxsize=1)
def _concept_phrases() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Stemmed phrase -> concepts it signals."""
    table: dict[tuple[str, ...], set[str]] = {}
    for concept, forms in CONCEPTS.items():
        for form in forms:
            key = tuple(stem(t) for t in raw_tokens(form))
            if key:
                table.setdefault(key, set()).add(concept)
    return {k: tuple(sorted(v)) for k, v in table.items()}


@lru_cache(maxsize=1)
def _max_phrase_len() -> int:
    return max(len(k) for k in _concept_phrases())


@dataclass(frozen=True)
class TextFeatures:
    """Weighted features of one text and the words that produced them."""

    counts: Counter[str]
    content: tuple[str, ...]  # stems of content words, in order
    words: tuple[str, ...]  # all lower-cased words (stopwords kept), in order
    surface: dict[str, str] = field(default_factory=dict)  # stem -> first word that produced it

    def readable(self, feature: str) -> str:
        """A feature as the note wrote it ("palette", "spans control", "(advertising)")."""
        if feature.startswith(CONCEPT_PREFIX):
            return "(" + feature[len(CONCEPT_PREFIX):].replace("_", " ") + ")"
        if feature.startswith(BIGRAM_PREFIX):
            return " ".join(self.surface.get(s, s) for s in feature[len(BIGRAM_PREFIX):].split("_"))
        return self.surface.get(feature, feature)


def concepts_in(stems: list[str]) -> Counter[str]:
    """Concepts whose phrases occur in a stem sequence (longest phrases first, no overlap)."""
    table = _concept_phrases()
    found: Counter[str] = Counter()
    i = 0
    while i < len(stems):
        for n in range(min(_max_phrase_len(), len(stems) - i), 0, -1):
            hit = table.get(tuple(stems[i:i + n]))
            if hit:
                for concept in hit:
                    found[CONCEPT_PREFIX + concept] += 1
                i += n
                break
        else:
            i += 1
    return found


def _segment_features(text: str) -> tuple[Counter[str], list[str], list[str]]:
    words = raw_tokens(text)
    stems_all = [stem(w) for w in words]
    content = [s for w, s in zip(words, stems_all, strict=True) if w not in STOPWORDS and not w.isdigit()]
    counts: Counter[str] = Counter(content)
    for a, b in zip(content, content[1:], strict=False):
        counts[BIGRAM_PREFIX + a + "_" + b] += BIGRAM_WEIGHT
    counts.update(concepts_in(stems_all))
    return counts, content, words


def featurize(text: str, positional: bool = False, context: Callable[[str], bool] | None = None) -> TextFeatures:
    """Stems of content words, bigrams of adjacent content stems, and lexicon concepts.

    With `positional`, features of the first clause of a note weigh 1 and later clauses less: staff
    notes name the work first and its context ("sent w/ ...", "for Thurs meeting") after. A clause that
    `context` says is context (the schedule moved up: "CFO's board mtg moved up to Thu - deck finished") weighs
    as a later one, unless every clause is.
    """
    counts: Counter[str] = Counter()
    content: list[str] = []
    words: list[str] = []
    surface: dict[str, str] = {}
    segments = [s for s in CLAUSE_BREAK.split(text) if s.strip()] if positional else [text]
    aside = [bool(context and len(segments) > 1 and context(s)) for s in segments]
    if all(aside):
        aside = [False] * len(segments)
    main_done = False
    for i, segment in enumerate(segments):
        seg_counts, seg_content, seg_words = _segment_features(segment)
        weight = LATER_SEGMENT_WEIGHT if main_done or aside[i] else 1.0
        main_done = main_done or (not aside[i] and bool(seg_content))
        for feat, n in seg_counts.items():
            counts[feat] = max(counts[feat], n * weight) if feat in counts else n * weight
        content.extend(seg_content)
        words.extend(seg_words)
        for word in seg_words:
            surface.setdefault(stem(word), word)
    return TextFeatures(counts=counts, content=tuple(content), words=tuple(words), surface=surface)


@lru_cache(maxsize=1)
def generic_stems() -> frozenset[str]:
    return frozenset(stem(w) for w in GENERIC_WORDS)


@lru_cache(maxsize=1)
def lexicon_stems() -> frozenset[str]:
    """Stems of the lexicon's one-word concept forms (known words for typo correction)."""
    return frozenset(k[0] for k in _concept_phrases() if len(k) == 1)


# "call with HR director", "mtg w/ CEO - ...": who the meeting was with, not what it was about.
_COUNTERPART = re.compile(
    r"\b(?:call|calls|mtg|mtgs|meeting|meetings|t/c|tc|conf|conference|chat|sync|catch ?up|touch base|lunch|"
    r"telefonat|besprechung|réunion|reunion|reunión|llamada|appel)\b"
    r"(?P<between>(?:\s+\S+){0,2}?)\s+(?:with|w/|mit|avec|con)\s*(?P<who>[^,;:()\[\]\-]+?)"
    r"(?=\s+(?:re|about|on|regarding|for|to|zu|zum|sur|sobre|para)\b|\s*[,;:()\[\]\-]|\s*$)",
    re.IGNORECASE)


# "edits per HR comments", "revisions per J. Hartmann's markup": whose comments the revision follows.
_REQUESTER = re.compile(
    r"\bper\s+(?P<who>(?:[\w.'’]+\s+){0,2}?[\w.'’]+?)(?:'s|’s)?\s+"
    r"(?=(?:comments|feedback|email|emails|notes|markup|markups|redlines|request|input)\b)", re.IGNORECASE)


def without_counterparts(text: str) -> str:
    """The note without the people a call or meeting was with ("call with HR director" -> "call") and whose
    comments a revision follows ("edits per HR comments" -> "edits per comments"): they say who, not which
    work, and must not make a vague note look specific."""
    text = _COUNTERPART.sub(lambda m: m.group(0)[: m.start("who") - m.start(0)].rstrip(), text)
    return _REQUESTER.sub("per ", text)
