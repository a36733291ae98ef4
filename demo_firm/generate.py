"""The Northbeam Partners demo firm: a complete, deterministic billing home (spec section 1), from data files.

`write_demo_home(home, seed)` writes the twelve contracts of `contracts/` as they are, three closed months
(2026-08 .. 2026-10) of Harvest "Detailed time" and expense exports drawn from `data/` (people, and per client
the work streams, note templates and expenses), an empty `overrides/` folder and a README that says which
client exercises which billing rule. Everything comes from one seeded `random.Random`, with no wall clock and
no set-iteration order, so two runs with the same seed write byte-identical trees.

Run it as `python -m demo_firm <dir> [--seed N]`, or `billing demo`.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import random
import re
import string
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

D = Decimal
ROOT = Path(__file__).resolve().parent
HARVEST_TIME_HEADER: tuple[str, ...] = (
    "Date", "Client", "Project", "Project Code", "Task", "Notes", "Hours", "Hours Rounded", "Billable?",
    "Invoiced?", "Approved?", "First Name", "Last Name", "Employee Id", "Roles", "Employee?", "Billable Rate",
    "Billable Amount", "Cost Rate", "Cost Amount", "Currency", "External Reference URL",
)
HARVEST_EXPENSE_HEADER: tuple[str, ...] = (
    "Date", "Client", "Project", "Project Code", "Category", "Notes", "Amount", "Billable?", "Invoiced?",
    "First Name", "Last Name", "Currency",
)


# --- the firm -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A Northbeam employee as Harvest exports them."""

    first: str
    last: str
    title: str
    roles_column: str  # Harvest's Roles column ("" when the person has no Harvest role)
    employee_id: str
    unit: Decimal  # the granularity this person logs in: quarter or tenth hours

    @property
    def name(self) -> str:
        """The person as the spec names them: "{First Name} {Last Name}"."""
        return f"{self.first} {self.last}"


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


_FIRM = _load(ROOT / "data" / "firm.yaml")
FIRM: str = _FIRM["firm"]
MONTHS: tuple[str, ...] = tuple(_FIRM["months"])
CURRENCY_LABEL: str = _FIRM["currency_label"]
HOLIDAYS: tuple[date, ...] = tuple(date.fromisoformat(d) for d in _FIRM["holidays"])
MAX_DAY_HOURS = D(_FIRM["max_day_hours"])
PEOPLE: tuple[Person, ...] = tuple(Person(**{**p, "unit": D(p["unit"])})
                                   for p in _load(ROOT / "data" / "people.yaml"))
PEOPLE_BY_NAME: dict[str, Person] = {p.name: p for p in PEOPLE}



@dataclass(frozen=True)
class Stream:
    """One kind of work on one client: where it is logged, who logs it and what they write.

    `label` is the truth a reviewer would agree with: the SOW item id (or a short project label for
    clients without a SOW). `weights` share out a month's entries; `fixed` instead gives an exact count
    per month (used for rush and held rows, so the demo always has a few of them)."""

    label: str
    project: str
    code: str
    tasks: tuple[str, ...]
    people: tuple[str, ...]
    notes: tuple[str, ...]
    hours: tuple[str, str]
    weights: tuple[int, int, int] = (1, 1, 1)
    fixed: tuple[int, int, int] | None = None
    work_type: str = "standard"
    billable: bool = True
    weekend_share: float = 0.0


@dataclass(frozen=True)
class ExpenseTemplate:
    """A recurring or one-off expense; `months` are indexes into MONTHS."""

    project: str
    code: str
    category: str
    notes: str
    amount: tuple[str, str]
    billable: bool
    people: tuple[str, ...]
    months: tuple[int, ...] = (0, 1, 2)



