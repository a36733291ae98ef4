"""What reading a folder of exports gives: entries, expenses, unreadable rows, skipped rows and, per file, what
was decided to read it. Entry ids follow spec section 1: sha256 of the identifying fields plus a counter of
earlier identical rows, so re-exporting the same rows in any order gives the same ids."""

from __future__ import annotations

import hashlib
import html
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from billing_assets.core.errors import RowProblem
from billing_assets.core.model import Expense, TimeEntry
from billing_assets.core.months import month_index


@dataclass
class FileReport:
    """How one export file was read: its layout and per-file decisions, and what its rows became."""

    file: str
    layout: str = ""
    decisions: dict[str, str] = field(default_factory=dict)  # encoding, delimiter, number format, dates, ...
    rows: int = 0
    read: int = 0  # entries or expenses taken
    zero_rows: int = 0  # zero-duration rows skipped (they carry nothing)
    running_rows: list[int] = field(default_factory=list)  # running timers skipped until they stop
    problems: int = 0
    refused: str = ""  # why the whole file was not read

    def summary(self) -> str:
        """One line a person reads: what the file was taken as and what happened to its rows."""
        if self.refused:
            return f"{self.file}: REFUSED: {self.refused}"
        how = ", ".join(f"{k} {v}" for k, v in self.decisions.items())
        counts = [f"{self.read} of {self.rows} rows read"]
        if self.zero_rows:
            counts.append(f"{self.zero_rows} zero-duration skipped")
        if self.running_rows:
            counts.append(f"{len(self.running_rows)} running timer(s) skipped")
        if self.problems:
            counts.append(f"{self.problems} unreadable")
        return f"{self.file}: {self.layout}; {how}; " + ", ".join(counts)


@dataclass
class ParsedSource:
    """Everything read from a folder of exports: good rows and the rows that could not be read."""

    entries: list[TimeEntry] = field(default_factory=list)
    expenses: list[Expense] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)  # each stops the client-months it concerns
    warnings: list[RowProblem] = field(default_factory=list)  # skipped rows a person should know of
    files: list[FileReport] = field(default_factory=list)
    _identities: list[tuple[str, ...]] = field(default_factory=list, repr=False)

    def add_entry(self, identity: tuple[str, ...], entry: TimeEntry) -> None:
        """Queue a CSV entry whose id `assign_ids` computes from its identity fields."""
        self._identities.append(identity)
        self.entries.append(entry)

    def grouped(self) -> tuple[dict[tuple[str, str], list[TimeEntry]], dict[tuple[str, str], list[Expense]]]:
        """Entries and expenses by (source client name, month), in processing order; computed once."""
        if not hasattr(self, "_groups"):
            entries: dict[tuple[str, str], list[TimeEntry]] = {}
            for e in self.entries:
                entries.setdefault((e.client_name, e.month), []).append(e)
            expenses: dict[tuple[str, str], list[Expense]] = {}
            for x in self.expenses:
                expenses.setdefault((x.client_name, x.month), []).append(x)
            self._groups = (entries, expenses)
        return self._groups

    def assign_ids(self) -> None:
        """Give queued CSV entries their ids, counting identical rows in processing order, then sort."""
        order = sorted(range(len(self.entries)), key=lambda i: self.entries[i].order_key)
        ids = csv_entry_ids(self._identities[i] for i in order)
        for i, entry_id in zip(order, ids, strict=True):
            if not self.entries[i].entry_id:  # set once, before anyone sees the entry (frozen afterwards)
                object.__setattr__(self.entries[i], "entry_id", entry_id)
        self.entries = [self.entries[i] for i in order]
        self._identities = [self._identities[i] for i in order]
        self.expenses.sort(key=lambda e: e.order_key)

    @property
    def identities(self) -> list[tuple[str, ...]]:
        """The spec's identity fields F of each CSV entry, aligned with `entries` (after `assign_ids`)."""
        return self._identities

    def files_of(self, client_names: set[str], month: str) -> list[FileReport]:
        """Reports of the files that hold rows of these client names in the month."""
        names = {e.source_file for n in client_names for e in self.grouped()[0].get((n, month), [])}
        names |= {x.source_file for n in client_names for x in self.grouped()[1].get((n, month), [])}
        return [f for f in self.files if f.file in names]


