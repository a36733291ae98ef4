"""Reviewer decisions (spec section 6): `overrides/*.csv` rows keyed by entry id (also `.txt` and `.tsv` saves)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from billing_assets.core.csvfile import TABLE_SUFFIXES, FileRefused, normal, read_csv
from billing_assets.core.errors import RowProblem
from billing_assets.core.model import TimeEntry
from billing_assets.core.money import shown_hours
from billing_assets.core.parsed import name_key
from billing_assets.core.safecsv import read_cell

OVERRIDE_COLUMNS = ("entry_id", "work_type", "sow_item", "action", "note")
ACTIONS = ("", "bill", "hold", "write_off")
# review/<month>.csv's columns of what the reviewer was shown: a bare `bill` bills that, not a later answer
SHOWN_COLUMNS = {"suggestion": "shown_sow_item", "suggested_work_type": "shown_work_type",
                 # and the entry the row describes: checked against the entry its id names (`contradicted`)
                 "client": "shown_client", "person": "shown_person", "hours": "shown_hours",
                 "date": "shown_date", "notes": "shown_notes"}
DECIDING = ("work_type", "sow_item", "action")


@dataclass(frozen=True)
class Override:
    entry_id: str
    work_type: str = ""
    sow_item: str = ""
    action: str = ""
    note: str = ""
    source: str = ""  # file:row, for the review report
    shown_sow_item: str = ""  # the suggestion the review file showed beside the decision
    shown_work_type: str = ""
    shown_client: str = ""  # the row's client, person, hours, date and notes cells as the review file wrote them
    shown_person: str = ""
    shown_hours: str = ""
    shown_date: str = ""
    shown_notes: str = ""

    def released_as(self, known_items: set[str], known_work_types: set[str]) -> tuple[str, str]:
        """(SOW item, work type) this row decides: what the reviewer filled in; for a `bill` with a cell left
        empty, what the review file showed them, if the contract still has it (else "": the classifier decides)."""
        shown = self.action == "bill"
        item = _as_known(self.sow_item, known_items) or (
            self.shown_sow_item if shown and self.shown_sow_item in known_items else "")
        work_type = _as_known(self.work_type, known_work_types) or (
            self.shown_work_type if shown and self.shown_work_type in known_work_types else "")
        return item, work_type

    @property
    def where(self) -> str:
        """`overrides/<file>.csv: row N`, how an error names this override."""
        label, _, row = self.source.rpartition(":")
        return f"{label}: row {row}" if label else self.source


def _as_known(typed: str, known: set[str]) -> str:
    """The contract's own spelling of what a reviewer typed (`Rush`, `Non billable`, `s2`: found by an auditor, they
    were refused), when exactly one known name reads the same; else as typed (an unknown one stops its month)."""
    if not typed or typed in known:
        return typed
    same = [name for name in known if column_key(name) == column_key(typed)]
    return same[0] if len(same) == 1 else typed


SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")
ACTION_SPELLINGS = {"bill": "bill", "hold": "hold", "write_off": "write_off", "writeoff": "write_off"}


def column_key(name: str) -> str:
    """A header or action as a person may type it: `Work Type`, `work-type` and `WORK_TYPE` are `work_type`."""
    return re.sub(r"[ \-]+", "_", normal(name))


def file_order(path: Path) -> tuple[str, str]:
    """Decision files in name order, a name before its own extensions: `2026-10.csv` before
    `2026-10-round2.csv` (plain name order put the round-2 file first, '-' sorting before '.', so round 1 won)."""
    return path.stem, path.name


def read_overrides(folder: Path) -> tuple[dict[str, Override], list[RowProblem]]:
    """All override files in name order; a later row for the same entry refines the earlier one
    (its non-empty cells win)."""
    overrides, problems, _ = read_decisions(folder)
    return overrides, problems


def read_decisions(folder: Path) -> tuple[dict[str, Override], list[RowProblem], list[str]]:
    """`read_overrides`, and warnings: the entries two rows decide differently (a `write_off` then a `bill`, two
    SOW items: the later row wins, as documented, but a reviewer should see that two decisions disagree) and
    sub-folders holding decision files, which are not read."""
    result: dict[str, Override] = {}
    problems: list[RowProblem] = []
    conflicts: list[str] = []
    decided: dict[tuple[str, str], tuple[str, str]] = {}  # (entry id, column) -> (value, the row that set it)
    for label, number, values in _rows(folder, problems, conflicts):
        entry = values["entry_id"]
        for col in ("work_type", "sow_item", "action"):
            before = decided.get((entry, col))
            if values[col] and before and before[0] != values[col]:
                conflicts.append(f"{label}: row {number}: entry {entry} {col} {values[col]!r} replaces "
                                 f"{before[0]!r} of {before[1]} (the later row wins)")
            if values[col]:
                decided[(entry, col)] = (values[col], f"{label} row {number}")
        earlier = result.get(entry)
        if earlier is not None:
            values = {col: values[col] or getattr(earlier, col) for col in (*OVERRIDE_COLUMNS, *SHOWN_COLUMNS.values())}
        result[entry] = Override(**values, source=f"{label}:{number}")
    return result, problems, conflicts


def _rows(folder: Path, problems: list[RowProblem], warnings: list[str]) -> list[tuple[str, int, dict[str, str]]]:
    """(file label, row number, cells) of every readable decision row, files in name order. A spreadsheet saved in
    the folder, a link to no file and a file that cannot be read are problems with no row (their decisions would
    be lost in silence: they stop every client-month); a sub-folder holding decision files is a warning; hidden
    and lock files are skipped."""
    out = []
    for path in sorted(folder.iterdir(), key=file_order) if folder.is_dir() else []:
        label = f"overrides/{path.name}"
        if path.name.startswith((".", "~$")):
            continue
        if path.is_dir():
            inside = _decision_files(path)
            if inside:
                warnings.append(f"{label}/: a folder holding {inside} decision file(s), not read: decisions belong "
                                "in overrides/ itself (move them up to apply them)")
            continue
        if not path.is_file():
            if path.is_symlink() and path.suffix.lower() in (*TABLE_SUFFIXES, *SPREADSHEETS):
                problems.append(RowProblem(label, 0, "a link to a file that does not exist: its decisions cannot "
                                                     "be read; restore the file or remove the link"))
            continue
        if path.suffix.lower() in SPREADSHEETS:
            problems.append(RowProblem(label, 0, "a spreadsheet, not CSV: its decisions are not read; save it as "
                                                 "CSV (UTF-8)"))
            continue
        if path.suffix.lower() not in TABLE_SUFFIXES:  # Excel's Unicode Text is a .txt
            continue
        try:
            header, rows = _keyed_rows(path)
        except FileRefused as exc:
            problems.append(RowProblem(label, 0, str(exc)))
            continue
        except OSError as exc:
            problems.append(RowProblem(label, 0, f"cannot be read: {exc.strerror or exc}"))
            continue
        twice = sorted({c for c in header if c in OVERRIDE_COLUMNS and header.count(c) > 1})
        if twice:
            problems.append(RowProblem(label, 0, f"column {', '.join(twice)} appears twice"))
            continue
        if not header:
            continue  # an empty file decides nothing
        if "entry_id" not in header:
            if path.suffix.lower() == ".csv":  # a .txt without entry ids is a note, not a decisions file
                problems.append(RowProblem(label, 0, "missing column entry_id"))
            continue
        if not any(c in header for c in DECIDING):  # headers translated or renamed: every decision would be lost
            problems.append(RowProblem(label, 0, f"no {', '.join(DECIDING)} column (its columns: "
                                                 f"{', '.join(header[:8])}): it decides nothing; name the columns as "
                                                 "review/<month>.csv does"))
            continue
        again = _header_again(header, rows)
        if again is not None:  # read by the first header, its rows would decide what nobody decided
            problems.append(RowProblem(label, 0, again))
            continue
        for number, row in enumerate(rows, start=1):
            if _is_header(header, row):  # two files with the same columns, one after the other: both apply
                continue
            values = {col: read_cell(row.get(col, "").strip()) for col in OVERRIDE_COLUMNS}
            values |= {field: read_cell(row.get(col, "").strip()) for col, field in SHOWN_COLUMNS.items()}
            values["action"] = ACTION_SPELLINGS.get(column_key(values["action"]), values["action"])
            if not values["entry_id"]:
                decided = ", ".join(f"{c} {values[c]!r}" for c in DECIDING if values[c])
                if decided:  # found by an auditor: skipped without a word, the decision lost
                    warnings.append(f"{label}: row {number}: a decision ({decided}) with no entry_id decides "
                                    "nothing: copy the row's entry_id from review/<month>.csv")
                continue
            if values["action"] not in ACTIONS:
                problems.append(RowProblem(label, number, f"action: must be bill, hold or write_off, got "
                                                          f"{values['action']!r}", entry_id=values["entry_id"]))
                continue
            out.append((label, number, values))
    return out


def _decision_files(folder: Path) -> int:
    """How many files in a sub-folder of overrides/ (at any depth) a person may have meant as decisions."""
    try:
        return sum(1 for f in folder.rglob("*") if f.suffix.lower() in (*TABLE_SUFFIXES, *SPREADSHEETS)
                   and not f.name.startswith((".", "~$")))
    except OSError:
        return 1  # a folder we cannot list may hold decisions: say so


def _is_header(header: list[str], row: dict[str, str]) -> bool:
    """A row that repeats the file's header as it is (the next file pasted below, its BOM included)."""
    return [column_key(v) for v in row.values()] == header


