"""Data-quality checks of one client-month (pure): what a billing person used to catch by eye.

Each function returns CheckOutcome(passed, message, metadata); blocking checks stop the push.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from billing_assets.core.contract import Contract
from billing_assets.core.model import InvoiceLine
from billing_assets.core.money import shown_hours

ZERO = Decimal(0)
HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class CheckOutcome:
    passed: bool
    message: str
    metadata: dict = field(default_factory=dict)


def ok(message: str, **metadata) -> CheckOutcome:
    return CheckOutcome(True, message, metadata)


def fail(message: str, **metadata) -> CheckOutcome:
    return CheckOutcome(False, message, metadata)


def counted(count: int, one: str, many: str) -> str:
    """`1 entry has`, `3 entries have`: a count with its noun (and verb) as English writes it."""
    return f"{count} {one if count == 1 else many}"


def listing(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


# --- raw time entries ---------------------------------------------------------------------------------

def cross_file_duplicates(rows: Sequence[dict], reexported: Sequence[dict] = ()) -> CheckOutcome:
    """Rows (date, client, project, task, notes, hours, person) found in two or more export files would bill
    twice; `rows` are the duplicated groups of one client-month (sql/queries/cross_file_duplicates.sql), and
    `reexported` the rows of a file exported again with edits (`reexported_rows`)."""
    listed = {(str(r["entry_date"]), r["person"], tuple(r["files"])) for r in rows}
    rows = [*rows, *(r for r in reexported if (str(r["entry_date"]), r["person"], tuple(r["files"])) not in listed)]
    dupes = [f"{r['entry_date']} {r['person']} {shown_hours(r['hours']):f} h in {list(r['files'])}"
             for r in rows]
    return fail(f"{counted(len(dupes), 'row appears', 'rows appear')} in more than one export file: "
                f"{listing(dupes, 3)}",
                duplicates=len(dupes)) if dupes else ok("no row is duplicated across export files")


def said_the_same(notes: str) -> str:
    """A note as `reexported_rows` compares it: case and spacing aside ("" for a blank note)."""
    return " ".join(notes.split()).lower()


# Rows two files must share to be one export written twice: a single late entry with the note of an earlier one may
# be more time on the same work (two files of one row each)
REEXPORT_MIN_ROWS = 2


def _one_entry(a: Mapping, b: Mapping) -> bool:
    """Two rows of the same day, person and note may be one entry: the same billable flag, or the same hours to
    the hundredth (a flag switched in a re-export)."""
    return bool(a["billable"]) == bool(b["billable"]) or \
        Decimal(a["hours"]).quantize(HUNDREDTH, ROUND_HALF_UP) == Decimal(b["hours"]).quantize(HUNDREDTH, ROUND_HALF_UP)


def reexported_rows(rows: Sequence[Mapping]) -> list[dict]:
    """Rows of one client-month's export files that another of its files holds again with edits (hours, task or
    project corrected, a report's rounding switched on). Two files are one export written twice when, of rows
    sharing day, person and note, at least REEXPORT_MIN_ROWS and
    - either notes their writer put on one day only in each file ("Ticket WEB-112", whatever the project) make up
      half of the smaller file's rows of the month,
    - or rows of the same project (any note, blank too: "Development" every day, a Toggl report without
      descriptions) make up half of the larger file's: both files are mostly the same entries. A late file of two
      "Development" rows beside the month's file, or files split by project, are not.
    Rows of other billable flags count only with the same hours: the billable and the non-billable time of one
    project exported as two files share days, people and notes, not hours; a re-export that switched rows to
    non-billable keeps their hours.
    Each row of the two sharing day, person and note would then bill twice. `rows`: every time entry of the month
    (source_file, entry_id, entry_date, person, project, hours, notes, billable); returns, per shared day, person
    and note, the least hours and both files."""
    size: dict[str, int] = defaultdict(int)
    days: dict[tuple[str, str, str], set] = defaultdict(set)  # (file, person, note) -> the days it was written
    by_words: dict[tuple, list[Mapping]] = defaultdict(list)
    for r in rows:
        size[r["source_file"]] += 1
        said = said_the_same(r["notes"])
        days[(r["source_file"], r["person"], said)].add(str(r["entry_date"]))
        by_words[(str(r["entry_date"]), r["person"], said)].append(r)
    specific: dict[tuple[str, str], tuple[set, set]] = defaultdict(lambda: (set(), set()))
    same_project: dict[tuple[str, str], tuple[set, set]] = defaultdict(lambda: (set(), set()))
    for (_, person, said), group in by_words.items():
        for a in group:
            for b in group:
                pair = (a["source_file"], b["source_file"])
                if pair[0] >= pair[1] or not _one_entry(a, b):
                    continue
                if said and len(days[(pair[0], person, said)]) == 1 and len(days[(pair[1], person, said)]) == 1:
                    specific[pair][0].add(a["entry_id"])
                    specific[pair][1].add(b["entry_id"])
                if a["project"] == b["project"]:
                    same_project[pair][0].add(a["entry_id"])
                    same_project[pair][1].add(b["entry_id"])

    def shared(found: dict, pair: tuple[str, str]) -> int:
        return min(len(found[pair][0]), len(found[pair][1])) if pair in found else 0

    twins = {pair for pair in {*specific, *same_project}
             if max(REEXPORT_MIN_ROWS, min(size[pair[0]], size[pair[1]]) / 2) <= shared(specific, pair)
             or max(REEXPORT_MIN_ROWS, max(size[pair[0]], size[pair[1]]) / 2) <= shared(same_project, pair)}
    out = []
    for (day, person, _), group in sorted(by_words.items()):
        files = sorted({f for a in group for b in group for f in (a["source_file"], b["source_file"])
                        if (a["source_file"], b["source_file"]) in twins})
        if files:
            out.append({"entry_date": day, "person": person, "files": files,
                        "hours": min(Decimal(r["hours"]) for r in group if r["source_file"] in files)})
    return out


def person_days(days: Sequence[Mapping]) -> CheckOutcome:
    """A person's time of one day adds up to over 24 h across entries (each under the spec's 24-hour limit, so
    none is held), for this client or with another's: a row duplicated or dated on the wrong day, more often than
    work. `days`: the client-month's person-days over 24 h (sql/queries/person_days_over_24h.sql: entry_date,
    person, hours, entries, places)."""
    if not days:
        return ok("no person has over 24 h in one day")
    said = [f"{d['person']} {shown_hours(Decimal(d['hours'])):f} h on {d['entry_date']} "
            f"({counted(int(d['entries']), 'entry', 'entries')}: {d['places']})" for d in days]
    return fail(f"{counted(len(days), 'person-day adds', 'person-days add')} up to over 24 h: {listing(said, 3)}; "
                "a row duplicated or dated on the wrong day? Correct the export, or hold or write off the extra "
                "entries in overrides/", person_days=len(days))


EVERY_ROW_KNOWN = "every row of the month matches a contract"
SHOWN_NAMES = 5  # client names listed in a message


def known_clients(unknown: Mapping[str, int], month: str, unread: Sequence[str] = ()) -> CheckOutcome:
    """The month's rows under a Client no contract claims (`unknown`: rows by name), named with the contract files
    that could not be read (`unread`: one may be theirs)."""
    rows = sum(unknown.values())
    if not rows:
        return ok(EVERY_ROW_KNOWN)
    names = ", ".join(f"{name!r} ({counted(n, 'row', 'rows')})" for name, n in sorted(unknown.items())[:SHOWN_NAMES])
    more = f" and {len(unknown) - SHOWN_NAMES} more" if len(unknown) > SHOWN_NAMES else ""
    maybe = (f"; {', '.join(unread)} could not be read: {'it' if len(unread) == 1 else 'one'} may be theirs"
             if unread else "")
    return fail(f"{counted(rows, 'row', 'rows')} of {month} {'names' if rows == 1 else 'name'} a client no contract "
                f"knows: {names}{more}{maybe} (see `billing validate`)", rows=rows)


# --- classified entries -------------------------------------------------------------------------------

def _named(entry_id: str, value: str, sources: Mapping[str, str] | None) -> str:
    """`id=value`, led by the override file and row that set it when one did."""
    source = (sources or {}).get(entry_id)
    return f"{source}: {entry_id}={value}" if source else f"{entry_id}={value}"


def work_types_present(groups: Sequence[dict], contract: Contract,
                       sources: Mapping[str, str] | None = None) -> CheckOutcome:
    """`groups`: the client-month's entries grouped by (work_type, sow_item, held) with `entries` and
    `entry_ids` (the first few), as sql/queries/classified_groups.sql returns them. `sources`: entry id ->
    `overrides/<file>.csv row N` for entries an override row decided."""
    bad = [g for g in groups if g["work_type"] not in contract.work_type_names]
    count = sum(g["entries"] for g in bad)
    names = [_named(i, g["work_type"], sources) for g in bad for i in g["entry_ids"]]
    return fail(f"{counted(count, 'entry', 'entries')} without a known work type: {listing(names)}",
                entries=count) if bad \
        else ok("every entry has a work type")


def sow_items_exist(groups: Sequence[dict], contract: Contract,
                    sources: Mapping[str, str] | None = None) -> CheckOutcome:
    ids = contract.sow_item_ids
    bad = [g for g in groups if g["sow_item"] is not None and g["sow_item"] not in ids]
    count = sum(g["entries"] for g in bad)
    names = [_named(i, g["sow_item"], sources) for g in bad for i in g["entry_ids"]]
    return fail(f"{counted(count, 'entry names', 'entries name')} a SOW item the contract lacks: {listing(names)}",
                entries=count) if bad \
        else ok("every SOW item exists in the contract")


def held_share(groups: Sequence[dict], max_share: float) -> CheckOutcome:
    """The share of the month's hours held for review, and the hours held by reason (an entry held for two
    reasons counts under both): found by an auditor, "42.6% of hours held" did not say that 25 of them were one
    entry over 24 h. `groups`: sql/queries/classified_groups.sql (`review_reasons` comma-joined)."""
    hours = sum((Decimal(g["hours"]) for g in groups), ZERO)
    held = sum((Decimal(g["hours"]) for g in groups if g["held"]), ZERO)
    by_reason: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for g in groups:
        for reason in (g.get("review_reasons") or "").split(",") if g["held"] else ():
            if reason:
                by_reason[reason] += Decimal(g["hours"])
    share = float(held / hours) if hours else 0.0
    reasons = ", ".join(f"{reason} {shown_hours(h):f} h" for reason, h in
                        sorted(by_reason.items(), key=lambda item: (-item[1], item[0])))
    message = (f"{share:.1%} of hours held for review ({shown_hours(held):f} of {shown_hours(hours):f} h)"
               + (f": {reasons}" if reasons else ""))
    return (ok if share <= max_share else fail)(message, held_hours=float(held), share=round(share, 4))


# --- priced -------------------------------------------------------------------------------------------

def hours_reconcile(source_hours: Decimal, outcomes: Sequence[dict]) -> CheckOutcome:
    """`outcomes`: rows with `outcome` and `source_hours` (per entry, or summed per outcome)."""
    by = defaultdict(lambda: ZERO)
    for o in outcomes:
        by[o["outcome"]] += Decimal(o["source_hours"])
    accounted = sum(by.values(), ZERO)
    detail = {k: float(v) for k, v in sorted(by.items())}
    if accounted != source_hours:
        return fail(f"source hours {source_hours.normalize():f} != accounted {accounted.normalize():f} ({detail})",
                    **detail)
    return ok(f"{shown_hours(source_hours):f} h = priced + fixed fee + non-billable + written off + held", **detail)


def total_equals_lines(total: Decimal, lines: Sequence[InvoiceLine]) -> CheckOutcome:
    summed = sum((ln.amount for ln in lines), ZERO)
    return ok(f"total {total} = sum of {len(lines)} lines") if summed == total \
        else fail(f"total {total} != sum of lines {summed}")


def caps_respected(contract: Contract, cap_rows: Sequence[dict]) -> CheckOutcome:
    bad = []
    for row in cap_rows:
        cap = next((c for c in contract.caps if c.name == row["cap_name"]), None)
        billed = Decimal(row["charges"]) + Decimal(row["adjustment"])
        limit = cap.amount if cap else ZERO
        if cap is None or (cap.period == "month" and billed > limit) or \
                (cap.period == "lifetime" and Decimal(row["billed_to_date"]) > limit and billed > 0):
            bad.append(f"{row['cap_name']}: billed {billed} (to date {row['billed_to_date']}) over {limit}")
    return fail("; ".join(bad)) if bad else ok(f"{len(cap_rows)} caps respected")


def person_and_roles(row: Mapping[str, object]) -> str:
    """`Sofia Alvarez (Intern)`: an entry's person and the export's Roles cell, which a `no_rate` hold is about."""
    return f"{row['person']} ({row['roles']})" if row.get("roles") else str(row["person"])


def export_row(row: Mapping[str, object]) -> str:
    """`timesheets/harvest_time_2026-10.csv:23` (data row, the header being row 0); "" for an API entry, whose id
    says where it is."""
    return f"{row['source_file']}:{row['source_row']}" if row.get("source_file") else ""


def _unrated(outcome: Mapping[str, object]) -> str:
    """`file:row person (roles) [entry id]`; the entry id alone when its raw row is not known."""
    if not outcome.get("source_file"):
        return str(outcome["entry_id"])
    return f"{export_row(outcome)} {person_and_roles(outcome)} [{outcome['entry_id']}]"


def rates_present(outcomes: Sequence[dict]) -> CheckOutcome:
    """Entries priced without a rate, each named by its export row, person and roles (and its entry id, which an
    override names)."""
    bad = [_unrated(o) for o in outcomes if "no_rate" in o["reason"].split(",")]
    return fail(f"{counted(len(bad), 'entry has', 'entries have')} no rate (person/role missing from the contract): "
                f"{listing(bad)}") \
        if bad else ok("every billed person has a rate")


def total_not_negative(total: Decimal) -> CheckOutcome:
    return ok(f"total {total:,.2f}") if total >= 0 else fail(f"negative total {total:,.2f}")


# --- anomalies (warnings) -----------------------------------------------------------------------------

def outside_trailing_range(name: str, value: Decimal, history: Sequence[Decimal], factor: Decimal) -> CheckOutcome:
    """Value beyond the trailing months' [min / factor, max x factor]; quiet without history."""
    if not history:
        return ok(f"no trailing history for {name}")
    low, high = min(history) / factor, max(history) * factor
    meta = {"value": float(value), "trailing_min": float(min(history)), "trailing_max": float(max(history))}

    def shown(amount: Decimal) -> str:  # as a person reads it: "12 h", "4,750.00" (it said 12.0000000000)
        return f"{shown_hours(amount):,f} h" if "hours" in name else f"{amount:,.2f}"

    if value < low or value > high:
        return fail(f"{name} {shown(value)} outside the trailing range {shown(min(history))}..{shown(max(history))} "
                    f"x{factor}", **meta)
    return ok(f"{name} {shown(value)} within the trailing range", **meta)


