"""The push gate: a partition is pushed only when no blocking check's latest evaluation failed.

Dagster's blocking checks stop downstream steps within one run; they do not gate a later run that
materialises the push alone. Check evaluations are therefore also kept per client-month in the
`check_results` table (latest evaluation per asset and check), which the push reads before every push.
"""

from __future__ import annotations

from resources.warehouse import Warehouse, query_keyed


def blocking_failures(warehouse: Warehouse, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """{(client, month): [reason, ...]} for partitions with a failed blocking check or priced checks that
    have not seen the current invoice."""
    with warehouse.connect() as conn:
        rows = query_keyed(conn, "blocking_failures", pairs)
    failures: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        failures.setdefault((r["client"], r["month"]), []).append(r["reason"])
    return failures
