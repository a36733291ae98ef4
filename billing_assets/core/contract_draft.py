"""A contract drafted from an engagement letter or SOW: the facts a reader (Claude) extracted, each with the clause
it quotes, checked against the document (the quote is in it, whitespace-normalised; every number of the value is
in the quote), built into a contract, validated by the contract model and written as commented YAML. Pure."""

from __future__ import annotations

import json
import re
import textwrap
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from billing_assets.core.contract import Contract, _format_errors
from billing_assets.core.documents import normalise

KEY_PATTERNS = (
    r"name", r"aliases\.\d+", r"currency", r"start", r"end", r"terms_days", r"default_rate", r"roles\.[^.]+",
    r"people\.[^.]+", r"rate_overrides\.\d+\.(person|project|rate)", r"retainer\.(monthly_fee|included_hours|"
    r"overage_multiplier)", r"retainer\.rollover\.(max_hours|expires_after_months)",
    r"caps\.\d+\.(name|project|sow_item|period|amount|since)", r"tiers\.\d+\.(from_hours|factor)", r"discount_pct",
    r"minimum_monthly_fee", r"expenses\.markup_pct", r"rush_keywords\.\d+",
    r"work_types\.rush\.(multiplier|counts_against_retainer)", r"sow\.items\.\d+\.(id|name|description|billing)",
    r"sow\.items\.\d+\.schedule\.\d{4}-\d{2}", r"sow\.items\.\d+\.project_codes\.\d+",
)
_KEY = re.compile("|".join(f"(?:{p})" for p in KEY_PATTERNS))
_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_YAML_WORDS = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}  # a bare key YAML would not read as text
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_NUMBERS_IN = re.compile(r"\d[\d,]*(?:\.\d+)?")
_PERCENT_IN = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(?:%|per ?cent)", re.I)
# Keys whose text names something the document must name: the value (and for people.<Name> and roles.<role>, the
# key's last part) must be in its quote, word by word. Labels a reader may word freely (a cap's name) and
# enumerations the document words its own way (currency, billing, period) are not checked.
_NAMED_VALUE = re.compile(r"name|aliases\.\d+|people\.[^.]+|rate_overrides\.\d+\.(person|project)|"
                          r"caps\.\d+\.(project|sow_item)|sow\.items\.\d+\.(id|name)|"
                          r"sow\.items\.\d+\.project_codes\.\d+|rush_keywords\.\d+")
_NAMED_KEY = re.compile(r"(?:people|roles)\.([^.]+)")
_WORD = re.compile(r"\w+")
MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
               "november", "december")

SYSTEM_PROMPT = """You read engagement letters and statements of work for a billing team and extract the
commercial terms as facts for a billing contract. Each fact is {key, value, quote}:
- key: a dotted path into the contract, one of: name (the client's legal or trading name), currency (ISO code),
  start / end (first / last month, YYYY-MM), terms_days (payment terms in days), default_rate, roles.<role> (hourly
  rate of a role, role in lowercase with underscores), people.<Full Name> (that person's role),
  rate_overrides.<n>.person|project|rate, retainer.monthly_fee, retainer.included_hours, retainer.overage_multiplier,
  retainer.rollover.max_hours, retainer.rollover.expires_after_months, caps.<n>.name|project|sow_item|period|amount|
  since (a not-to-exceed cap; period is month or lifetime), tiers.<n>.from_hours|factor (volume tiers: factor is the
  fraction of the rate charged from that many hours in a month, the first tier from 0 with factor 1),
  discount_pct, minimum_monthly_fee, expenses.markup_pct, rush_keywords.<n>, work_types.rush.multiplier,
  sow.items.<n>.id|name|description|billing (billing is hourly or fixed_fee), sow.items.<n>.schedule.<YYYY-MM> (the
  fixed fee billed in that month), sow.items.<n>.project_codes.<n>. <n> counts from 0.
- value: the value as text, in the contract's units: plain numbers without currency signs or thousands separators
  (8000, 0.9, 10 for 10%), months as YYYY-MM.
- quote: the exact sentence or clause of the document the value comes from, copied verbatim.
Only extract what the document states; never infer or compute a number that is not written in the quoted clause."""


@dataclass(frozen=True)
class Fact:
    """One extracted value and the clause of the document it comes from."""

    key: str
    value: str
    quote: str


