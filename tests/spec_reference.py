"""An independent reader of /work/shared/BILLING_SPEC.md, sections 2 and 4 (with classification steps 2-3).

Written from the spec alone (and docs/DECISIONS.md "Pricing" / "Engagement window" where the spec is silent),
without reading the project's pricing code, so that the two can be compared on billing homes nobody
hand-checked. `price_home(home, first, last)` returns, per client-month of the engagement between `first` and
`last`, the same shape as the golden cases' expected.json:

    {"client|YYYY-MM": {"total": str, "hours_held": str,
                        "kinds": {kind: {"amount": str, "quantity": str}},
                        "lots_carried": [[origin, hours], ...]}}

Scope: Harvest "Detailed time" and expense CSVs, no overrides, no classifier (an entry that classification
steps 2-3 cannot place raises `NeedsClassifier`). All arithmetic is Decimal; YAML numbers are read from
their text.
"""

from __future__ import annotations

import copy
import csv
import re
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from pathlib import Path

import yaml

CENT = Decimal("0.01")
ZERO = Decimal(0)
KIND_ORDER = ("retainer_fee", "fixed_fee", "retainer_covered", "hourly", "overage", "cap_adjustment", "discount",
              "minimum_adjustment", "expense")
TIME_CHARGE_KINDS = ("hourly", "overage")


class NeedsClassifier(Exception):
    """An entry that steps 1-3 of the spec's classification do not decide (the reference has no classifier)."""


def round2(x: Decimal) -> Decimal:
    return x.quantize(CENT, ROUND_HALF_UP)


# ---------------------------------------------------------------- YAML with exact decimals

class _DecimalLoader(yaml.SafeLoader):
    """Safe YAML whose ints and floats are the Decimal of the text as written."""


def _decimal_of_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    text = loader.construct_scalar(node).replace("_", "")
    return Decimal(text)


_DecimalLoader.add_constructor("tag:yaml.org,2002:int", _decimal_of_text)
_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _decimal_of_text)


def load_contract(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_DecimalLoader)  # noqa: S506 - a SafeLoader


# ---------------------------------------------------------------- months

def month_add(month: str, n: int) -> str:
    y, m = int(month[:4]), int(month[5:7])
    k = y * 12 + (m - 1) + n
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def month_range(first: str, last: str) -> list[str]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = month_add(m, 1)
    return out


def _month_key(value) -> str:
    """A `YYYY-MM` key as YAML gave it (a string; a date if someone wrote a full date)."""
    text = str(value)
    return text[:7]


# ---------------------------------------------------------------- contract for month M

