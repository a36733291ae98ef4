"""Write the same time entries as each export layout the reader knows (Harvest, Toggl, Clockify, QuickBooks Time),
in the variants the vendors produce: number format, date format, duration format, 12/24-hour clock, delimiter,
encoding and line ends. Used by the cross-layout metamorphic probe (bench/layout_diff.py,
tests/test_layout_equivalence.py): a file written here must be read back as the entries it was written from.

Headers follow ../shared/research/api-facts.md and the public samples in tests/fixtures/public_exports/.
"""

from __future__ import annotations

import calendar
import csv
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class Entry:
    """One canonical time entry: what any layout must read back. `start` is seconds after midnight (None: no
    clock times, a manual entry)."""

    date: date
    client: str
    project: str
    task: str
    notes: str
    first: str
    last: str
    hours: Decimal  # at most 2 decimals
    billable: bool = True
    start: int | None = None
    project_code: str = ""
    exact_seconds: int | None = None  # a duration not of whole hundredths (Clockify Compact, seconds dropped)

    @property
    def person(self) -> str:
        return f"{self.first} {self.last}".strip()

    @property
    def seconds(self) -> int:
        return self.exact_seconds if self.exact_seconds is not None else int(self.hours * 3600)

    def key(self) -> tuple:
        """What the oracle compares: (client, date, person, project, task, notes, hours, billable)."""
        return (self.client, self.date, self.person, self.project, self.task, self.notes, self.hours, self.billable)


@dataclass(frozen=True)
class Variant:
    """One way a tool writes its detailed export."""

    layout: str  # harvest | toggl | clockify | qbt
    name: str
    dates: str = "iso"  # a key of DATE_FORMATS
    numbers: str = "1,234.50"  # or "1.234,50"
    durations: str = "decimal"  # decimal | hmm | hmmss | hmmss12 (Toggl's 12-hour clock) | compact (Clockify)
    clock12: bool = False  # start/end times on a 12-hour clock
    delimiter: str = ","
    billable_column: bool = True  # False: the tool writes none (every row billable)
    minute_quantum: bool = False  # hours must be whole minutes (H:MM durations)
    clock: bool = True  # start/end times written
    decimal_numbers: str = ""  # Clockify's `Duration (decimal)` in another format than the money columns
    tolerance: Decimal = Decimal(0)  # hours a read entry may differ by (a format's documented rounding)
    renamed: tuple[tuple[str, str], ...] = ()  # header names another version of the tool writes

    @property
    def label(self) -> str:
        return f"{self.layout}/{self.name}"


DATE_FORMATS: dict[str, Callable[[date], str]] = {
    "iso": lambda d: d.isoformat(),
    "mdy": lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}",
    "dmy": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    "dmy_dot": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    "dmy_dash": lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}",
    "mdy_dash": lambda d: f"{d.month:02d}-{d.day:02d}-{d.year}",
    "mdy_excel": lambda d: f"{d.month}/{d.day}/{d.year % 100:02d}",  # Excel re-saving a US file: 9/4/26
    "dmy_excel": lambda d: f"{d.day}/{d.month}/{d.year % 100:02d}",  # ... and a UK one: 4/9/26
}
SLASHED = {"mdy": "month_first", "dmy": "day_first", "dmy_dash": "day_first", "mdy_dash": "month_first",
           "mdy_excel": "month_first", "dmy_excel": "day_first"}

