"""Seeded random billing homes for comparing the project's pricing with tests/spec_reference.py.

`generate_home(seed, root)` writes contracts/*.yaml, timesheets/*.csv (Harvest "Detailed time") and
expenses/*.csv (Harvest expense report) under `root` and returns (first_month, last_month). Every home is
valid by the spec (section 2) and needs no classifier: a client with a `sow` has every entry decided by its
project code or by the single hourly item.
"""

from __future__ import annotations

import csv
import random
import re
from decimal import Decimal
from pathlib import Path

import yaml

from tests.spec_reference import month_add, month_range

TIME_HEADER = ["Date", "Client", "Project", "Project Code", "Task", "Notes", "Hours", "Hours Rounded", "Billable?",
               "Invoiced?", "Approved?", "First Name", "Last Name", "Employee Id", "Roles", "Employee?",
               "Billable Rate", "Billable Amount", "Cost Rate", "Cost Amount", "Currency", "External Reference URL"]
EXPENSE_HEADER = ["Date", "Client", "Project", "Project Code", "Category", "Notes", "Amount", "Billable?",
                  "Invoiced?", "First Name", "Last Name", "Currency"]
CURRENCY = "United States Dollar - USD"

PEOPLE = [("Alice", "Ng"), ("Bob", "Ray"), ("Carla", "Mendes"), ("Dev", "Sharma"), ("Erin", "Walsh"),
          ("Farid", "Haddad"), ("Greta", "Lind"), ("Hiro", "Tanaka")]
NO_RATE_PERSON = ("Temp", "Contractor")
ROLE_POOL = ["partner", "senior", "analyst", "designer", "developer"]
PROJECT_POOL = [("Website Redesign", "WEB"), ("Data Platform", "DAT"), ("Brand Refresh", "BRD"),
                ("Cloud Migration", "CLD"), ("Security Review", "SEC"), ("Mobile App", "MOB")]
COMPANY_WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Tyrell", "Soylent"]
TASKS = ["Consulting", "Design", "Development", "Meeting", "Rush", "Internal", "Support", "Weekend"]
MAPPED_TASKS = ("Rush", "Internal", "Support", "Weekend")  # used only where the contract's task_map has them
# Notes without time-pressure cues: the classifier (spec section 3 step 4, consulted for the work type when steps
# 2-3 leave it open) answers "standard" for them with confidence above the review threshold.
PLAIN_NOTES = ["Weekly sync with client team", "Drafted section of the report", "Code review and fixes",
               "Workshop preparation", "Planning session", "Followed up on open questions"]
# Notes with a rush keyword: used only where classification step 2 decides the work type (a matching keyword of
# the contract, a task_map task, or Billable? = No), never left to the classifier.
KEYWORD_NOTES = {"urgent": ["Urgent fix for the checkout bug", "Client asked for this urgent.", "URGENT hotfix"],
                 "asap": ["ASAP: board deck changes", "(asap) data pull"],
                 "same-day": ["Same-day turnaround on copy"],
                 "rush": ["rush job on the landing page", "Rush: press release"]}
EXPENSE_CATEGORIES = [("Travel", "Flight to client site"), ("Meals", "Team dinner"), ("Lodging", "Hotel, 2 nights"),
                      ("Software", "License for the project")]


def _hours(rng: random.Random, low: str = "0.25", high: str = "8.00") -> Decimal:
    lo, hi = int(Decimal(low) * 100), int(Decimal(high) * 100)
    return Decimal(rng.randint(lo, hi)) / 100


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def _num(value: Decimal) -> Decimal:
    """A contract number written the way a person would (no trailing zeros beyond one decimal)."""
    value = Decimal(value)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


class _Dumper(yaml.SafeDumper):
    pass


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal):
    text = format(value, "f")
    tag = "tag:yaml.org,2002:int" if "." not in text else "tag:yaml.org,2002:float"
    return dumper.represent_scalar(tag, text)


_Dumper.add_representer(Decimal, _represent_decimal)