def _header_again(header: list[str], rows: list[dict[str, str]]) -> str | None:
    """The problem of a row that is another header (an `entry_id` cell) with other columns or in another order:
    two files pasted together, the rows below it read by the first header would put one column's decision in
    another (a `write_off` billed). The file stops every client-month, as an unreadable one does."""
    for number, row in enumerate(rows, start=1):
        cells = [column_key(v) for v in row.values()]
        if "entry_id" in cells and cells != header:
            shown = ", ".join(c for c in cells if c)
            return (f"row {number}: a second header ({shown}) with other columns than the first "
                    f"({', '.join(h for h in header if h)}): two files pasted together? Put its rows in the first "
                    "header's columns, or save them as a file of their own; no decision of this file is applied")
    return None


def contradicted(overrides: dict[str, Override], entries: Iterable[TimeEntry], client: str,
                 names: set[str]) -> list[str]:
    """Decision rows whose own client, person, hours, date or notes cells (as review/<month>.csv wrote them,
    read as a spreadsheet may have saved them) contradict the
    entry their id names: the id column sorted or pasted apart from its row, or another client's id, applied a
    decision to an entry nobody decided on. Each stops the entry's client-month, naming the row."""
    clients = {name_key(n) for n in (client, *names)}
    out = []
    for entry in entries:
        row = overrides.get(entry.entry_id)
        if row is None:
            continue
        said = []
        if row.shown_client and name_key(row.shown_client) not in clients:
            said.append(f"client {row.shown_client!r}")
        if row.shown_person and name_key(row.shown_person) != name_key(entry.person):
            said.append(f"person {row.shown_person!r}")
        hours = _hours(row.shown_hours)
        if hours is not None and abs(hours - entry.hours) > HOURS_SLACK:
            said.append(f"hours {row.shown_hours}")
        dates = _dates(row.shown_date)
        if dates and entry.date not in dates:  # found by an auditor: an hours cell a spreadsheet made a date
            said.append(f"date {row.shown_date}")  # ("01. Mai") let a swapped id through on client and person
        if row.shown_notes and not _same_notes(row.shown_notes, entry.notes):
            said.append(f"notes {row.shown_notes!r}")
        if said:
            out.append(f"{row.where}: entry {entry.entry_id} is {entry.person}'s {shown_hours(entry.hours):f} h of "
                       f"{entry.date} for {client}, but the row says {', '.join(said)}: was the id column sorted or "
                       "pasted apart from its rows? Fix the row to decide this entry")
    return out


