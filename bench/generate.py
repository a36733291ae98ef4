"""Seeded, deterministic billing homes for the month-close benchmarks.

    python bench/generate.py DIR --clients 100 --entries 10000 [--months 2026-10 ...] [--seed 7]
                                 [--classifier-share 0.0]

Writes DIR/contracts/<client>.yaml (four contract profiles that together use every contract feature),
DIR/timesheets/harvest_time_<month>_<part>.csv (Harvest "Detailed time", a few files per month) and
DIR/expenses/harvest_expenses.csv. Every entry carries a Project Code; in contracts with a `sow` every code
maps to a SOW item and every task is in `task_map`, so no entry needs the classifier unless
`classifier_share` > 0 (that share of SOW-contract entries gets a task outside `task_map`, whose work type
only the classifier decides).
"""

from __future__ import annotations

import argparse
import calendar
import csv
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

TIME_HEADER = ("Date", "Client", "Project", "Project Code", "Task", "Notes", "Hours", "Hours Rounded",
               "Billable?", "Invoiced?", "Approved?", "First Name", "Last Name", "Employee Id", "Roles",
               "Employee?", "Billable Rate", "Billable Amount", "Cost Rate", "Cost Amount", "Currency",
               "External Reference URL")
EXPENSE_HEADER = ("Date", "Client", "Project", "Project Code", "Category", "Notes", "Amount", "Billable?",
                  "Invoiced?", "First Name", "Last Name", "Currency")
CURRENCY = "United States Dollar - USD"
PROFILES = ("retainer", "sow", "rates", "mixed")
ROLES = ("partner", "senior", "analyst", "designer", "developer")
FIRST = ("Maya", "Omar", "Lena", "Raj", "Ana", "Kim", "Peter", "Joanna", "Li", "Sara", "Tom", "Ines", "Yuki",
         "Noah", "Zoe", "Ivan", "Mia", "Ola", "Ben", "Eva")
LAST = ("Chen", "Haddad", "Fischer", "Patel", "Souza", "Lee", "Gibbons", "Park", "Wong", "Berg", "Novak",
        "Costa", "Sato", "Klein", "Moreau")
WORDS = ("Northwind", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Acme", "Vandelay",
         "Soylent", "Tyrell", "Cyberdyne", "Aperture", "Gringotts", "Monarch", "Oscorp")
SUFFIXES = ("Traders", "Corporation", "Industries", "Labs", "Holdings", "Partners", "Group", "Systems")
PROJECTS = ("Website Redesign", "Data Migration", "Brand Refresh", "Security Review", "Cloud Platform",
            "Analytics Rollout", "Mobile App", "Pricing Study")
WORK_TASKS = ("Consulting", "Design", "Development", "Project Management")
UNMAPPED_TASK = "Advisory"  # never in task_map: only the classifier decides its work type
NOTES = ("Workshop prep and stakeholder interviews", "Schema mapping batch {n}", "Design iteration {n}",
         "Code review of sprint {n} changes", "Weekly status call and notes", "Requirements write-up part {n}",
         "Deployment checklist and smoke tests", "Budget planning session {n}", "QA pass on release {n}")
RUSH_NOTES = ("Urgent fix for production outage", "ASAP turnaround on board deck", "Rush edits to the proposal")
EXPENSES = (("Travel", "Flight to client site"), ("Lodging", "Hotel, two nights"), ("Meals", "Team dinner"),
            ("Software", "License for testing tools"))
PART_SIZE = 25  # clients per timesheet file, at most 4 files per month


@dataclass
class Client:
    """What the generator decided about one client: its contract data and what its entries draw from."""

    client: str
    name: str
    aliases: list[str]
    profile: str
    people: list[tuple[str, str, str]]  # (first, last, role)
    projects: list[tuple[str, str]]  # (project name, project code)
    fixed_code: str | None
    contract: dict[str, Any] = field(default_factory=dict)