def deep_merge(base: dict, change: dict) -> dict:
    """Mappings merge key by key; lists and scalars replace."""
    out = copy.deepcopy(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def contract_for(base: dict, month: str) -> dict:
    """The base, then every amendment with effective_from <= M in file order, each deep-merged."""
    contract = {k: v for k, v in base.items() if k != "amendments"}
    for amendment in base.get("amendments") or []:
        if _month_key(amendment["effective_from"]) <= month:
            contract = deep_merge(contract, {k: v for k, v in amendment.items() if k != "effective_from"})
    return contract


# ---------------------------------------------------------------- sources

@dataclass
class Entry:
    date: str
    month: str
    client_col: str
    project: str
    code: str
    task: str
    notes: str
    hours: Decimal
    billable: bool
    person: str
    roles_col: str
    order: tuple = field(default=())


@dataclass
class Expense:
    date: str
    month: str
    client_col: str
    amount: Decimal
    billable: bool
    order: tuple = field(default=())


def _cell(row: dict, name: str) -> str:
    return (row.get(name) or "").strip()


def _yes(text: str) -> bool:
    return text.strip().lower() in ("yes", "y", "true", "1")


def read_time(home: Path) -> list[Entry]:
    entries = []
    for path in sorted((home / "timesheets").glob("*.csv")):
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for row_no, row in enumerate(csv.DictReader(fh), start=1):
                hours_text = _cell(row, "Hours")
                if not hours_text:
                    continue  # a running timer
                hours = Decimal(hours_text)
                if hours == 0:
                    continue  # zero duration carries nothing
                date = _cell(row, "Date")
                entries.append(Entry(
                    date=date, month=date[:7], client_col=_cell(row, "Client"), project=_cell(row, "Project"),
                    code=_cell(row, "Project Code"), task=_cell(row, "Task"), notes=_cell(row, "Notes"),
                    hours=hours, billable=_yes(_cell(row, "Billable?")),
                    person=f"{_cell(row, 'First Name')} {_cell(row, 'Last Name')}",
                    roles_col=_cell(row, "Roles"), order=(date, path.name, row_no)))
    entries.sort(key=lambda e: e.order)
    return entries


def read_expenses(home: Path) -> list[Expense]:
    expenses = []
    for path in sorted((home / "expenses").glob("*.csv")) if (home / "expenses").exists() else []:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for row_no, row in enumerate(csv.DictReader(fh), start=1):
                amount_text = _cell(row, "Amount")
                if not amount_text:
                    continue
                date = _cell(row, "Date")
                expenses.append(Expense(date=date, month=date[:7], client_col=_cell(row, "Client"),
                                        amount=Decimal(amount_text), billable=_yes(_cell(row, "Billable?")),
                                        order=(date, path.name, row_no)))
    expenses.sort(key=lambda e: e.order)
    return expenses


# ---------------------------------------------------------------- classification (steps 2-3)

def _keyword_match(notes: str, keywords) -> bool:
    for kw in keywords or []:
        if re.search(r"(?<!\w)" + re.escape(str(kw)) + r"(?!\w)", notes, flags=re.IGNORECASE):
            return True
    return False


def classify(entry: Entry, contract: dict) -> tuple[str, str | None]:
    """(work_type, sow_item) by steps 2-3."""
    if not entry.billable:
        work_type = "non_billable"
    elif entry.task in (contract.get("task_map") or {}):
        work_type = str(contract["task_map"][entry.task])
    elif _keyword_match(entry.notes, contract.get("rush_keywords")):
        work_type = "rush"
    else:
        # Steps 2-3 decided nothing about the work type; with the SOW item decided deterministically (or no SOW)
        # there is nothing for a classifier to answer and the entry is standard work.
        work_type = "standard"
    sow = contract.get("sow")
    if not sow:
        return work_type, None
    items = sow.get("items") or []
    for item in items:
        if entry.code and entry.code in [str(c) for c in item.get("project_codes") or []]:
            return work_type, str(item["id"])
    hourly = [item for item in items if item.get("billing", "hourly") == "hourly"]
    if len(hourly) == 1:
        return work_type, str(hourly[0]["id"])
    raise NeedsClassifier(f"{entry.order}: no project code match and {len(hourly)} hourly items")


# ---------------------------------------------------------------- pricing helpers

def round_hours(hours: Decimal, rounding: dict | None) -> Decimal:
    rounding = rounding or {}
    mode = str(rounding.get("mode", "none"))
    inc = rounding.get("increment_hours")
    if mode == "none" or not inc:
        return hours
    steps = hours / Decimal(inc)
    if mode == "up":
        steps = steps.to_integral_value(ROUND_CEILING)
    elif mode == "nearest":
        steps = steps.to_integral_value(ROUND_HALF_UP)
    else:
        raise ValueError(f"rounding mode {mode}")
    return steps * Decimal(inc)


def _role_of(entry: Entry, contract: dict) -> str | None:
    """The people map wins; else the first comma-separated value of Roles. Canonical name from `roles` when it
    matches case-insensitively."""
    people = contract.get("people") or {}
    raw = people.get(entry.person)
    if raw is None:
        raw = entry.roles_col.split(",")[0].strip() if entry.roles_col else None
    if not raw:
        return None
    for name in contract.get("roles") or {}:
        if str(name).lower() == str(raw).lower():
            return str(name)
    return str(raw).lower()


def base_rate(entry: Entry, role: str | None, contract: dict) -> Decimal | None:
    overrides = contract.get("rate_overrides") or []
    for o in overrides:
        if o.get("person") == entry.person and o.get("project") is not None and o.get("project") == entry.project:
            return Decimal(o["rate"])
    for o in overrides:
        if o.get("person") == entry.person and o.get("project") is None:
            return Decimal(o["rate"])
    roles = contract.get("roles") or {}
    if role is not None and role in roles:
        return Decimal(roles[role])
    if contract.get("default_rate") is not None:
        return Decimal(contract["default_rate"])
    return None


def work_type_terms(work_type: str, contract: dict) -> tuple[Decimal, bool]:
    """(multiplier, counts_against_retainer). Standard is implicit; an undeclared rush prices like standard."""
    declared = (contract.get("work_types") or {}).get(work_type)
    if work_type == "standard" or declared is None:
        return Decimal(1), True
    mult = Decimal(declared.get("multiplier", 1))
    counts = declared.get("counts_against_retainer", True)
    return mult, bool(counts)


@dataclass
class Piece:
    kind: str
    sow_item: str | None
    project: str
    role: str | None
    work_type: str
    rate: Decimal
    multiplier: Decimal
    hours: Decimal
    unit_price: Decimal = ZERO
    factor: Decimal = Decimal(1)


@dataclass
class Line:
    kind: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    project: str | None = None
    sow_item: str | None = None


@dataclass
class ClientState:
    lots: list = field(default_factory=list)            # [[origin, hours]] carried into the next month
    cap_billed: dict = field(default_factory=dict)       # cap name -> net charges billed in scope so far


def _cap_scope(cap: dict) -> tuple:
    return (cap.get("project"), cap.get("sow_item"))


def price_month(month: str, contract: dict, entries: list[Entry], expenses: list[Expense],
                state: ClientState) -> dict:
    """Section 4 for one client-month; mutates `state` to the ledger state after M."""
    held_hours = ZERO
    lines: list[Line] = []
    pieces: list[Piece] = []
    clean = []
    for e in entries:
        reasons = []
        if contract.get("require_project_code") and not e.code:
            reasons.append("missing_project_code")
        if e.hours > 24:
            reasons.append("implausible_hours")
        if reasons:  # held whatever a classifier would say of it
            held_hours += e.hours
            continue
        work_type, sow_item = classify(e, contract)
        clean.append((e, work_type, sow_item))

    # 1-2. hours; fixed-fee items
    items = {str(i["id"]): i for i in ((contract.get("sow") or {}).get("items") or [])}
    fixed = {k for k, i in items.items() if i.get("billing") == "fixed_fee"}
    for item_id, item in items.items():
        if item_id in fixed:
            schedule = {_month_key(k): v for k, v in (item.get("schedule") or {}).items()}
            if month in schedule:
                amount = round2(Decimal(schedule[month]))
                lines.append(Line("fixed_fee", Decimal(1), amount, amount, sow_item=item_id))
    rounding = contract.get("rounding")
    priced = []
    for e, work_type, sow_item in clean:
        if work_type == "non_billable" or sow_item in fixed:
            continue
        role = _role_of(e, contract)
        rate = base_rate(e, role, contract)
        if rate is None:
            held_hours += e.hours  # no_rate
            continue
        priced.append((e, work_type, sow_item, role, rate, round_hours(e.hours, rounding)))

    # 4. retainer
    retainer = contract.get("retainer")
    rollover = (retainer or {}).get("rollover")
    if retainer is not None:
        fee = round2(Decimal(retainer.get("monthly_fee", 0)))
        lines.append(Line("retainer_fee", Decimal(1), fee, fee))
        expires = int(rollover.get("expires_after_months", 0)) if rollover else 0
        usable = [[o, h] for o, h in state.lots if rollover and month <= month_add(o, expires)]
        current = [month, Decimal(retainer.get("included_hours", 0))]
        allowance = usable + [current]
        om = Decimal(retainer.get("overage_multiplier", 1))
    else:
        allowance, usable, current, om = [], [], None, Decimal(1)
    for e, work_type, sow_item, role, rate, h in priced:
        mult, counts = work_type_terms(work_type, contract)
        if retainer is None or not counts:
            pieces.append(Piece("hourly", sow_item, e.project, role, work_type, rate, mult, h))
            continue
        rest = h
        covered = ZERO
        for lot in allowance:
            if rest <= 0:
                break
            take = min(rest, lot[1])
            if take > 0:
                lot[1] -= take
                rest -= take
                covered += take
        if covered > 0:
            pieces.append(Piece("retainer_covered", sow_item, e.project, role, work_type, rate, mult, covered))
        if rest > 0:
            pieces.append(Piece("overage", sow_item, e.project, role, work_type, rate, mult, rest))
    if retainer is not None and rollover:
        candidates = [lot for lot in usable + [current] if lot[1] > 0]
        expires = int(rollover.get("expires_after_months", 0))
        nxt = month_add(month, 1)
        candidates = [lot for lot in candidates if nxt <= month_add(lot[0], expires)]
        excess = sum((lot[1] for lot in candidates), ZERO) - Decimal(rollover.get("max_hours", 0))
        for lot in candidates:  # oldest first
            if excess <= 0:
                break
            cut = min(excess, lot[1])
            lot[1] -= cut
            excess -= cut
        state.lots = [[o, h] for o, h in candidates if h > 0]
    else:
        state.lots = []

    # 5. tiers over hourly + overage hours, in processing order
    tiers = sorted(((Decimal(t["from_hours"]), Decimal(t["factor"])) for t in contract.get("tiers") or []),
                   key=lambda t: t[0])
    tiered: list[Piece] = []
    cum = ZERO
    for p in pieces:
        if p.kind not in TIME_CHARGE_KINDS or not tiers:
            tiered.append(p)
            continue
        rest = p.hours
        while rest > 0:
            factor = next(f for b, f in reversed(tiers) if b <= cum) if tiers[0][0] <= cum else Decimal(1)
            upper = next((b for b, _ in tiers if b > cum), None)
            take = rest if upper is None else min(rest, upper - cum)
            tiered.append(Piece(p.kind, p.sow_item, p.project, p.role, p.work_type, p.rate, p.multiplier, take,
                                factor=factor))
            cum += take
            rest -= take

    # 6-7. unit prices and lines
    groups: dict[tuple, list] = {}
    for p in tiered:
        if p.kind == "retainer_covered":
            unit = ZERO
        else:
            unit = round2(p.rate * p.multiplier * (om if p.kind == "overage" else Decimal(1)) * p.factor)
        key = (p.kind, p.sow_item, p.project, p.role, p.work_type, unit)
        groups.setdefault(key, [p.project, p.sow_item, ZERO])
        groups[key][2] += p.hours
    for (kind, sow_item, project, _role, _wt, unit), (_, _, qty) in groups.items():
        lines.append(Line(kind, qty, unit, round2(qty * unit), project=project, sow_item=sow_item))

    # 8. caps: scoped first, then the unscoped one on charges net of earlier adjustments
    caps = contract.get("caps") or []
    time_lines = [ln for ln in lines if ln.kind in TIME_CHARGE_KINDS]
    adjustments = ZERO
    ordered_caps = [c for c in caps if _cap_scope(c) != (None, None)] + [c for c in caps
                                                                          if _cap_scope(c) == (None, None)]
    for cap in ordered_caps:
        project, sow_item = _cap_scope(cap)
        if project is None and sow_item is None:
            charges = sum((ln.amount for ln in time_lines), ZERO) + adjustments
        else:
            charges = sum((ln.amount for ln in time_lines
                           if (project is None or ln.project == project)
                           and (sow_item is None or ln.sow_item == sow_item)), ZERO)
        amount = Decimal(cap["amount"])
        if cap.get("period", "month") == "lifetime":
            since = cap.get("since")
            if since is not None and month < _month_key(since):
                continue  # inactive before `since`
            room = max(ZERO, amount - state.cap_billed.get(cap["name"], ZERO))
        else:
            room = amount
        adj = -(charges - room) if charges > room else ZERO
        if adj:
            lines.append(Line("cap_adjustment", Decimal(1), adj, adj))
            adjustments += adj
        if cap.get("period", "month") == "lifetime":
            state.cap_billed[cap["name"]] = state.cap_billed.get(cap["name"], ZERO) + charges + adj

    # 9-10. discount, minimum
    fees = sum((ln.amount for ln in lines if ln.kind in ("retainer_fee", "fixed_fee", "hourly", "overage",
                                                         "cap_adjustment")), ZERO)
    discount = ZERO
    pct = Decimal(contract.get("discount_pct", 0) or 0)
    if pct > 0:
        discount = -round2(fees * pct / 100)
        lines.append(Line("discount", Decimal(1), discount, discount))
    minimum = Decimal(contract.get("minimum_monthly_fee", 0) or 0)
    if fees + discount < minimum:
        diff = round2(minimum - (fees + discount))
        lines.append(Line("minimum_adjustment", Decimal(1), diff, diff))

    # 11. expenses
    markup = Decimal((contract.get("expenses") or {}).get("markup_pct", 0) or 0)
    for x in expenses:
        if x.billable:
            amount = round2(x.amount * (1 + markup / 100))
            lines.append(Line("expense", Decimal(1), amount, amount))

    kinds: dict[str, dict[str, Decimal]] = {}
    for ln in lines:
        k = kinds.setdefault(ln.kind, {"amount": ZERO, "quantity": ZERO})
        k["amount"] += ln.amount
        k["quantity"] += ln.quantity
    total = sum((ln.amount for ln in lines), ZERO)
    return {
        "total": str(round2(total)),
        "hours_held": str(held_hours),
        "kinds": {k: {"amount": str(round2(v["amount"])), "quantity": str(v["quantity"])}
                  for k, v in sorted(kinds.items(), key=lambda kv: KIND_ORDER.index(kv[0]))},
        "lots_carried": [[o, str(h)] for o, h in state.lots],
    }


# ---------------------------------------------------------------- a whole home

def engagement_window(base: dict, months_with_data: set[str]) -> tuple[str | None, str | None]:
    """(start, end). Without `start`: the earliest month with a time or expense row of the client (billable or
    not) or a fixed-fee schedule month; None when there is none."""
    end = _month_key(base["end"]) if base.get("end") is not None else None
    if base.get("start") is not None:
        return _month_key(base["start"]), end
    candidates = set(months_with_data)
    versions = [base] + list(base.get("amendments") or [])
    for version in versions:
        for item in ((version.get("sow") or {}).get("items") or []):
            if item.get("billing") == "fixed_fee":
                candidates |= {_month_key(k) for k in (item.get("schedule") or {})}
    return (min(candidates) if candidates else None), end


def price_home(home: Path, first: str, last: str) -> dict:
    """Every client-month of the engagements between `first` and `last` (both included), priced by the spec."""
    home = Path(home)
    entries = read_time(home)
    expenses = read_expenses(home)
    out: dict[str, dict] = {}
    for path in sorted((home / "contracts").glob("*.yaml")):
        base = load_contract(path)
        client = str(base["client"])
        versions = [base] + list(base.get("amendments") or [])
        names = {str(base["name"])} | {str(a) for v in versions for a in (v.get("aliases") or [])}
        names |= {str(v["name"]) for v in versions if v.get("name")}
        mine = [e for e in entries if e.client_col in names]
        my_expenses = [x for x in expenses if x.client_col in names]
        start, end = engagement_window(base, {e.month for e in mine} | {x.month for x in my_expenses})
        if start is None:
            continue
        state = ClientState()
        stop = last if end is None else min(last, end)
        for month in month_range(start, stop):
            result = price_month(month, contract_for(base, month), [e for e in mine if e.month == month],
                                 [x for x in my_expenses if x.month == month], state)
            if month >= first:
                out[f"{client}|{month}"] = result
    return out
