"""The offline classifier: SOW item and work type from the note, the SOW text, the month and the history.

Pure Python, deterministic, no I/O. For one client-month it
1. builds a bag of features per SOW item from its name and description (stems, bigrams and lexicon
   concepts; exclusion clauses such as "ad copy is excluded (see Paid social)" give their words to the item
   they point at instead);
2. scores each note against the items, BM25-style with IDF over the items, typos corrected, and damps items
   that are not the home of the kind of work the note names (a page that is "embedded" is built, not
   designed) (`offline_items`); adds a soft match of the note's words to the items' words by character
   n-grams, for inflections, compounds and typos the stems miss (`offline_ngrams`); and a sentence-embedding
   closeness in meaning to each item (`offline_semantic`, all-MiniLM-L6-v2 when installed);
3. adds context: the kinds of work that recur in the person's notes (their role), the items of the
   person's other entries this month, and votes of similar notes in the client's approved history;
4. reads rush from cue phrases (deadline within hours, schedule moved up, production incident, ...);
5. turns the posterior, a skeptical posterior that trusts the person's other work more, the note's
   specificity, history agreement and the rush evidence into a probability of being right with the
   logistic calibration of `calibration.py` (fitted on other clients), and a rationale for reviewers that
   names the two closest SOW items with their scores.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from billing_assets.core import calibration as cal
from billing_assets.core import semantic
from billing_assets.core.classifier_api import (
    ClassifierUsage,
    ClassifyRequest,
    ClientContext,
    LabeledExample,
)
from billing_assets.core.model import RUSH, STANDARD, Suggestion
from billing_assets.core.offline_acronyms import expansion_table
from billing_assets.core.offline_compounds import compound_splitter, sow_language
from billing_assets.core.offline_items import (
    ItemBags,
    build_item_bags,
    concept_home,
    context_stems,
    contribution,
    correct_typos,
    discipline_boost,
    discipline_fit,
    distinctive,
    informative_words,
    kind,
    lexical_scores,
    without_stems,
)
from billing_assets.core.offline_ngrams import ItemWords, item_words, soft_informative, soft_scores
from billing_assets.core.offline_rush import RushAssessment, assess_rush, schedule_clause, storytellers
from billing_assets.core.offline_semantic import semantic_scores
from billing_assets.core.offline_text import TextFeatures, featurize, without_counterparts

CACHE_ID = "offline-v17"
REPEAT_HABIT = 2  # reviewed occurrences after which a vague note of the same writer follows its review

CHAR_WEIGHT = 0.5  # logit per unit of character-n-gram soft match (offline_ngrams)
SEMANTIC_WEIGHT = 5.0  # logit per unit of sentence-embedding cosine above the item mean (semantic)
TEMPERATURE = 1.0  # lexical score -> logit
PERSON_WEIGHT = 0.5  # log person prior -> logit
PERSON_ALPHA = 2.0  # smoothing of the person prior (pseudo-entries spread over all items)
PERSON_DAYS = 4.0  # time scale of "nearby" entries of the same person
HISTORY_PERSON_WEIGHT = 1.0  # a history label of the person counts like one entry of the month
ROLE_WEIGHT = 1.0  # logit bonus per unit of match between a person's recurring work words and an item
DISCIPLINE_WEIGHT = 1.0  # logit bonus for the item that is the main home of a discipline the note names
ROLE_MIN_SHARE = 0.34  # a feature is part of a person's role when this share of their notes has it
ROLE_MIN_NOTES = 3
ROLE_DAYS = 10.0  # time scale of the role window
HISTORY_ROLE_WEIGHT = 0.3  # a history note of the person counts this much in their role
HISTORY_VOTE = 6.0  # logit bonus per unit of squared similarity of history neighbours with an item
HISTORY_MIN_SIM = 0.35
HISTORY_K = 3
KNN_WEIGHT = 12.0  # logit bonus per unit of character-trigram similarity (above KNN_FLOOR) to a reviewed note
KNN_FLOOR = 0.3
UNKNOWN_WORD_IDF = 2.0
SKEPTIC_PERSON_WEIGHT = 1.0  # person prior weight of the skeptical posterior used for confidence
CALIBRATION_POWER = 0.63  # posterior -> confidence: on classify_dev a posterior of 0.7 was right ~95%
HISTORY_TWIN = 0.8  # similarity from which a history note counts as the same note
HISTORY_TWIN_CONFIDENCE = 0.9  # confidence floor when such a twin agrees with the choice
EXPANSION_WEIGHT = 0.5  # weight of the features an initialism's or shorthand's spelled-out words bring


def _one_token_weight(feats: TextFeatures, notes: str, expanded: str) -> TextFeatures:
    """`feats` of the note with its initialisms and shorthand spelled out through the SOW ("CI" -> "CBP inquiries",
    "rec" -> "reconciliation"), where the features only the spelled-out words brought weigh EXPANSION_WEIGHT: the
    note wrote one token, and its words and their bigram must not outweigh the rest of the note ("7501 prep, CI vs PL
    qty mismatch" is entry preparation, with CI a commercial invoice). A one-word shorthand is halved too (measured
    so; bench/RESULTS.md, eleventh session). The character n-gram and embedding views still read the spelled-out
    text."""
    if expanded == notes:
        return feats
    written = featurize(notes, positional=True, context=schedule_clause).counts
    for feature in feats.counts:
        if feature not in written:
            feats.counts[feature] *= EXPANSION_WEIGHT
    return feats


def softmax(logits: Sequence[float]) -> list[float]:
    top = max(logits)
    exps = [math.exp(x - top) for x in logits]
    total = sum(exps)
    return [e / total for e in exps]


def _stem_weights(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    """IDF weights of a note's stems (words the SOW does not use weigh as rare words: names, places)."""
    return {f: idf.get(f, UNKNOWN_WORD_IDF) for f in counts if kind(f) == "stem"}


