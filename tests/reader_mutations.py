"""The mutation engine of the export reader's fuzz test (tests/test_reader_fuzz.py, bench/reader_fuzz.py): the
realistic exports of the other reader tests as seeds, their shapes (rows of cells, delimiter, encoding), reading a
mutated file in a scratch home, and the mutations, by hand and at random (seeded): those that keep the meaning and
those that damage the file. The oracles that judge a reading are in tests/reader_oracles.py."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import random
import shutil
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from billing_assets.core.errors import BillingInputError
from billing_assets.core.exports import layout_for
from billing_assets.core.exports.rows import split_rows as _rows
from billing_assets.core.parsed import ParsedSource
from billing_assets.core.sources import read_folder

UNCLAIMED = "Nobody Claims Ltd"


# ------------------------------------------------------------------------------------------------------- seeds
@dataclass(frozen=True)
class Seed:
    """One realistic export: its file name in the home's folder, bytes and the settings.yaml it needs."""

    name: str
    label: str  # "timesheets/x.csv"
    data: bytes
    settings: str = ""


def seeds() -> list[Seed]:
    """The exports the reader tests build, as seeds (Harvest, Toggl, Clockify, QuickBooks Time, expenses; UTF-8,
    BOM, UTF-16, cp1252; comma, semicolon, tab; both number formats, three date orders)."""
    from tests import test_exports as tx
    from tests import test_exports_as_meant as tm
    from tests import test_real_exports as tr

    out = [Seed(slug, f"timesheets/{file_name}", data) for slug, (_, _, file_name, data, _) in tr.FILES.items()
           if data]
    out = [Seed(s.name, s.label, s.data, "date_order: day_first\n" if s.name == "clockify-ambiguous" else "")
           for s in out]
    for name, header, rows, settings in (("work-harvest", tx.HARVEST_HEADER, tx.harvest_rows(), ""),
                                         ("work-toggl", tx.TOGGL_HEADER, tx.toggl_rows(), ""),
                                         ("work-clockify", tx.CLOCKIFY_HEADER, tx.clockify_rows(), tx.US_DATES)):
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        out.append(Seed(name, f"timesheets/{name}.csv", buffer.getvalue().encode(), settings))
    out.append(Seed("expenses", "expenses/expenses.csv", (tm.EXPENSES + (
        "2026-10-09,Gamma GmbH,Web,,Travel,Train,150.00,Yes,Ana,Souza,USD\n"
        "2026-10-10,Gamma GmbH,Web,,Meals,\"Lunch, team\",\"1,234.50\",Yes,Ana,Souza,USD\n"
        "2026-10-12,Beta Ltd,Web,,Travel,Taxi,-20.00,Yes,Bo,Li,USD\n")).encode()))
    out.append(Seed("qbt-manual", "timesheets/qbt_manual.csv", (tm.QBT + (
        "Ana,Souza,2026-10-01,,,2.5,Delta Co,Web,Plan,yes\n"
        "Ana,Souza,2026-10-02,2026-10-02T09:00:00,2026-10-02T10:15:00,1.25,Delta Co,Web,\"Build, test\",yes\n"
        "Bo,Li,2026-10-03,,,0.5,Delta Co,Web,Call,no\n")).encode()))
    return out


# ---------------------------------------------------------------------------------------------------- shapes
@dataclass
class Shape:
    """A seed as a table, with how it was written: enough to write it again, changed."""

    encoding: str  # a Python codec; "utf-8-sig" and "utf-16" write their byte-order mark
    delimiter: str
    newline: str
    header: list[str]
    rows: list[list[str]]

    def copy(self, **changes) -> Shape:
        values = {"encoding": self.encoding, "delimiter": self.delimiter, "newline": self.newline,
                  "header": list(self.header), "rows": [list(r) for r in self.rows]}
        return Shape(**{**values, **changes})


def shape_of(data: bytes) -> Shape:
    """How a seed is written (it is one of ours: its encoding is known to be one of these)."""
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        try:
            data.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"
    text = data.decode(encoding)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    table = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if any(c.strip() for c in r)]
    return Shape(encoding, delimiter, "\r\n" if "\r\n" in text else "\n", table[0], table[1:])


