"""Checks of a contract file below the pydantic model (spec section 2): the Decimal-exact YAML reader with its size
and duplicated-key checks, the numeric limits that keep amounts inside the warehouse, value display in messages,
and the per-key rules (currency, names, work types, roles, people) that `contract.py` attaches to its models.
Imports nothing from `contract.py`."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BeforeValidator

from billing_assets.core.errors import ContractError
from billing_assets.core.letters import composed, visible
from billing_assets.core.model import NON_BILLABLE, RUSH, STANDARD

BUILT_IN_WORK_TYPES = (STANDARD, RUSH, NON_BILLABLE)


class DecimalLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader (libyaml's when available) that reads every YAML number through its text as a Decimal, never
    a binary float."""


def _decimal_from_scalar(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    text = loader.construct_scalar(node).replace("_", "")
    try:
        return Decimal(text)
    except ArithmeticError as exc:  # e.g. .inf / .nan
        raise yaml.constructor.ConstructorError(None, None, f"not a decimal number: {text}",
                                                node.start_mark) from exc


DecimalLoader.add_constructor("tag:yaml.org,2002:float", _decimal_from_scalar)
DecimalLoader.add_constructor("tag:yaml.org,2002:int", _decimal_from_scalar)
# Dates stay text: month keys are YYYY-MM strings and a full date is a mistake we report, not convert.
DecimalLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def _key_text(node: yaml.Node) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else f"<{node.id} at line {node.start_mark.line + 1}>"


def duplicated_keys(node: yaml.Node, path: str = "") -> list[str]:
    """`key.path: duplicated key (lines A and B)` for every mapping key given twice, at any depth."""
    problems: list[str] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            key = _key_text(key_node)
            where = f"{path}.{key}" if path else key
            ident = (key_node.tag, key) if key_node.tag != "tag:yaml.org,2002:merge" else ("<<", "<<")
            line = key_node.start_mark.line + 1
            if ident in seen:
                problems.append(f"{where}: duplicated key (lines {seen[ident]} and {line})")
            else:
                seen[ident] = line
            if ident == ("<<", "<<") and isinstance(value_node, yaml.SequenceNode):
                own = {_key_text(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
                problems += _merged_twice(value_node, own, path)
            problems += duplicated_keys(value_node, where)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            problems += duplicated_keys(item, f"{path}[{i}]")
    return problems


def _merged_twice(blocks: yaml.SequenceNode, own: set[str], path: str) -> list[str]:
    """`key.path: set otherwise by two merged blocks (line N)` for `<<: [*a, *b]` whose blocks give one key two
    values that the mapping itself (`own` keys) does not set: YAML lets the first block win, some readers the last
    (found by an auditor: PyYAML billed the later rate). Values compare as numbers where they are (150 = 150.00)."""
    problems, first = [], {}
    for block in blocks.value:
        for key_node, value_node in block.value if isinstance(block, yaml.MappingNode) else []:
            key = _key_text(key_node)
            if key in own or not isinstance(value_node, yaml.ScalarNode):
                continue
            number = _number(value_node.value)
            value, line = value_node.value if number is None else number, key_node.start_mark.line + 1
            if key in first and first[key][0] != value:
                lines = f"line {line}" if first[key][1] == line else f"lines {first[key][1]} and {line}"
                problems.append(f"{path + '.' if path else ''}{key}: set otherwise by two merged blocks ({lines}); "
                                "write it once")
            first.setdefault(key, (value, line))
    return problems


def _number(text: str) -> Decimal | None:
    """A YAML scalar's text as the Decimal it reads as (`1_000` is 1000), or None when it is no number."""
    try:
        return Decimal(text.replace("_", ""))
    except ArithmeticError:
        return None


MAX_DEPTH = 32  # a contract nests a few levels; deeper is a mistake or an attack on the parser
MAX_NODES = 100_000  # values once anchors/aliases are expanded: refuses "billion laughs" alias bombs
MAX_NUMBER = 10**14  # DECIMAL(18,4) holds 14 digits before the point


def _too_large(text: str) -> bool:
    """A plain scalar that reads as a number (`1e308` is text to YAML but a Decimal to the model) of 10^14 or
    more."""
    if not text[:1].isdigit() and text[:1] not in "+-.":
        return False
    value = _number(text)  # None: not a number; .inf/.nan: the constructor names it
    return value is not None and value.is_finite() and abs(value) >= MAX_NUMBER


def size_problems(root: yaml.Node) -> list[str]:
    """Nesting deeper than MAX_DEPTH, numbers beyond the warehouse, and more than MAX_NODES values once aliases
    are expanded. Each node is walked once (aliases share nodes), so an alias bomb is refused in linear time."""
    problems: list[str] = []
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, str, int, bool]] = [(root, "", 0, False)]
    while stack:
        node, path, depth, done = stack.pop()
        if id(node) in sizes and not done:
            continue
        if isinstance(node, yaml.MappingNode):
            children = [(value, path if _key_text(key) == "<<" else
                         (f"{path}.{_key_text(key)}" if path else _key_text(key))) for key, value in node.value]
        elif isinstance(node, yaml.SequenceNode):
            children = [(value, f"{path}[{i}]") for i, value in enumerate(node.value)]
        else:
            children = []
            if not done and isinstance(node, yaml.ScalarNode) and not node.style and _too_large(node.value):
                problems.append(f"{path or '(top level)'}: {node.value} is beyond the amounts the warehouse holds "
                                f"(below {MAX_NUMBER:,})")
        if done:
            sizes[id(node)] = 1 + sum(sizes.get(id(child), 1) for child, _ in children)
            continue
        if depth > MAX_DEPTH:
            problems.append(f"{path or '(top level)'}: nested deeper than {MAX_DEPTH} levels")
            sizes[id(node)] = 1
            continue
        sizes[id(node)] = 0  # on the stack: a recursive alias counts once
        stack.append((node, path, depth, True))
        stack.extend((child, where, depth + 1, False) for child, where in children if id(child) not in sizes)
    if not problems and sizes.get(id(root), 0) > MAX_NODES:
        problems.append(f"(top level): more than {MAX_NODES:,} values once anchors and aliases are expanded "
                        "(an alias bomb?)")
    return problems


def _utf16_text(data: bytes) -> bool:
    """UTF-16 without a byte-order mark: every other byte NUL, the rest ASCII (what Notepad's "Unicode" writes)."""
    for start in (0, 1):
        zeros, rest = data[start::2], data[1 - start::2]
        if len(data) >= 4 and not zeros.strip(b"\0") and b"\0" not in rest:
            return True
    return False


def load_yaml(path: Path, label: str) -> Any:
    """The file's YAML read Decimal-exact; undecodable, binary, malformed or duplicated-key files raise one
    ContractError whose lines each name the file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ContractError([f"{label}: cannot be read: {exc.strerror or exc}"]) from exc
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (b"\0" in data and _utf16_text(data)):
        raise ContractError([f"{label}: saved as UTF-16 text; save it as UTF-8 (a contract is UTF-8 YAML)"])
    if b"\0" in data:
        raise ContractError([f"{label}: not a text file (binary content); a contract is UTF-8 YAML"])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContractError([f"{label}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                             "save it as UTF-8"]) from exc
    loader = DecimalLoader(visible(composed(text)))  # a name pasted with a zero-width space is the name
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        problems = size_problems(node)
        problems = problems or duplicated_keys(node)  # a bomb or a deep nest is not walked again
        if problems:
            raise ContractError([f"{label}: {problem}" for problem in problems])
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" (line {where.line + 1}, column {where.column + 1})" if where else ""
        what = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise ContractError([f"{label}: not valid YAML: {what}{at}"]) from exc
    except RecursionError as exc:
        raise ContractError([f"{label}: (top level): nested too deeply to read"]) from exc
    finally:
        loader.dispose()


# Limits on what a contract may say. The warehouse stores money as DECIMAL(18,4), so every amount must stay below
# 10^14 (MAX_NUMBER). A client rarely books more than ~10^4 hours in a month, and a rate meets at most ~10^2 of
# multipliers (rush, overage, tiers): 10^6 * 10^4 * 10^2 = 10^12 keeps two orders of magnitude of headroom.
MAX_HOURLY_RATE = 1_000_000  # roles, default_rate, rate_overrides[].rate
MAX_AMOUNT = 1_000_000_000  # fees, caps, minimums, fixed-fee schedule amounts: charged a few times a month at most
MAX_MULTIPLIER = 100  # work_types.rush.multiplier, retainer.overage_multiplier, tiers[].factor
MAX_MARKUP_PCT = 1_000  # expenses.markup_pct: at most 11x an expense
MAX_TERMS_DAYS = 3_650  # payment terms of ten years; far larger overflows the due date (datetime.date)
CURRENCY = re.compile(r"[A-Z]{3}")  # ISO 4217 alphabetic code shape
# ISO 4217 currencies whose minor unit is 2 decimals: the spec prices in round2 (cents), so an invoice in one of
# these is payable as written. Others are refused by name (a JPY invoice of 6,499.50, a BHD rate of 33.333 cut).
CENT_CURRENCIES = frozenset(re.findall(r"[A-Z]{3}", """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF
    CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG
    HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE
    SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR
    ZMW ZWG ZWL"""))
OTHER_MINOR_UNITS = {**dict.fromkeys(re.findall(r"[A-Z]{3}", "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV "
                                                               "XAF XOF XPF"), 0),
                     **dict.fromkeys(re.findall(r"[A-Z]{3}", "BHD IQD JOD KWD LYD OMR TND"), 3), "CLF": 4, "UYW": 4}


def shown(value: Any) -> str:
    """A value as the user wrote it in YAML (`123`, `'text'`, `true`, `null`), never a Python repr such as
    Decimal('123'); long values are cut at 60 characters."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, str):
        text = repr(value)
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(shown(item) for item in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k if isinstance(k, str) else shown(k)}: {shown(v)}" for k, v in value.items()) + "}"
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def exact_number(value: Any) -> Any:
    """Before-validator of every numeric field: a quoted number ("1e308", "NaN") gets the checks an unquoted one
    gets from the YAML reader (finite, below MAX_NUMBER) and becomes that Decimal; other input passes through
    for the field's own type error."""
    if isinstance(value, bool) or not isinstance(value, (str, Decimal, int, float)):
        return value
    try:
        number = Decimal(value.strip().replace("_", "")) if isinstance(value, str) else Decimal(value)
    except ArithmeticError:
        return value
    if not number.is_finite():
        raise ValueError(f"must be a finite number, got {shown(value)}")
    if abs(number) >= MAX_NUMBER:
        raise ValueError(f"{value} is beyond the amounts the warehouse holds (below {MAX_NUMBER:,})")
    return number if isinstance(value, str) else value