V = Variant
VARIANTS: tuple[Variant, ...] = (
    V("harvest", "us-decimal"),
    V("harvest", "eu-comma-semicolon", numbers="1.234,50", delimiter=";", dates="dmy_dot"),
    V("harvest", "eu-comma", numbers="1.234,50", dates="iso"),
    V("harvest", "uk-dmy", dates="dmy"),
    V("harvest", "us-mdy", dates="mdy"),
    V("harvest", "hhmm", durations="hmm", minute_quantum=True),
    V("harvest", "hhmm-eu", durations="hmm", minute_quantum=True, numbers="1.234,50", dates="dmy_dot",
      delimiter=";"),
    V("harvest", "excel-mdy-yy", dates="mdy_excel"),
    V("harvest", "excel-dmy-yy", dates="dmy_excel", numbers="1.234,50", delimiter=";"),
    V("harvest", "fr-space", numbers="1 234,50", delimiter=";", dates="dmy"),
    V("harvest", "ch-apostrophe", numbers="1'234.50", dates="dmy_dot"),
    V("toggl", "iso-24h", durations="hmmss"),
    V("toggl", "12h-clock", durations="hmmss12", clock12=True),
    V("toggl", "dmy-slash", dates="dmy", durations="hmmss"),
    V("toggl", "mdy-slash-12h", dates="mdy", durations="hmmss12", clock12=True),
    V("toggl", "mdy-dash", dates="mdy_dash", durations="hmmss"),
    V("toggl", "12h-times-24h-duration", dates="dmy", durations="hmmss", clock12=True),
    V("toggl", "dmy-dot", dates="dmy_dot", durations="hmmss"),
    V("toggl", "decimal", durations="decimal"),
    V("toggl", "decimal-comma-semicolon", durations="decimal", numbers="1.234,50", delimiter=";", dates="dmy_dot"),
    V("toggl", "no-billable-column", billable_column=False, durations="hmmss"),
    V("toggl", "member-stop-headers", durations="hmmss", dates="dmy", numbers="1.234,50", delimiter=";",
      renamed=(("User", "Member"), ("End date", "Stop date"), ("End time", "Stop time"),
               ("Amount (USD)", "Billable amount (EUR)"))),
    V("clockify", "full-mdy-12h", dates="mdy", durations="hmmss", clock12=True),
    V("clockify", "full-dmy", dates="dmy", durations="hmmss"),
    V("clockify", "compact-iso", durations="compact", minute_quantum=True),
    V("clockify", "compact-dmy-dash", dates="dmy_dash", durations="compact", minute_quantum=True),
    V("clockify", "decimal-dot-date-12h", dates="dmy_dot", durations="decimal", clock12=True),
    V("clockify", "decimal-comma", dates="dmy_dot", durations="decimal", numbers="1.234,50", delimiter=";"),
    V("clockify", "full-comma-point-decimal", dates="dmy_dot", durations="hmmss", numbers="1.234,50",
      decimal_numbers="1,234.50"),
    V("clockify", "compact-comma-point-decimal", dates="dmy", durations="compact", numbers="1.234,50",
      decimal_numbers="1,234.50", minute_quantum=True, delimiter=";"),
    V("clockify", "compact-seconds-dropped", durations="compact", tolerance=Decimal("0.01")),
    V("clockify", "compact-seconds-dropped-eu", durations="compact", numbers="1.234,50", decimal_numbers="1,234.50",
      dates="dmy_dot", delimiter=";", tolerance=Decimal("0.01")),
    V("clockify", "decimal-comma-point-decimal", durations="decimal", numbers="1.234,50",
      decimal_numbers="1,234.50", dates="dmy"),
    V("qbt", "iso"),
    V("qbt", "no-billable-column", billable_column=False),
    V("qbt", "manual", clock=False),
)
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252", "mac_roman", "cp1250")


def fit(entries: list[Entry], variant: Variant) -> list[Entry]:
    """The entries as the variant can hold them exactly: whole minutes for H:MM, billable when the tool writes no
    Billable column, no project code where the layout has none, no clock where it writes none."""
    out = []
    for e in entries:
        hours = e.hours
        if variant.minute_quantum:  # whole minutes with 2 decimals: multiples of 0.05 h
            hours = max(Decimal("0.05"), (hours / Decimal("0.05")).quantize(Decimal(1), ROUND_HALF_UP)
                        * Decimal("0.05"))
        out.append(replace(e, hours=hours, billable=e.billable or not variant.billable_column,
                           project_code=e.project_code if variant.layout == "harvest" else "",
                           start=e.start if variant.clock else None))
    return out


# ------------------------------------------------------------------------------------------------ cell writers
GROUPING = {"1,234.50": (",", "."), "1.234,50": (".", ","), "1 234,50": ("\u202f", ","), "1'234.50": ("'", ".")}


def number(value: Decimal, fmt: str, places: int = 2, group: bool = False) -> str:
    """`1234.5` in a number format: `1,234.50`, `1.234,50`, `1 234,50` (narrow no-break space), `1'234.50`
    (grouped only when `group`)."""
    text = f"{value:,.{places}f}" if group else f"{value:.{places}f}"
    sep, mark = GROUPING[fmt]
    return text.replace(",", "\0").replace(".", mark).replace("\0", sep)