def line(cells: list[str], delimiter: str, quote_all: bool = False) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="",
               quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerow(cells)
    return buffer.getvalue()


def text_of(shape: Shape, quote_all: bool = False) -> str:
    return "".join(line(r, shape.delimiter, quote_all) + shape.newline for r in [shape.header, *shape.rows])


def encoded(text: str, encoding: str) -> bytes:
    """Text in an encoding; utf-16 with its BOM (little-endian, as Excel writes it)."""
    if encoding == "utf-16":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    try:
        return text.encode(encoding, errors="utf8_bom_bytes")
    except UnicodeEncodeError:  # a value the legacy code page cannot hold: the file saved as UTF-8 instead
        return codecs.BOM_UTF8 + text.encode("utf-8")


def _bom_as_utf8(error: UnicodeEncodeError) -> tuple[str, int]:
    """A byte-order mark in a legacy file is the UTF-8 BOM's bytes (what joining a UTF-8 export leaves)."""
    if error.object[error.start:error.end] == "\ufeff" * (error.end - error.start):
        return codecs.BOM_UTF8.decode("cp1252") * (error.end - error.start), error.end
    raise error


codecs.register_error("utf8_bom_bytes", _bom_as_utf8)


def render(shape: Shape, quote_all: bool = False) -> bytes:
    return encoded(text_of(shape, quote_all), shape.encoding)


# ----------------------------------------------------------------------------------------------------- reading
Facts = tuple  # what a row became, compared between readings


@dataclass
class Outcome:
    """What `read_folder` made of one home holding one file."""

    parsed: ParsedSource | None
    crash: str = ""  # a traceback: anything but BillingInputError left read_folder

    @property
    def refused(self) -> str:
        return next((f.refused for f in self.parsed.files if f.refused), "") if self.parsed else ""

    def facts(self, with_id: bool = False) -> Counter:
        """The entries (and expenses) read, as a multiset of their fields."""
        out: Counter = Counter()
        for e in self.parsed.entries:
            out[((e.entry_id,) if with_id else ()) + (e.client_name, e.date, e.person, e.hours, e.billable, e.notes,
                                                      e.project, e.task, e.project_code, e.roles, e.currency)] += 1
        for x in self.parsed.expenses:
            out[("expense", x.client_name, x.date, x.person, x.amount, x.billable, x.notes, x.project,
                 x.category, x.project_code, x.currency)] += 1
        return out

    def by_row(self) -> dict[int, Facts]:
        out = {e.source_row: (e.client_name, e.date, e.person, e.hours, e.billable, e.notes, e.project, e.task,
                              e.project_code, e.roles, e.currency) for e in self.parsed.entries}
        out.update({x.source_row: ("expense", x.client_name, x.date, x.person, x.amount, x.billable, x.notes,
                                   x.project, x.category, x.project_code, x.currency) for x in self.parsed.expenses})
        return out