@dataclass
class HistoryMatch:
    """The most similar history notes of one entry, best first."""

    neighbours: tuple[tuple[float, LabeledExample], ...] = ()

    @property
    def similarity(self) -> float:
        return self.neighbours[0][0] if self.neighbours else 0.0

    @property
    def sow_item(self) -> str | None:
        return self.neighbours[0][1].sow_item if self.neighbours else None

    @property
    def notes(self) -> str:
        return self.neighbours[0][1].notes if self.neighbours else ""

    def votes(self, ids: Sequence[str]) -> list[float]:
        """Per item: the summed squared similarity of the neighbours labelled with it."""
        out = [0.0] * len(ids)
        for sim, example in self.neighbours:
            if example.sow_item in ids:
                out[ids.index(example.sow_item)] += sim * sim
        return out


def history_matches(queries: Sequence[Counter[str]], history: Sequence[LabeledExample],
                    bags: ItemBags, read: Callable[[str], Counter[str]]) -> list[HistoryMatch]:
    """For each note, its nearest same-client history notes (similarity >= HISTORY_MIN_SIM, at most
    HISTORY_K; among equals the later history note first, so the latest correction wins). `read` turns a history
    note into features as the queries were (compounds split, initialisms spelled out, typos corrected), so a note
    written again reads the same."""
    weights = [_stem_weights(read(h.notes), bags.idf) for h in history]
    norms = [math.sqrt(sum(w * w for w in ws.values())) for ws in weights]
    index: dict[str, list[int]] = defaultdict(list)
    for n, ws in enumerate(weights):
        for f in ws:
            index[f].append(n)
    out = []
    for query in queries:
        q = _stem_weights(query, bags.idf)
        q_norm = math.sqrt(sum(w * w for w in q.values()))
        dots: dict[int, float] = defaultdict(float)
        for f, w in q.items():
            for n in index.get(f, ()):
                dots[n] += w * weights[n][f]
        scored = [(dot / (q_norm * norms[n]), n) for n, dot in dots.items() if q_norm and norms[n]]
        scored = [t for t in scored if t[0] >= HISTORY_MIN_SIM]
        scored.sort(key=lambda t: (-t[0], -t[1]))
        out.append(HistoryMatch(tuple((sim, history[n]) for sim, n in scored[:HISTORY_K])))
    return out