def problems_for(problems: Iterable[RowProblem], client_names: set[str], month: str,
                 folder: str = "") -> list[RowProblem]:
    """The problems that stop one client-month: its own unreadable rows (a row whose date is unreadable
    concerns every month of its client) and whole files refused that hold any of its client names. A refused
    file in which no client name could be found (a header deleted or in another language, an emptied export)
    stops everyone: its time could be anyone's, and pricing without it pushed an invoice short by the whole
    file. A problem with the clients `("*",)` (settings.yaml unreadable) stops everyone too. A row whose cells
    shifted (cut, a quote left open, a delimiter in a note) also stops the clients it names (`clients`: those it
    may belong to when its Client cell is not sure), or it was dropped from its client's invoice with no word."""
    return [p for p in problems if p.file.startswith(folder) and (
        (p.row == 0 and ("*" in p.clients or not p.clients or bool(client_names & set(p.clients))))
        or (p.row > 0 and (p.client_name in client_names or bool(client_names & set(p.clients)))
            and p.month in (month, "")))]


def stopping_nobody(problems: Iterable[RowProblem], known: set[str] | frozenset[str]) -> list[RowProblem]:
    """Unreadable rows under a Client no contract names (a blank one, as on a totals row a spreadsheet added): they
    stop no client-month and bill nobody. Validate and the close both say so as a warning (`stopping_nobody_line`)."""
    return [p for p in problems if p.row > 0 and p.client_name not in known and not known & set(p.clients)]


def stopping_nobody_line(problem: RowProblem) -> str:
    return f"{problem}: under client {problem.client_name!r}, which no contract names: it stops and bills nobody"


def currency_code(cell: str) -> str:
    """The ISO code of an export's currency cell: its last three letters ("United States Dollar - USD", "EUR")."""
    return cell.strip()[-3:]


def foreign_expenses(parsed: ParsedSource, client_names: set[str], month: str, currency: str) -> list[str]:
    """The expense rows of one client-month whose export names a currency other than the contract's: billed as
    written they would be a wrong number (150 EUR invoiced as 150 USD), so they stop the client-month. Time
    entries are held to the same rule by the `currency_matches` check."""
    _, expenses = parsed.grouped()
    return [f"{x.source_file}: row {x.source_row}: amount in {code}, but the contract bills in {currency}"
            for name in sorted(client_names) for x in expenses.get((name, month), [])
            if (code := currency_code(x.currency)) and code != currency]


def name_key(name: str) -> str:
    """A client name as a person reads it: case, spacing, punctuation, '&' or '+' for 'and', an HTML entity
    (`&amp;`, as a web export writes it), accents (an ASCII export's "Muller" for "Müller") and Unicode form set
    aside ("Acme & Co.", "ACME and Co", "Acme &amp; Co")."""
    text = "".join(c for c in unicodedata.normalize("NFKD", html.unescape(name)) if not unicodedata.combining(c))
    text = unicodedata.normalize("NFKC", text).casefold().replace("&", " and ").replace("+", " and ")
    return " ".join("".join(c if c.isalnum() else " " if c.isspace() or c in "-/_" else "" for c in text).split())


