"""The sentence-embedding view of the offline classifier: how close a note is in meaning to each SOW item and to
the client's reviewed notes (the encoder itself is `semantic`). Pure, deterministic up to the rounding below."""

from __future__ import annotations

import re
from collections.abc import Sequence

from billing_assets.core import semantic
from billing_assets.core.classifier_api import ClassifyRequest, LabeledExample
from billing_assets.core.offline_items import ItemBags

SEMANTIC_WHOLE = 0.5  # share of the whole item text in the semantic score (the rest: its best phrase)
SEMANTIC_KNN_OTHER = 0.9  # a reviewed note of another person counts at this share of its cosine


def semantic_scores(bags: ItemBags, texts: Sequence[str], requests: Sequence[ClassifyRequest], enabled: bool
                    ) -> list[list[float]]:
    """Per note: its sentence-embedding cosine with each SOW item: the best of the item's phrases (its name and
    each clause of its description) blended with the whole item text. All zeros for a note whose item is given,
    or when the view is not `enabled`."""
    zeros = [0.0] * len(bags.items)
    out = [list(zeros) for _ in requests]
    wanted = [j for j, r in enumerate(requests) if r.known_sow_item not in bags.ids]
    if not wanted or not enabled:
        return out
    phrases = [item_phrases(item.name, item.description) for item in bags.items]
    flat = [p for ps in phrases for p in ps]
    vectors = semantic.embed(flat)
    notes = semantic.embed([texts[j] for j in wanted])
    assert vectors is not None and notes is not None
    sims = notes @ vectors.T
    for row, j in enumerate(wanted):
        start = 0
        for i, ps in enumerate(phrases):
            block = sims[row, start:start + len(ps)]
            # rounded: the last float32 digits may differ between BLAS builds; the decision must not
            out[j][i] = round(float(SEMANTIC_WHOLE * block[0] + (1 - SEMANTIC_WHOLE) * block.max()), 3)
            start += len(ps)
    return out


def semantic_history_votes(ids: Sequence[str], texts: Sequence[str], requests: Sequence[ClassifyRequest],
                           history: Sequence[LabeledExample], enabled: bool) -> list[list[float]]:
    """Per note and item: the best sentence-embedding cosine of a reviewed note labelled with that item (a
    note of another person counts at SEMANTIC_KNN_OTHER of it). Zeros without history or when not `enabled`."""
    out = [[0.0] * len(ids) for _ in requests]
    index = {item: i for i, item in enumerate(ids)}
    labelled = [h for h in history if h.sow_item in index]
    wanted = [j for j, r in enumerate(requests) if r.known_sow_item not in index]
    if not labelled or not wanted or not enabled:
        return out
    past = semantic.embed([h.notes for h in labelled])
    notes = semantic.embed([texts[j] for j in wanted])
    assert past is not None and notes is not None
    sims = (notes @ past.T).tolist()
    for row, j in enumerate(wanted):
        person = requests[j].entry.person
        for sim, h in zip(sims[row], labelled, strict=True):
            i = index[h.sow_item]
            out[j][i] = max(out[j][i], round(sim * (1.0 if h.person == person else SEMANTIC_KNN_OTHER), 3))
    return out


def item_phrases(name: str, description: str) -> list[str]:
    """The item's whole text first, then its name and each clause of its description."""
    clauses = [c.strip() for c in re.split(r"[;,.:()]|\band\b", description) if len(c.strip()) > 3]
    return [f"{name}. {description}", name, *clauses]