def _client(rng: random.Random, index: int, months: list[str], seed: int) -> tuple[dict, dict]:
    """(contract, plan) for one client; the plan says how to generate its rows."""
    word = COMPANY_WORDS[(seed + index) % len(COMPANY_WORDS)]
    slug = f"{word.lower()}-{seed % 1000}-{index}"
    name = f"{word} {['Corp', 'Inc', 'Labs', 'Group'][index % 4]} {seed}-{index}"
    contract: dict = {"client": slug, "name": name}
    aliases = []
    if rng.random() < 0.3:
        aliases = [f"{word} {seed}-{index} (alias)"]
        contract["aliases"] = aliases
    contract["currency"] = "USD"
    first = months[0]

    # engagement window (start/end within the closed months; data outside the window is generated anyway)
    if rng.random() < 0.3:
        contract["start"] = rng.choice(months[:-1])
    if rng.random() < 0.3:
        candidates = [m for m in months[1:] if m >= contract.get("start", first)]
        contract["end"] = rng.choice(candidates)
    contract["terms_days"] = Decimal(rng.choice([15, 30]))

    projects = rng.sample(PROJECT_POOL, rng.randint(2, 3))
    projects = [(p, f"{word[:3].upper()}{index}-{c}") for p, c in projects]

    if rng.random() < 0.4:
        inc = Decimal(rng.choice(["0.1", "0.25", "0.5"]))
        contract["rounding"] = {"increment_hours": inc, "mode": rng.choice(["up", "nearest", "none"])}

    roles = {r: _num(rng.choice([Decimal(rng.randint(8, 45) * 10), _money(rng, 90, 400)]))
             for r in rng.sample(ROLE_POOL, rng.randint(2, 4))}
    has_default = rng.random() < 0.4
    if has_default:
        contract["default_rate"] = _num(Decimal(rng.randint(10, 20) * 10))
    contract["roles"] = roles
    staff = rng.sample(PEOPLE, rng.randint(3, 5))
    people = {}
    roles_col = {}
    for first_name, last_name in staff:
        person = f"{first_name} {last_name}"
        r = rng.random()
        if r < 0.5:
            people[person] = rng.choice(list(roles))
        elif r < 0.8:
            role = rng.choice(list(roles))
            roles_col[person] = rng.choice([role, role.capitalize(), role.upper()]) + rng.choice(["", ", Staff"])
        else:
            # a role the contract has no rate for: default_rate, or an override, or no_rate
            roles_col[person] = "Intern"
    if people:
        contract["people"] = people
    overrides = []
    if rng.random() < 0.5:
        person = " ".join(rng.choice(staff))
        overrides.append({"person": person, "project": rng.choice(projects)[0],
                          "rate": _num(_money(rng, 100, 300))})
    if rng.random() < 0.4:
        person = " ".join(rng.choice(staff))
        overrides.append({"person": person, "rate": _num(Decimal(rng.randint(10, 30) * 10))})
    if overrides:
        contract["rate_overrides"] = overrides
    # a person whose role has no rate is held with no_rate only without a default rate and any override
    priced_by_override = {o["person"] for o in overrides}
    unrated = [p for p, r in roles_col.items() if r == "Intern" and p not in priced_by_override]
    if has_default:
        unrated = []

    if rng.random() < 0.5:
        rush: dict = {"multiplier": _num(Decimal(rng.choice(["1.25", "1.5", "2"])))}
        if rng.random() < 0.8:
            rush["counts_against_retainer"] = rng.random() < 0.5
        contract["work_types"] = {"rush": rush}
        if rng.random() < 0.4:
            contract["work_types"]["weekend"] = {"multiplier": _num(Decimal(rng.choice(["1.2", "2"]))),
                                                 "counts_against_retainer": rng.random() < 0.5}
    if rng.random() < 0.5:
        task_map = {}
        for task, wt in (("Rush", "rush"), ("Internal", "non_billable"), ("Support", "standard"),
                         ("Weekend", "weekend")):
            if rng.random() < 0.6 and (wt != "weekend" or "weekend" in (contract.get("work_types") or {})):
                task_map[task] = wt
        if task_map:
            contract["task_map"] = task_map
    if rng.random() < 0.5:
        contract["rush_keywords"] = rng.sample(["urgent", "rush", "asap", "same-day"], rng.randint(1, 3))

    has_retainer = rng.random() < 0.45
    if has_retainer:
        retainer: dict = {"monthly_fee": _num(Decimal(rng.randint(10, 60) * 100)),
                          "included_hours": _num(Decimal(rng.choice([10, 15, 20, 25, 30, 40]))) }
        if rng.random() < 0.6:
            retainer["overage_multiplier"] = _num(Decimal(rng.choice(["1.0", "1.1", "1.25"])))
        if rng.random() < 0.6:
            retainer["rollover"] = {"max_hours": _num(Decimal(rng.choice([0, 5, 8, 10, 20, 100]))),
                                    "expires_after_months": Decimal(rng.randint(1, 3))}
        contract["retainer"] = retainer

    sow = None
    if rng.random() < 0.5:
        items = []
        n_hourly = rng.randint(1, min(3, len(projects)))
        codes = [c for _, c in projects]
        rng.shuffle(codes)
        for i in range(n_hourly):
            items.append({"id": f"H{i + 1}", "name": f"Hourly work {i + 1}", "description": "Time and materials",
                          "billing": "hourly", "project_codes": []})
        fixed = None
        if rng.random() < 0.5 and len(codes) >= 2:
            schedule = {m: _num(Decimal(rng.randint(10, 80) * 100)) for m in rng.sample(months, rng.randint(1, 2))}
            fixed = {"id": "F1", "name": "Fixed-fee phase", "description": "Delivered for a fixed fee",
                     "billing": "fixed_fee", "project_codes": [codes.pop()], "schedule": dict(sorted(schedule.items()))}
        # every remaining code goes to an hourly item, unless a single hourly item takes the unlisted ones
        for j, code in enumerate(codes):
            if n_hourly == 1 and rng.random() < 0.5:
                continue
            items[j % n_hourly]["project_codes"].append(code)
        for item in items:
            if not item["project_codes"]:
                del item["project_codes"]
        if fixed:
            items.append(fixed)
        if rng.random() < 0.3:
            # a fixed fee with no time of its own, billed on a schedule that may fall outside the engagement
            items.append({"id": "F2", "name": "Licence", "description": "Fixed fee", "billing": "fixed_fee",
                          "schedule": {m: _num(_money(rng, 100, 2000)) for m in rng.sample(months, 2)}})
        if n_hourly > 1 and any("project_codes" not in it for it in items if it["billing"] == "hourly"):
            # an hourly item with no codes would never be chosen; give it a code of its own (unused) instead
            for it in items:
                if it["billing"] == "hourly" and "project_codes" not in it:
                    it["project_codes"] = [f"{it['id']}-UNUSED"]
        sow = {"items": items}
        contract["sow"] = sow
    require_code = rng.random() < 0.25
    if require_code:
        contract["require_project_code"] = True
    single_hourly = sow is not None and sum(1 for it in sow["items"] if it["billing"] == "hourly") == 1
    allow_empty_code = require_code or sow is None or single_hourly

    caps = []
    if rng.random() < 0.45:
        scopes = ["none", "project"] + (["sow_item"] if sow else [])
        rng.shuffle(scopes)
        used_projects = set()
        for scope in scopes[:rng.randint(1, len(scopes))]:
            period = rng.choice(["month", "lifetime"])
            cap: dict = {"name": f"{scope.title()} NTE {len(caps) + 1}"}
            if scope == "project":
                project = rng.choice(projects)[0]
                used_projects.add(project)
                cap["project"] = project
            elif scope == "sow_item":
                # a sow_item cap on an item holding none of a project-capped project's code: scopes never overlap
                project_codes = {c for p, c in projects if p in used_projects}
                choices = [it["id"] for it in sow["items"] if it["billing"] == "hourly"
                           and not project_codes & set(it.get("project_codes", []))]
                if not choices:
                    continue
                cap["sow_item"] = rng.choice(choices)
            cap["period"] = period
            cap["amount"] = _num(Decimal(rng.randint(5, 60) * 100 * (3 if period == "lifetime" else 1)))
            if period == "lifetime" and rng.random() < 0.6:
                cap["since"] = rng.choice([month_add(first, -1)] + months)
            caps.append(cap)
        if caps:
            contract["caps"] = caps
    if rng.random() < 0.35:
        b1 = rng.randint(5, 30)
        tiers = [{"from_hours": Decimal(0), "factor": _num(Decimal("1.0"))},
                 {"from_hours": _num(Decimal(b1)), "factor": _num(Decimal(rng.choice(["0.95", "0.9"])))}]
        if rng.random() < 0.5:
            tiers.append({"from_hours": _num(Decimal(b1 + rng.randint(5, 25)) + Decimal(rng.choice(["0", "0.5"]))),
                          "factor": _num(Decimal(rng.choice(["0.85", "0.8"])))})
        contract["tiers"] = tiers
    if rng.random() < 0.3:
        contract["discount_pct"] = _num(Decimal(rng.choice(["5", "2.5", "10", "7.5"])))
    if rng.random() < 0.25:
        contract["minimum_monthly_fee"] = _num(Decimal(rng.choice([500, 2000, 5000, 9000])))
    if rng.random() < 0.5:
        contract["expenses"] = {"markup_pct": _num(Decimal(rng.choice(["0", "10", "12.5", "15"])))}

    amendments = []
    if rng.random() < 0.5 and len(months) > 1:
        for _ in range(rng.randint(1, 3)):
            change: dict = {"effective_from": rng.choice(months[1:] + [month_add(first, -2)])}
            what = rng.choice(["roles", "retainer", "tiers", "roles", "retainer", "tiers", "caps", "work_types",
                               "rounding", "discount_pct", "minimum_monthly_fee", "people", "rate_overrides"])
            if what == "roles":
                role = rng.choice(list(roles))
                change["roles"] = {role: _num(roles[role] + Decimal(rng.randint(1, 6) * 5))}
            elif what == "retainer" and has_retainer:
                r = rng.random()
                if r < 0.3:
                    change["retainer"] = {"included_hours": _num(Decimal(rng.choice([0, 5, 12, 35])))}
                elif r < 0.55:
                    change["retainer"] = {"monthly_fee": _num(Decimal(rng.randint(10, 60) * 100)),
                                          "overage_multiplier": _num(Decimal(rng.choice(["1.5", "1.15"])))}
                else:
                    change["retainer"] = {"rollover": {"max_hours": _num(Decimal(rng.choice([0, 3, 15]))),
                                                       "expires_after_months": Decimal(rng.randint(1, 3))}}
            elif what == "retainer":
                # a retainer that starts with an amendment
                change["retainer"] = {"monthly_fee": _num(Decimal(rng.randint(10, 60) * 100)),
                                      "included_hours": _num(Decimal(rng.choice([10, 20])))}
                if rng.random() < 0.5:
                    change["retainer"]["rollover"] = {"max_hours": Decimal(10), "expires_after_months": Decimal(1)}
            elif what == "caps" and caps:
                # the same caps (names, scopes, periods, since) with new amounts: a change of amount alone
                change["caps"] = [dict(c, amount=_num(Decimal(c["amount"]) + Decimal(rng.randint(-4, 8) * 100)))
                                  for c in caps]
            elif what == "work_types":
                change["work_types"] = {"rush": {"multiplier": _num(Decimal(rng.choice(["1.75", "1.3"]))),
                                                 "counts_against_retainer": rng.random() < 0.5}}
            elif what == "rounding":
                change["rounding"] = {"increment_hours": Decimal(rng.choice(["0.1", "0.25", "0.5"])),
                                      "mode": rng.choice(["up", "nearest", "none"])}
            elif what == "discount_pct":
                change["discount_pct"] = _num(Decimal(rng.choice(["0", "3.33", "12.5"])))
            elif what == "minimum_monthly_fee":
                change["minimum_monthly_fee"] = _num(Decimal(rng.choice([0, 1500, 7000])))
            elif what == "people" and people:
                person = rng.choice(list(people))
                change["people"] = {person: rng.choice(list(roles))}
            elif what == "rate_overrides":
                person = " ".join(rng.choice(staff))
                change["rate_overrides"] = [{"person": person, "rate": _num(_money(rng, 120, 260))}]
            else:
                b1 = rng.randint(3, 20)
                change["tiers"] = [{"from_hours": Decimal(0), "factor": _num(Decimal("1.0"))},
                                   {"from_hours": _num(Decimal(b1)), "factor": _num(Decimal("0.85"))}]
            amendments.append(change)
        if rng.random() < 0.6:
            amendments.sort(key=lambda a: a["effective_from"])  # else file order is not date order
        contract["amendments"] = amendments

    plan = {"name": name, "aliases": aliases, "projects": projects, "staff": staff, "unrated": unrated,
            "roles_col": roles_col,
            "allow_empty_code": allow_empty_code, "first_data": rng.choice(months[:2]),
            "last_data": rng.choice(months[-2:]), "density": rng.choice([3, 6, 9, 12, 25])}
    if rng.random() < 0.08:
        plan["first_data"] = plan["last_data"] = "9999-12"  # no time or expense at all: only a `start` prices it
    return contract, plan


