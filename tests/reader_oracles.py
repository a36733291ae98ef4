"""The oracles of the export reader's fuzz test, and the run that applies them (tests/reader_mutations.py makes the
cases): no crash and one-line messages naming the file; mutations that keep the meaning read the same entries;
damage is refused or flagged, never a silent change. JUDGEMENT lists the findings left to a person's judgement
(docs/DECISIONS.md "Sources")."""

from __future__ import annotations

import io
import random
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from billing_assets.core.errors import RowProblem
from tests.reader_mutations import (
    Case,
    Context,
    Facts,
    Home,
    Outcome,
    context,
    damaging,
    preserving,
    random_bytes,
    random_cell,
    scratch_home,
    seeds,
)


# ------------------------------------------------------------------------------------------------------ oracles
@dataclass
class Finding:
    seed: str
    case: Case
    oracle: str
    what: str

    def __str__(self) -> str:
        data = self.case.data
        shown = data if len(data) <= 600 else data[:300] + b" ... " + data[-200:]
        return (f"[{self.oracle}] {self.seed}: {self.case.kind}: {self.case.name} ({self.case.detail}): {self.what}\n"
                f"    input ({len(data)} bytes): {shown!r}")


def message_problems(label: str, outcome: Outcome) -> list[str]:
    """Oracle 1's message half: one line, naming the file, and the row when a row is at fault."""
    out = []
    parsed = outcome.parsed
    for p in [*parsed.problems, *parsed.warnings]:
        text = str(p)
        if any(ch in text for ch in "\r\n\x00\x1a\x1b\u2028\u2029\x85"):
            out.append(f"not one line: {text[:200]!r}")
        if p.file not in (label, "settings.yaml"):
            out.append(f"names {p.file!r}, not {label!r}: {text[:200]!r}")
        if p.row > 0 and f"row {p.row}" not in text:
            out.append(f"row {p.row} is not named: {text[:200]!r}")

    for report in parsed.files:
        if any(ch in report.summary() for ch in "\r\n\x00\u2028\u2029\x85"):
            out.append(f"file summary not one line: {report.summary()[:200]!r}")
    return out


def stopped(problems: list[RowProblem], facts: Facts) -> bool:
    """The row's client-month is stopped by a problem of the file (a refusal holds the whole file)."""
    client, day = (facts[1], facts[2]) if facts[0] == "expense" else (facts[0], facts[1])
    month = f"{day.year:04d}-{day.month:02d}"
    return any(p.row == 0 or ((p.client_name == client or client in p.clients) and p.month in (month, ""))
               for p in problems)


