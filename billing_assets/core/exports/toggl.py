"""Toggl Track detailed report CSV (api-facts.md): `Duration` as H:MM:SS (or decimal hours), the currency in the
`Amount (USD)` header, the person in `User`."""

from __future__ import annotations

import re

from billing_assets.core.exports.layout import Layout
from billing_assets.core.exports.rows import Fields, Row

CURRENCY_IN_HEADER = re.compile(r"\(\s*([^()]+?)\s*\)$")
# what tools write for a currency besides its code: a workspace's own "EURO", a symbol
CURRENCY_NAMES = {"EURO": "EUR", "EUROS": "EUR", "€": "EUR", "£": "GBP", "US$": "USD"}


def split_name(user: str) -> tuple[str, str]:
    """A user's display name -> (first, last), split at the first space ("Mary Ann Lee" -> Mary, Ann Lee)."""
    first, _, last = user.strip().partition(" ")
    return first, last.strip()


def currency_in_header(*prefixes: str):
    """The currency of money columns such as `Amount (USD)`, `Billable amount (EUR)` or Clockify's
    `Billable Rate (EURO)` (a workspace's own spelling), as an ISO code; "" when none names one the reader knows
    (the contract's currency is then assumed, as for a file without such a column)."""
    starts = tuple(p.casefold() for p in prefixes)

    def find(header: list[str]) -> str:
        for name in header:
            if name.strip().casefold().startswith(starts) and (match := CURRENCY_IN_HEADER.search(name.strip())):
                token = match.group(1).upper()
                if code := CURRENCY_NAMES.get(token, token if re.fullmatch(r"[A-Z]{3}", token) else ""):
                    return code
        return ""
    return find


def person_fields(row: Row, notes: str = "description") -> Fields:
    """Fields of a Toggl or Clockify row: Project Code is "" (neither has one), Notes = Description."""
    first, last = split_name(row["user"])
    return Fields(client=row["client"], project=row["project"], task=row["task"], notes=row[notes],
                  first=first, last=last)


TOGGL = Layout(
    name="Toggl detailed", source="toggl_csv", kind="time",
    columns={"user": ("User", "Member"), "client": ("Client",), "project": ("Project",), "task": ("Task",),
             "description": ("Description",), "billable": ("Billable",), "date": ("Start date",),
             "start_time": ("Start time",), "end_date": ("End date", "Stop date"),
             "end_time": ("End time", "Stop time"),
             "duration": ("Duration",), "amount": ("Amount (*)", "Billable amount (*)")},
    required=("user", "client", "project", "description", "date", "duration"),
    date="date", quantity=lambda row: "duration", fields=person_fields, billable="billable",
    other_dates=("end_date",), numbers=("amount",), running_end="end_time",
    currency=currency_in_header("Amount", "Billable amount"),
    notes="Duration H:MM:SS; no `Billable` column: billable.",
)
