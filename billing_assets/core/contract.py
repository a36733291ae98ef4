"""The contract file (spec section 2): Decimal-exact YAML, typed validation naming file and key path,
amendments deep-merged by effective month. The YAML reader, numeric limits and per-key rules are in
`contract_checks`."""

from __future__ import annotations

import copy
import difflib
import functools
import hashlib
import json
import re
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from billing_assets.core.contract_checks import (
    MAX_TERMS_DAYS,
    Count,
    MarkupPct,
    Money,
    Multiplier,
    Name,
    Number,
    Rate,
    currency_code,
    exact_number,
    load_yaml,
    people_role_problems,
    same_roles,
    shown,
    work_type_problems,
)
from billing_assets.core.errors import ContractError
from billing_assets.core.ledes_terms import LedesTerms, utbms_task
from billing_assets.core.model import NON_BILLABLE, RUSH, STANDARD
from billing_assets.core.months import MONTH_KEY
from billing_assets.core.parsed import name_key
from billing_assets.core.qbo_settings import QuickBooksSettings

CLIENT_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
MONTH = MONTH_KEY  # YYYY-MM
NonNegative = Field(ge=0)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _month(value: str) -> str:
    if not isinstance(value, str) or not MONTH.fullmatch(value):
        raise ValueError(f"must be a YYYY-MM month, got {shown(value)}")
    return value


class Rounding(_Strict):
    increment_hours: Number = Field(default=Decimal("0"), ge=0)
    mode: Literal["up", "nearest", "none"] = "none"

    @model_validator(mode="after")
    def _increment_needed(self) -> Rounding:
        if self.mode != "none" and self.increment_hours <= 0:
            raise ValueError(f"increment_hours must be > 0 when mode is {self.mode}")
        return self


class RateOverride(_Strict):
    person: str
    project: str | None = None
    rate: Rate = NonNegative


class WorkType(_Strict):
    multiplier: Multiplier = Field(default=Decimal("1"), ge=0)
    counts_against_retainer: StrictBool = True


class Rollover(_Strict):
    max_hours: Number = NonNegative
    expires_after_months: Count = Field(ge=1)


class Retainer(_Strict):
    monthly_fee: Money = NonNegative
    included_hours: Number = NonNegative
    overage_multiplier: Multiplier = Field(default=Decimal("1"), ge=0)
    rollover: Rollover | None = None


class Cap(_Strict):
    name: str
    project: str | None = None
    sow_item: str | None = None
    period: Literal["month", "lifetime"]
    amount: Money = NonNegative
    since: str | None = None

    _check_since = field_validator("since")(lambda v: v if v is None else _month(v))

    @model_validator(mode="after")
    def _one_scope(self) -> Cap:
        if self.project is not None and self.sow_item is not None:
            raise ValueError("a cap is scoped by project or by sow_item, not both")
        return self

    @property
    def scope(self) -> tuple[str, str | None]:
        if self.project is not None:
            return ("project", self.project)
        if self.sow_item is not None:
            return ("sow_item", self.sow_item)
        return ("all", None)


class Tier(_Strict):
    from_hours: Number = NonNegative
    factor: Multiplier = NonNegative


class Expenses(_Strict):
    markup_pct: MarkupPct = Field(default=Decimal("0"), ge=0)


class Review(_Strict):
    min_confidence: Number = Field(default=Decimal("0.8"), ge=0, le=1)


class SowItem(_Strict):
    id: str
    name: str
    description: str = ""
    billing: Literal["hourly", "fixed_fee"] = "hourly"
    project_codes: list[str] = []
    schedule: dict[str, Money] = {}
    utbms_task: str | None = None  # LEDES task code of the item's fee lines (e.g. L110)

    _utbms = field_validator("utbms_task")(lambda v: v if v is None else utbms_task(v))

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, Decimal) else value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for month, amount in value.items():
            _month(month)
            if amount < 0:
                raise ValueError(f"@{month}: must be >= 0")
        return value


class Sow(_Strict):
    items: list[SowItem] = []