def _smoothed(weights: Sequence[float], alpha: float) -> list[float]:
    total = sum(weights)
    n = len(weights)
    return [(w + alpha / n) / (total + alpha) for w in weights]


def person_priors(requests: Sequence[ClassifyRequest], posteriors: Sequence[list[float]], ids: list[str],
                  history: Sequence[LabeledExample]) -> list[list[float]]:
    """Per entry: the item mix of the same person's other entries (nearer dates weigh more) and history.

    Another entry with the same note (and no item given by a project code) does not count: its posterior is this
    note's own reading, not separate evidence of what the person works on, and counting it would let a note
    written four times vouch for itself four times."""
    n = len(ids)
    index = {item_id: i for i, item_id in enumerate(ids)}
    past: dict[str, list[float]] = defaultdict(lambda: [0.0] * n)
    for example in history:
        if example.sow_item in index:
            past[example.person][index[example.sow_item]] += HISTORY_PERSON_WEIGHT
    same = _by_person(requests)
    echoes = _echoes(requests, ids)
    out = []
    for j, req in enumerate(requests):
        weights = list(past[req.entry.person]) if req.entry.person in past else [0.0] * n
        for k in same[req.entry.person]:
            if k != j and not echoes(j, k):
                days = abs((requests[k].entry.date - req.entry.date).days)
                closeness = 1.0 + math.exp(-days / PERSON_DAYS)
                for i in range(n):
                    weights[i] += posteriors[k][i] * closeness
        out.append(_smoothed(weights, alpha=PERSON_ALPHA))
    return out


@dataclass(frozen=True)
class ReviewedRepeat:
    """What a person gave every reviewed occurrence of one note of one writer."""

    sow_item: str
    work_type: str
    times: int  # reviewed occurrences

    def vouches(self, vague: bool) -> bool:
        """A specific note follows one review; a vague one ("call w/ Dana") only a habit of two or more, since
        one call with Dana says little about the next."""
        return self.times >= (REPEAT_HABIT if vague else 1)


def reviewed_repeats(history: Sequence[LabeledExample], context: ClientContext
                     ) -> dict[tuple[str, str], ReviewedRepeat]:
    """(person, repeat_key) -> the SOW item and work type a person gave every reviewed occurrence of that note by
    that writer, for notes of at least two words whose reviews all agree and name an item and a work type of the
    contract. A one-word note ("emails") stays a reviewer's call each month."""
    seen: dict[tuple[str, str], list[tuple[str | None, str | None]]] = defaultdict(list)
    for h in history:
        key = repeat_key(h.notes)
        if sum(any(c.isalpha() for c in word) for word in key.split()) >= 2:
            seen[(h.person, key)].append((h.sow_item, h.work_type))
    items = {item.id for item in context.sow_items}
    out = {}
    for k, labels in seen.items():
        item, work_type = labels[0]
        if set(labels) == {(item, work_type)} and item in items and work_type in context.work_types:
            out[k] = ReviewedRepeat(item, work_type, len(labels))
    return out


def repeat_key(notes: str) -> str:
    """A note as a reviewed repeat is recognised: `note_key` with every number as 0 ("weekly status 10/14" is
    "weekly status 10/21": 25 of 25 such October notes of the labelled sets carry their September label)."""
    return cal.NUMBER.sub("0", note_key(notes))


def note_key(notes: str) -> str:
    """A note as a repeat is recognised: case, punctuation and spacing aside."""
    return " ".join("".join(c if c.isalnum() else " " for c in notes.casefold()).split())


def _echoes(requests: Sequence[ClassifyRequest], ids: Sequence[str]) -> Callable[[int, int], bool]:
    """(j, k) -> entry k repeats entry j's note and has no item of its own (no project code decided it)."""
    keys = [note_key(r.entry.notes) for r in requests]
    given = [r.known_sow_item in ids for r in requests]
    return lambda j, k: keys[j] == keys[k] and bool(keys[j]) and not given[k]