def at_most(limit: int, what: str) -> Callable[[Decimal], Decimal]:
    """After-validator refusing a number above `limit`; `what` says which limit and why."""

    def check(value: Decimal) -> Decimal:
        if value > limit:
            raise ValueError(f"{format(value, 'f')} is above {limit:,}, {what}")  # 2000000000, not 2E+9
        return value

    return check


Number = Annotated[Decimal, BeforeValidator(exact_number)]
Count = Annotated[int, BeforeValidator(exact_number)]
Rate = Annotated[Number, AfterValidator(at_most(
    MAX_HOURLY_RATE, "the highest hourly rate accepted (a month of hours at it would overflow the warehouse)"))]
Money = Annotated[Number, AfterValidator(at_most(
    MAX_AMOUNT, "the largest amount accepted (the warehouse holds amounts below 10^14)"))]
Multiplier = Annotated[Number, AfterValidator(at_most(MAX_MULTIPLIER, "the largest multiplier accepted"))]
MarkupPct = Annotated[Number, AfterValidator(at_most(MAX_MARKUP_PCT, "the largest markup accepted"))]


def text_value(value: Any) -> Any:
    """Before-validator of names: a number, boolean or list is shown as written (`got 123`)."""
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {shown(value)}")
    return value


def trimmed(value: str) -> str:
    """Export cells are trimmed: a name with outer spaces never matches one, and an empty one names nobody."""
    if not value.strip():
        raise ValueError("empty")
    if value != value.strip():
        raise ValueError("has leading or trailing spaces")
    return value


