"""The classification cache and the firm's labelled history, kept in the warehouse."""

from __future__ import annotations

from collections.abc import Sequence

from billing_assets.core.classifier_api import LabeledExample
from billing_assets.core.classify import SuggestionCache
from billing_assets.core.model import Suggestion
from billing_assets.core.overrides import Override
from resources.warehouse import WarehouseConnection, query


class WarehouseSuggestionCache(SuggestionCache):
    """Classifier answers keyed by entry content, SOW version and classifier: an unchanged re-run asks nobody."""

    def __init__(self, conn: WarehouseConnection):
        self.conn = conn
        self.hits = 0

    def get_many(self, keys: Sequence[str]) -> dict[str, Suggestion]:
        if not keys:
            return {}
        with self.conn.staged("wanted_keys", ("cache_key",), [(k,) for k in keys]):
            rows = query(self.conn, "cache_lookup")
        self.hits += len(rows)
        return {r["cache_key"]: Suggestion(r["sow_item"], r["work_type"], r["confidence"], r["rationale"])
                for r in rows}

    def put_many(self, items: dict[str, Suggestion]) -> None:
        if not items:
            return
        rows = [(k, s.sow_item, s.work_type, s.confidence, s.rationale) for k, s in items.items()]
        with self.conn.staged("staged", ("cache_key", "sow_item", "work_type", "confidence", "rationale"), rows):
            self.conn.run("queries/cache_store.sql")


def labelled_history(conn: WarehouseConnection, overrides: dict[str, Override]) -> list[LabeledExample]:
    """The entries of approved invoices (as billed), then override rows that name a SOW item or work type,
    joined to their entries' text and month (later examples win among equally similar notes); each month's
    classification takes the part known for it (`client_context`)."""
    labelled = {k: o for k, o in overrides.items() if o.sow_item or o.work_type}
    approved = [LabeledExample(r["client"], r["notes"], r["person"], r["project"], r["task"], r["sow_item"],
                               r["work_type"], r["month"], approved=True)
                for r in query(conn, "approved_history") if r["entry_id"] not in labelled]
    if not labelled:
        return approved
    with conn.staged("override_ids", ("entry_id",), [(e,) for e in labelled]):
        rows = query(conn, "override_history")
    return approved + [LabeledExample(r["client"], r["notes"], r["person"], r["project"], r["task"],
                                      labelled[r["entry_id"]].sow_item or None,
                                      labelled[r["entry_id"]].work_type or None, r["month"])
                       for r in rows]