def _rows(rng: random.Random, contract: dict, plan: dict, months: list[str]) -> tuple[list, list]:
    time_rows, expense_rows = [], []
    for month in months:
        if not plan["first_data"] <= month <= plan["last_data"] or rng.random() < 0.1:
            continue
        for _ in range(rng.randint(max(1, plan["density"] - 3), plan["density"] + 3)):
            day = rng.randint(1, 28)
            first_name, last_name = rng.choice(plan["staff"])
            if plan["unrated"] and rng.random() < 0.06:
                first_name, last_name = plan["unrated"][0].split(" ", 1)
            project, code = rng.choice(plan["projects"])
            if plan["allow_empty_code"] and rng.random() < 0.05:
                code = ""
            task_map = contract.get("task_map") or {}
            task = rng.choice([t for t in TASKS if t not in MAPPED_TASKS or t in task_map])
            billable = "No" if rng.random() < 0.1 else "Yes"
            keywords = list(contract.get("rush_keywords") or [])
            if billable == "No" or task in task_map:
                keywords = list(KEYWORD_NOTES)
            notes = rng.choice(PLAIN_NOTES)
            if keywords and rng.random() < 0.25:
                notes = rng.choice(KEYWORD_NOTES[rng.choice(keywords)])
            r = rng.random()
            if r < 0.02:
                hours = _hours(rng, "24.01", "30.00")  # implausible_hours
            elif r < 0.03:
                hours = Decimal("24.00")  # not over 24 hours: priced
            elif r < 0.4:
                hours = Decimal(rng.randint(1, 16)) / 2  # whole and half hours: exact boundary hits
            else:
                hours = _hours(rng)
            person = f"{first_name} {last_name}"
            roles = "" if person in (contract.get("people") or {}) else plan["roles_col"].get(person, "")
            rounded = (hours * 4).to_integral_value(rounding="ROUND_CEILING") / 4
            client_col = plan["aliases"][0] if plan["aliases"] and rng.random() < 0.3 else plan["name"]
            time_rows.append([f"{month}-{day:02d}", client_col, project, code, task, notes, f"{hours:.2f}",
                              f"{rounded:.2f}", billable, "No", "Yes", first_name, last_name, "", roles, "Yes",
                              "", "", "", "", CURRENCY, ""])
        for _ in range(rng.choice([0, 0, 1, 2])):
            category, note = rng.choice(EXPENSE_CATEGORIES)
            project, code = rng.choice(plan["projects"])
            client_col = plan["aliases"][0] if plan["aliases"] and rng.random() < 0.3 else plan["name"]
            expense_rows.append([f"{month}-{rng.randint(1, 28):02d}", client_col, project, code, category, note,
                                 f"{_money(rng, 5, 900):.2f}", "No" if rng.random() < 0.25 else "Yes", "No",
                                 "Ops", "Team", CURRENCY])
    return time_rows, expense_rows