Name = Annotated[str, BeforeValidator(text_value), AfterValidator(trimmed)]


def currency_code(value: Any) -> Any:
    """Before-validator of `currency`: an ISO 4217 code with cents (2 decimals, as the spec prices), suggesting
    `USD` for `usd`."""
    if isinstance(value, str) and value in CENT_CURRENCIES:
        return value
    if isinstance(value, str) and value in OTHER_MINOR_UNITS:
        raise ValueError(f"{value} has {OTHER_MINOR_UNITS[value]} decimal places in ISO 4217, and invoices are priced "
                         "to the cent (2 decimals): bill this client in a currency with cents")
    if isinstance(value, str) and CURRENCY.fullmatch(value):
        raise ValueError(f"{value} is not an ISO 4217 currency code (such as USD or EUR)")
    hint = ""
    if isinstance(value, str) and CURRENCY.fullmatch(value.strip().upper()):
        hint = f" (did you mean {value.strip().upper()}?)"
    raise ValueError(f"must be a three-letter upper-case ISO 4217 code such as USD or EUR, got {shown(value)}{hint}")


def work_type_problems(configured: dict[str, tuple[Decimal, bool]]) -> list[str]:
    """`@standard: message` when `standard` is configured other than the spec fixes it (multiplier 1, counts
    against the retainer): `standard: {multiplier: 2}` would silently double every invoice. Rush, `non_billable`
    (never charged, whatever it says) and a firm's own work types ("any key of work_types") are configured."""
    problems = []
    first: dict[str, str] = {name: name for name in BUILT_IN_WORK_TYPES}
    for name in configured:  # `Rush:` is not the rush a keyword gives: found by an auditor, billed as standard
        earlier = first.setdefault(name.strip().casefold(), name)
        if earlier == name:
            continue
        if earlier in BUILT_IN_WORK_TYPES:
            problems.append(f"@{name}: same name as the built-in work type {earlier!r} but for case or spaces (work "
                            f"type names match as written): write it as {earlier!r}")
        else:
            problems.append(f"@{name}: same work type as {earlier!r} but for case or spaces: keep one")
    multiplier, counts = configured.get(STANDARD, (Decimal(1), True))
    if multiplier != 1 or not counts:
        problems.append(f"@{STANDARD}: standard is implicit (multiplier 1, counts against the retainer) and may not "
                        "be set otherwise")
    return problems