def judge(ctx: Context, case: Case, outcome: Outcome) -> list[tuple[str, str]]:
    """(oracle, what) for each way the reading of a mutated file breaks the oracles."""
    if outcome.crash:
        return [("crash", outcome.crash.strip().splitlines()[-1] + " | " + " / ".join(
            x.strip() for x in outcome.crash.splitlines() if x.strip().startswith("File"))[-300:])]
    if outcome.parsed is None:
        return [("crash", "BillingInputError out of read_folder (a refusal should be a problem naming the file)")]
    found = [("message", m) for m in message_problems(ctx.seed.label, outcome)]
    found += [("long-message", f"a message of {len(str(p))} characters: {str(p)[:100]!r}...")
              for p in outcome.parsed.problems if len(str(p)) > 1_000]
    base = ctx.base
    expect = case.expect
    if expect.same:
        got, want = outcome.facts(with_id=True), base.facts(with_id=True)
        if expect.extra_ok is not None and expect.adds_hours:
            got = Counter({f: k for f, k in got.items() if not expect.extra_ok(f[1:])})
        if got != want:
            found.append(("preserving", f"entries differ: lost {_few(want - got)}, gained {_few(got - want)}"))
        if bool(outcome.refused) != bool(base.refused):
            found.append(("preserving", f"refused {outcome.refused!r} where the seed was {base.refused!r}"))
        base_counts = (len(base.parsed.problems), len(base.parsed.warnings))
        counts = (len(outcome.parsed.problems), len(outcome.parsed.warnings))
        if counts != base_counts and not expect.adds_hours:
            found.append(("preserving", f"{counts[0]} problem(s), {counts[1]} warning(s) where the seed had "
                                        f"{base_counts[0]}, {base_counts[1]}: {_few_problems(outcome, base)}"))
        return found
    if outcome.refused or base.refused or expect.only_no_crash:
        return found
    got = outcome.facts()
    problems = outcome.parsed.problems + [w for w in outcome.parsed.warnings if w.row > 0]
    # untouched rows first: a touched row identical to another must not take that one's entry
    for index, facts in sorted(ctx.base_rows.items(), key=lambda item: (item[0] in expect.touched, item[0])):
        if index in expect.gone:
            continue
        alternatives = expect.touched.get(index, [facts])
        match = next((a for a in alternatives if got[a] > 0), None)
        if match is None and expect.changed_ok and index in expect.touched:
            match = next((f for f, k in got.items() if k > 0 and f not in ctx.base_rows.values()), None)
        if match is not None:
            got[match] -= 1
            if expect.unchanged_hours_of == index and match[0] != "expense" and match[3] != facts[3]:
                found.append(("damaging", f"read {_short(match)}: the hours of row {index + 1} changed from "
                                          f"{facts[3]} though the mutated cell does not hold them"))
        elif expect.changed_ok and expect.adds_hours and _zero_rows(outcome) > _zero_rows(base):
            pass  # its hours cell now says 0: a zero row, skipped and counted
        elif not stopped(problems, facts):
            number = index + 1 + (expect.shift_from is not None and index >= expect.shift_from)
            what = "changed or dropped" if index in expect.touched else "an untouched row changed or dropped"
            if any(p.row == number and facts[0] in (p.client_name, *p.clients) for p in outcome.parsed.problems):
                pass  # refused by name under its client, in the month its (mutated) date says
            elif facts[0] not in _text(outcome, case):
                pass  # the client's name is nowhere in the file (a cut before it, the only row of its client)
            elif any(p.row == number for p in outcome.parsed.problems):
                found.append(("unstopped", f"row {number} ({_short(facts)}) is refused by name, but the problem "
                              f"stops nobody's month ({_named(outcome, number)}): its client-month is billed "
                              "without it"))
            else:
                found.append(("damaging", f"row {index + 1} ({_short(facts)}) {what} without a problem stopping "
                                          "its client-month"))
    extras = +got
    for facts, count in extras.items():
        if not expect.extra_ok(facts):
            found.append(("damaging", f"read {count} x {_short(facts)}, which no honest reading gives"))
    if not expect.adds_hours:
        before = _hours(base.facts())
        for client, hours in _hours(outcome.facts()).items():
            if client in before and hours > before[client]:
                found.append(("damaging", f"{client}: {hours} h read, more than the seed's "
                                          f"{_hours(base.facts()).get(client, 0)}"))
    return found


def _zero_rows(outcome: Outcome) -> int:
    return sum(f.zero_rows for f in outcome.parsed.files)


def _text(outcome: Outcome, case: Case) -> str:
    """The mutated file's text as its reader decoded it (for what the reader could know)."""
    from billing_assets.core.csvfile import decode
    try:
        return decode(case.data)[0]
    except ValueError:
        return ""


def _named(outcome: Outcome, number: int) -> str:
    p = next(p for p in outcome.parsed.problems if p.row == number)
    return f"client {p.client_name!r}, month {p.month!r}: {str(p)[:160]}"


def _hours(facts: Counter) -> dict[str, object]:
    out: dict[str, object] = {}
    for f, count in facts.items():
        if f[0] != "expense":
            out[f[0]] = out.get(f[0], 0) + f[3] * count
    return out


def _short(facts: Facts) -> str:
    shown = [repr(x) if isinstance(x, str) and len(x) < 40 else (f"{str(x)[:30]!r}..." if isinstance(x, str)
                                                                 else str(x)) for x in facts[:8]]
    return ", ".join(shown)


