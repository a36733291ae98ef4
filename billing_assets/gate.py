"""The push gate: a partition is pushed only when no blocking check's latest evaluation failed.

Dagster's blocking checks stop downstream steps within one run; they do not gate a later run that
materialises the push alone. Check evaluations are therefore also kept per client-month in the
`check_results` table (latest evaluation per asset and check), which the push reads before every push.
"""

from __future__ import annotations

from resources.warehouse import Warehouse, WarehouseConnection, query_keyed


def blocking_failures(warehouse: Warehouse, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """{(client, month): [reason, ...]} for partitions with a failed blocking check or priced checks that
    have not seen the current invoice."""
    with warehouse.connect() as conn:
        rows = query_keyed(conn, "blocking_failures", pairs)
    failures: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        failures.setdefault((r["client"], r["month"]), []).append(r["reason"])
    return failures


def push_refusals(conn: WarehouseConnection, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """{(client, month): reason} for client-months whose newest push was refused (nothing written)."""
    rows = query_keyed(conn, "push_refusals", pairs)
    return {(r["client"], r["month"]): r["reason"] for r in rows}


def held_back(conn: WarehouseConnection, pairs: list[tuple[str, str]], blocked: dict[tuple[str, str], list[str]],
              outside: set[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """{(client, month): [reason, ...]} of the client-months a push held back: `blocked` (its `blocking_failures`,
    read before it pushed: a push changes none of what they come from) or a push the sink refused. A client-month
    outside its engagement is never held back."""
    held = {pair: list(reasons) for pair, reasons in blocked.items()}
    for pair, reason in push_refusals(conn, pairs).items():
        held.setdefault(pair, []).append(reason)
    return {pair: reasons for pair, reasons in held.items() if pair not in outside}