def same_roles(roles: list[str]) -> list[str]:
    """`@Name: same role as 'name' ...` for a role name equal to an earlier one case-insensitively."""
    first: dict[str, str] = {}
    problems = []
    for role in roles:
        if role.lower() in first:
            problems.append(f"@{role}: same role as {first[role.lower()]!r} (role names match case-insensitively), "
                            "keep one")
        first.setdefault(role.lower(), role)
    return problems


def people_role_problems(base: dict[str, Any], changes: list[dict[str, Any]]) -> list[str]:
    """`people.<person>: role 'x' is not in roles (...)` for each person (base, then each amendment's change)
    mapped to a role that no version's `roles` defines: the spec prices that person at default_rate, so a typo
    bills them there in silence (a `billing validate` warning). Role names match case-insensitively, as in
    pricing; a role that only an amendment defines is fine."""
    parts = [("", base), *((f"amendments[{i}].", change) for i, change in enumerate(changes))]
    roles: dict[str, str] = {}
    for _, part in parts:
        if isinstance(part.get("roles"), dict):
            for role in part["roles"]:
                if isinstance(role, str):
                    roles.setdefault(role.lower(), role)
    known = ", ".join(roles.values()) or "none defined"
    # found by an auditor: "bills at default_rate" was said of a contract with none
    fallback = "bills at default_rate" if any(part.get("default_rate") is not None for _, part in parts) else \
        "has no rate (no default_rate): rates_present will stop the months they bill"
    problems = []
    for prefix, part in parts:
        people = part.get("people")
        for person, role in people.items() if isinstance(people, dict) else []:
            if isinstance(role, str) and role.strip().lower() not in roles:
                problems.append(f"{prefix}people.{person}: role {role!r} is not in roles ({known}); {person} "
                                f"{fallback}")
    return problems