def _few(counter: Counter) -> str:
    return "; ".join(_short(f) for f in list(counter)[:3]) or "nothing"


def _few_problems(outcome: Outcome, base: Outcome) -> str:
    new = {str(p) for p in outcome.parsed.problems + outcome.parsed.warnings}
    old = {str(p) for p in base.parsed.problems + base.parsed.warnings}
    return "; ".join(sorted(new ^ old)[:2])[:400]


# ------------------------------------------------------------------------------------------------------- running
def cases_for(ctx: Context, rng: random.Random, random_cases: int) -> Iterator[Case]:
    yield from preserving(ctx, rng)
    yield from damaging(ctx, rng)
    for _ in range(random_cases):
        yield random_cell(ctx, rng) if rng.random() < 0.5 else random_bytes(ctx, rng)


def run(rounds: int = 1, random_cases: int = 10, seed: int = 2026, validate_every: int = 0,
        report: Callable[[Finding], None] | None = None) -> tuple[int, list[Finding]]:
    """Every seed through `rounds` rounds of hand mutations (each round draws other rows and columns) and
    `random_cases` random ones per round; (cases run, findings). `validate_every`: run `billing validate` on
    every n-th case too (slower; 0: never)."""
    findings: list[Finding] = []
    count = 0
    with scratch_home() as home:
        for s in seeds():
            ctx = context(s, home)
            if ctx.base.crash or ctx.base.parsed is None:
                raise AssertionError(f"seed {s.name} does not read: {ctx.base.crash}")
            for n in range(rounds):
                rng = random.Random(f"{seed}/{s.name}/{n}")
                for case in cases_for(ctx, rng, random_cases):
                    count += 1
                    outcome = home.read(s.label, case.data, s.settings)
                    problems = judge(ctx, case, outcome)
                    if validate_every and count % validate_every == 0:
                        problems += [("crash", f"billing validate: {v}") for v in validate_crash(home)]
                    for oracle, what in problems:
                        finding = Finding(s.name, case, oracle, what)
                        findings.append(finding)
                        if report:
                            report(finding)
    return count, findings


def validate_crash(home: Home) -> list[str]:
    """What `billing validate` on the home does wrong: a traceback, or an output line that is not one finding
    naming its file (the environment it sets is restored)."""
    import os
    import re
    from contextlib import redirect_stderr, redirect_stdout

    from billing_assets.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ["BILLING_HOME"] = str(home.root)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["validate"])
    except Exception:  # noqa: BLE001 - the oracle
        return [traceback.format_exc(limit=-2).strip().splitlines()[-1]]
    finally:
        os.environ.clear()
        os.environ.update(saved)
    text = out.getvalue() + err.getvalue()
    if "Traceback" in text or code not in (0, 1):
        return [f"exit {code}: {text[-300:]!r}"]
    named = re.compile(r"^(Files read:|  (timesheets|expenses)/|warning: |(timesheets|expenses|contracts)/|"
                       r"settings\.yaml: |\d+ problem\(s\), \d+ warning\(s\) in )")
    return [f"a line naming no file: {line[:160]!r}" for line in out.getvalue().splitlines() if not named.match(line)]


# Findings that are a matter of judgement (described in bench/RESULTS.md, not fixed): a row narrower than the file's
# rows but holding every column the layout needs is read as its cells stand (docs/DECISIONS.md: a tool may leave
# trailing empty cells out), so a cell deleted mid-row shifts the cells after it; a file ending inside its last
# cell, with no line break, reads that cell cut ("USD" as "US"); a stray quote closed by a later quote on its line
# joins cells, leaving the row narrower (the same reading); a message may quote a long cell whole.
JUDGEMENT = {("damaging", "cell deleted"), ("damaging", "cut inside the last cell"),
             ("damaging", "stray quote, row narrower")}


def unexpected(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if (f.oracle, f.case.name) not in JUDGEMENT]
