"""Reviewer decisions (spec section 6): `overrides/*.csv` rows keyed by entry id."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from billing_assets.core.csvfile import FileRefused, read_csv
from billing_assets.core.errors import RowProblem
from billing_assets.core.safecsv import read_cell

OVERRIDE_COLUMNS = ("entry_id", "work_type", "sow_item", "action", "note")
ACTIONS = ("", "bill", "hold", "write_off")


@dataclass(frozen=True)
class Override:
    entry_id: str
    work_type: str = ""
    sow_item: str = ""
    action: str = ""
    note: str = ""
    source: str = ""  # file:row, for the review report

    @property
    def where(self) -> str:
        """`overrides/<file>.csv: row N`, how an error names this override."""
        label, _, row = self.source.rpartition(":")
        return f"{label}: row {row}" if label else self.source


def read_overrides(folder: Path) -> tuple[dict[str, Override], list[RowProblem]]:
    """All override files in name order; a later row for the same entry refines the earlier one
    (its non-empty cells win)."""
    result: dict[str, Override] = {}
    problems: list[RowProblem] = []
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        label = f"overrides/{path.name}"
        try:
            header, rows = read_csv(path, OVERRIDE_COLUMNS)
        except FileRefused as exc:
            problems.append(RowProblem(label, 0, str(exc)))
            continue
        if "entry_id" not in header:
            problems.append(RowProblem(label, 0, "missing column entry_id"))
            continue
        for number, row in enumerate(rows, start=1):
            values = {col: read_cell(row.get(col, "").strip()) for col in OVERRIDE_COLUMNS}
            if not values["entry_id"]:
                continue
            if values["action"] not in ACTIONS:
                problems.append(RowProblem(label, number, f"action: must be bill, hold or write_off, got "
                                                          f"{values['action']!r}"))
                continue
            earlier = result.get(values["entry_id"])
            if earlier is not None:
                values = {col: values[col] or getattr(earlier, col) for col in OVERRIDE_COLUMNS}
            result[values["entry_id"]] = Override(**values, source=f"{label}:{number}")
    return result, problems