def _by_person(requests: Sequence[ClassifyRequest]) -> dict[str, list[int]]:
    """Person -> indexes of their requests."""
    out: dict[str, list[int]] = defaultdict(list)
    for k, req in enumerate(requests):
        out[req.entry.person].append(k)
    return out


def _concepts_of(req: ClassifyRequest, f: TextFeatures) -> set[str]:
    task = featurize(req.entry.task).counts if req.entry.task else Counter()
    return {k for k in (*f.counts, *task) if kind(k) == "concept"}


def role_boosts(requests: Sequence[ClassifyRequest], feats: Sequence[TextFeatures], bags: ItemBags,
                history: Sequence[LabeledExample], read: Callable[[str], Counter[str]]) -> list[list[float]]:
    """Per entry: a per-item bonus from the concepts that recur across the person's nearby notes (`read`: a
    history note's features, its compounds and initialisms spelled out as the month's notes were).

    A copywriter's notes keep saying "copy", "headline", "words" whatever page or product they are about;
    a developer's say "build", "theme", "bug". The recurring concepts stand for the person's role (which
    the contract's people map would give, but the classifier does not see it). Notes are weighted by
    closeness in time, so a consultant moving from interviews to design is not held to the old phase.
    """
    concepts = [_concepts_of(r, f) for r, f in zip(requests, feats, strict=True)]
    hist: dict[str, list[set[str]]] = defaultdict(list)
    for example in history:
        hist[example.person].append({k for k in read(example.notes) if kind(k) == "concept"})
    same = _by_person(requests)
    echoes = _echoes(requests, bags.ids)
    out = []
    for j, req in enumerate(requests):
        share: Counter[str] = Counter()
        total = 0.0
        notes = 0
        for k in same[req.entry.person]:
            if k != j and echoes(j, k):  # a repeat of this note says nothing more about the person's role
                continue
            w = math.exp(-abs((requests[k].entry.date - req.entry.date).days) / ROLE_DAYS)
            total += w
            notes += 1
            share.update({c: w for c in concepts[k]})
        for past in hist.get(req.entry.person, ()):
            total += HISTORY_ROLE_WEIGHT
            share.update({c: HISTORY_ROLE_WEIGHT for c in past})
        boost = [0.0] * len(bags.bags)
        notes += len(hist[req.entry.person])
        if notes >= ROLE_MIN_NOTES and total > 0:
            for concept, weight in share.items():
                frac = weight / total
                if frac >= ROLE_MIN_SHARE and distinctive(bags, concept):
                    home = concept_home(bags, concept)
                    for i in range(len(boost)):
                        boost[i] += frac * home[i]
        out.append(boost)
    return out


def _known_posterior(req: ClassifyRequest, ids: list[str]) -> list[float] | None:
    if req.known_sow_item in ids:
        return [1.0 if i == req.known_sow_item else 0.0 for i in ids]
    return None


@dataclass
class SowEvidence:
    """What the SOW decision for one entry rests on."""

    ids: list[str]
    post: list[float]  # final posterior over items
    base: list[float]  # logits before the person prior
    lexical: list[float]  # note-vs-item scores alone
    soft: list[float]  # character-n-gram soft match per item
    semantic: list[float]  # sentence-embedding cosine with each item minus their mean (zeros without the view)
    person: list[float]  # prior from the person's other entries
    informative: int  # specific note words that some item shares
    words: int  # content words of the note
    match: HistoryMatch

    @property
    def top(self) -> int:
        return max(range(len(self.post)), key=self.post.__getitem__)

    def skeptical(self, person_weight: float) -> float:
        """Posterior of the chosen item when the person's other work counts more."""
        post = softmax([b + person_weight * math.log(p) for b, p in zip(self.base, self.person, strict=True)])
        return post[self.top]

    @property
    def item_id(self) -> str:
        return self.ids[self.top]



