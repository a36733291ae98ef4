"""Export layouts, one module per tool, behind one explicit registry. `read_export` reads a decoded file with
the layout its header matches, or refuses it once, naming the layouts tried and what the closest one lacks."""

from __future__ import annotations

import re
from collections.abc import Sequence

from billing_assets.core.csvfile import CsvFile, FileRefused, normal
from billing_assets.core.exports.clockify import CLOCKIFY
from billing_assets.core.exports.harvest import HARVEST_EXPENSES, HARVEST_TIME
from billing_assets.core.exports.layout import Layout, ReadSettings, read_file
from billing_assets.core.exports.quickbooks_time import QUICKBOOKS_TIME
from billing_assets.core.exports.toggl import TOGGL
from billing_assets.core.parsed import FileReport, ParsedSource

# column names the supported tools write in their other languages (the readers know the English ones)
LOCALIZED_HEADERS = {
    "benutzer", "kunde", "projekt", "beschreibung", "aufgabe", "dauer", "startdatum", "abrechenbar", "stunden",
    "utilisateur", "projet", "tâche", "durée", "date de début", "facturable", "heures",
    "usuario", "proyecto", "descripción", "tarea", "duración", "fecha de inicio", "horas",
    "gebruiker", "klant", "omschrijving", "taak", "duur", "uren", "factureerbaar", "declarabel", "einddatum",
    "usuário", "projeto", "descrição", "tarefa", "duração", "utente", "progetto", "descrizione", "durata", "ore",
}
TIME_LAYOUTS: tuple[Layout, ...] = (HARVEST_TIME, TOGGL, CLOCKIFY, QUICKBOOKS_TIME)
EXPENSE_LAYOUTS: tuple[Layout, ...] = (HARVEST_EXPENSES,)
LAYOUTS = {"time": TIME_LAYOUTS, "expense": EXPENSE_LAYOUTS}

__all__ = ["LAYOUTS", "Layout", "ReadSettings", "layout_for", "known_columns", "read_export"]


def known_columns(kind: str) -> set[str]:
    return set().union(*(layout.known_columns() for layout in LAYOUTS[kind]))


def layout_for(header: list[str], kind: str, rows: Sequence[list[str]] = ()) -> Layout:
    """The layout whose required columns the header has (most columns found wins); FileRefused otherwise."""
    fits = [layout for layout in LAYOUTS[kind] if not layout.missing(header)]
    if fits:
        return max(fits, key=lambda layout: len(layout.resolve(header)))
    other = next((layout for kinds in LAYOUTS.values() for layout in kinds if not layout.missing(header)), None)
    if other is not None:  # an expense report in timesheets/, or a time export in expenses/
        folder = "expenses/" if other.kind == "expense" else "timesheets/"
        raise FileRefused(f"a {other.name} in the wrong folder: move it to {folder}")
    closest = min(LAYOUTS[kind], key=lambda layout: (len(layout.missing(header)), -len(layout.resolve(header))))
    tried = ", ".join(layout.name for layout in LAYOUTS[kind])
    foreign = [h for h in header if re.sub(r"\s*\(.*\)$", "", normal(h)) in LOCALIZED_HEADERS]
    in_english = ("; its headers are in another language: export it again with the tool's language set to English"
                  if len(foreign) >= 2 else "")
    if not any(layout.resolve(header) for layout in LAYOUTS[kind]):  # no column in common: naming one misleads
        shown = ", ".join(_shown(name) for name in header[:6]) + (", ..." if len(header) > 6 else "")
        raise FileRefused(f"header matches no known export (tried {tried}): none of its columns ({shown}) is one "
                          "they write" + in_english)
    if in_english:  # French and Dutch share Client, Description or Project with English: the closest says little
        raise FileRefused(f"header matches no known export (tried {tried}){in_english}")
    report = _report_of_totals(header, rows, LAYOUTS[kind]) if kind == "time" else ""
    if report:
        raise FileRefused(f"{report}, not a detailed export (tried {tried}): export the time tracker's detailed "
                          f"report instead, one row per time entry ({DETAILED_REPORTS})")
    raise FileRefused(f"header matches no known export (tried {tried}); the closest, {closest.name}, lacks "
                      + ", ".join(closest.missing(header)))


DETAILED_REPORTS = 'Harvest "Detailed time", Toggl and Clockify "Detailed", QuickBooks Time "Timesheets"'
NOTE_KEYS, PERSON_KEYS = ("description", "notes"), ("user", "first")
# A weekly report's day columns: "Mon", "Tuesday", "Wed, Nov 4", "Thu 05/11", "2026-11-02", "11/02/2026"
_DATE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
_DAY_HEADING = re.compile(r"(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(day|sday|nesday|rsday|urday)?\.?"
                          r"([\s,].*)?|\d{1,4}[-/.]\d{1,2}([-/.]\d{2,4})?")


def _report_of_totals(header: list[str], rows: Sequence[list[str]], layouts: tuple[Layout, ...]) -> str:
    """What a refused time file is when it is a report of totals rather than of entries: a weekly report (two or
    more columns headed by a day), or a summary (columns the tools write, but no date in any cell, or a date column
    beside neither notes nor a person); else "" (another tool's export: the caller names what the closest lacks)."""
    if sum(bool(_DAY_HEADING.fullmatch(normal(name))) for name in header) >= 2:
        return "a weekly report (a column of hours per day)"
    found = {key for layout in layouts for key in layout.resolve(header)}
    undated = "date" not in found and bool(rows) and not any(_DATE.search(cell) for row in rows[:200] for cell in row)
    if found and (undated or ("date" in found and not found.intersection(NOTE_KEYS + PERSON_KEYS))):
        return "a summary report (totals, not a row per time entry)"
    return ""


def _shown(name: str) -> str:
    """A header cell in a one-line message: line breaks and control characters escaped, at most 40 characters."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in " ".join(name.split()))[:40]


def read_export(csv_file: CsvFile, kind: str, settings: ReadSettings, out: ParsedSource) -> FileReport:
    """Read a decoded file into `out` with the layout its header matches."""
    if not csv_file.header:
        raise FileRefused("empty file (no header row)")
    return read_file(csv_file, layout_for(csv_file.header, kind, csv_file.rows), settings, out)
