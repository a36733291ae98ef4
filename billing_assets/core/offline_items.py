"""SOW items as the offline classifier scores them: feature bags, BM25-style lexical scores, typo correction,
informative words and the disciplines (kinds of work) an item is the home of.

Pure, deterministic, no I/O; used by `offline_classifier`.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from billing_assets.core.classifier_api import SowItemInfo
from billing_assets.core.offline_lexicon import DISCIPLINES
from billing_assets.core.offline_text import (
    BIGRAM_PREFIX,
    CONCEPT_PREFIX,
    TextFeatures,
    concepts_in,
    featurize,
    generic_stems,
    lexicon_stems,
)

# Weights of feature kinds when a note is scored against an item.
KIND_WEIGHT = {"stem": 1.0, "bigram": 1.0, "concept": 0.55}
NAME_BONUS = 1.5  # a word of an item's name counts this much more than a word of its description
BM25_K = 0.5
OFF_DISCIPLINE = 0.5  # lexical score factor of an item that is not the home of the note's kind of work
DISTINCTIVE_SHARE = 0.6  # a discipline counts when one item holds this share of its mentions
EXCLUSION_MARKERS = ("exclud", "out of scope", "not included", "not in scope", "written under", "see ",
                     "belongs to", "covered under", "handled under", "separate sow", "not part of")
SPREAD_NOTES = 3  # a SOW word used by this many notes of the month ...
SPREAD_ITEMS = 3  # ... whose other words point to this many items is context, not evidence (`context_stems`)
OWN_SHARE = 1 / 3  # ... when at most this share of them point to the item whose text has the word


@dataclass
class ItemBags:
    """Feature bags of the client's SOW items, with IDF over the items."""

    items: tuple[SowItemInfo, ...]
    bags: list[Counter[str]]
    idf: dict[str, float]
    names: list[frozenset[str]] = field(default_factory=list)
    vocab: frozenset[str] = field(default_factory=frozenset)
    dropped: frozenset[str] = frozenset()  # stems taken out as context (`context_stems`)

    @property
    def ids(self) -> list[str]:
        return [item.id for item in self.items]


def kind(feature: str) -> str:
    if feature.startswith(CONCEPT_PREFIX):
        return "concept"
    return "bigram" if feature.startswith(BIGRAM_PREFIX) else "stem"


def _clauses(description: str) -> list[str]:
    """Description split into sentences and semicolon clauses."""
    text = description.replace("; ", ". ").replace(" (see ", ". see ").replace("(see ", ". see ")
    return [c.strip() for c in text.split(". ") if c.strip()]


def _is_exclusion(clause: str) -> bool:
    low = " " + clause.lower()
    return any(marker in low for marker in EXCLUSION_MARKERS)


def _referenced_item(clause: str, items: Sequence[SowItemInfo], own: str) -> str | None:
    """The other item whose name an exclusion clause names ("written under Content and copywriting")."""
    low = clause.lower()
    best, best_len = None, 0
    for item in items:
        if item.id != own and item.name.lower() in low and len(item.name) > best_len:
            best, best_len = item.id, len(item.name)
    return best


def build_item_bags(items: Sequence[SowItemInfo], text: Callable[[str], str] = str) -> ItemBags:
    """Feature bags per item: name and description, without the description's exclusion clauses; `text` rewrites
    each before it is read (compound words followed by their parts)."""
    bags = {item.id: Counter[str]() for item in items}
    names = [frozenset(featurize(text(item.name)).counts) for item in items]
    for item in items:
        bags[item.id].update(featurize(text(item.name)).counts)
        positive: Counter[str] = Counter()
        excluded: list[tuple[Counter[str], str | None]] = []
        for clause in _clauses(item.description):
            feats = featurize(text(clause)).counts
            if _is_exclusion(clause):
                excluded.append((feats, _referenced_item(clause, items, item.id)))
            else:
                positive.update(feats)
        bags[item.id].update(positive)
        for feats, target in excluded:
            if target is not None:
                name_feats = featurize(next(i.name for i in items if i.id == target)).counts
                for feat, n in feats.items():
                    if feat not in name_feats:
                        bags[target][feat] += 0.5 * n
    return _with_idf(tuple(items), [bags[item.id] for item in items], names)


