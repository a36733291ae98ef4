"""The sentence-embedding view of the offline classifier: how close a note is in meaning to each SOW item (the
encoder itself is `semantic`). Deterministic: cosines are rounded (see below)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from billing_assets.core import semantic
from billing_assets.core.classifier_api import ClassifyRequest
from billing_assets.core.offline_items import ItemBags

SEMANTIC_WHOLE = 0.5  # share of the whole item text in the semantic score (the rest: its best phrase)


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


def item_phrases(name: str, description: str) -> list[str]:
    """The item's whole text first, then its name and each clause of its description."""
    clauses = [c.strip() for c in re.split(r"[;,.:()]|\band\b", description) if len(c.strip()) > 3]
    return [f"{name}. {description}", name, *clauses]
