"""A billing home's exports -> TimeEntry / Expense (spec section 1): `timesheets/*.csv` and `expenses/*.csv`,
each file read as its tool wrote it (billing_assets.core.csvfile, .formats, .exports) and reported per file.

A file that cannot be read as a whole is one problem naming the file; it stops the client-months of the clients
it holds (their names found leniently) and nobody else's. The billing home's `settings.yaml` resolves files
that read two ways:

    date_order: day_first          # or month_first: for NN/NN/YYYY files whose days are all <= 12
    number_format: "1.234,50"      # or "1,234.50", "1 234,50", "1'234.50": for numbers such as 1.500
    encoding: cp1250               # a legacy code page, for non-UTF-8 files that read two ways
    files:                         # the same keys for one file, by its path in the home (or its name)
      timesheets/clockify-uk.csv: {date_order: day_first}
"""

from __future__ import annotations

from pathlib import Path

import yaml

from billing_assets.core import formats
from billing_assets.core.csvfile import TABLE_SUFFIXES, CsvFile, FileRefused, read_csv_file
from billing_assets.core.errors import BillingInputError, RowProblem
from billing_assets.core.exports import ReadSettings, known_columns, read_export
from billing_assets.core.parsed import FileReport, ParsedSource, repeated_expenses

SETTINGS_FILE = "settings.yaml"
SETTING_KEYS = {"date_order": formats.DATE_ORDERS, "number_format": tuple(formats.NUMBER_FORMATS),
                "encoding": None}
# Other spellings a person may write for the same setting (compared casefolded, without spaces).
ALIASES = {
    "date_order": {"day_first": ("dmy", "dd/mm/yyyy", "dd-mm-yyyy", "day-first", "dayfirst", "uk", "european"),
                   "month_first": ("mdy", "mm/dd/yyyy", "mm-dd-yyyy", "month-first", "monthfirst", "us")},
    "number_format": {"1,234.50": ("us", "uk", "dot", "dot_decimal", "1234.50"),
                      "1.234,50": ("de", "eu", "european", "comma", "comma_decimal"),
                      "1 234,50": ("fr", "space"), "1'234.50": ("ch", "swiss", "apostrophe")},
}
FOLDERS = (("timesheets", "time"), ("expenses", "expense"))
# what browsers and copy tools name a file still being written; it is read once renamed
PARTIAL_SUFFIXES = (".part", ".crdownload", ".tmp", ".download", ".partial")
SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")
ARCHIVES = (".zip", ".gz", ".tgz", ".7z", ".rar", ".tar", ".bz2", ".xz")  # an export downloaded zipped