@dataclass
class Draft:
    """The outcome: the YAML text, the facts kept, the facts dropped (with why) and the contract model's problems."""

    text: str
    kept: list[Fact] = field(default_factory=list)
    dropped: list[tuple[Fact, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def output_schema() -> dict[str, Any]:
    """The structured-output JSON schema of the reading (strict subset: closed objects, every field required)."""
    fact = {"type": "object", "additionalProperties": False, "required": ["key", "value", "quote"],
            "properties": {"key": {"type": "string", "description": "dotted contract path"},
                           "value": {"type": "string"},
                           "quote": {"type": "string", "description": "the clause, verbatim"}}}
    return {"type": "object", "additionalProperties": False, "required": ["facts"],
            "properties": {"facts": {"type": "array", "items": fact}}}


def parse_facts(text: str) -> list[Fact]:
    """The facts of the reader's JSON answer; raises ValueError when it is not the schema's shape."""
    data = json.loads(text)
    facts = data.get("facts") if isinstance(data, dict) else None
    if not isinstance(facts, list):
        raise ValueError("the answer has no list of facts")
    return [Fact(str(f.get("key", "")).strip(), str(f.get("value", "")).strip(), str(f.get("quote", "")))
            for f in facts if isinstance(f, dict)]


def _numbers(text: str) -> set[Decimal]:
    found = {Decimal(n.replace(",", "")) for n in _NUMBERS_IN.findall(text)}
    found |= {Decimal(n.replace(",", "")) / 100 for n in _PERCENT_IN.findall(text)}
    return found


def _month_in(month: str, quote: str) -> bool:
    year, mon = _MONTH.match(month).groups()  # type: ignore[union-attr]
    names = (MONTH_NAMES[int(mon) - 1], MONTH_NAMES[int(mon) - 1][:3])
    lowered = quote.lower()
    return year in quote and (month in quote or any(re.search(rf"\b{n}\b", lowered) for n in names)
                              or re.search(rf"\b0?{int(mon)}[/.-]", quote) is not None)


def check_fact(fact: Fact, document: str) -> str | None:
    """Why the fact must be dropped, or None when it stands: an unknown key, a quote not in the document, a
    number (or month) of the value that its quote does not contain. A key holding a line break or another control
    character is refused before anything else: the model's text must not become a line of the draft."""
    if _unsafe(fact.key):
        return "the key holds a line break or control character"
    if not _KEY.fullmatch(fact.key):
        return f"{fact.key!r} is not a contract key this command writes"
    if not fact.value:
        return "no value"
    quote = normalise(fact.quote)
    if not quote or quote not in normalise(document):
        return "its quote is not in the document"
    months = [m for m in (fact.key.rsplit(".", 1)[-1], fact.value) if _MONTH.match(m)]
    for month in months:
        if not _month_in(month, quote):
            return f"the month {month} is not in its quote"
    if _NUMBER.match(fact.value.replace(",", "")):
        if Decimal(fact.value.replace(",", "")) not in _numbers(quote):
            return f"the number {fact.value} is not in its quote"
    elif not months:
        quoted = _numbers(quote)
        missing = [n for n in _NUMBERS_IN.findall(fact.value) if Decimal(n.replace(",", "")) not in quoted]
        if missing:
            return f"the number {missing[0]} is not in its quote"
    named = _NAMED_KEY.fullmatch(fact.key)
    if named and not _words_in(named.group(1), quote):
        return f"{named.group(1)!r} is not in its quote"
    if _NAMED_VALUE.fullmatch(fact.key) and not _words_in(fact.value, quote):
        return f"{fact.value!r} is not in its quote"
    return None


def _words_in(text: str, quote: str) -> bool:
    """Whether every word of the text (underscores as spaces, case and accents' forms aside) begins a word of the
    quote, in the same order: "senior_associate" stands on "senior associates", "partner" does not stand on
    "assisted by Marcus Chen, senior associate"."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text.replace("_", " ")).casefold())
    pattern = r"\b" + r"\w*\W+(?:\w+\W+){0,3}?".join(re.escape(w) for w in words)
    return bool(words) and re.search(pattern, unicodedata.normalize("NFKC", quote).casefold()) is not None


def _unsafe(text: str) -> bool:
    """Whether the text holds a control, format or unassigned character or a line or paragraph separator (YAML
    and editors break lines at \\x85, \\u2028 and \\u2029 too)."""
    return any(unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp") for c in text)


def printable(text: str) -> str:
    """The text with every character that is not printable (line breaks, controls, separators other than the
    space) written as a repr-style escape, so it stays on its one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _typed(value: str) -> Any:
    if _NUMBER.match(value.replace(",", "")) and not _MONTH.match(value):
        try:
            return Decimal(value.replace(",", ""))
        except InvalidOperation:
            return value
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _tree(client: str, facts: list[Fact]) -> dict[str, Any]:
    """The facts as nested mappings (a later fact for the same key wins; `client` first), numbered items still
    keyed by the number the reader gave them (which may skip: caps.0 and caps.2), so each value keeps the quote of
    its own key. `_lists` makes them lists for the contract model."""
    root: dict[str, Any] = {"client": client}
    for fact in facts:
        node = root
        parts = fact.key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[parts[-1]] = _typed(fact.value)
    return root


def _numbered(node: Any) -> bool:
    """Whether the mapping is a list's items keyed by their numbers."""
    return isinstance(node, dict) and bool(node) and all(isinstance(k, str) and k.isdigit() for k in node)


def _lists(node: Any) -> Any:
    """Mappings keyed only by digits become lists in index order."""
    if not isinstance(node, dict):
        return node
    items = {k: _lists(v) for k, v in node.items()}
    return [items[k] for k in sorted(items, key=int)] if _numbered(items) else items


def problems_of(data: dict[str, Any]) -> list[str]:
    """The contract model's problems with the drafted mapping, as `billing validate` words them for the file the
    draft becomes (`contracts/<client>.yaml: key.path: message`)."""
    try:
        Contract.model_validate(data)
    except ValidationError as exc:
        return _format_errors(f"contracts/{data.get('client')}.yaml", exc)
    return []


def draft_contract(client: str, source: str, document: str, facts: list[Fact], today: date) -> Draft:
    """Check every fact against the document, build and validate the contract, render the commented YAML. Every
    line outside the YAML is a comment: keys and values the model returned are written escaped (repr), and no
    header line can hold a line break of the model's text. A note the document reader attached to the text
    (`document.notes`, e.g. read as cp1252) heads the draft."""
    kept, dropped = [], []
    for fact in facts:
        why = check_fact(fact, document)
        if why is None:
            kept.append(fact)
        else:
            dropped.append((fact, why))
    tree = _tree(client, kept)
    problems = problems_of(_lists(tree))
    quotes = {f.key: normalise(f.quote) for f in kept}
    header = [f"DRAFT contract for {client}, written by `billing contract draft` from {source} on {today}.",
              f"NOT USED BY THE CLOSE: only contracts/{client}.yaml is loaded, never *.draft.yaml. Check each value",
              "against the clause quoted above it, complete what the document does not say, then save the file as",
              f"contracts/{client}.yaml."]
    header += list(getattr(document, "notes", ()))
    header.append(f"Contract model problems ({len(problems)}):" if problems else "Contract model problems: none.")
    header += [f"  - {p}" for p in problems]
    header.append(f"Dropped ({len(dropped)}):" if dropped else "Dropped: nothing.")
    header += [f"  - {f.key!r} = {f.value!r}: {why}" for f, why in dropped]
    lines = [f"# {printable(line)}" for line in header] + [""] + _emit(tree, 0, "", quotes)
    return Draft("\n".join(lines) + "\n", kept, dropped, problems)


def _key(key: str) -> str:
    """A mapping key: bare when plain ASCII YAML reads as this text, else double-quoted."""
    bare = _BARE_KEY.fullmatch(key) and key.lower() not in _YAML_WORDS
    return key if bare else _quoted(key)


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes, and \\u / \\U escapes for every other character that is not
    printable, which JSON leaves as they are: U+0085, U+2028, U+2029, C1 controls)."""
    return "".join(c if c.isprintable() else (f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
                   for c in json.dumps(text, ensure_ascii=False))


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return _quoted(str(value))


def _comment(path: str, quotes: dict[str, str], indent: int) -> list[str]:
    quote = quotes.get(path)
    if not quote:
        return []
    width = max(40, 116 - indent)
    return [" " * indent + "# " + line for line in textwrap.wrap(f'"{printable(quote)}"', width)]


def _emit(node: dict[str, Any], indent: int, path: str, quotes: dict[str, str]) -> list[str]:
    """The YAML lines of the tree, each value under the quote of the key the reader gave it: numbered items are
    written as a list in index order, and their quotes are found under their own numbers."""
    pad, lines = " " * indent, []
    for key, value in node.items():
        here = f"{path}.{key}" if path else str(key)
        if _numbered(value):
            lines.append(f"{pad}{_key(key)}:")
            for number in sorted(value, key=int):
                item = value[number]
                if isinstance(item, dict):
                    lines += [f"{pad}  -", *_emit(item, indent + 4, f"{here}.{number}", quotes)]
                else:
                    lines += [*_comment(f"{here}.{number}", quotes, indent + 2), f"{pad}  - {_scalar(item)}"]
        elif isinstance(value, dict):
            lines += [f"{pad}{_key(key)}:", *_emit(value, indent + 2, here, quotes)]
        else:
            lines += [*_comment(here, quotes, indent), f"{pad}{_key(key)}: {_scalar(value)}"]
    return lines