HOURS_SLACK = Decimal("0.005")  # a spreadsheet may show 1.4 for 1.40 or round 0.3333 to 0.33


def _hours(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip().replace(",", ".")) if text.strip() else None
    except InvalidOperation:
        return None


# How a spreadsheet may save the ISO date review/<month>.csv wrote: its locale's order, separators, 2-digit years
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y", "%m/%d/%Y", "%d/%m/%y", "%m/%d/%y",
                "%d-%m-%Y", "%m-%d-%Y", "%d-%m-%y", "%d-%b-%y", "%d-%b-%Y", "%d %b %Y", "%b %d, %Y", "%d. %m. %Y")
TIME_OF_DAY = re.compile(r"[ T]0?0:00(:00(\.0+)?)?$")


def _dates(text: str) -> set[date]:
    """Every date the cell may mean (03/08/2026 is 3 August or 8 March); empty when it reads as none (then the
    cell is not compared: a spreadsheet may have made it anything)."""
    text = TIME_OF_DAY.sub("", text.strip())
    found = set()
    for layout in DATE_FORMATS:
        try:
            found.add(datetime.strptime(text, layout).date())
        except ValueError:
            continue
    return found


NUMBER_LIKE = re.compile(r"[\d\s.,:/+-]*")


def _same_notes(shown: str, notes: str) -> bool:
    """Whether the notes cell is the entry's notes, spaces and line breaks aside. Notes made only of digits and
    separators are not compared: a spreadsheet turns "3/4" into a date and "007" into 7."""
    if NUMBER_LIKE.fullmatch(notes):
        return True
    return " ".join(shown.split()) == " ".join(notes.split())


def _keyed_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """A decisions file's header and rows, its column names read as people type them (`column_key`)."""
    header, rows = read_csv(path, OVERRIDE_COLUMNS)
    return [column_key(h) for h in header], [{column_key(h): v for h, v in row.items()} for row in rows]


def decided_ids(path: Path) -> list[str]:
    """The entry ids a review file saved with decisions in it names (a `work_type`, `sow_item` or `action` filled
    in): a reviewer who saved review/<month>.csv in place, where no close reads decisions; [] when unreadable."""
    try:
        _, rows = _keyed_rows(path)
    except (FileRefused, OSError):
        return []
    cells = [{col: read_cell(row.get(col, "").strip()) for col in ("entry_id", *DECIDING)} for row in rows]
    return [c["entry_id"] for c in cells if c["entry_id"] and any(c[col] for col in DECIDING)]


def unapplied_decisions(review_dir: Path, overrides: dict[str, Override]) -> list[str]:
    """Files in review/ holding decisions on entries no override decides (found by an auditor: a review file saved in
    place, its decisions never applied and overwritten by the next close, with no word)."""
    out = []
    for path in sorted(review_dir.glob("*.csv")) if review_dir.is_dir() else []:
        missing = [entry for entry in decided_ids(path) if entry not in overrides]
        if missing:
            out.append(f"review/{path.name}: {len(missing)} decision(s) saved in the review folder are not applied: "
                       "decisions apply from overrides/ only; save the file there (each close writes "
                       "review/<month>.csv again)")
    return out
