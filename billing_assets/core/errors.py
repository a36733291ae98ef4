"""Errors that name the file and the row or key at fault."""

from __future__ import annotations

from dataclasses import dataclass


class BillingInputError(ValueError):
    """Bad input: the message names the file and the row or key path."""


class ContractError(BillingInputError):
    """One or more problems in one contract file; `problems` holds each `file: key.path: message`."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class RowProblem:
    """A source row that could not be read. client_name/month say whose partition it blocks."""

    file: str
    row: int  # 1-based data row (the header is row 0)
    message: str
    client_name: str = ""
    month: str = ""  # "" when the date itself is unreadable: it blocks every month of that client
    clients: tuple[str, ...] = ()  # a whole file refused (row 0): the client names found in it anyway
    entry_id: str = ""  # an override row: the entry it names (it stops that entry's client-month)

    def __str__(self) -> str:
        return f"{self.file}: {self.message}" if self.row == 0 else f"{self.file}: row {self.row}: {self.message}"


class ClassifierUnavailable(RuntimeError):
    """The classifier could not answer for good (an API down, refusing the key, or overloaded past its retries):
    the client-month it was classifying is held back, the others go on."""


class WarehouseLocked(RuntimeError):
    """Another process held the DuckDB warehouse for longer than the lock timeout; the message names it."""


class WarehouseUnreachable(RuntimeError):
    """The PostgreSQL warehouse cannot be opened or set up (no such database, no server, no right to create the
    tables); the message says which and what to do, in one line."""