class Contract(_Strict):
    """One client's contract as it applies in one month (amendments already merged)."""

    client: str
    name: Name
    aliases: list[Name] = []
    currency: str = "USD"
    quickbooks: QuickBooksSettings | None = None  # tax codes, GlobalTaxCalculation, exchange rate (qbo_settings)
    start: str | None = None  # first month of the engagement (None: the first month with source data)
    end: str | None = None  # last month of the engagement
    terms_days: Count = Field(default=30, ge=0, le=MAX_TERMS_DAYS)
    require_project_code: StrictBool = False
    rounding: Rounding = Rounding()
    default_rate: Rate | None = Field(default=None, ge=0)
    roles: dict[str, Rate] = {}
    people: dict[str, str] = {}
    rate_overrides: list[RateOverride] = []
    work_types: dict[str, WorkType] = {}
    task_map: dict[str, str] = {}
    rush_keywords: list[str] = []
    retainer: Retainer | None = None
    caps: list[Cap] = []
    tiers: list[Tier] = []
    discount_pct: Number = Field(default=Decimal("0"), ge=0, le=100)
    minimum_monthly_fee: Money = Field(default=Decimal("0"), ge=0)
    expenses: Expenses = Expenses()
    review: Review = Review()
    sow: Sow | None = None
    ledes: LedesTerms | None = None  # LEDES 1998B e-billing identifiers (law-firm clients)

    _start_end = field_validator("start", "end")(lambda v: None if v is None else _month(v))

    @property
    def names(self) -> set[str]:
        """The names a time tool may file the client's rows under: its name and its aliases."""
        return {self.name, *self.aliases}

    _currency = field_validator("currency", mode="before")(currency_code)

    @field_validator("roles")
    @classmethod
    def _rates(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        problems = [f"@{role}: must be >= 0" for role, rate in value.items() if rate < 0] + same_roles(list(value))
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("work_types")
    @classmethod
    def _fixed_work_types(cls, value: dict[str, WorkType]) -> dict[str, WorkType]:
        problems = work_type_problems({name: (w.multiplier, w.counts_against_retainer) for name, w in value.items()})
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("quickbooks", mode="before")
    @classmethod
    def _exchange_rate(cls, value: Any) -> Any:
        """qbo_settings reads a quoted exchange rate itself: give it the checks of an unquoted number first."""
        if isinstance(value, dict) and "exchange_rate" in value:
            try:
                exact_number(value["exchange_rate"])
            except ValueError as exc:
                raise ValueError(f"@exchange_rate: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> Contract:
        problems = []
        if not CLIENT_SLUG.fullmatch(self.client):
            problems.append(f"client: {self.client!r} is not a slug [a-z0-9][a-z0-9_-]{{0,62}}")
        if self.start and self.end and self.end < self.start:
            problems.append(f"end: {self.end} is before start {self.start}")
        known = self.work_type_names
        first_task: dict[str, str] = {}
        for task, work_type in self.task_map.items():
            if work_type not in known:
                problems.append(f"task_map.{task}: unknown work type {work_type!r} (known: {sorted(known)})")
            if (earlier := first_task.setdefault(name_key(task), task)) != task:
                problems.append(f"task_map.{task}: same task as {earlier!r} (task names match without case or "
                                "extra spaces): keep one")
        if self.tiers:
            if self.tiers[0].from_hours != 0:
                problems.append("tiers[0].from_hours: tiers must start at 0")
            for i in range(1, len(self.tiers)):
                if self.tiers[i].from_hours <= self.tiers[i - 1].from_hours:
                    problems.append(f"tiers[{i}].from_hours: must be strictly greater than the previous tier")
        seen_scopes: dict[tuple[str, str | None], str] = {}
        for i, cap in enumerate(self.caps):
            if cap.scope in seen_scopes:
                problems.append(f"caps[{i}]: same scope as cap {seen_scopes[cap.scope]!r}")
            seen_scopes.setdefault(cap.scope, cap.name)
            if cap.sow_item is not None and cap.sow_item not in self.sow_item_ids:
                problems.append(f"caps[{i}].sow_item: unknown SOW item {cap.sow_item!r}")
        scopes: dict[tuple[str, str | None], int] = {}
        for i, override in enumerate(self.rate_overrides):  # found by an auditor: the first silently won
            earlier = scopes.setdefault((override.person, override.project), i)
            if earlier != i:
                problems.append(f"rate_overrides[{i}]: same person{' and project' if override.project else ''} as "
                                f"rate_overrides[{earlier}], at another rate or the same: keep one")
        if len({c.name for c in self.caps}) != len(self.caps):
            problems.append("caps: cap names must be unique")
        ids = [item.id for item in (self.sow.items if self.sow else [])]
        if len(set(ids)) != len(ids):
            problems.append("sow.items: SOW item ids must be unique")
        codes: dict[str, str] = {}
        for item in self.sow.items if self.sow else []:
            for code in item.project_codes:
                if code in codes and codes[code] != item.id:
                    problems.append(f"sow.items.{item.id}.project_codes: {code!r} also maps to {codes[code]!r}")
                codes[code] = item.id
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def work_type_names(self) -> set[str]:
        return {STANDARD, RUSH, NON_BILLABLE, *self.work_types}

    @property
    def sow_item_ids(self) -> set[str]:
        return {item.id for item in self.sow.items} if self.sow else set()

    @property
    def project_codes(self) -> set[str]:
        """Every Project Code a SOW item lists (an entry with one of them is that item's, spec section 3)."""
        return {code for item in self.sow.items for code in item.project_codes} if self.sow else set()

    def work_type(self, name: str) -> WorkType:
        """Pricing parameters of a work type; standard and an undeclared rush price like standard."""
        return self.work_types.get(name, WorkType())

    def sow_item(self, item_id: str | None) -> SowItem | None:
        for item in self.sow.items if self.sow else []:
            if item.id == item_id:
                return item
        return None

    def task_work_type(self, task: str) -> str | None:
        """The work type `task_map` gives a source Task, matched without case or extra spaces ("internal" and
        "Admin  Work" are the tasks "Internal" and "Admin Work" of a time tool)."""
        wanted = name_key(task)
        return next((work_type for name, work_type in self.task_map.items() if name_key(name) == wanted), None)

    def role_rate(self, role: str) -> tuple[str, Decimal] | None:
        """(contract role name, rate) for a role matched case-insensitively."""
        wanted = role.strip().lower()
        for name, rate in self.roles.items():
            if name.lower() == wanted:
                return name, rate
        return None

    def sow_version(self) -> str:
        """Content hash of the SOW items: a classification cache key part."""
        items = [item.model_dump(mode="json") for item in (self.sow.items if self.sow else [])]
        return hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()[:16]

    def fingerprint(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]


class Amendment(BaseModel):
    """An effective-dated partial contract; its keys are validated after merging."""

    model_config = ConfigDict(extra="allow", frozen=True)
    effective_from: str

    _check = field_validator("effective_from")(lambda v: _month(v))


def deep_merge(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; lists and scalars replace."""
    merged = copy.deepcopy(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@functools.cache
def _contract_keys() -> dict[str, set[str]]:
    """Every key a contract file may hold, at any depth, with the keys it sits under ("" at the top):
    `rollover` -> {"retainer"}."""
    keys: dict[str, set[str]] = {}
    todo: list[tuple[type, str]] = [(Contract, "")]
    seen: set[type] = set()
    while todo:
        model, parent = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            key = field.alias or name
            keys.setdefault(key, set()).add(parent)
            for inner in typing.get_args(field.annotation) or (field.annotation,):
                for kind in (*typing.get_args(inner), inner):
                    if isinstance(kind, type) and issubclass(kind, BaseModel):
                        todo.append((kind, key))
    return keys


def _misspelt(key: object) -> str:
    """For an unknown key, the contract key it probably is: misspelt ("discount_pc": did you mean discount_pct?)
    or at the wrong depth ("rollover" at the top: it belongs under retainer)."""
    keys = _contract_keys()
    if str(key) in keys:
        parents = sorted(p for p in keys[str(key)] if p)
        return f" ({key} belongs under {' or '.join(parents)})" if parents else ""
    near = _near_key(key)
    return f" (did you mean {near}?)" if near else ""


def _near_key(key: object) -> str | None:
    """The contract key an unknown key is probably a misspelling of, or None."""
    near = difflib.get_close_matches(str(key), sorted(_contract_keys()), n=1, cutoff=0.8)
    return near[0] if near else None


_DECIMAL_REPR = re.compile(r"^Decimal\('(.*)'\)$")


def _format_errors(label: str, exc: ValidationError, prefix: str = "") -> list[str]:
    """`file: key.path: message` for each pydantic error; "@key: msg" parts extend the path. A required key
    reported missing beside an unknown key that is its misspelling is left out: the "did you mean" says it
    (found by an auditor: `expire_after_months` gave "expires_after_months: Field required" first)."""
    problems = []
    errors = exc.errors()
    misspelt = {(*err["loc"][:-1], _near_key(err["loc"][-1])) for err in errors
                if err["type"] == "extra_forbidden" and err["loc"]}
    numeric_keys = {err["loc"][:-1] for err in errors if err["loc"][-1:] == ("[key]",)}
    for err in errors:
        if err["type"] == "missing" and tuple(err["loc"]) in misspelt:
            continue
        if err["loc"] in numeric_keys:  # the key's value error: its key error says it
            continue
        if err["loc"][-1:] == ("[key]",):  # `{senior: 1,500}` is {senior: 1, 500: null}: a number as a key
            key = _DECIMAL_REPR.sub(r"\1", str(err["loc"][-2]))
            err = {**err, "loc": err["loc"][:-2], "msg": f"{key!r} is a number where a name belongs (inside {{...}} "
                   "a number written with a comma, such as 1,500, splits into two entries: write 1500)"}
        path = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"]).replace(".[", "[")
        if err["type"] == "extra_forbidden" and err["loc"]:
            err = {**err, "msg": f"{err['msg']}{_misspelt(err['loc'][-1])}"}
        for part in err["msg"].removeprefix("Value error, ").split("; "):
            where = path
            if part.startswith("@"):
                key, _, part = part[1:].partition(": ")
                where = f"{path}.{key}" if path else key
            elif not path and ": " in part:
                where, _, part = part.partition(": ")
            problems.append(f"{label}: {prefix}{where or '(top level)'}: {part}")
    return problems


class ContractFile:
    """A parsed contract file: the base plus amendments; `for_month(M)` gives the contract in force."""

    def __init__(self, path: Path, label: str | None = None):
        self.path = path
        self.label = label or f"contracts/{path.name}"
        self.raw = self._load()
        self.amendments = self._amendments()
        self._cache: dict[tuple[int, ...], Contract] = {}
        self.validate_all()

    def _load(self) -> dict[str, Any]:
        data = load_yaml(self.path, self.label)
        if not isinstance(data, dict):
            raise ContractError([f"{self.label}: (top level): must be a mapping"])
        client = data.get("client")
        if client != self.path.stem:
            quote = f" (quote it: client: \"{client}\")" if str(client) == self.path.stem else ""
            raise ContractError([f"{self.label}: client: must equal the file name stem {self.path.stem!r}, "
                                 f"got {shown(client)}{quote}"])
        return data

    def _amendments(self) -> list[tuple[str, dict[str, Any]]]:
        raw = self.raw.get("amendments", [])
        if not isinstance(raw, list):
            raise ContractError([f"{self.label}: amendments: must be a list"])
        result, problems = [], []
        for i, item in enumerate(raw):
            try:
                amendment = Amendment.model_validate(item)
            except ValidationError as exc:
                problems.extend(_format_errors(self.label, exc, f"amendments[{i}]."))
                continue
            change = {k: v for k, v in item.items() if k != "effective_from"}
            fixed = sorted(k for k in ("client", "start", "end", "amendments") if k in change)
            if fixed:
                problems.append(f"{self.label}: amendments[{i}].{fixed[0]}: amendments may not change client, "
                                "start, end or amendments (the engagement window is the base contract's)")
            result.append((amendment.effective_from, change))
        if problems:
            raise ContractError(problems)
        return result

    def _build(self, applied: tuple[int, ...]) -> Contract:
        if applied not in self._cache:
            data = {k: v for k, v in self.raw.items() if k != "amendments"}
            for i in applied:
                data = deep_merge(data, self.amendments[i][1])
            prefix = f"amendments[{applied[-1]}] -> " if applied else ""
            try:
                self._cache[applied] = Contract.model_validate(data)
            except ValidationError as exc:
                raise ContractError(_format_errors(self.label, exc, prefix)) from exc
        return self._cache[applied]

    def validate_all(self) -> None:
        """Validate the base and every amended version, reporting each problem once."""
        problems: list[str] = []
        bare: set[str] = set()
        for month in [None, *sorted({m for m, _ in self.amendments})]:
            applied = () if month is None else tuple(i for i, (m, _) in enumerate(self.amendments) if m <= month)
            try:
                self._build(applied)
            except ContractError as exc:
                for problem in exc.problems:
                    key = re.sub(r"amendments\[\d+\] -> ", "", problem)
                    if key not in bare:
                        bare.add(key)
                        problems.append(problem)
        if problems:
            raise ContractError(problems)

    def undefined_people_roles(self) -> list[str]:
        """`people` entries mapped to a role no version's `roles` defines: they price at `default_rate` (spec
        section 4), which a typo makes silent; `billing validate` warns of them."""
        changes = [change for _, change in self.amendments]
        return [f"{self.label}: {problem}" for problem in people_role_problems(self.raw, changes)]

    def unordered_amendments(self) -> list[str]:
        """Amendments listed after a later-dated one that changes the same key: they apply in file order (spec
        section 2), so from the later date on the earlier-dated one's value wins, which a person reading dates
        does not expect; `billing validate` warns."""
        out = []
        for j, (later_in_file, change) in enumerate(self.amendments):
            for i, (earlier_in_file, before) in enumerate(self.amendments[:j]):
                shared = sorted(set(before) & set(change) - {"effective_from"})
                if earlier_in_file > later_in_file and shared:
                    out.append(f"{self.label}: amendments[{j}] ({later_in_file}) comes after amendments[{i}] "
                               f"({earlier_in_file}) in the file and also sets {', '.join(shared)}: amendments "
                               f"apply in file order, so from {earlier_in_file} on amendments[{j}]'s value wins; "
                               "list them by date if that is not meant")
        return out

    def for_month(self, month: str) -> Contract:
        """The base, then every amendment with effective_from <= month, in file order."""
        return self._build(tuple(i for i, (m, _) in enumerate(self.amendments) if m <= month))

    @property
    def client(self) -> str:
        return self.raw["client"]


CONTRACT_SUFFIXES = (".yaml", ".yml")


def is_draft(path: Path) -> bool:
    """`<client>.draft.yaml` (written by `billing contract draft`) is for a person to review, never loaded."""
    return path.stem.endswith(".draft")


def contract_paths(folder: Path) -> dict[str, list[Path]]:
    """Contract files by client id (file stem): `acme.yaml` and `acme.yml` are read alike; two for one id is
    a problem (`same_client_files`)."""
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.suffix.lower() in CONTRACT_SUFFIXES and not path.name.startswith(".") and not is_draft(path) \
                and path.is_file():
            found.setdefault(path.stem, []).append(path)
    return found


def same_client_files(client: str, paths: list[Path]) -> str:
    names = " and ".join(f"contracts/{p.name}" for p in paths)
    return f"{names}: two contract files for client {client!r}; keep one"


def names_in(path: Path, contract_file: ContractFile | None) -> set[str]:
    """Every name and alias the file gives its client in any month; best effort from the raw YAML when the
    file is invalid, so that a broken contract still shows its clashes."""
    if contract_file is not None:
        versions = [contract_file.for_month(m) for m in ["0000-01", *sorted({m for m, _ in contract_file.amendments})]]
        return {n for c in versions for n in c.names}
    try:
        raw = load_yaml(path, str(path))
    except ContractError:
        return set()
    names: set[str] = set()
    for part in [raw, *(raw.get("amendments") or [] if isinstance(raw, dict) else [])]:
        if isinstance(part, dict):
            aliases = part.get("aliases") if isinstance(part.get("aliases"), list) else []
            names |= {n for n in [part.get("name"), *aliases] if isinstance(n, str)}
    return names


def name_clashes(files: dict[str, tuple[Path, ContractFile | None]]) -> dict[str, list[str]]:
    """Client -> problems for every name or alias two contracts share (each problem names both files): time
    under that name could belong to either, so neither client may bill."""
    owners: dict[str, dict[str, str]] = {}  # name key -> {client: its spelling}
    for client, (path, contract_file) in sorted(files.items()):
        for name in sorted(names_in(path, contract_file)):
            owners.setdefault(name_key(name), {}).setdefault(client, name)
    clashes: dict[str, list[str]] = {}
    for spellings in (owners[key] for key in sorted(owners)):
        for client, name in spellings.items() if len(spellings) > 1 else []:
            for other, theirs_spelled in spellings.items():
                if other != client:
                    mine, theirs = files[client][0].name, files[other][0].name
                    shared = f"is also used by contracts/{theirs}" if theirs_spelled == name else \
                        f"differs from contracts/{theirs}'s {theirs_spelled!r} only in case, spaces or punctuation " \
                        "(exports and QuickBooks customers cannot tell them apart)"
                    clashes.setdefault(client, []).append(
                        f"contracts/{mine}: name or alias {name!r} {shared}; neither client is billed until one of "
                        "them drops it")
    return clashes


def load_contracts(folder: Path) -> tuple[dict[str, ContractFile], dict[str, list[str]]]:
    """Every `*.yaml` / `*.yml` in the folder: good files by client, and problems by client (file stem),
    including two files for one client and a name or alias shared by two contracts (both clients)."""
    good: dict[str, ContractFile] = {}
    bad: dict[str, list[str]] = {}
    files: dict[str, tuple[Path, ContractFile | None]] = {}
    for client, paths in contract_paths(folder).items():
        if len(paths) > 1:
            bad[client] = [same_client_files(client, paths)]
            continue
        try:
            good[client] = ContractFile(paths[0])
        except ContractError as exc:
            bad[client] = exc.problems
        files[client] = (paths[0], good.get(client))
    for client, problems in name_clashes(files).items():
        bad.setdefault(client, []).extend(problems)
        good.pop(client, None)
    return good, bad
