"""The contract's `ledes:` block (LEDES 1998B e-billing identifiers) and the UTBMS code shapes it accepts."""

from __future__ import annotations

import re
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

UTBMS_TASK = re.compile(r"[A-Z]\d{3}")
CLASSIFICATION = re.compile(r"[A-Z]{2,10}")  # LEDES timekeeper classification codes (PT, AS, OC, PL, LA, OT)
LEDES_ID = Field(min_length=1, max_length=20)
LEDES_DELIMITERS = re.compile(r"[|\[\]\r\n]")  # a LEDES 1998B field cannot hold them


class LedesTerms(BaseModel):
    """`ledes: {law_firm_id, client_id, matter_id, client_matter_id, task_code, timekeepers, classifications}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    law_firm_id: str = LEDES_ID
    client_id: str = LEDES_ID
    matter_id: str = LEDES_ID
    client_matter_id: str | None = Field(default=None, min_length=1, max_length=20)
    task_code: str | None = None  # the UTBMS task of fee lines whose SOW item names none
    timekeepers: dict[str, str] = {}  # person -> TIMEKEEPER_ID (default: derived from the name)
    classifications: dict[str, str] = {}  # role -> PT, AS, OC, PL, LA, OT... (default: from the role's name)

    @field_validator("law_firm_id", "client_id", "matter_id", "client_matter_id", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return format(value, "f") if isinstance(value, Decimal) else value

    @field_validator("law_firm_id", "client_id", "matter_id", "client_matter_id")
    @classmethod
    def _no_delimiters(cls, value: str | None) -> str | None:
        """Said in words (found by an auditor: "String should match pattern '^[^|\\[\\]\\r\\n]+$'")."""
        if value is not None and LEDES_DELIMITERS.search(value):
            raise ValueError(f"{value!r}: must not hold | [ ] or a line break (LEDES 1998B field delimiters)")
        return value

    _task = field_validator("task_code")(lambda v: v if v is None else utbms_task(v))

    @field_validator("timekeepers")
    @classmethod
    def _timekeeper_ids(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [p for p, tk in value.items() if not 1 <= len(str(tk)) <= 20 or LEDES_DELIMITERS.search(str(tk))]
        if bad:
            raise ValueError("; ".join(f"@{p}: must be 1-20 characters without | [ ]" for p in bad))
        return value

    @field_validator("classifications")
    @classmethod
    def _classes(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [r for r, c in value.items() if not isinstance(c, str) or not CLASSIFICATION.fullmatch(c)]
        if bad:
            raise ValueError("; ".join(f"@{r}: must be a LEDES timekeeper classification code such as PT, AS, "
                                       "OC, PL, LA or OT" for r in bad))
        return value


def utbms_task(value: str) -> str:
    """A UTBMS task code: one capital letter and three digits (L110, B110, C100)."""
    if not isinstance(value, str) or not UTBMS_TASK.fullmatch(value):
        raise ValueError(f"must be a UTBMS task code such as L110, got {value!r}")
    return value