def new_people(people: set[str], earlier_people: set[str], has_history: bool) -> CheckOutcome:
    new = sorted(people - earlier_people) if has_history else []
    return fail(f"new people billing this client: {listing(new)}", people=len(new)) if new \
        else ok("no new people")


def contract_names_match(misspelt: list[tuple[str, str, str]], unknown_roles: list[tuple[str, str, str]],
                         default_rate: Decimal | None, mixed: Sequence[str] = ()) -> CheckOutcome:
    """`rates.misspelt_names`, `rates.unknown_roles` and `rates.mixed_rates` of the client-month: contract names
    that rate nobody while a close spelling worked, people whose role is not in `roles` (rated at `default_rate`),
    and people rated two ways for want of a `people` role."""
    texts = [f"{key}: {value!r} has no time, but {close!r} has" for key, value, close in misspelt]
    texts += [f"{key}: role {role!r} is not in roles, so {person} bills at default_rate {default_rate:,.2f}"
              for key, person, role in unknown_roles]
    advice = ["names match exactly, so that time is rated by the Roles column or default_rate: correct the name in "
              "the contract or the time tool, then close the month again"] if texts else []
    if mixed:
        texts.append(f"billed at two rates in the month: {'; '.join(mixed)}")
        advice.append("give them a role in people, then close the month again")
    if not texts:
        return ok("every person, project and role the contract rates by name is spelt as in the time entries")
    return fail("; ".join(texts + advice), names=len(misspelt) + len(unknown_roles) + len(mixed))