def _centred(values: Sequence[float]) -> list[float]:
    mean = sum(values) / len(values) if values else 0.0
    return [v - mean for v in values]


def _informative(text: str, bags: ItemBags, words: ItemWords) -> int:
    """Specific words of a note that the SOW shares (exactly or closely), not counting whom a call or meeting
    was with."""
    core = without_counterparts(text)
    return max(len(informative_words(featurize(core, positional=True, context=schedule_clause), bags)),
               soft_informative(core, words))


@dataclass
class SowDecision:
    """The chosen item, its confidence and the evidence shown to a reviewer."""

    sow_item: str | None
    confidence: float
    rationale: str


def sow_confidence(ev: SowEvidence) -> float:
    """Calibrated probability that the chosen item is right.

    The lower of the posterior and a skeptical posterior in which the person's other work this month
    counts more: a choice that only the note's object words support, against what the person otherwise
    does, goes to review. A vague note (no specific word that the SOW shares) stays below the review
    threshold whatever the history; a near-duplicate approved note lifts a specific one.
    """
    conf = min(ev.post[ev.top], ev.skeptical(SKEPTIC_PERSON_WEIGHT)) ** CALIBRATION_POWER
    if ev.informative == 0:
        return min(conf, cal.VAGUE_CAP)
    if ev.match.similarity >= HISTORY_TWIN and ev.match.sow_item is not None:
        conf = max(conf, HISTORY_TWIN_CONFIDENCE) if ev.match.sow_item == ev.item_id else min(conf, 0.5)
    return max(0.01, min(0.99, conf))


def _evidence(query: Counter[str], feats: TextFeatures, bags: ItemBags, item_index: int,
              limit: int = 4) -> list[str]:
    """The note's words that contributed most to an item's score, as the note wrote them."""
    contrib = [(contribution(bags, item_index, f, w), f) for f, w in query.items()]
    contrib.sort(key=lambda t: (-t[0], t[1]))
    words: list[str] = []
    for score, f in contrib:
        text = feats.readable(f)
        if score > 0 and text not in words and len(words) < limit:
            words.append(text)
    return words


