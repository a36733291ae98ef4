"""Closed client-months whose reviewer decisions changed since their close: an override added, edited or removed
in `overrides/` after the close that priced the month (a September review saved while October was being closed).
The month's draft does not apply it, nor do the months priced from its ledgers: approval refuses them and the
close names them, until they are closed again (found by an auditor: a September release of 14 h was approved
without them)."""

from __future__ import annotations

from collections.abc import Sequence

from billing_assets.core.errors import BillingInputError, ContractError
from billing_assets.core.overrides import Override
from resources.home import BillingHome
from resources.warehouse import Warehouse, WarehouseConnection, query, query_keyed, rows_by_partition

SHOWN = 3  # decision rows named in a message


def _differs(row: dict, override: Override | None, items: set[str], work_types: set[str]) -> bool:
    """Whether the override now decides the entry otherwise than its close applied."""
    if override is None or not (override.action or override.sow_item or override.work_type):
        return bool(row["action"]) or row["method"] == "override"
    item, work_type = override.released_as(items, work_types)
    return (override.action != row["action"] or (bool(item) and item != row["sow_item"])
            or (bool(work_type) and work_type != row["work_type"]))


def changed_decisions(home: BillingHome, warehouse: Warehouse,
                      pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """For each priced client-month of `pairs`, the decision rows (`overrides/<file>: row N`, or the entry id of a
    decision removed) that decide one of its entries otherwise than its close applied. For a sent month only
    decisions added or edited count: a decision file of a month long sent, archived out of `overrides/`, is not a
    change to bill (the close warns of decisions gone; closing such a month again would bill what was written off)."""
    if not pairs or not warehouse.exists():
        return {}
    overrides = home.overrides()
    with warehouse.connect() as conn, conn.staged("override_ids", ("entry_id",), [(i,) for i in sorted(overrides)]):
        closed = rows_by_partition(conn, "closed_decisions", pairs)
        sent = {(r["client"], r["month"]) for r in query_keyed(conn, "sent_snapshot_keys", list(closed))} \
            if closed else set()
    out: dict[tuple[str, str], list[str]] = {}
    for (client, month), rows in sorted(closed.items()):
        try:
            contract = home.contract_file(client).for_month(month)
        except (ContractError, BillingInputError):
            continue  # the contract refusal names it
        items = {i.id for i in contract.sow.items} if contract.sow else set()
        changed = [r for r in rows if _differs(r, overrides.get(r["entry_id"]), items, contract.work_type_names)
                   and ((client, month) not in sent or r["entry_id"] in overrides)]
        if changed:
            out[(client, month)] = sorted(overrides[r["entry_id"]].where if r["entry_id"] in overrides
                                          else f"entry {r['entry_id']} (its decision removed)" for r in changed)
    return out


def priced_up_to(conn: WarehouseConnection, pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The priced months of the pairs' clients up to the pairs' last month: the months an approval of the pairs
    is priced from (ledgers) or carries (late changes of sent months)."""
    clients, last = {c for c, _ in pairs}, max(m for _, m in pairs)
    return [(r["client"], r["month"]) for r in query(conn, "priced_months")
            if r["client"] in clients and r["month"] <= last]


def decision_refusals(home: BillingHome, warehouse: Warehouse,
                      pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """Why each client-month of `pairs` must not be sent, and the first month to close again with it: decisions on
    it, or on an earlier priced month of its client (whose ledgers and carried differences it is priced from),
    changed since that month was closed."""
    if not pairs or not warehouse.exists():
        return {}
    with warehouse.connect() as conn:
        priced = priced_up_to(conn, pairs)
    changed = changed_decisions(home, warehouse, priced)
    out = {}
    for client, month in pairs:
        first = min((m for c, m in changed if c == client and m <= month), default=None)
        if first is None:
            continue
        rows = changed[(client, first)]
        where = ", ".join(rows[:SHOWN]) + (f" and {len(rows) - SHOWN} more" if len(rows) > SHOWN else "")
        what = "its" if first == month else f"{first}'s"
        out[(client, month)] = (f"{what} review decisions changed since {first} was closed ({where}): the draft does "
                                "not apply them", first)
    return out