def _with_idf(items: tuple[SowItemInfo, ...], ordered: list[Counter[str]], names: list[frozenset[str]],
              dropped: frozenset[str] = frozenset()) -> ItemBags:
    n_items = len(ordered)
    df: Counter[str] = Counter()
    for bag in ordered:
        df.update(bag.keys())
    idf = {f: math.log(1.0 + (n_items - d + 0.5) / (d + 0.5)) for f, d in df.items()}
    vocab = frozenset(f for f in df if kind(f) == "stem")
    return ItemBags(items=items, bags=ordered, idf=idf, names=names, vocab=vocab, dropped=dropped)


def _has_stem(feature: str, stems: frozenset[str]) -> bool:
    if feature.startswith(BIGRAM_PREFIX):
        return any(part in stems for part in feature[len(BIGRAM_PREFIX):].split("_"))
    return feature in stems


def context_stems(queries: Sequence[Counter[str]], bags: ItemBags) -> frozenset[str]:
    """SOW words that the notes use across work streams: a hotel, site or product that one item's description names
    ("the four hotels (Linz, Salzburg, Innsbruck, Graz)") is where every kind of work happens, not which item it is.
    A word of one item's description (not its name) is context when at least SPREAD_NOTES notes use it and, read
    without it, those notes point to at least SPREAD_ITEMS different items, that item for at most OWN_SHARE of
    them."""
    out = set()
    for word in bags.vocab:
        own = [i for i, bag in enumerate(bags.bags) if word in bag]
        holders = [q for q in queries if word in q]
        if len(own) != 1 or word in bags.names[own[0]] or len(holders) < SPREAD_NOTES:
            continue
        homes = []
        alone = frozenset((word,))
        for query in holders:
            rest = Counter({f: w for f, w in query.items() if not _has_stem(f, alone)})
            scores = lexical_scores(rest, bags)
            if max(scores) > 0:
                homes.append(max(range(len(scores)), key=scores.__getitem__))
        if len(set(homes)) >= SPREAD_ITEMS and homes.count(own[0]) <= OWN_SHARE * len(homes):
            out.add(word)
    return frozenset(out)


def without_stems(bags: ItemBags, stems: frozenset[str]) -> ItemBags:
    """The bags with these stems (and bigrams of them) taken out, IDF recomputed."""
    if not stems:
        return bags
    ordered = [Counter({f: n for f, n in bag.items() if not _has_stem(f, stems)}) for bag in bags.bags]
    names = [frozenset(f for f in name if not _has_stem(f, stems)) for name in bags.names]
    return _with_idf(bags.items, ordered, names, bags.dropped | stems)