class OfflineClassifier:
    """Lexical + contextual classifier with calibrated confidence; see the module docstring."""

    def __init__(self, calibrator: cal.Calibrator | None = None) -> None:
        self.semantic = semantic.available()  # the sentence-embedding view, fixed for this classifier's life
        self.calibrator = calibrator or cal.shipped(self.semantic)
        self.last_evidence: list[SowEvidence | None] = []  # per request of the last call (benches, tests)
        self.last_features: list[cal.Evidence | None] = []  # calibration inputs per request of the last call

    @property
    def cache_id(self) -> str:
        digest = hashlib.sha256(self.calibrator.to_json().encode()).hexdigest()[:8]
        view = "" if self.semantic else "-nosemantic"
        return f"{CACHE_ID}-{digest}{view}"

    @property
    def review_floor(self) -> float:
        """The review threshold chosen from the calibration: below it the classifier abstains."""
        return self.calibrator.cutoff

    def classify(self, context: ClientContext, requests: Sequence[ClassifyRequest]
                 ) -> tuple[list[Suggestion], ClassifierUsage]:
        self.last_evidence = []
        self.last_features = []
        if not requests:
            return [], ClassifierUsage()
        history = tuple(h for h in context.history if h.client == context.client)
        sow_texts = [f"{item.name}. {item.description}" for item in context.sow_items]
        language = sow_language(sow_texts)
        splitter = compound_splitter(sow_texts, [*(r.entry.notes for r in requests), *(h.notes for h in history)],
                                     language)
        split = splitter.expand if splitter else str
        bags = build_item_bags(context.sow_items, split)
        expansions = expansion_table(sow_texts)
        written = [split(r.entry.notes) for r in requests]
        texts = [expansions.expand(w) for w in written]
        feats = [_one_token_weight(featurize(t, positional=True, context=schedule_clause), w, t)
                 for w, t in zip(written, texts, strict=True)]
        inflected = language != "en"  # the English stemmer does not join other languages' endings
        vocab = bags.vocab

        # A reviewed note is read as the month's notes are (compounds split, initialisms spelled out), once:
        # `spelled`, as `feats` for the person's recurring concepts; `read`, with typos corrected as `queries`, for
        # the nearest reviewed notes. A note written again then reads the same.
        reviewed_feats = {h.notes: featurize(expansions.expand(split(h.notes))) for h in history}

        def spelled(note: str) -> Counter[str]:
            return reviewed_feats[note].counts

        def read(note: str) -> Counter[str]:
            return correct_typos(reviewed_feats[note], vocab, inflected=inflected)

        queries = [correct_typos(f, vocab, inflected=inflected) for f in feats]
        bags = without_stems(bags, context_stems(queries, bags))
        matches = history_matches(queries, history, bags, read)
        reviewed = cal.prepare_history(history)
        if context.sow_items:
            sow: list[SowDecision | None] = list(self._sow_decisions(bags, requests, texts, history, reviewed,
                                                                     feats, queries, matches, spelled))
        else:
            sow = [None] * len(requests)
        evidence = self.last_evidence or [None] * len(requests)
        habit = storytellers(history)
        repeats = reviewed_repeats(history, context)
        out = []
        for req, decision, match, ev in zip(requests, sow, matches, evidence, strict=True):
            twin = match.neighbours[0][1] if match.similarity >= HISTORY_TWIN else None
            repeat = repeats.get((req.entry.person, repeat_key(req.entry.notes)))
            out.append(self._suggest(context, req, decision, twin, ev, reviewed, req.entry.person in habit, repeat))
        return out, ClassifierUsage()

    def _sow_decisions(self, bags: ItemBags, requests: Sequence[ClassifyRequest], texts: Sequence[str],
                       history: Sequence[LabeledExample], reviewed: Sequence[cal.ReviewedNote],
                       feats: Sequence[TextFeatures], queries: Sequence[Counter[str]],
                       matches: Sequence[HistoryMatch], spelled: Callable[[str], Counter[str]]
                       ) -> list[SowDecision]:
        ids = bags.ids
        lexical = [[s * f for s, f in zip(lexical_scores(q, bags), discipline_fit(q, bags), strict=True)]
                   for q in queries]
        roles = role_boosts(requests, feats, bags, history, spelled)
        disc = [discipline_boost(q, bags) for q in queries]
        votes = [m.votes(ids) for m in matches]
        knn = [cal.knn_votes(r.entry.notes, r.entry.person, ids, reviewed) for r in requests]
        words = item_words([f"{item.name} {item.description}" for item in bags.items], drop=bags.dropped)
        soft = [soft_scores(t, words) for t in texts]
        sem = [_centred(s) for s in semantic_scores(bags, texts, requests, self.semantic)]
        base = [[TEMPERATURE * lexical[j][i] + CHAR_WEIGHT * soft[j][i] + ROLE_WEIGHT * roles[j][i]
                 + DISCIPLINE_WEIGHT * disc[j][i] + SEMANTIC_WEIGHT * sem[j][i]
                 + HISTORY_VOTE * votes[j][i] + KNN_WEIGHT * max(0.0, knn[j][i] - KNN_FLOOR)
                 for i in range(len(ids))] for j in range(len(requests))]
        known = [_known_posterior(r, ids) for r in requests]
        first = [k or softmax(b) for k, b in zip(known, base, strict=True)]
        person = person_priors(requests, first, ids, history)
        out = []
        for j, req in enumerate(requests):
            if known[j] is not None:
                self.last_evidence.append(None)
                out.append(SowDecision(req.known_sow_item, 1.0, f"{req.known_sow_item} given"))
                continue
            post = softmax([base[j][i] + PERSON_WEIGHT * math.log(person[j][i]) for i in range(len(ids))])
            ev = SowEvidence(ids=ids, post=post, base=base[j], lexical=lexical[j], soft=soft[j], semantic=sem[j],
                             person=person[j],
                             informative=_informative(texts[j], bags, words),
                             words=sum(kind(f) == "stem" for f in feats[j].counts), match=matches[j])
            self.last_evidence.append(ev)
            out.append(SowDecision(ids[ev.top], sow_confidence(ev),
                                   self._why(bags, queries[j], feats[j], ev)))
        return out

    @staticmethod
    def _why(bags: ItemBags, query: Counter[str], feats: TextFeatures, ev: SowEvidence) -> str:
        top, match, person = ev.top, ev.match, ev.person
        item = bags.items[top]
        parts = []
        words = _evidence(query, feats, bags, top)
        if words:
            parts.append(f"{item.id} '{item.name}': matched {', '.join(words)}")
        else:
            parts.append(f"{item.id} '{item.name}': no SOW words matched")
        if match.similarity >= 0.5 and match.sow_item == item.id:
            parts.append(f"similar approved note \"{match.notes[:60]}\" ({match.similarity:.2f})")
        usual = max(range(len(person)), key=person.__getitem__)
        if person[usual] >= 0.4:
            parts.append(f"person's other work this month is mostly {bags.items[usual].id}")
        if ev.informative == 0:
            parts.append("vague for this SOW: only general words match" if words else "vague for this SOW")
        return "; ".join(parts)

    def _suggest(self, context: ClientContext, req: ClassifyRequest, decision: SowDecision | None,
                 twin: LabeledExample | None, ev: SowEvidence | None, reviewed: Sequence[cal.ReviewedNote],
                 storyteller: bool = False, repeat: ReviewedRepeat | None = None) -> Suggestion:
        confs: list[float] = []
        reasons: list[str] = []
        sow_item = None
        if req.need_sow_item and decision is not None:
            sow_item = decision.sow_item
            confs.append(decision.confidence)
            reasons.append(decision.rationale)
        elif req.need_sow_item:
            confs.append(0.0)
            reasons.append("no SOW items")
        work_type = None
        if req.need_work_type:
            rush: RushAssessment = assess_rush(req.entry.notes, twin, storyteller)
            allowed = set(context.work_types)
            work_type = RUSH if rush.is_rush and RUSH in allowed else STANDARD
            confs.append(rush.confidence)
            reasons.append(rush.rationale)
        confidence = round(min(confs), 4) if confs else 1.0
        calibrated = None
        if ev is not None and req.need_sow_item:
            rush_conf = rush.confidence if req.need_work_type else 0.99
            cue_conf = rush.cue_confidence if req.need_work_type else 0.99
            knn = cal.history_features(req.entry.notes, req.entry.person, ev.item_id, reviewed)
            calibrated = cal.Evidence(ev.post, ev.skeptical(SKEPTIC_PERSON_WEIGHT), ev.informative,
                                      ev.match.similarity, ev.match.sow_item == ev.item_id, rush_conf, ev.lexical,
                                      ev.person, knn, bool(reviewed), ev.soft, ev.semantic,
                                      ev.words, cue_conf)
            confidence = round(self.calibrator.confidence(calibrated), 4)
            reasons.append(cal.closest_text(ev.ids, ev.post))
        # A reviewed repeat takes the reviewer's item. Its work type must read as the reviewer's: a rush the note's
        # own words do not carry (a weekend, a deadline of that month) is confirmed by a person each time.
        if (repeat is not None and ev is not None and calibrated is not None and repeat.vouches(ev.informative == 0)
                and (not req.need_work_type
                     or (work_type == repeat.work_type and rush.confidence >= cal.UNSURE_WORK_TYPE))):
            sow_item = repeat.sow_item
            calibrated = dataclasses.replace(calibrated, reviewed_repeat=True)
            confidence = round(self.calibrator.confidence(calibrated), 4)
            reasons.insert(0, f"{req.entry.person} wrote this note before and a reviewer put it on {repeat.sow_item} "
                              f"({repeat.work_type})")
        self.last_features.append(calibrated)
        return Suggestion(sow_item=sow_item, work_type=work_type, confidence=confidence,
                          rationale=" | ".join(r for r in reasons if r))