def staff(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    """`count` distinct people with a role each (the first one a partner)."""
    pool = [(f, ln) for f in FIRST for ln in LAST]
    chosen = rng.sample(pool, count)
    return [(f, ln, "partner" if i == 0 else rng.choice(ROLES[1:])) for i, (f, ln) in enumerate(chosen)]


def client_identity(index: int) -> tuple[str, str]:
    """(client id, display name) of the index-th client; unique for any index."""
    word = WORDS[index % len(WORDS)]
    suffix = SUFFIXES[(index // len(WORDS)) % len(SUFFIXES)]
    return f"{word.lower()}-{index:04d}", f"{word} {suffix} {index:04d}"


def role_rates(rng: random.Random) -> dict[str, int]:
    base = rng.choice((140, 150, 160, 175))
    return {"partner": base * 3, "senior": base * 2, "analyst": base, "designer": base + 20, "developer": base + 40}


def make_client(index: int, months: Sequence[str], seed: int) -> Client:
    """One client: identity, team, projects and a contract of profile index % 4."""
    rng = random.Random(f"{seed}:client:{index}")
    client_id, name = client_identity(index)
    profile = PROFILES[index % len(PROFILES)]
    projects = [(p, f"{client_id[:3].upper()}{index:04d}-{k}")
                for k, p in enumerate(rng.sample(PROJECTS, rng.randint(2, 3)), start=1)]
    fixed_code = f"{client_id[:3].upper()}{index:04d}-FX" if profile in ("sow", "mixed") else None
    aliases = [f"{name} Inc."] if index % 3 == 0 else []
    c = Client(client_id, name, aliases, profile, staff(rng, rng.randint(3, 6)), projects, fixed_code)
    c.contract = build_contract(c, rng, months)
    return c


def build_contract(c: Client, rng: random.Random, months: Sequence[str]) -> dict[str, Any]:
    """The contract mapping for the client's profile (see PROFILES)."""
    data: dict[str, Any] = {"client": c.client, "name": c.name}
    if c.aliases:
        data["aliases"] = c.aliases
    data |= {"currency": "USD", "terms_days": rng.choice((15, 30, 45)), "roles": role_rates(rng),
             "people": {f"{f} {ln}": role for f, ln, role in c.people[: len(c.people) // 2 + 1]},
             "work_types": {"rush": {"multiplier": 1.5, "counts_against_retainer": False}},
             "task_map": {"Rush": "rush", "Internal": "non_billable"},
             "rush_keywords": ["urgent", "asap", "rush"]}
    if c.profile in ("retainer", "mixed"):
        data["retainer"] = retainer(rng)
    if c.profile in ("sow", "mixed"):
        data |= sow_terms(c, rng, months)
    if c.profile in ("rates", "mixed"):
        data |= rate_terms(c, rng, months)
    if c.profile == "retainer":
        data["discount_pct"] = rng.choice((0, 2.5, 5))
        data["expenses"] = {"markup_pct": rng.choice((0, 10))}
    return data


def retainer(rng: random.Random) -> dict[str, Any]:
    hours = rng.choice((20, 40, 60, 80))
    return {"monthly_fee": hours * 150, "included_hours": hours, "overage_multiplier": rng.choice((1.0, 1.1)),
            "rollover": {"max_hours": hours // 2, "expires_after_months": rng.choice((2, 3))}}


def sow_terms(c: Client, rng: random.Random, months: Sequence[str]) -> dict[str, Any]:
    """SOW (hourly items by project code + a fixed-fee item with a schedule), tiers, caps, minimum."""
    items = [{"id": f"S{k}", "name": f"Phase {k}: {project}", "description": f"{project} work",
              "billing": "hourly", "project_codes": [code]} for k, (project, code) in enumerate(c.projects, 1)]
    items.append({"id": "FX", "name": "Fixed-fee audit", "description": "Fixed-fee audit", "billing": "fixed_fee",
                  "project_codes": [c.fixed_code], "schedule": {m: rng.choice((2500, 4000, 6000)) for m in months}})
    first_project = c.projects[0][0]
    return {
        "require_project_code": True,
        "task_map": {"Rush": "rush", "Internal": "non_billable", **{t: "standard" for t in WORK_TASKS}},
        "sow": {"items": items},
        "tiers": [{"from_hours": 0, "factor": 1.0}, {"from_hours": 100, "factor": 0.95},
                  {"from_hours": 250, "factor": 0.9}],
        "caps": [{"name": f"{first_project} NTE", "project": first_project, "period": "lifetime",
                  "amount": rng.choice((40000, 80000, 150000)), "since": "2026-01"},
                 {"name": "Monthly NTE", "period": "month", "amount": rng.choice((30000, 60000, 120000))}],
        "minimum_monthly_fee": rng.choice((2000, 5000)),
    }


def rate_terms(c: Client, rng: random.Random, months: Sequence[str]) -> dict[str, Any]:
    """Rate overrides (person+project, person), rounding, default rate, discount, markup, an amendment."""
    (f1, l1, _), (f2, l2, _) = c.people[0], c.people[-1]
    amended = min(months)[:5] + "01"
    return {
        "rounding": rng.choice(({"increment_hours": 0.25, "mode": "up"}, {"increment_hours": 0.1, "mode": "nearest"})),
        "default_rate": 120,
        "rate_overrides": [{"person": f"{f1} {l1}", "project": c.projects[0][0], "rate": 500},
                           {"person": f"{f2} {l2}", "rate": rng.choice((180, 210))}],
        "discount_pct": rng.choice((3, 5)),
        "expenses": {"markup_pct": rng.choice((5, 10, 15))},
        "amendments": [{"effective_from": amended, "roles": {"senior": role_rates(rng)["senior"] + 25}}],
    }


def weekdays(month: str) -> list[date]:
    year, mon = int(month[:4]), int(month[5:])
    days = (date(year, mon, d) for d in range(1, calendar.monthrange(year, mon)[1] + 1))
    return [d for d in days if d.weekday() < 5]


def split_counts(rng: random.Random, total: int, parts: int) -> list[int]:
    """`total` split into `parts` uneven non-negative counts that sum exactly to `total`; about one part in
    ten is small (a client under its minimum monthly fee)."""
    weights = [0.05 if rng.random() < 0.1 else rng.uniform(0.5, 1.5) for _ in range(parts)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in range(total - sum(counts)):
        counts[i % parts] += 1
    return counts


def hours_text(rng: random.Random) -> str:
    cents = rng.choice((25, 50, 75, 100, 150, 200, 300, 400)) + rng.randint(0, 99) * (rng.random() < 0.4)
    return f"{cents // 100}.{cents % 100:02d}"


def time_row(c: Client, rng: random.Random, day: date, classifier_share: float) -> tuple[str, ...]:
    """One Harvest time row: a billable entry mostly, sometimes internal (non-billable) or rush work."""
    first, last, role = rng.choice(c.people)
    project, code = rng.choice(c.projects)
    task, notes, billable = rng.choice(WORK_TASKS), rng.choice(NOTES).format(n=rng.randint(1, 40)), "Yes"
    roll = rng.random()
    if roll < 0.04:
        task, notes, billable = "Internal", "Internal knowledge sharing", "No"
    elif roll < 0.07:
        task = "Rush"
    elif roll < 0.10:
        notes = rng.choice(RUSH_NOTES)
    elif roll < 0.15 and c.fixed_code:
        project, code = "Security Audit", c.fixed_code
    elif c.contract.get("sow") and rng.random() < classifier_share:
        task = UNMAPPED_TASK
    client_name = c.aliases[0] if c.aliases and rng.random() < 0.2 else c.name
    hours = hours_text(rng)
    return (day.isoformat(), client_name, project, code, task, notes, hours, hours, billable, "No", "Yes", first,
            last, "", role.capitalize(), "Yes", "", "", "", "", CURRENCY, "")


def client_rows(c: Client, count: int, month: str, seed: int, classifier_share: float) -> list[tuple[str, ...]]:
    rng = random.Random(f"{seed}:time:{c.client}:{month}")
    days = weekdays(month)
    return [time_row(c, rng, rng.choice(days), classifier_share) for _ in range(count)]


def expense_rows(c: Client, month: str, seed: int) -> list[tuple[str, ...]]:
    """0-3 expenses of the client-month, one in five not billable."""
    rng = random.Random(f"{seed}:expense:{c.client}:{month}")
    rows = []
    for _ in range(rng.randint(0, 3)):
        category, notes = rng.choice(EXPENSES)
        project, code = rng.choice(c.projects)
        first, last, _ = rng.choice(c.people)
        amount = f"{rng.randint(2000, 150000) / 100:.2f}"
        rows.append((rng.choice(weekdays(month)).isoformat(), c.name, project, code, category, notes, amount,
                     "No" if rng.random() < 0.2 else "Yes", "No", first, last, CURRENCY))
    return rows


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_contract(home: Path, c: Client) -> None:
    path = home / "contracts" / f"{c.client}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(c.contract, sort_keys=False, width=110), encoding="utf-8")


def write_month(home: Path, clients: list[Client], month: str, entries: int, seed: int,
                classifier_share: float) -> None:
    """The month's timesheet files: clients in blocks of PART_SIZE, at most 4 files, rows by date."""
    counts = split_counts(random.Random(f"{seed}:counts:{month}"), entries, len(clients))
    parts = min(4, max(1, -(-len(clients) // PART_SIZE)))
    for part in range(parts):
        rows = [row for i, c in enumerate(clients) if i % parts == part
                for row in client_rows(c, counts[i], month, seed, classifier_share)]
        rows.sort(key=lambda r: r[0])
        write_csv(home / "timesheets" / f"harvest_time_{month}_{part + 1}.csv", TIME_HEADER, rows)


def generate_home(path: Path | str, clients: int, entries_per_month: int, months: Sequence[str] = ("2026-10",),
                  seed: int = 7, classifier_share: float = 0.0) -> Path:
    """Write a billing home with `clients` contracts and `entries_per_month` time entries per month in all."""
    home = Path(path)
    made = [make_client(i, months, seed) for i in range(1, clients + 1)]
    for c in made:
        write_contract(home, c)
    for month in months:
        write_month(home, made, month, entries_per_month, seed, classifier_share)
    expenses = [row for month in months for c in made for row in expense_rows(c, month, seed)]
    write_csv(home / "expenses" / "harvest_expenses.csv", EXPENSE_HEADER, sorted(expenses, key=lambda r: r[0]))
    (home / "overrides").mkdir(parents=True, exist_ok=True)
    return home


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--entries", type=int, default=10_000, help="time entries per month, all clients")
    parser.add_argument("--months", nargs="+", default=["2026-10"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--classifier-share", type=float, default=0.0,
                        help="share of SOW-contract entries whose work type only the classifier decides")
    args = parser.parse_args(argv)
    home = generate_home(args.home, args.clients, args.entries, tuple(args.months), args.seed, args.classifier_share)
    print(f"billing home written to {home}: {args.clients} clients, {args.entries} entries x {len(args.months)} "
          "month(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