class Home:
    """One scratch billing home, rewritten for every case (a file and its settings.yaml)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, label: str, data: bytes, settings: str) -> None:
        for folder in ("timesheets", "expenses"):
            shutil.rmtree(self.root / folder, ignore_errors=True)
            (self.root / folder).mkdir(parents=True)
        (self.root / "contracts").mkdir(exist_ok=True)
        (self.root / label).write_bytes(data)
        settings_file = self.root / "settings.yaml"
        if settings:
            settings_file.write_text(settings, encoding="utf-8")
        elif settings_file.exists():
            settings_file.unlink()

    def read(self, label: str, data: bytes, settings: str) -> Outcome:
        self.write(label, data, settings)
        try:
            return Outcome(read_folder(self.root))
        except BillingInputError:
            return Outcome(None)
        except Exception:  # noqa: BLE001 - the oracle: anything else is a crash
            return Outcome(None, crash=traceback.format_exc(limit=-3))


@contextlib.contextmanager
def scratch_home() -> Iterator[Home]:
    root = Path(tempfile.mkdtemp(prefix="reader_fuzz_"))
    try:
        yield Home(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------- mutations
@dataclass
class Expect:
    """What an honest reader makes of a mutated file, beside refusing it by name.

    `same`: the same entries (ids included), problems and refusal as the seed. Otherwise: rows of the seed not in
    `touched` or `gone` are read as before (or their client-month is stopped); a touched row is read as one of its
    alternatives, or not read and its client-month stopped; rows in `gone` left the file (a cut); an entry read that
    is none of these must satisfy `extra_ok`. `hours_column`: the mutated cell bears on the row's hours (random
    cell mutations: any other cell must leave the hours as they were)."""

    same: bool = False
    touched: dict[int, list[Facts]] = field(default_factory=dict)
    gone: set[int] = field(default_factory=set)
    extra_ok: Callable[[Facts], bool] = lambda facts: False
    adds_hours: bool = False
    unchanged_hours_of: int | None = None  # a row index whose hours must not change if it is read at all
    changed_ok: bool = False  # a touched row may be read changed (a random cell: what it says is what it means)
    only_no_crash: bool = False  # random bytes: what they mean is unknown, only oracle 1 applies
    shift_from: int | None = None  # rows from this index on are one row further down in the mutated file


@dataclass
class Case:
    kind: str  # "preserving" | "damaging" | "random-bytes" | "random-cell"
    name: str
    data: bytes
    expect: Expect
    detail: str = ""  # what was changed, for the finding


@dataclass
class Context:
    """A seed read once: its shape, its reading and the columns a mutation aims at."""

    seed: Seed
    shape: Shape
    base: Outcome
    base_rows: dict[int, Facts]  # data row index (0-based) -> what it became
    columns: dict[str, int]  # layout key -> column index
    hours_columns: set[int]  # columns whose change may change hours (durations, clock times, dates)
    comma_decimal: bool
    quantity: list[int]  # per data row, the column its hours (or amount) are read from
    home: Home | None = None

    def honest(self, rows: list[list[str]], index: int) -> list[Facts]:
        """What a row becomes when the file says it properly (the same cells, written by a CSV writer)."""
        outcome = self.home.read(self.seed.label, render(self.shape.copy(rows=rows)), self.seed.settings)
        found = outcome.by_row().get(index + 1) if outcome.parsed and not outcome.refused else None
        return [found] if found else []


def context(seed: Seed, home: Home) -> Context:
    shape = shape_of(seed.data)
    base = home.read(seed.label, render(shape), seed.settings)
    kind = "expense" if seed.label.startswith("expenses/") else "time"
    try:
        columns = layout_for(shape.header, kind).resolve(shape.header)
    except ValueError:
        columns = {}
    hours = {i for k, i in columns.items() if k in ("hours", "duration", "duration_h", "duration_decimal", "date",
                                                   "start_time", "end_time", "end_date", "amount")
             and (kind == "expense" or k != "amount")}
    report = base.parsed.files[0] if base.parsed and base.parsed.files else None
    comma = bool(report and report.decisions.get("numbers", "").startswith(("1.234,50", "1 234,50")))
    rows = {number - 1: facts for number, facts in base.by_row().items()} if base.parsed else {}
    quantity = []
    if columns:
        layout = layout_for(shape.header, kind)
        quantity = [columns[layout.quantity(row)] for row in _rows(shape.rows, columns, len(shape.header))]
    return Context(seed, shape, base, rows, columns, hours, comma, quantity, home)


def _replaced(facts: Facts, index: int, value: object) -> Facts:
    return facts[:index] + (value,) + facts[index + 1:]


def notes_field(facts: Facts) -> int:
    """Where notes are in Facts."""
    return 6 if facts[0] == "expense" else 5


def preserving(ctx: Context, rng: random.Random) -> Iterator[Case]:
    """Mutations that keep the meaning: the same entries must be read (oracle 2)."""
    shape = ctx.shape
    same = Expect(same=True)
    rows = shape.rows[:]
    rng.shuffle(rows)
    yield Case("preserving", "rows permuted", render(shape.copy(rows=rows)), same)
    yield Case("preserving", "line ends swapped",
               render(shape.copy(newline="\n" if shape.newline == "\r\n" else "\r\n")), same)
    for encoding in ("utf-8", "utf-8-sig", "utf-16"):
        if encoding != shape.encoding:
            yield Case("preserving", f"re-encoded as {encoding}", render(shape.copy(encoding=encoding)), same)
    yield Case("preserving", "blank line at the end",
               encoded(text_of(shape) + shape.newline, shape.encoding), same)
    yield Case("preserving", "every cell quoted", render(shape, quote_all=True), same)
    at = rng.randrange(len(shape.header) + 1)
    extra = shape.copy(header=shape.header[:at] + ["Zz Internal Ref"] + shape.header[at:],
                       rows=[r[:at] + [f"ref-{i}"] + r[at:] for i, r in enumerate(shape.rows)])
    yield Case("preserving", f"extra column at {at}", render(extra), same)
    order = list(range(len(shape.header)))
    rng.shuffle(order)
    yield Case("preserving", "columns reordered", render(shape.copy(
        header=[shape.header[i] for i in order], rows=[[r[i] if i < len(r) else "" for i in order]
                                                       for r in shape.rows])), same, f"order {order}")
    client = next((ctx.columns[k] for k in ("client", "customer") if k in ctx.columns), None)
    if client is not None and shape.rows:
        added = [r[:client] + [UNCLAIMED] + r[client + 1:] for r in rng.sample(shape.rows, min(2, len(shape.rows)))]
        yield Case("preserving", "rows of an unclaimed client appended", render(shape.copy(rows=shape.rows + added)),
                   Expect(same=True, extra_ok=lambda facts: UNCLAIMED in facts[:2], adds_hours=True))


HOSTILE_HOURS = ("1e3", "NaN", "inf", "Infinity", "0x10", "-1.5", "1_000", "1..5", "--1", "½", "１.５", "٢", "1.5.0",
                 "1,5,0", "+-1", "0e0", "1E+2", ".5.", "∞", "2h", "1:70", "99999999999999999", "-0:30:00")
HONEST_DIGITS = {"１.５": Decimal("1.5"), "٢": Decimal(2)}  # other scripts' digits: `\d` reads them, as a person does
HOSTILE_DATES = ("2026-02-30", "31/04/2026", "2026-13-01", "00/00/0000", "2026-00-10", "30.02.2026", "29/02/2026",
                 "2026/9/31", "9999-99-99", "2026-9-4T", "")


def damaging(ctx: Context, rng: random.Random) -> Iterator[Case]:
    """The damage the brief lists, each on a seeded row: refused or flagged, or read as an honest reader would."""
    shape = ctx.shape
    if not shape.rows:
        return
    n = len(shape.rows)
    r = rng.randrange(n)
    orig = ctx.base_rows.get(r)
    keep = [orig] if orig else []

    # a cut inside a row: rows before it stay, the rows after it are gone, the cut row is flagged or unchanged
    text = text_of(shape)
    starts = [len(text_of(shape.copy(rows=shape.rows[:i]))) for i in range(n + 1)]
    body = len(line(shape.rows[r], shape.delimiter))
    if body > 1:
        cut = starts[r] + rng.randrange(1, body)
        # cut inside the row's last cell, the row keeps its width: nothing tells it from a file ending unterminated
        last_cell = cut - starts[r] >= len(line(shape.rows[r][:-1], shape.delimiter)) + 1
        yield Case("damaging", "cut inside the last cell" if last_cell else "cut mid-row",
                   encoded(text[:cut], shape.encoding),
                   Expect(touched={r: keep}, gone=set(range(r + 1, n))), f"row {r + 1} cut after "
                   f"{cut - starts[r]} characters: {text[starts[r]:cut][-20:]!r}")

    # one cell deleted: the cells after it shift left
    c = rng.randrange(len(shape.rows[r]))
    row = shape.rows[r]
    yield Case("damaging", "cell deleted", render(shape.copy(rows=shape.rows[:r] + [row[:c] + row[c + 1:]]
                                                             + shape.rows[r + 1:])),
               Expect(touched={r: keep}), f"row {r + 1}, column {shape.header[c]!r}")

    # a stray quote inside a cell (written raw, as a hand edit leaves it): read as the character it is, or flagged
    plain = [i for i, cell in enumerate(row) if line([cell], shape.delimiter) == cell]
    c = rng.choice(plain) if plain else 0
    k = rng.randrange(len(row[c]) + 1)
    edited = row[c][:k] + '"' + row[c][k:]
    raw = line(row, shape.delimiter)
    cells = [line([cell], shape.delimiter) for cell in row]
    cells[c] = edited
    stray = text[:starts[r]] + shape.delimiter.join(cells) + text[starts[r] + len(raw):]
    split = next(csv.reader([shape.delimiter.join(cells)], delimiter=shape.delimiter))
    narrower = len(split) < len(row) and not any("\n" in cell for cell in split)  # closed by a later quote
    yield Case("damaging", "stray quote, row narrower" if narrower else "stray quote", encoded(stray, shape.encoding),
               # a quote closed later on its line moves text between cells, as CSV reads it: never the hours
               Expect(touched={r: ctx.honest(_with_cell(shape.rows, r, c, edited), r) + keep}, changed_ok=True,
                      unchanged_hours_of=r),
               f"row {r + 1}, {shape.header[c] if c < len(shape.header) else c!r}: {row[c]!r} -> {edited!r}")

    # another delimiter in one row
    other = ";" if shape.delimiter != ";" else ","
    changed = text[:starts[r]] + line(row, other) + text[starts[r] + len(raw):]
    yield Case("damaging", "another delimiter in one row", encoded(changed, shape.encoding),
               Expect(touched={r: []}), f"row {r + 1} written with {other!r}")

    date = ctx.columns.get("date")
    rows_with = [i for i in range(n) if i in ctx.base_rows]

    def cell_case(name: str, index: int, column: int, value: str, alternatives: list[Facts] | None = None,
                  **expect) -> Case:
        rows = _with_cell(shape.rows, index, column, value)
        before = shape.rows[index][column] if column < len(shape.rows[index]) else ""
        if column in ctx.quantity and {"duration_h", "duration_decimal"} <= set(ctx.columns):
            for other in (ctx.columns["duration_h"], ctx.columns["duration_decimal"]):  # Clockify: both hold hours
                rows[index][other] = value
        shown = value if len(value) < 40 else f"{value[:20]}...({len(value)} characters)"
        return Case("damaging", name, render(shape.copy(rows=rows)),
                    Expect(touched={index: alternatives or []}, **expect),
                    f"row {index + 1}, {shape.header[column]!r}: {before!r} -> {shown!r}")

    if ctx.quantity and rows_with:
        i = rng.choice(rows_with)
        hours = ctx.quantity[i]
        grouped = "1.500" if ctx.comma_decimal else "1,500"
        if not ctx.seed.label.startswith("expenses/"):  # an amount of 1,500 is what it says
            yield cell_case("thousands separator of the other convention", i, hours, grouped)
        yield cell_case("hours empty", i, hours, "")
        value = shape.rows[i][hours].strip()
        if value and not value.startswith("-"):
            credit = _replaced(ctx.base_rows[i], 4, -ctx.base_rows[i][4]) if ctx.seed.label.startswith("expenses/") \
                else None  # an expense's negative amount is a credit
            yield cell_case("negative hours", i, hours, "-" + value, [credit] if credit else None)
        for hostile in rng.sample(HOSTILE_HOURS, 4):
            honest = HONEST_DIGITS.get(hostile)
            if ctx.seed.label.startswith("expenses/") and hostile == "-1.5":
                honest = Decimal("-1.5")  # a credit
            yield cell_case(f"hours {hostile!r}", i, hours, hostile,
                            [_replaced(ctx.base_rows[i], 4 if ctx.base_rows[i][0] == "expense" else 3, honest)]
                            if honest is not None else None, adds_hours=honest is not None)
    if date is not None and rows_with:
        i = rng.choice(rows_with)
        value = shape.rows[i][date]
        swapped = _other_order(value)
        if swapped and swapped != value:
            # read in the file's order, the row may move to another month: honest, and no other row may change
            yield cell_case("a date in the other order", i, date, swapped, [_swapped_date(ctx.base_rows[i], value)],
                            extra_ok=lambda f: False)
        for hostile in rng.sample(HOSTILE_DATES, 3):
            yield cell_case(f"date {hostile!r}", i, date, hostile)

    # a header repeated in the middle: two exports joined; the second in another column order
    at = rng.randrange(1, n + 1) if n > 1 else 1
    joined = shape.copy(rows=shape.rows[:at] + [shape.header] + shape.rows[at:])
    yield Case("damaging", "header repeated in the middle", render(joined), Expect(shift_from=at),
               f"before row {at + 1}")
    order = list(range(len(shape.header)))
    rng.shuffle(order)
    if order != sorted(order):
        second = [[x[i] if i < len(x) else "" for i in order] for x in [shape.header, *shape.rows[at:]]]
        joined = shape.copy(rows=shape.rows[:at] + second)
        yield Case("damaging", "second export in another column order", render(joined),
                   Expect(touched={i: [ctx.base_rows[i]] if i in ctx.base_rows else [] for i in range(at, n)},
                          shift_from=at),
                   f"joined before row {at + 1}, order {order}")
    whole = text_of(shape)
    yield Case("damaging", "two exports concatenated", encoded(whole + whole.split(shape.newline, 1)[1],
                                                                    shape.encoding),
               Expect(extra_ok=lambda f: f in set(ctx.base_rows.values()), adds_hours=True))

    # a NUL character inside a cell: its row is refused when the cell is one the layout reads
    c = rng.randrange(len(row))
    value = row[c]
    k = rng.randrange(len(value) + 1)
    read = c in ctx.columns.values()
    yield cell_case("NUL in a cell", r, c, value[:k] + "\x00" + value[k:], None if read else keep)

    notes = next((ctx.columns[k] for k in ("notes", "description") if k in ctx.columns), None)
    if notes is not None and orig:
        long_notes = "Call about the plan. " * 300
        yield cell_case("long notes (6 kB)", r, notes, long_notes,
                        [_replaced(orig, notes_field(orig), long_notes.strip())])
        yield cell_case("huge cell (70 kB)", r, notes, "x" * 70_000)

    # a byte-order mark in the middle: at the start of a row (two exports joined) or inside a cell
    bom_row = text[:starts[r]] + "\ufeff" + text[starts[r]:]
    yield Case("damaging", "BOM at the start of a row", encoded(bom_row, shape.encoding),
               Expect(touched={r: keep}), f"row {r + 1}")
    k = rng.randrange(len(value) + 1)
    if shape.encoding != "cp1252":  # a legacy file holds no BOM character, only its UTF-8 bytes (a row start)
        # read as the invisible character it is (names drop it), never changing the hours or another row
        yield cell_case("BOM inside a cell", r, c, value[:k] + "\ufeff" + value[k:], keep, changed_ok=True,
                        unchanged_hours_of=None if c in ctx.hours_columns else r,
                        extra_ok=lambda f: c in ctx.hours_columns and not orig,  # an end time: no running timer
                        adds_hours=c in ctx.hours_columns)

    # mixed encodings: one row in another encoding than the file
    for other_encoding in ("cp1252", "utf-8"):
        if other_encoding == shape.encoding.replace("-sig", "") or shape.encoding == "utf-16":
            continue
        for i in range(n):
            raw_row = line(shape.rows[i], shape.delimiter) + shape.newline
            if raw_row.isascii():
                continue
            try:
                mixed = (encoded(text[:starts[i]], shape.encoding) + raw_row.encode(other_encoding)
                         + encoded(text[starts[i] + len(raw_row):], shape.encoding.replace("-sig", "")))
            except UnicodeEncodeError:
                continue
            yield Case("damaging", f"one row in {other_encoding}", mixed,
                       Expect(touched={i: [ctx.base_rows[i]] if i in ctx.base_rows else []}), f"row {i + 1}")
            break


def _with_cell(rows: list[list[str]], index: int, column: int, value: str) -> list[list[str]]:
    out = [list(x) for x in rows]
    out[index] = out[index] + [""] * (column + 1 - len(out[index]))
    out[index][column] = value
    return out


def _other_order(value: str) -> str:
    """The date written the other way round: NN/NN/YYYY parts swapped, YYYY-MM-DD as YYYY-DD-MM."""
    import re

    if match := re.fullmatch(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{2,4})(.*)", value.strip()):
        a, sep, b, y, rest = match.groups()
        return f"{b}{sep}{a}{sep}{y}{rest}"
    if match := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(.*)", value.strip()):
        y, m, d, rest = match.groups()
        return f"{y}-{d}-{m}{rest}"
    return ""


def _swapped_date(facts: Facts, value: str) -> Facts:
    """The row read with month and day exchanged (when both are <= 12: the file's order reads it so)."""
    index = 2 if facts[0] == "expense" else 1
    day = facts[index]
    if day.day > 12:
        return facts
    return _replaced(facts, index, day.replace(month=day.day, day=day.month))


RANDOM_BYTES = (b"\x00", b'"', b",", b";", b"\t", b"\n", b"\r", b"\xff", b"\xfe", b"\xef\xbb\xbf", b"\x80", b"\xc3",
                b"\xe2\x80", b"\x1a", b"\\", b"'", b" ", b"\xc2\xa0", b"=", b"-", b"9", b".", b":")
RANDOM_CELLS = ("", " ", '"', '""', "'", "1e3", "NaN", "-1", "0", "0x10", "\x00", "\ufeff", "9" * 30, "1,5", "1.5",
                "1.500", "1,500", "1 500", "1'500", "2026-02-30", "31/04/2026", "13/13/2026", "12/12/2026", "Yes",
                "No", "maybe", "=1+1", "a\r\nb", "a,b", "a;b", "a\tb", "１.５", "12:99", "25:00:00", "1:30",
                "0:45", "-0", "+1.5", "\u200b", "Zoë", "Ã©", "\x1a", "\\", "null", "None", "1.5 h", "-", "0.00",
                "00:00:00", "23:59", "11:00 PM", "2026-09-04T25:00:00Z", "x" * 5000)


def random_bytes(ctx: Context, rng: random.Random) -> Case:
    """1-3 byte edits anywhere (flip, insert, delete, duplicate, cut): only the no-crash oracle applies."""
    data = bytearray(render(ctx.shape))
    edits = []
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(data) + 1)
        op = rng.choice(("insert", "insert", "flip", "delete", "duplicate", "cut", "swap-lines"))
        if op == "insert":
            piece = rng.choice(RANDOM_BYTES)
            data[at:at] = piece
        elif op == "flip" and at < len(data):
            data[at] ^= 1 << rng.randrange(8)
        elif op == "delete" and at < len(data):
            del data[at:at + rng.randint(1, 4)]
        elif op == "duplicate":
            data[at:at] = data[at:at + rng.randint(1, 40)]
        elif op == "cut":
            del data[at:]
        elif op == "swap-lines":
            lines = bytes(data).split(b"\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
        edits.append(f"{op}@{at}")
    return Case("random-bytes", "byte edits", bytes(data), Expect(only_no_crash=True), ", ".join(edits))


def random_cell(ctx: Context, rng: random.Random) -> Case:
    """One cell replaced by a hostile value: rows other than its own read as before (or their month stopped);
    its own row, if read, keeps its hours unless the cell bears on them."""
    shape = ctx.shape
    if not shape.rows:
        return random_bytes(ctx, rng)
    r = rng.randrange(len(shape.rows))
    c = rng.randrange(len(shape.header))
    value = rng.choice(RANDOM_CELLS)
    if rng.random() < 0.3:  # spliced into the cell rather than replacing it
        old = shape.rows[r][c] if c < len(shape.rows[r]) else ""
        k = rng.randrange(len(old) + 1)
        value = old[:k] + value + old[k:]
    rows = [list(x) for x in shape.rows]
    rows[r] = rows[r] + [""] * (c + 1 - len(rows[r]))
    before = rows[r][c]
    rows[r][c] = value
    bears = c in ctx.hours_columns
    shown = value if len(value) < 40 else f"{value[:20]}...({len(value)} characters)"
    orig = ctx.base_rows.get(r)
    expect = Expect(touched={r: [orig] if orig else []}, changed_ok=True, unchanged_hours_of=None if bears else r,
                    adds_hours=bears, extra_ok=lambda f: bears and orig is None)  # a skipped row may now be read
    return Case("random-cell", f"cell {shape.header[c]!r}", render(shape.copy(rows=rows)), expect,
                f"row {r + 1}, {shape.header[c]!r}: {before!r} -> {shown!r}")