def read_settings(home: Path) -> tuple[ReadSettings, dict[str, dict[str, str]]]:
    """The home's reading settings and per-file overrides; BillingInputError names the key at fault."""
    path = home / SETTINGS_FILE
    if not path.exists():
        return ReadSettings(), {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise BillingInputError(f"{SETTINGS_FILE}: not readable YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise BillingInputError(f"{SETTINGS_FILE}: must be a mapping of settings")
    files = data.pop("files", None) or {}
    base = _checked(data, SETTINGS_FILE)
    per_file = {}
    if not isinstance(files, dict):
        raise BillingInputError(f"{SETTINGS_FILE}: files: must map file paths to settings")
    for name, values in files.items():
        per_file[str(name)] = _checked(values or {}, f"{SETTINGS_FILE}: files.{name}")
    return ReadSettings(**base), per_file


def _checked(values: dict, where: str) -> dict[str, str]:
    if not isinstance(values, dict):
        raise BillingInputError(f"{where}: must be a mapping")
    out = {}
    for key, value in values.items():
        if key not in SETTING_KEYS:
            raise BillingInputError(f"{where}: {key}: unknown setting (known: {', '.join(SETTING_KEYS)})")
        allowed = SETTING_KEYS[key]
        folded = str(value).casefold().replace(" ", "")
        if allowed is None or value not in allowed:
            value = next((name for name, spellings in ALIASES.get(key, {}).items() if folded in spellings), value)
        if allowed is not None and value not in allowed:
            raise BillingInputError(f"{where}: {key}: must be one of {', '.join(allowed)}, got {value!r}")
        if key == "encoding":
            import codecs
            try:
                codecs.lookup(str(value))
            except LookupError:
                raise BillingInputError(f"{where}: encoding: unknown codec {value!r}") from None
        out[key] = str(value)
    return out


def read_folder(home: Path) -> ParsedSource:
    """Read every export of a billing home, files in name order; problems, warnings and a report per file."""
    out = ParsedSource()
    try:
        settings, per_file = read_settings(home)
    except BillingInputError as exc:
        out.problems.append(RowProblem(SETTINGS_FILE, 0, str(exc).split(": ", 1)[1], clients=("*",)))
        settings, per_file = ReadSettings(), {}
    files = _export_files(home, out)
    per_label = _per_file_settings(per_file, [label for label, _, _ in files], out)
    for label, path, kind in files:
        if path.suffix.lower() in SPREADSHEETS:  # an export saved as a workbook: its time is not read
            out.problems.append(RowProblem(label, 0, "a spreadsheet, not CSV: its rows are not read; export or "
                                                     "save it as CSV"))
            out.files.append(FileReport(label, refused="a spreadsheet, not CSV"))
            continue
        if path.suffix.lower() in ARCHIVES:  # found by an auditor: half a month's time zipped, skipped with a warning
            out.problems.append(RowProblem(label, 0, "an archive, not CSV: its rows are not read; extract the "
                                                     "export into this folder and remove the archive"))
            out.files.append(FileReport(label, refused="an archive, not CSV"))
            continue
        read_one(path, label, kind, settings.for_file(per_label.get(label)), out)
    out.problems += repeated_expenses(out.expenses)
    out.assign_ids()
    return out


def _export_files(home: Path, out: ParsedSource) -> list[tuple[str, Path, str]]:
    """(label, path, kind) of every file in timesheets/ and expenses/, in name order; a sub-folder holding
    exports is a warning, since its files are not read (an archive folder is allowed, but unbilled exports are
    never silent)."""
    found = []
    for folder, kind in FOLDERS:
        for path in sorted((home / folder).glob("*")) if (home / folder).is_dir() else []:
            if path.name.startswith("."):
                continue
            if path.is_dir():
                inside = sum(1 for f in path.rglob("*") if f.is_file() and f.suffix.lower() in TABLE_SUFFIXES)
                if inside:
                    out.warnings.append(RowProblem(f"{folder}/{path.name}/", 0, f"a folder holding {inside} "
                                                   f"export file(s), which are not read: only files directly in "
                                                   f"{folder}/ are (move them up to bill them)"))
                continue
            if path.is_file():
                skipped = not_an_export(path)
                if skipped:
                    out.warnings.append(RowProblem(f"{folder}/{path.name}", 0, skipped))
                else:
                    found.append((f"{folder}/{path.name}", path, kind))
            elif path.is_symlink():
                out.warnings.append(RowProblem(f"{folder}/{path.name}", 0, "a link to a file that does not exist; "
                                                                           "nothing is read from it"))
    return found


def not_an_export(path: Path) -> str:
    """Why a file in timesheets/ or expenses/ is skipped with a warning rather than read ("" to read it): what
    a person's computer leaves beside exports (Excel's `~$` owner files, a download still in progress,
    Thumbs.db), or a file of no bytes. Each is named, never a refusal, so it stops nobody's month; a spreadsheet
    (.xlsx) is an export in the wrong format and is refused (`read_folder`)."""
    suffix = path.suffix.lower()
    if path.name.startswith("~$"):
        return "an Excel owner file (Excel writes it beside a workbook it has open): not an export; skipped"
    if suffix in PARTIAL_SUFFIXES:
        return (f"a download or copy not finished ({suffix}): skipped; it is read once it is complete and "
                "renamed")
    if suffix not in TABLE_SUFFIXES and suffix not in SPREADSHEETS and suffix not in ARCHIVES:
        return "not an export (only .csv, .tsv and .txt files are read): skipped"
    if path.stat().st_size == 0:
        return "empty file: nothing read"
    return ""


def _per_file_settings(per_file: dict[str, dict[str, str]], labels: list[str], out: ParsedSource
                       ) -> dict[str, dict[str, str]]:
    """settings.yaml's `files:` by the label each applies to. A key is the file's path in the home; a key that
    differs only in case, or names the file without its folder, applies to the one file it can mean (a setting
    written for a file must never be silently skipped, leaving its dates or numbers read the home's way). A key
    that can mean no file, or several, is a warning and applies to none."""
    out_map: dict[str, dict[str, str]] = {}
    for key, values in per_file.items():
        folded = key.strip().replace("\\", "/").casefold()
        matches = [lb for lb in labels if lb == key] or [
            lb for lb in labels if folded in (lb.casefold(), lb.split("/", 1)[1].casefold())]
        if len(matches) == 1:
            out_map[matches[0]] = {**out_map.get(matches[0], {}), **values}
        else:
            what = f"could mean {', '.join(matches)}" if matches else "names no file in timesheets/ or expenses/"
            out.warnings.append(RowProblem(SETTINGS_FILE, 0, f"files.{key}: {what}; not applied"))
    return out_map


def read_one(path: Path, label: str, kind: str, settings: ReadSettings, out: ParsedSource) -> None:
    """One file into `out`, or one problem naming it (with the clients it holds, so that only they stop)."""
    csv_file: CsvFile | None = None
    try:
        csv_file = read_csv_file(path, label, known_columns(kind), settings.encoding)
        out.files.append(read_export(csv_file, kind, settings, out))
    except FileRefused as exc:
        clients = exc.clients or (_clients_of(csv_file) if csv_file else ())
        out.problems.append(RowProblem(label, 0, str(exc), clients=clients))
        out.files.append(FileReport(label, refused=str(exc)))
    except OSError as exc:
        out.problems.append(RowProblem(label, 0, f"cannot be read: {exc.strerror}"))
        out.files.append(FileReport(label, refused=exc.strerror or "unreadable"))


def _clients_of(csv_file: CsvFile) -> tuple[str, ...]:
    from billing_assets.core.csvfile import CLIENT_COLUMNS, normal

    header = [normal(c) for c in csv_file.header]
    column = next((header.index(c) for c in CLIENT_COLUMNS if c in header), None)
    if column is None:
        return ()
    return tuple(sorted({r[column].strip() for r in csv_file.rows if len(r) > column and r[column].strip()}))