def generate_home(seed: int, root: Path, clients: int | None = None) -> tuple[str, str]:
    """Write a random billing home under `root`; return the (first, last) month to close."""
    rng = random.Random(seed)
    root = Path(root)
    for sub in ("contracts", "timesheets", "expenses", "overrides"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    # closed months must be before the current month, and not before BILLING_FIRST_MONTH (January two years back)
    first = month_add("2025-01", rng.randint(0, 17))
    months = month_range(first, month_add(first, rng.randint(2, 4)))
    all_time, all_expenses = [], []
    for index in range(clients or rng.randint(2, 4)):
        contract, plan = _client(rng, index, months, seed)
        (root / "contracts" / f"{contract['client']}.yaml").write_text(
            yaml.dump(contract, Dumper=_Dumper, sort_keys=False, allow_unicode=True), encoding="utf-8")
        time_rows, expense_rows = _rows(rng, contract, plan, months)
        all_time += time_rows
        all_expenses += expense_rows
    rng.shuffle(all_time)
    files = ["harvest_time_a.csv", "harvest_time_b.csv"][:rng.randint(1, 2)]
    chunks: dict[str, list] = {f: [] for f in files}
    for row in all_time:
        chunks[rng.choice(files)].append(row)
    for name, rows in chunks.items():
        _write_csv(root / "timesheets" / name, TIME_HEADER, rows)
    rng.shuffle(all_expenses)
    _write_csv(root / "expenses" / "harvest_expenses.csv", EXPENSE_HEADER, all_expenses)
    return months[0], months[-1]


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


# ---------------------------------------------------------------- closing a home with the project's real path

def _norm_ref(result: dict) -> dict:
    return {"total": Decimal(result["total"]), "hours_held": Decimal(result["hours_held"]),
            "kinds": {k: (Decimal(v["amount"]), Decimal(v["quantity"])) for k, v in result["kinds"].items()},
            "lots": [(o, Decimal(h)) for o, h in result["lots_carried"]]}


def close_with_project(home: Path, first: str, last: str) -> dict:
    """Close `first..last` with `billing close` on the billing home BILLING_HOME points at (already copied, as
    the `billing_env` fixture does) and read every priced client-month as tests/test_golden.py does.

    Returns {"rc", "output", "priced": {key: normalized}, "classifier": [entries whose work type the classifier
    decided other than standard, or with confidence under 0.8], "failures": [(client month, reasons)]}.
    `billing close` exits 1 when a client-month fails a check; an entry held with no_rate fails
    `priced_line_items.rates_present` although its month is priced (the held entry is in hours_held)."""
    import contextlib
    import io

    import duckdb

    from billing_assets.cli import main
    from tests.test_golden import actual_from

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = main(["close", "--month", f"{first}..{last}"])
    priced = {}
    classifier = []
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        def fetch(sql, params):
            return conn.execute(sql.replace("%s", "?"), params).fetchall()
        for client, month in fetch("SELECT client, month FROM invoices ORDER BY client, month", []):
            got = actual_from(fetch, client, month)
            priced[f"{client}|{month}"] = {
                "total": got["total"], "hours_held": got["hours_held"],
                "kinds": {k: (v["amount"], v["quantity"]) for k, v in got["kinds"].items()},
                "lots": [(o, Decimal(h)) for o, h in got["lots"]]}
        classifier = fetch("SELECT c.client, c.month, c.entry_id, c.work_type, c.confidence, c.rationale "
                           "FROM classified_time_entries c WHERE c.method = 'classifier' "
                           "AND (c.work_type <> 'standard' OR c.confidence < 0.8) "
                           "AND c.review_reasons NOT LIKE '%missing_project_code%' "
                           "AND c.review_reasons NOT LIKE '%implausible_hours%'", [])
    failures = re.findall(r"^FAILED (\S+ \S+):\n((?:  .*\n?)+)", out.getvalue(), flags=re.MULTILINE)
    return {"rc": rc, "output": out.getvalue(), "priced": priced, "classifier": classifier,
            "failures": [(where, text.strip()) for where, text in failures]}


def unexpected_failures(ours: dict) -> list:
    """Failed client-months whose every reason is not an entry held with no_rate (the one failure a random home
    is meant to produce: `priced_line_items.rates_present`)."""
    bad = []
    for where, text in ours["failures"]:
        reasons = [line.strip() for line in text.splitlines() if line.strip()]
        if not all(reason.startswith("priced_line_items.rates_present") for reason in reasons):
            bad.append((where, text))
    return bad


def differences(reference: dict, ours: dict) -> list[tuple[str, str, object, object]]:
    """(client|month, field, reference value, our value) for every field that differs. `reference` is
    spec_reference.price_home's dict; `ours` is close_with_project's "priced"."""
    ref = {k: _norm_ref(v) for k, v in reference.items()}
    out = []
    for key in sorted(set(ref) | set(ours)):
        r, o = ref.get(key), ours.get(key)
        if r is None or o is None:
            out.append((key, "priced", r is not None, o is not None))
            continue
        for name in ("total", "hours_held", "lots"):
            if r[name] != o[name]:
                out.append((key, name, r[name], o[name]))
        for kind in sorted(set(r["kinds"]) | set(o["kinds"])):
            rk, ok = r["kinds"].get(kind), o["kinds"].get(kind)
            if rk != ok:
                out.append((key, f"kinds.{kind}", rk, ok))
    return out