@dataclass(frozen=True)
class Client:
    """A client: its contract file, its work streams and its expenses."""

    slug: str
    name: str
    engagement: str
    rules: tuple[str, ...]
    entries: tuple[int, int, int]  # time entries per month
    streams: tuple[Stream, ...]
    fills: dict[str, tuple[str, ...]] = field(default_factory=dict)
    alias_for: tuple[tuple[str, str], ...] = ()  # (person or project, alias): those rows use the alias
    expenses: tuple[ExpenseTemplate, ...] = ()

    @property
    def people(self) -> tuple[str, ...]:
        """Everyone who logs time on this client, in first-seen order."""
        seen: dict[str, None] = {}
        for stream in self.streams:
            for person in stream.people:
                seen.setdefault(person, None)
        return tuple(seen)

    @property
    def contract_path(self) -> Path:
        return ROOT / "contracts" / f"{self.slug}.yaml"


def _tuples(value: Any) -> Any:
    """Lists read from YAML as the tuples the dataclasses hold (nested lists too)."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _client(data: dict[str, Any]) -> Client:
    streams = tuple(Stream(**{k: _tuples(v) for k, v in s.items()}) for s in data["streams"])
    expenses = tuple(ExpenseTemplate(**{k: _tuples(v) for k, v in e.items()}) for e in data.get("expenses", ()))
    fills = {k: _tuples(v) for k, v in data.get("fills", {}).items()}
    return Client(slug=data["slug"], name=data["name"], engagement=data["engagement"], rules=_tuples(data["rules"]),
                  entries=_tuples(data["entries"]), streams=streams, fills=fills,
                  alias_for=_tuples(data.get("alias_for", [])), expenses=expenses)


CLIENTS: tuple[Client, ...] = tuple(_client(_load(ROOT / "data" / "clients" / f"{slug}.yaml"))
                                    for slug in _FIRM["clients"])


# Generation
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeRow:
    """One generated Harvest time row plus the truth it was generated from (not written to the CSV)."""

    client: str  # slug
    day: date
    client_name: str
    project: str
    code: str
    task: str
    notes: str
    hours: Decimal
    billable: bool
    person: Person
    label: str  # SOW item id or stream label
    work_type: str

    @property
    def month(self) -> str:
        """YYYY-MM of the row's date."""
        return self.day.isoformat()[:7]

    def csv_row(self) -> list[str]:
        """The row in the column order of HARVEST_TIME_HEADER."""
        hours = f"{self.hours:.2f}"
        return [self.day.isoformat(), self.client_name, self.project, self.code, self.task, self.notes, hours,
                hours, "Yes" if self.billable else "No", "No", "Yes", self.person.first, self.person.last,
                self.person.employee_id, self.person.roles_column, "Yes", "", "", "", "", CURRENCY_LABEL, ""]


@dataclass(frozen=True)
class ExpenseRow:
    """One generated Harvest expense row."""

    client: str
    day: date
    client_name: str
    project: str
    code: str
    category: str
    notes: str
    amount: Decimal
    billable: bool
    person: Person

    @property
    def month(self) -> str:
        """YYYY-MM of the expense's date."""
        return self.day.isoformat()[:7]

    def csv_row(self) -> list[str]:
        """The row in the column order of HARVEST_EXPENSE_HEADER."""
        return [self.day.isoformat(), self.client_name, self.project, self.code, self.category, self.notes,
                f"{self.amount:.2f}", "Yes" if self.billable else "No", "No", self.person.first,
                self.person.last, CURRENCY_LABEL]


@dataclass
class DemoData:
    """Everything the demo home holds, before it is written."""

    seed: int
    time_rows: list[TimeRow]
    expense_rows: list[ExpenseRow]

    def rows_in(self, month: str) -> list[TimeRow]:
        """Time rows of one month, in file order."""
        return [r for r in self.time_rows if r.month == month]


def _month_days(month: str) -> tuple[list[date], list[date]]:
    """(working days, weekend days) of a YYYY-MM month."""
    year, mon = int(month[:4]), int(month[5:])
    days = [date(year, mon, d) for d in range(1, calendar.monthrange(year, mon)[1] + 1)]
    work = [d for d in days if d.weekday() < 5 and d not in HOLIDAYS]
    weekend = [d for d in days if d.weekday() >= 5]
    return work, weekend


