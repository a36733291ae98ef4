"""The subset of the QuickBooks query language the QuickBooks emulator answers (tests/emulators/qbo_server.py):
SELECT * | COUNT(*) FROM <entity> [WHERE a AND b ...] with =, <, >, <=, >=, LIKE, IN, [ORDER BY f [ASC|DESC]]
[STARTPOSITION n] [MAXRESULTS n]; \\' escapes; OR is a parse error."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


class QueryError(ValueError):
    """The query text is outside the supported subset."""


def dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:\\.|[^'\\])*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op><=|>=|!=|<>|=|<|>)"
                    r"|(?P<punct>[(),*])|(?P<word>[A-Za-z_][\w.]*))")


@dataclass
class Condition:
    field: str
    op: str
    values: list[Any]

    def test(self, record: Mapping[str, Any]) -> bool:
        actual = lookup(record, self.field)
        if self.op == "IN":
            return any(_equal(actual, v) for v in self.values)
        expected = self.values[0]
        if self.op == "=":
            return _equal(actual, expected)
        if self.op == "LIKE":
            pattern = "^" + ".*".join(re.escape(p) for p in str(expected).split("%")) + "$"
            return actual is not None and re.match(pattern, str(actual), re.I | re.S) is not None
        if actual is None:
            return False
        left, right = sort_value(actual), sort_value(expected)
        return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[self.op]


@dataclass
class Query:
    entity: str
    count: bool
    where: list[Condition]
    order: list[tuple[str, bool]]
    start: int = 1
    max_results: int = 100


def lookup(record: Mapping[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        key = next((k for k in value if k.lower() == part.lower()), None)
        if key is None:
            return None
        value = value[key]
    if isinstance(value, Mapping) and "value" in value:  # CustomerRef = '42'
        return value["value"]
    return value


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return bool(actual) == bool(expected) if actual is not None else expected is False
    if isinstance(expected, Decimal):
        try:
            return dec(actual) == expected
        except Exception:
            return False
    return actual is not None and str(actual).lower() == str(expected).lower()


def sort_value(value: Any) -> Any:
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | Decimal | float):
        return (0, dec(value))
    return (1, str(value or "").lower())


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip().rstrip(";")
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise QueryError(f"unexpected text at {pos}: {text[pos:pos + 20]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def _literal(kind: str, raw: str) -> Any:
    if kind == "str":
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    if kind == "num":
        return Decimal(raw)
    if kind == "word" and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise QueryError(f"expected a value, got {raw!r}")


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise QueryError("unexpected end of query")
        self.pos += 1
        return token

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].upper() in words:
            self.pos += 1
            return True
        return False

    def expect(self, *words: str) -> None:
        if not self.keyword(*words):
            raise QueryError(f"expected {'/'.join(words)} at {self.peek()}")

    def parse(self) -> Query:
        self.expect("SELECT")
        count = self._select_list()
        self.expect("FROM")
        kind, entity = self.take()
        if kind != "word":
            raise QueryError("expected an entity name")
        query = Query(entity, count, [], [])
        if self.keyword("WHERE"):
            query.where.append(self._condition())
            while self.keyword("AND"):
                query.where.append(self._condition())
            if self.keyword("OR"):
                raise QueryError("OR is not supported")
        self._tail(query)
        if self.peek() is not None:
            raise QueryError(f"unexpected {self.peek()[1]!r}")
        return query

    def _select_list(self) -> bool:
        if self.keyword("COUNT"):
            for want in ("(", "*", ")"):
                if self.take()[1] != want:
                    raise QueryError("expected COUNT(*)")
            return True
        while True:
            kind, value = self.take()
            if kind not in ("word", "punct") or value in "(),":
                raise QueryError(f"bad select list at {value!r}")
            if not (self.peek() and self.peek()[1] == ","):
                return False
            self.take()

    def _condition(self) -> Condition:
        kind, field_name = self.take()
        if kind != "word":
            raise QueryError(f"expected a field, got {field_name!r}")
        if self.keyword("IN"):
            if self.take()[1] != "(":
                raise QueryError("expected ( after IN")
            values = []
            while True:
                values.append(_literal(*self.take()))
                sep = self.take()[1]
                if sep == ")":
                    return Condition(field_name, "IN", values)
                if sep != ",":
                    raise QueryError("expected , or ) in IN list")
        if self.keyword("LIKE"):
            return Condition(field_name, "LIKE", [_literal(*self.take())])
        kind, op = self.take()
        if kind != "op" or op in ("!=", "<>"):
            raise QueryError(f"unsupported operator {op!r}")
        return Condition(field_name, op, [_literal(*self.take())])

    def _tail(self, query: Query) -> None:
        while self.peek() is not None:
            if self.keyword("ORDERBY") or (self.keyword("ORDER") and self.keyword("BY")):
                while True:
                    name = self.take()[1]
                    descending = self.keyword("DESC")
                    if not descending:
                        self.keyword("ASC")
                    query.order.append((name, descending))
                    if not (self.peek() and self.peek()[1] == ","):
                        break
                    self.take()
            elif self.keyword("STARTPOSITION"):
                query.start = max(1, int(_literal(*self.take())))
            elif self.keyword("MAXRESULTS"):
                query.max_results = min(1000, int(_literal(*self.take())))
            else:
                return


def parse_query(text: str) -> Query:
    """Parse the supported subset of the QuickBooks query language."""
    return _Parser(text).parse()