def hours_decimal(hours: Decimal, fmt: str) -> str:
    """Hours as Harvest writes them: at least one decimal, at most two (`1.0`, `1.5`, `1.33`)."""
    places = max(1, -hours.normalize().as_tuple().exponent)
    return number(hours, fmt, places)


def hms(seconds: int, pad: bool = True) -> str:
    h, rest = divmod(seconds, 3600)
    return f"{h:02d}:{rest // 60:02d}:{rest % 60:02d}" if pad else f"{h}:{rest // 60:02d}:{rest % 60:02d}"


def hm(seconds: int) -> str:
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}"


def clock_of_day(seconds: int, twelve: bool) -> str:
    """A time of day: `14:05:09`, or `02:05:09 PM` on a 12-hour clock."""
    seconds %= 86400
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if not twelve:
        return f"{h:02d}:{m:02d}:{s:02d}"
    return f"{(h % 12) or 12:02d}:{m:02d}:{s:02d} {'AM' if h < 12 else 'PM'}"


def duration_12h(seconds: int) -> str:
    """Toggl's 12-hour time format writes a duration as a time of day: 20 minutes is `12:20:00 AM`."""
    return clock_of_day(seconds, True)


def span(e: Entry) -> tuple[date, int, date, int]:
    """(start date, start second, end date, end second of its day)."""
    assert e.start is not None
    end = e.start + e.seconds
    return e.date, e.start, e.date + timedelta(days=end // 86400), end % 86400


def email(e: Entry) -> str:
    """An ASCII address as the tools' user accounts have (`noel.martin@example.test`)."""
    local = unicodedata.normalize("NFKD", e.person).encode("ascii", "ignore").decode().lower().strip()
    return f"{'.'.join(local.split()) or 'user'}@example.test"


def yes_no(flag: bool) -> str:
    return "Yes" if flag else "No"


# -------------------------------------------------------------------------------------------------- layouts
def harvest(entries: list[Entry], v: Variant) -> list[list[str]]:
    header = ["Date", "Client", "Project", "Project Code", "Task", "Notes", "Hours", "Billable?", "Invoiced?",
              "Approved?", "First Name", "Last Name", "Employee Id", "Roles", "Employee?", "Billable Rate",
              "Billable Amount", "Cost Rate", "Cost Amount", "Currency", "External Reference URL"]
    day = DATE_FORMATS[v.dates]
    rows = [header]
    for e in entries:
        rate = Decimal(150) if e.billable else Decimal(0)
        hours = hm(e.seconds) if v.durations == "hmm" else hours_decimal(e.hours, v.numbers)
        rows.append([day(e.date), e.client, e.project, e.project_code, e.task, e.notes, hours, yes_no(e.billable),
                     "No", "No", e.first, e.last, "", "Consultant", "Yes", number(rate, v.numbers, 1),
                     number(rate * e.hours, v.numbers, 1, group=True), number(Decimal(60), v.numbers, 1),
                     number(60 * e.hours, v.numbers, 1, group=True), "United States Dollar - USD", ""])
    return rows


def _toggl_duration(e: Entry, v: Variant) -> str:
    if v.durations == "hmmss12":
        return duration_12h(e.seconds)
    if v.durations == "decimal":
        return number(e.hours, v.numbers)
    return hms(e.seconds)


def toggl(entries: list[Entry], v: Variant) -> list[list[str]]:
    header = ["User", "Email", "Client", "Project", "Task", "Description", "Billable", "Start date", "Start time",
              "End date", "End time", "Duration", "Tags", "Amount (USD)"]
    if not v.billable_column:
        header.remove("Billable")
    day = DATE_FORMATS[v.dates]
    rows = [header]
    for e in entries:
        d0, s0, d1, s1 = span(e)
        row = [e.person, email(e), e.client, e.project, e.task, e.notes,
               yes_no(e.billable), day(d0), clock_of_day(s0, v.clock12), day(d1), clock_of_day(s1, v.clock12),
               _toggl_duration(e, v), "", number(150 * e.hours if e.billable else Decimal(0), v.numbers)]
        if not v.billable_column:
            del row[6]
        rows.append(row)
    return rows


def clockify(entries: list[Entry], v: Variant) -> list[list[str]]:
    header = ["Project", "Client", "Description", "Task", "User", "Group", "Email", "Tags", "Type", "Billable",
              "Invoiced", "Invoice ID", "Start Date", "Start Time", "End Date", "End Time", "Duration (h)",
              "Duration (decimal)", "Billable Rate (USD)", "Billable Amount (USD)", "Date of creation"]
    day = DATE_FORMATS[v.dates]
    rows = [header]
    for e in entries:
        d0, s0, d1, s1 = span(e)
        duration = {"hmmss": hms(e.seconds), "compact": hm(e.seconds),
                    "decimal": number(e.hours, v.numbers)}[v.durations]
        rate = Decimal(150) if e.billable else Decimal(0)
        rows.append([e.project, e.client, e.notes, e.task, e.person, "", email(e), "",
                     "Regular", yes_no(e.billable), "No", "", day(d0), clock_of_day(s0, v.clock12), day(d1),
                     clock_of_day(s1, v.clock12), duration,
                     number((Decimal(e.seconds) / 3600).quantize(HUNDREDTH, ROUND_HALF_UP),
                            v.decimal_numbers or v.numbers), number(rate, v.numbers),
                     number(rate * e.hours, v.numbers), day(d0)])
    return rows


def qbt(entries: list[Entry], v: Variant) -> list[list[str]]:
    header = ["username", "payroll_id", "fname", "lname", "number", "group", "local_date", "local_day",
              "local_start_time", "local_end_time", "tz", "hours", "jobcode_1", "jobcode_2", "jobcode_3", "class",
              "service item", "location", "notes", "approved_status", "billable"]
    if not v.billable_column:
        header.remove("billable")
    rows = [header]
    for e in entries:
        start = end = ""
        if e.start is not None:
            begin = datetime.combine(e.date, datetime.min.time()) + timedelta(seconds=e.start)
            start = begin.isoformat() + "-05:00"
            end = (begin + timedelta(seconds=e.seconds)).isoformat() + "-05:00"
        row = [email(e).split("@")[0], "1001", e.first, e.last, "7", "Staff", DATE_FORMATS[v.dates](e.date),
               e.date.strftime("%a"), start, end, "-5", number(e.hours, v.numbers), e.client, e.project, "", "",
               e.task, "", e.notes, "approved", "yes" if e.billable else "no"]
        if not v.billable_column:
            row.pop()
        rows.append(row)
    return rows


WRITERS: dict[str, Callable[[list[Entry], Variant], list[list[str]]]] = {
    "harvest": harvest, "toggl": toggl, "clockify": clockify, "qbt": qbt}


def encodable(rows: list[list[str]], encoding: str) -> bool:
    try:
        "".join("".join(r) for r in rows).encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def to_bytes(rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8", newline: str = "\r\n",
             quote_all: bool = False) -> bytes:
    """The table as the tool's file: UTF-16 is Excel's "Unicode text" (tab-delimited, with BOM)."""
    if encoding == "utf-16":
        delimiter = "\t"
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline,
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def table(entries: list[Entry], variant: Variant) -> list[list[str]]:
    """The variant's header and rows."""
    rows = WRITERS[variant.layout](entries, variant)
    names = dict(variant.renamed)
    return [[names.get(name, name) for name in rows[0]], *rows[1:]]


def write(entries: list[Entry], variant: Variant, encoding: str = "utf-8", newline: str = "\r\n",
          quote_all: bool = False) -> bytes:
    """The entries (already `fit` to the variant) as the variant's export file."""
    return to_bytes(table(entries, variant), variant.delimiter, encoding, newline, quote_all)


def needs_date_order(entries: list[Entry], variant: Variant) -> str | None:
    """The date order a reader needs told: every written date (start, end, creation) fits both orders."""
    order = SLASHED.get(variant.dates)
    if order is None:
        return None
    days = {e.date for e in entries}
    if variant.layout in ("toggl", "clockify"):  # they write the end date too
        days |= {span(e)[2] for e in entries if e.start is not None}
    return order if all(d.day <= 12 for d in days) else None


# ------------------------------------------------------------------------------------------------ generation
CLIENTS = ("Acme Corp", "Globex, Inc.", "Müller & Söhne GmbH", "Café Olé S.A.", "Initech", "Björk Ångström AB",
           "O'Brien \"Legal\" LLP", "Zürich Re")
PEOPLE = (("Ana", "Souza"), ("José", "Núñez"), ("Zoë", "Ångström"), ("Mary Ann", "Lee"), ("François", "Dupré"),
          ("Łukasz", "Wróbel"), ("Søren", "Kierkegaard"), ("Raj", "Patel"), ("李", "伟"), ("Chloé", "O'Neil"),
          ("Noël", "Martin"), ("Björn", "Berg"))
PROJECTS = ("Website", "Audit 2026", "Migration, phase 2", "Due diligence", "Retainer")
TASKS = ("Design", "Development", "Meeting", "Research", "Review", "")
NOTES = ("Kick-off call", "Drafted memo, reviewed with client", 'Fixed "login" bug', "Prepared slides\nand agenda",
         "Résumé of findings; next steps", "Call with Zoë — 20 min", "Notes: a, b, c", "", "Reviewed invoice #12",
         "Line one\nLine two, with comma", "Emoji 🔥 deploy", "Über-review of the naïve façade",
         "He said \"it's done\", we'll see", '"Quoted" at the start', "Tab\there; semi", "1.500", "2026-13-01",
         "ends with a backslash \\")
# legitimate text whose bytes look like UTF-8 misread as cp1252 / Mac Roman (`mojibake`): in one seed in 16
LOOKALIKE_CLIENTS = ("CAFÉ’S BAKERY",)
LOOKALIKE_NOTES = ("Lunch at CAFÉ’S", "Call—Émile joined")


def generate(rng, variant: Variant | None = None, encoding: str = "utf-8") -> list[Entry]:
    """Seeded random entries: several clients and people, 1-3 months of 2026, unicode names and notes with commas,
    quotes and line breaks (only text the encoding holds), start times within a working day (a few crossing
    midnight, a few after it); one seed in five has only days 1-12 (dates that fit both orders), one in 16 text
    that looks like mojibake."""
    def fits(*texts: str) -> bool:
        return all(encodable([[t]], encoding) for t in texts)

    lookalike = rng.random() < 1 / 16
    clients = rng.sample([c for c in CLIENTS + LOOKALIKE_CLIENTS * lookalike if fits(c)], rng.randint(2, 4))
    people = rng.sample([p for p in PEOPLE if fits(*p)], rng.randint(2, 4))
    notes = [n for n in NOTES + LOOKALIKE_NOTES * lookalike if fits(n)]
    first_month = rng.randint(1, 12)  # a quarter may run into 2027
    months = [(2026 + (first_month + i - 1) // 12, (first_month + i - 1) % 12 + 1) for i in range(rng.randint(1, 3))]
    last_day = 12 if rng.random() < 0.2 else 31
    seconds_dropped = variant is not None and variant.tolerance > 0
    entries = []
    for _ in range(rng.choice((rng.randint(1, 4), rng.randint(8, 40), rng.randint(8, 40)))):
        year, month = rng.choice(months)
        day = date(year, month, rng.randint(1, min(last_day, calendar.monthrange(year, month)[1])))
        hours = Decimal(rng.choice((rng.randint(1, 800), rng.randint(1, 40) * 25, rng.randint(1, 16) * 50))) / 100
        exact = rng.randint(30, 6 * 3600) if seconds_dropped else None
        length = exact if exact is not None else int(hours * 3600)
        if exact is not None:
            hours = (Decimal(exact) / 3600).quantize(Decimal("1E-10"), ROUND_HALF_UP)
        late = rng.random()
        if late < 0.05:  # a late entry crossing midnight (into the next month at a month's end)
            start = 23 * 3600 + rng.randint(0, 59) * 60 + rng.randint(0, 59)
        elif late < 0.08:  # after midnight: 12:xx AM on a 12-hour clock
            start = rng.randint(0, 59) * 60 + rng.randint(0, 59)
        else:
            start = rng.randint(7 * 3600, 18 * 3600) // 60 * 60 + rng.choice((0, 0, rng.randint(0, 59)))
            start = max(0, min(start, 86399 - length))
        first, last = rng.choice(people)
        entries.append(Entry(day, rng.choice(clients), rng.choice(PROJECTS), rng.choice(TASKS), rng.choice(notes),
                             first, last, hours, rng.random() < 0.8, start,
                             project_code=rng.choice(("", "P-100", "0042")), exact_seconds=exact))
    return fit(entries, variant) if variant else entries


# ---------------------------------------------------------------------------------------------------- oracle
@dataclass
class Verdict:
    """How one file was read: `exact`, `refused` (by problems naming the file), or `finding` with a diff."""

    outcome: str
    detail: str = ""
    problems: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()  # of a finding: the fields read differently (client, date, hours, ...)


def judge(expected: list[Entry], parsed, label: str, tolerance: Decimal = Decimal(0)) -> Verdict:
    """Compare what `read_folder` gave with the entries written. Exact: the multisets of `Entry.key` match and
    there are no problems. Refused: every problem is one line naming the file, every entry read is one written,
    and every entry not read is in a row a problem names (or the whole file is refused). Else a finding.
    `tolerance`: hours a read entry may differ from its written one by (a format's documented rounding)."""
    from collections import Counter

    got_keys = [(e.client_name, e.date, e.person, e.project, e.task, e.notes, e.hours, e.billable)
                for e in parsed.entries]
    got_keys = within(tolerance, [e.key() for e in expected], got_keys) if tolerance else got_keys
    want = Counter(e.key() for e in expected)
    got = Counter(got_keys)
    problems = tuple(str(p) for p in parsed.problems)
    if not parsed.problems:
        if got == want:
            return Verdict("exact")
        return Verdict("finding", diff(want, got), fields=differing(want, got))
    bad = [p for p in parsed.problems if p.file != label or "\n" in str(p)]
    if bad:
        return Verdict("finding", f"problem not naming {label} in one line: {bad[0]}", problems)
    extra = got - want
    if extra:
        return Verdict("finding", "read wrong beside problems: " + diff(want, got), problems, differing(want, got))
    if any(p.row == 0 for p in parsed.problems):
        return Verdict("refused", "", problems)
    named = {p.row for p in parsed.problems}
    read_rows = {e.source_row for e in parsed.entries}
    missing = [i for i in range(1, len(expected) + 1) if i not in read_rows and i not in named]
    if missing:
        return Verdict("finding", f"rows {missing[:5]} neither read nor named by a problem", problems)
    return Verdict("refused", "", problems)


def within(tolerance: Decimal, want: list[tuple], got: list[tuple]) -> list[tuple]:
    """`got` with each entry's hours replaced by the hours of an unmatched expected entry that is the same but for
    hours within `tolerance` (so that only differences beyond the documented rounding show)."""
    pool: dict[tuple, list[Decimal]] = {}
    for key in want:
        pool.setdefault(key[:6] + key[7:], []).append(key[6])
    out = []
    for key in got:
        candidates = pool.get(key[:6] + key[7:], [])
        match = min(candidates, key=lambda h: abs(h - key[6]), default=None)
        if match is not None and abs(match - key[6]) <= tolerance:
            candidates.remove(match)
            key = key[:6] + (match,) + key[7:]
        out.append(key)
    return out


FIELDS = ("client", "date", "person", "project", "task", "notes", "hours", "billable")


def differing(want, got) -> tuple[str, ...]:
    """The fields in which entries read instead differ from the entries missing (each paired with its nearest)."""
    lost, added = list((want - got).elements()), list((got - want).elements())
    found: set[str] = set()
    for key in added:
        near = min(lost, key=lambda k: sum(a != b for a, b in zip(k, key, strict=True)), default=None)
        if near is None:
            found.add("extra entry")
            continue
        found |= {name for name, a, b in zip(FIELDS, near, key, strict=True) if a != b}
    if len(lost) > len(added):
        found.add("entry lost")
    return tuple(sorted(found))


def diff(want, got) -> str:
    """A minimal diff of two Counters of entry keys: what is missing and what was read instead (first 3 each)."""
    lost = list((want - got).elements())[:3]
    added = list((got - want).elements())[:3]
    return (f"expected {sum(want.values())}, read {sum(got.values())}; missing {lost}; read instead {added}")
