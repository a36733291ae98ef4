"""Entries a close classified otherwise than the close before it, with no reviewer's decision on them.

The classifier learns from reviews: after a reviewer decides some entries, the next close of the month classifies
the others with what that taught, and an entry billed before may be held now, or one held before billed (found
by an auditor: five entries reviewed, eight others held again, and the draft fell by 4,556.00 with no word). The
close names them, so that no draft changes silently. A sent month keeps what it billed (core.classify `sent`)."""

from __future__ import annotations

from typing import NamedTuple

from resources.warehouse import Warehouse, rows_by_partition

SHOWN = 3  # entry ids named in a message


class State(NamedTuple):
    held: bool
    sow_item: str | None
    work_type: str


Snapshot = dict[tuple[str, str], dict[str, State]]


def classified_states(warehouse: Warehouse, pairs: list[tuple[str, str]]) -> Snapshot:
    """Each entry's last classification (not a reviewer's), per client-month, as the warehouse holds it now."""
    if not warehouse.exists() or not pairs:
        return {}
    with warehouse.connect() as conn:
        found = rows_by_partition(conn, "classified_states", pairs)
    return {pair: {r["entry_id"]: State(bool(r["held"]), r["sow_item"], r["work_type"]) for r in rows}
            for pair, rows in found.items()}


def reclassified(before: Snapshot, after: Snapshot) -> list[str]:
    """One line per client-month whose entries, present in both snapshots, changed: held now, billed now, or
    billed under another SOW item or work type."""
    out = []
    for (client, month), now in sorted(after.items()):
        then = before.get((client, month), {})
        both = sorted(set(now) & set(then))
        held = [e for e in both if now[e].held and not then[e].held]
        billed = [e for e in both if then[e].held and not now[e].held]
        moved = [e for e in both if not now[e].held and not then[e].held
                 and (now[e].sow_item, now[e].work_type) != (then[e].sow_item, then[e].work_type)]
        parts = [f"{len(ids)} {what} ({_some(ids)})" for ids, what in (
            (held, "billed at the last close are held now"), (billed, "held at the last close are billed now"),
            (moved, "billed under another SOW item or work type")) if ids]
        # the review file lists held entries only: billed ones are decided by their ids (found by an auditor)
        where = [f"see review/{month}.csv for the held ones"] if held else []
        if billed or moved:
            where.append("decide the billed ones by their ids in overrides/ where it is wrong")
        if parts:
            out.append(f"{client} {month}: entries classified otherwise than at the last close, with no decision on "
                       "them (the reviews since, or the contract, changed what the classifier decides): "
                       f"{'; '.join(parts + where)}")
    return out


def _some(ids: list[str]) -> str:
    return ", ".join(ids[:SHOWN]) + (f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else "")
