"""CSV cells a person opens in a spreadsheet, made inert (OWASP CSV injection guidance).

A text cell starting with `=`, `+`, `-`, `@`, tab or carriage return would be read as a formula (or a DDE
command); we write it with a leading `'`, which spreadsheets show as text. Numbers we format ourselves (hours,
confidence) are written as numbers. Reading a file a reviewer saved back (overrides) removes that `'` again."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The text of a cell that no spreadsheet evaluates: `'` before a formula-like start."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def read_cell(text: str) -> str:
    """A cell as the reviewer meant it: the `'` that `safe_cell` added before a formula-like start removed."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text