def _hours(rng: random.Random, low: str, high: str, unit: Decimal) -> Decimal:
    """A duration between low and high in the person's unit (quarter or tenth hours), skewed towards the
    short end the way real timesheets are (the shorter of two uniform draws)."""
    lo, hi = int((D(low) / unit).to_integral_value()), int((D(high) / unit).to_integral_value())
    lo, hi = max(lo, 1), max(hi, 1)
    return (unit * min(rng.randint(lo, hi), rng.randint(lo, hi))).quantize(D("0.01"))


_MEETING = re.compile(r"\bw/ |\bcall\b(?! cent)|kickoff|check-in|huddle|\bsync\b|standup|sprint demo|"
                      r"sprint review|steering|presented|dry run|facilitated|workshop", re.IGNORECASE)


def _fill(rng: random.Random, template: str, fills: dict[str, tuple[str, ...]]) -> str:
    """Replace each {field} of a note template with a random choice from the client's fills."""
    names: list[str] = []
    for _, name, _, _ in string.Formatter().parse(template):
        if name and name not in names:
            names.append(name)
    if not names:
        return template
    return template.format(**{name: rng.choice(fills[name]) for name in names})


class _Generator:
    """Draws every row from one seeded Random, in a fixed order (clients, months, streams)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.load: Counter[tuple[str, date]] = Counter()  # hours per (person, day), across clients

    def _pick_day(self, person: str, month: str, hours: Decimal, weekend_share: float) -> date:
        """A working day on which the person still has room (weekends only for some rush work)."""
        work, weekend = _month_days(month)
        if weekend_share and self.rng.random() < weekend_share:
            return self.rng.choice(weekend)
        for _ in range(16):
            day = self.rng.choice(work)
            if self.load[(person, day)] + hours <= MAX_DAY_HOURS:
                return day
        return min(work, key=lambda d: (self.load[(person, d)], d))

    def _note(self, client: Client, stream: Stream, recent: dict[str, list[str]]) -> tuple[str, str]:
        """(task, note): a note template not used in the stream's last few rows, filled in, and the
        Harvest task it was logged under (the template's `Task::` prefix, else one that fits the note)."""
        used = recent.setdefault(stream.label, [])
        window = min(len(stream.notes) // 2, 4)
        choices = [n for n in stream.notes if n not in used[-window:]] if window else list(stream.notes)
        template = self.rng.choice(choices)
        used.append(template)
        task, sep, text = template.partition("::")
        if not sep:
            task, text = "", template
        note = _fill(self.rng, text, client.fills)
        if not task:
            meeting = "Meetings" in stream.tasks and _MEETING.search(note) is not None
            work_tasks = [t for t in stream.tasks if t != "Meetings"] or list(stream.tasks)
            task = "Meetings" if meeting else self.rng.choice(work_tasks)
        return task, note

    def _row(self, client: Client, stream: Stream, month: str, recent: dict[str, list[str]]) -> TimeRow:
        """One time row of a stream: person, duration, day, task and note."""
        person = PEOPLE_BY_NAME[self.rng.choice(stream.people)]
        hours = _hours(self.rng, *stream.hours, person.unit)
        day = self._pick_day(person.name, month, hours, stream.weekend_share)
        self.load[(person.name, day)] += hours
        aliases = dict(client.alias_for)
        client_name = aliases.get(person.name, aliases.get(stream.project, client.name))
        task, note = self._note(client, stream, recent)
        return TimeRow(
            client=client.slug, day=day, client_name=client_name,
            project=stream.project, code=stream.code, task=task, notes=note, hours=hours,
            billable=stream.billable, person=person,
            label=stream.label, work_type=stream.work_type,
        )

    def time_rows(self, client: Client, month_index: int) -> list[TimeRow]:
        """A client's rows for one month: fixed-count streams first, then weighted draws."""
        month = MONTHS[month_index]
        recent: dict[str, list[str]] = {}
        rows = []
        for stream in client.streams:
            if stream.fixed:
                for _ in range(stream.fixed[month_index]):
                    rows.append(self._row(client, stream, month, recent))
        weighted = [s for s in client.streams if not s.fixed and s.weights[month_index] > 0]
        weights = [s.weights[month_index] for s in weighted]
        for _ in range(client.entries[month_index] - len(rows)):
            stream = self.rng.choices(weighted, weights=weights)[0]
            rows.append(self._row(client, stream, month, recent))
        return rows

    def expense_rows(self, client: Client, month_index: int) -> list[ExpenseRow]:
        """A client's expenses for one month, one per template that recurs in that month."""
        rows = []
        work, _ = _month_days(MONTHS[month_index])
        for template in client.expenses:
            if month_index not in template.months:
                continue
            low, high = (int(D(v) * 100) for v in template.amount)
            person = PEOPLE_BY_NAME[self.rng.choice(template.people)]
            rows.append(ExpenseRow(
                client=client.slug, day=self.rng.choice(work), client_name=client.name,
                project=template.project, code=template.code, category=template.category,
                notes=template.notes,
                amount=D(self.rng.randint(low, high)) / 100, billable=template.billable, person=person,
            ))
        return rows


def _time_sort_key(row: TimeRow) -> tuple:
    """Export order: by date, then client, person and project (Harvest sorts its export by date)."""
    return (row.day, row.client_name, row.person.last, row.person.first, row.project)


def build_demo(seed: int = 2026) -> DemoData:
    """Generate every time and expense row of the demo firm (nothing is written)."""
    gen = _Generator(seed)
    time_rows: list[TimeRow] = []
    expense_rows: list[ExpenseRow] = []
    for client in CLIENTS:
        for index in range(len(MONTHS)):
            time_rows.extend(gen.time_rows(client, index))
            expense_rows.extend(gen.expense_rows(client, index))
    # Stable sort: rows equal on the key keep their generation order.
    time_rows.sort(key=_time_sort_key)
    expense_rows.sort(key=lambda r: (r.day, r.client_name, r.category))
    return DemoData(seed=seed, time_rows=time_rows, expense_rows=expense_rows)


# --------------------------------------------------------------------------------------------------------
# Writing


def _write_csv(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> None:
    """A CSV as Harvest writes it: header row, minimal quoting, CRLF line ends."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


OVERRIDES_README = """\
Reviewer decisions (spec section 6). Put one or more CSV files here, e.g. overrides/2026-10.csv, with the
header

    entry_id,work_type,sow_item,action,note

entry_id   the id shown in the review queue ("h" + 16 hex digits for CSV entries)
work_type  standard | rush | non_billable | a work type the client's contract defines (empty: unchanged)
sow_item   a SOW item id of the client's contract, e.g. T3 (empty: unchanged)
action     bill (release a held entry; no_rate still holds) | hold | write_off (hours kept, not charged)
note       free text: why the reviewer decided this

Empty cells change nothing. Overrides are facts a person decided: they survive re-runs and
re-classification. This folder is empty in the demo so the review queue shows everything the
classifier was unsure about.
"""


def _readme(data: DemoData) -> str:
    """The billing home's README: the firm, the people, the clients and the rules each one exercises."""
    lines = [
        f"# {FIRM}: demo billing home",
        "",
        f"{FIRM} is a fictional 15-person consultancy (strategy, design, engineering, accounting advisory "
        "and privacy counsel). This folder is its billing home for three closed months, "
        f"{MONTHS[0]} to {MONTHS[-1]}, written by `python -m demo_firm <dir> --seed {data.seed}` "
        "(deterministic: the same seed writes the same bytes).",
        "",
        "```",
        "contracts/<client>.yaml               one contract per client (spec section 2)",
        "timesheets/harvest_time_<YYYY-MM>.csv  Harvest \"Detailed time\" exports, one per month",
        "expenses/harvest_expenses_<YYYY-MM>.csv Harvest expense exports, one per month",
        "overrides/                            reviewer decisions (empty; see overrides/README.txt)",
        "```",
        "",
        "## People",
        "",
        "| person | title | Harvest Roles column | clients |",
        "|---|---|---|---|",
    ]
    for person in PEOPLE:
        clients = [c.slug for c in CLIENTS if person.name in c.people]
        lines.append(f"| {person.name} | {person.title} | {person.roles_column or '(empty)'} | "
                     f"{', '.join(clients)} |")
    lines += ["", "Roles come from a contract's `people` map first, else from the first value of the Roles "
              "column (matched case-insensitively), so 'Senior, Engineering' is the `senior` role.", "",
              "## Clients and the rules they exercise", ""]
    for client in CLIENTS:
        lines.append(f"### {client.name} (`{client.slug}`)")
        lines.append("")
        lines.append(client.engagement)
        lines.append("")
        lines.extend(f"- {rule}" for rule in client.rules)
        lines.append("")
    lines += ["## Rows per month", "", "| client | " + " | ".join(MONTHS) + " |",
              "|---|" + "---|" * len(MONTHS)]
    per_client = Counter((r.client, r.month) for r in data.time_rows)
    for client in CLIENTS:
        counts = [per_client[(client.slug, m)] for m in MONTHS]
        lines.append(f"| {client.slug} | " + " | ".join(str(c) for c in counts) + " |")
    totals = [sum(per_client[(c.slug, m)] for c in CLIENTS) for m in MONTHS]
    lines.append("| **all** | " + " | ".join(str(c) for c in totals) + " |")
    expense_counts = [sum(1 for e in data.expense_rows if e.month == m) for m in MONTHS]
    lines.append("| expenses | " + " | ".join(str(c) for c in expense_counts) + " |")
    lines += [
        "",
        "## What a reviewer should expect",
        "",
        "- Brightwater Foods requires project codes: its 'General Advisory' rows have none and are held "
        "(`missing_project_code`).",
        "- Quillfield Press, Tallgrass Credit Union and Orchard Lane Hotels log every entry without a "
        "project code, so the classifier picks the SOW item from the note. A few notes are deliberately "
        "vague ('call w/ Dana', 'misc admin') and should land in the review queue as `low_confidence`; a few "
        "describe client-driven deadline work that is rush by meaning.",
        "- Harborline's rush rows come from the 'Rush Support' task or a rush keyword in the note; "
        "Orchard Lane has both keyword and meaning-only rush rows.",
        "- Entries whose Client is an alias (Tallgrass CU, Solstice Bio, Solstice Biotherapeutics Inc.) "
        "belong to the contract that lists the alias.",
        "",
    ]
    return "\n".join(lines)


def write_demo_home(home: Path, seed: int = 2026) -> None:
    """Write the complete Northbeam Partners billing home into `home` (created if missing).

    Writes contracts/<client>.yaml, timesheets/harvest_time_<YYYY-MM>.csv,
    expenses/harvest_expenses_<YYYY-MM>.csv, overrides/README.txt and README.md. Existing files with those
    names are replaced; other files are left alone. The output depends only on `seed`."""
    _write_home(Path(home), build_demo(seed))


def _write_home(home: Path, data: DemoData) -> None:
    """Write generated data into a billing home (see write_demo_home)."""
    for folder in ("contracts", "timesheets", "expenses", "overrides"):
        (home / folder).mkdir(parents=True, exist_ok=True)
    for client in CLIENTS:
        path = home / "contracts" / f"{client.slug}.yaml"
        path.write_bytes(client.contract_path.read_bytes())
    for month in MONTHS:
        _write_csv(home / "timesheets" / f"harvest_time_{month}.csv", HARVEST_TIME_HEADER,
                   [r.csv_row() for r in data.rows_in(month)])
        _write_csv(home / "expenses" / f"harvest_expenses_{month}.csv", HARVEST_EXPENSE_HEADER,
                   [e.csv_row() for e in data.expense_rows if e.month == month])
    (home / "overrides" / "README.txt").write_text(OVERRIDES_README, encoding="utf-8", newline="\n")
    (home / "README.md").write_text(_readme(data), encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    """`python -m demo_firm <dir> [--seed N]`: write the demo billing home into <dir>."""
    parser = argparse.ArgumentParser(prog="python -m demo_firm",
                                     description="Write the Northbeam Partners demo billing home.")
    parser.add_argument("home", type=Path, help="folder to write the billing home into")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    args = parser.parse_args(argv)
    data = build_demo(args.seed)
    _write_home(args.home, data)
    counts = ", ".join(f"{m}: {len(data.rows_in(m))}" for m in MONTHS)
    print(f"wrote {FIRM} demo home to {args.home} ({len(CLIENTS)} clients; time rows {counts})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