def rate_changes(current: dict[tuple[str, str], Decimal], previous: dict[tuple[str, str], Decimal]) -> CheckOutcome:
    changed = [f"{person} on {project}: {previous[(person, project)]} -> {rate}"
               for (person, project), rate in sorted(current.items())
               if (person, project) in previous and previous[(person, project)] != rate]
    return fail(f"rates changed since last month: {listing(changed)}", changes=len(changed)) if changed \
        else ok("rates as last month")


def retainer_burn(contract: Contract, covered_before_20th: Decimal, month_start: date) -> CheckOutcome:
    retainer = contract.retainer
    if retainer is None or retainer.included_hours <= 0:
        return ok("no retainer")
    share = covered_before_20th / retainer.included_hours
    message = f"{share:.0%} of the month's retainer hours used before the 20th"
    return (fail if share > Decimal("0.9") else ok)(message, share=float(share))


def late_changes(adjustments: Sequence[dict]) -> CheckOutcome:
    """An invoice that carries changes to months already sent needs a person's eye before it goes out."""
    if not adjustments:
        return ok("no late changes to sent months")
    parts = [f"{a['origin_month']}: {Decimal(a['amount']):+,.2f} ({shown_hours(a['hours']):+f} h)"
             for a in adjustments]
    return fail("carries changes to invoices already sent: " + "; ".join(parts), adjustments=len(adjustments))