def unclaimed_names(parsed: ParsedSource, known: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """(Client, month) of the rows no contract claims as written, by `name_key` (computed once per run)."""
    claimed = set(known)
    entries, expenses = parsed.grouped()
    out: dict[str, list[tuple[str, str]]] = {}
    for name, month in sorted({*entries, *expenses}):
        if name not in claimed:
            out.setdefault(name_key(name), []).append((name, month))
    return out


def near_client_rows(parsed: ParsedSource, client_names: set[str], month: str,
                     unclaimed: dict[str, list[tuple[str, str]]]) -> list[str]:
    """Rows of the month whose Client is one of `client_names` but for case, spaces or punctuation ("ACME CORP",
    "Acme  Corp", "Acme Corp.", `name_key`)
    and that no contract claims as written (`unclaimed_names`): the spec matches names exactly, so they would bill
    nobody while the client's invoice went out short. They stop the client-month until the name is an alias."""
    entries, expenses = parsed.grouped()
    out = []
    for wanted in sorted(client_names):
        for name, m in unclaimed.get(name_key(wanted), []):
            if m != month:
                continue
            out += [f"{file}: rows {row_ranges(numbers)}: client {name!r} differs from the contract's {wanted!r} "
                    "only in case, spaces or punctuation; add it to the contract's aliases to bill these rows"
                    for file, numbers in _rows_by_file(entries, expenses, name, m)]
    return out


def _rows_by_file(entries: dict, expenses: dict, name: str, month: str) -> list[tuple[str, list[int]]]:
    """(file, row numbers) of the time and expense rows under Client `name` in `month`, files in name order (API
    rows, which have no file, under "Harvest API")."""
    rows: dict[str, list[int]] = {}
    for item in [*entries.get((name, month), []), *expenses.get((name, month), [])]:
        rows.setdefault(item.source_file or "Harvest API", []).append(item.source_row)
    return sorted(rows.items())


def renamed_rows(parsed: ParsedSource, other_names: set[str], month: str, claimed: frozenset[str]) -> list[str]:
    """Rows of the month under a name the client's contract gives it only in other months (an amendment renamed
    the client while the time tool kept the old name) that no contract claims in this month: they would bill
    nobody while the client's invoice went out short. They stop the client-month until a name claims them."""
    entries, expenses = parsed.grouped()
    out = []
    for name in sorted(other_names - claimed):
        out += [f"{file}: rows {row_ranges(numbers)}: client {name!r} is the contract's name or alias in other "
                f"months but not in {month}; add it to the aliases that apply in {month} to bill these rows"
                for file, numbers in _rows_by_file(entries, expenses, name, month)]
    return out


def repeated_expenses(expenses: Iterable[Expense]) -> list[RowProblem]:
    """An expense row identical to one of another file (a re-exported or overlapping expense report): billed
    twice before, with every check passing. A problem on the later file's row, naming the first: it stops the
    client-month until one copy goes. Identical rows of one file are two expenses (two equal taxi fares)."""
    first: dict[tuple, Expense] = {}
    out = []
    for x in expenses:
        key = (x.date, x.client_name, x.project, x.project_code, x.category, x.notes, x.amount, x.person,
               x.currency, x.billable)
        seen = first.setdefault(key, x)
        if seen.source_file != x.source_file:
            out.append(RowProblem(x.source_file, x.source_row, f"the same expense as {seen.source_file} row "
                                  f"{seen.source_row} ({x.date}, {x.category or 'no category'}, "
                                  f"{x.amount.normalize():f}): a re-exported file would bill it twice; remove one "
                                  "copy", x.client_name, x.month))
    return out


STRAY_GAP = 3  # months between a client's rows and its other time that make them look mistyped
STRAY_ROWS = 3  # at most this many rows: a month of real work has more


def stray_rows(parsed: ParsedSource, client_of: dict[str, str]) -> list[str]:
    """A client's few rows in a month at least STRAY_GAP months from all its other time ("2025-08-01" among a year
    of 2026 rows): a mistyped year that no close of the other months bills, and that moves the first month of an
    engagement without `start`. `client_of`: Client value -> client id. A warning per client and month."""
    entries, expenses = parsed.grouped()
    months: dict[str, dict[str, list]] = {}
    for (name, month), found in [*entries.items(), *expenses.items()]:
        if name in client_of:
            months.setdefault(client_of[name], {}).setdefault(month, []).extend(found)
    out = []
    for client, by_month in sorted(months.items()):
        for month, found in sorted(by_month.items()):
            others = [m for m in by_month if m != month]
            gap = min((abs(month_index(m) - month_index(month)) for m in others), default=0)
            if gap >= STRAY_GAP and len(found) <= STRAY_ROWS:
                where = ", ".join(sorted({f"{x.source_file or 'Harvest API'} row {x.source_row}" for x in found}))
                out.append(f"{client}: {len(found)} row(s) dated {month} ({where}), {gap} months from its other time "
                           f"({min(others)}..{max(others)}): a mistyped date? Only a close of {month} bills them, and "
                           "without a contract `start` they make it the engagement's first month")
    return out


def identified(parsed: ParsedSource) -> list[tuple[tuple[str, ...], TimeEntry]]:
    """(identity fields, entry) of each export row; none for an API's entries (ids of their own, no file to be
    exported twice)."""
    return list(zip(parsed.identities, parsed.entries, strict=True)) if parsed.identities else []


PASTED_RUN = 3  # consecutive rows repeating consecutive earlier rows: a block pasted twice, not two equal calls


def repeated_rows(parsed: ParsedSource) -> list[str]:
    """Runs of PASTED_RUN or more consecutive rows of one file, each identical to the row after the previous one's
    earlier twin: a block pasted twice, which the spec bills twice (single equal rows are real, two equal calls on
    one day, and are not reported). A warning naming the rows, never a refusal (`billing validate` and the close)."""
    first: dict[tuple, int] = {}
    twins: dict[str, dict[int, int]] = {}  # file -> row -> its earlier twin's row
    for identity, entry in identified(parsed):
        key = (entry.source_file, identity)
        if key in first:
            twins.setdefault(entry.source_file, {})[entry.source_row] = first[key]
        else:
            first[key] = entry.source_row
    out = []
    for file, twin in sorted(twins.items()):
        pasted: list[int] = []
        run: list[int] = []
        for row in sorted(twin) + [0]:
            if run and (row != run[-1] + 1 or twin.get(row) != twin[run[-1]] + 1):
                pasted += run if len(run) >= PASTED_RUN else []
                run = []
            if row:
                run.append(row)
        if pasted:
            out.append(f"{file}: rows {row_ranges(pasted)}: repeat earlier rows of the file one for one (each is "
                       "billed: check that the export was not pasted twice)")
    return out


def invoiced_already(file: str, row: int, what: str, client: str, month: str, expenses: bool = False) -> RowProblem:
    """The warning for billable rows the time tool marks as invoiced already (an export's `Invoiced? = Yes`,
    Harvest's API `is_billed`): billed here as the spec says, but an invoice the tool sent may have charged them (a
    firm moving its invoicing here), and charging twice is for a person to decide. `what` names the rows. Decisions
    in overrides/ reach time entries only: an expense is kept off by its source (found by an auditor: the advice to
    write one off there did nothing, and it stayed billed twice)."""
    if expenses:
        return RowProblem(file, row, f"{what} billed here too: if that invoice charged them, mark them not billable "
                          "(or remove them) in the time tool or its export; decisions in overrides/ apply to time "
                          "entries only", client, month)
    return RowProblem(file, row, f"{what} billed here too: write them off in overrides/ if that invoice charged "
                      "them", client, month)


def row_ranges(rows: list[int]) -> str:
    """1, 3-5, 9."""
    rows = sorted(rows)
    parts, start = [], rows[0]
    for prev, cur in zip(rows, rows[1:] + [None], strict=True):
        if cur != prev + 1 if cur is not None else True:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = cur
    return ", ".join(parts)


def csv_entry_ids(identities: Iterable[tuple[str, ...]]) -> list[str]:
    """Ids for identity tuples given in processing order: "h" + sha256(F + "\\x1f" + k)[:16], where k counts
    earlier identical tuples."""
    seen: Counter[str] = Counter()
    ids = []
    for values in identities:
        joined = "\x1f".join(values)
        k = seen[joined]
        seen[joined] += 1
        ids.append("h" + hashlib.sha256(f"{joined}\x1f{k}".encode()).hexdigest()[:16])
    return ids


def expense_id(file: str, row: int) -> str:
    """An expense's id: its file and row (expense reports carry no identity of their own)."""
    return "x" + hashlib.sha256(f"{file}\x1f{row}".encode()).hexdigest()[:16]


def _digest(values: Iterable[str]) -> str:
    return hashlib.sha256("\x1f".join(values).encode()).hexdigest()[:16]


def entry_reading(billable: bool, roles: str, currency: str) -> str:
    """What a time row says beyond its entry id (Billable?, Roles, currency): an edit to one of them keeps the id,
    and the close that priced the row keeps this beside its outcome, so approval sees the edit."""
    return _digest(("1" if billable else "0", roles, currency))


def expense_reading(expense: Expense) -> str:
    """What an expense row says (its id is only its file and row): an amount edited in place keeps the id."""
    # 412.37 as read and 412.3700 from the warehouse alike; a fifth decimal as DECIMAL(18, 4) keeps it (half away
    # from zero, as DuckDB and PostgreSQL cast): else the month would read as edited at every approval
    amount = format(expense.amount.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP).normalize(), "f")
    return _digest((expense.date.isoformat(), expense.client_name, expense.project, expense.project_code,
                    expense.category, expense.notes, amount, "1" if expense.billable else "0", expense.person,
                    expense.currency))
