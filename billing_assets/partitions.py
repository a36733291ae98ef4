"""Partitions: client (dynamic, slug ids) x month (monthly, YYYY-MM). The current month is excluded."""

from __future__ import annotations

import re

from dagster import (
    DimensionPartitionMapping,
    DynamicPartitionsDefinition,
    IdentityPartitionMapping,
    MonthlyPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionMapping,
    MultiPartitionsDefinition,
    TimeWindowPartitionMapping,
)

from billing_assets.settings import firm_timezone, first_month

CLIENT_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
FIRST_MONTH = first_month()
FIRM_TIMEZONE = firm_timezone()  # a month's partition appears once the month has ended in the firm's time zone

clients_partitions = DynamicPartitionsDefinition(name="client")
months_partitions = MonthlyPartitionsDefinition(start_date=FIRST_MONTH, fmt="%Y-%m", end_offset=0,
                                                timezone=FIRM_TIMEZONE)
client_month_partitions = MultiPartitionsDefinition({"client": clients_partitions, "month": months_partitions})

previous_month_mapping = MultiPartitionMapping({
    "client": DimensionPartitionMapping("client", IdentityPartitionMapping()),
    "month": DimensionPartitionMapping("month", TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)),
})


def validate_client_id(client: str) -> str:
    """A client id must be a slug: it is a partition key ('|' or ',' would break keys and UI backfills)."""
    if not CLIENT_ID.fullmatch(client):
        raise ValueError(f"client id {client!r} must match [a-z0-9][a-z0-9_-]{{0,62}}")
    return client


def split_key(key: str | MultiPartitionKey) -> tuple[str, str]:
    """(client, month) of a client|month partition key."""
    if isinstance(key, MultiPartitionKey):
        dims = key.keys_by_dimension
        return dims["client"], dims["month"]
    client, month = str(key).split("|")
    return client, month


def client_month_key(client: str, month: str) -> MultiPartitionKey:
    return MultiPartitionKey({"client": client, "month": month})