def _edit1(a: str, b: str) -> bool:
    """True when a and b differ by one insertion, deletion, substitution or adjacent swap."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _inflected(s: str, vocab: frozenset[str]) -> list[str]:
    """The SOW stems that share the longest start with `s`, at least five letters and all but the last three of
    the shorter word: the same word in another case or number ("Anforderungen" / "Anforderung", "wynagrodzeń" /
    "wynagrodzenia", "certificaciones" / "certificación")."""
    best, found = 0, []
    for v in vocab:
        cp = len(os.path.commonprefix((s, v)))
        if cp >= 5 and cp >= min(len(s), len(v)) - 3:
            if cp > best:
                best, found = cp, [v]
            elif cp == best:
                found.append(v)
    return found


def correct_typos(features: TextFeatures, vocab: frozenset[str], inflected: bool = False) -> Counter[str]:
    """Note features with unknown long stems replaced by the one SOW stem one edit away (typos such as
    "subscrption"), with the concepts of the corrected word; with `inflected` (an SOW not in English, whose words
    the English stemmer does not join), else by the one SOW stem that differs only in its ending."""
    counts = Counter(features.counts)
    for s in set(features.content):
        if s in vocab or s in lexicon_stems() or len(s) < 6:
            continue
        near = sorted(v for v in vocab if _edit1(s, v))
        if not near and inflected:
            near = _inflected(s, vocab)
        if len(near) == 1:
            counts[near[0]] += counts.pop(s)
            for concept in concepts_in([near[0]]):
                counts[concept] = max(counts[concept], 1.0)
    return counts


def lexical_scores(query: Counter[str], bags: ItemBags) -> list[float]:
    """BM25-style score of a note's features against each item's bag."""
    return [sum(contribution(bags, i, feat, weight) for feat, weight in query.items())
            for i in range(len(bags.bags))]


def contribution(bags: ItemBags, i: int, feat: str, weight: float) -> float:
    """One query feature's share of an item's score."""
    tf = bags.bags[i].get(feat, 0.0)
    if tf <= 0:
        return 0.0
    bonus = NAME_BONUS if feat in bags.names[i] else 1.0
    return weight * KIND_WEIGHT[kind(feat)] * bags.idf[feat] * bonus * tf * (BM25_K + 1) / (tf + BM25_K)


def informative_words(features: TextFeatures, bags: ItemBags) -> list[str]:
    """Specific evidence in a note: content stems that are not generic and that some item's text (or a
    concept of it) shares, plus the kinds of work (disciplines) the note names that some item covers."""
    generic = generic_stems()
    out = []
    for s in features.content:
        if s in generic:
            continue
        if s in bags.idf or any(c in bags.idf for c in featurize(s).counts if kind(c) == "concept"):
            out.append(s)
    for feat in features.counts:
        if (feat.startswith(CONCEPT_PREFIX) and feat[len(CONCEPT_PREFIX):] in DISCIPLINES
                and feat in bags.idf and feat not in out):
            out.append(feat)
    return out


def concept_home(bags: ItemBags, concept: str) -> list[float]:
    """How much each item is the home of a concept: its share of the concept's mentions, scaled so the
    main item gets 1 (a single "for developer handoff" does not make a design item a development one)."""
    mentions = [bag.get(concept, 0.0) for bag in bags.bags]
    top = max(mentions)
    return [m / top if top > 0 else 0.0 for m in mentions]


def distinctive(bags: ItemBags, concept: str) -> bool:
    """A concept most of whose mentions are in one item (not the whole engagement's field, such as
    "architecture" in every item of an architect's SOW)."""
    mentions = [bag.get(concept, 0.0) for bag in bags.bags]
    total = sum(mentions)
    return total > 0 and max(mentions) / total >= DISTINCTIVE_SHARE


def _disciplines(query: Counter[str], bags: ItemBags) -> list[str]:
    """The note's distinctive discipline concepts."""
    return [f for f in query if f.startswith(CONCEPT_PREFIX) and f[len(CONCEPT_PREFIX):] in DISCIPLINES
            and distinctive(bags, f)]


def discipline_boost(query: Counter[str], bags: ItemBags) -> list[float]:
    """Per item: how much it is the home of the disciplines (kinds of work) the note names."""
    boost = [0.0] * len(bags.bags)
    for feat in _disciplines(query, bags):
        for i, share in enumerate(concept_home(bags, feat)):
            boost[i] += min(query[feat], 1.0) * share
    return boost


def discipline_fit(query: Counter[str], bags: ItemBags) -> list[float]:
    """Per item: 1, or OFF_DISCIPLINE when the note names a kind of work that another item is the home of
    and this item is not ("embed", "lazy-load" on a page: the page is built, not designed)."""
    homes = [concept_home(bags, f) for f in _disciplines(query, bags)]
    if not homes:
        return [1.0] * len(bags.bags)
    return [1.0 if max(h[i] for h in homes) >= 0.5 else OFF_DISCIPLINE for i in range(len(bags.bags))]
