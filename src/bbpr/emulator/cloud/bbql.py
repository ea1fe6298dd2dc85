"""BBQL, Bitbucket Cloud's `q=` filter language: parse, check against a schema, evaluate.

Grammar (as Atlassian's "Filter and sort API objects" page describes it)::

    query      := or
    or         := and ("OR" and)*
    and        := term ("AND" term)*
    term       := "(" or ")" | comparison
    comparison := path op value | path ["NOT"] "IN" "(" value ("," value)* ")"
    op         := "=" | "!=" | "~" | "!~" | ">" | ">=" | "<" | "<="
    value      := "string" | number | true | false | null | datetime

`~` is a case-insensitive "contains". Datetimes are unquoted ISO-8601 (a bare date means
midnight UTC) and compare as instants. A path through a list (`reviewers.uuid`) matches when
any element matches (`!=`, `!~` and `NOT IN` when none does).

Errors raise `QueryError` with a message that names the problem and where it is, which the
API turns into a 400. The emulator is stricter than it needs to be where Bitbucket's
behaviour is unknown (type mismatches such as `id = "7"` are rejected): a client that
passes here sends queries that the live service cannot misread.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

Path = tuple[str, ...]
Literal = str | int | float | bool | datetime | None
Resolver = Callable[[Path], list[object]]


class QueryError(ValueError):
    """A query the API answers with 400."""


@dataclass(frozen=True, slots=True)
class Comparison:
    path: Path
    op: str  # one of the operators, "IN" or "NOT IN"
    value: Literal | tuple[Literal, ...]


@dataclass(frozen=True, slots=True)
class Junction:
    op: str  # "AND" or "OR"
    terms: tuple[Node, ...]


Node = Comparison | Junction

_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
    r"(?![\w:.+-])"
)
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)(?![\w.:-])
      | (?P<op>!=|!~|>=|<=|=|~|>|<)
      | (?P<paren>[(),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"AND", "OR", "IN", "NOT"}
_CONSTANTS: dict[str, Literal] = {"true": True, "false": False, "null": None}
_NEGATED = {"!=": "=", "!~": "~", "NOT IN": "IN"}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # string, number, datetime, op, paren, word, keyword, end
    text: str
    position: int  # 1-based, as people count


def _tokenize(text: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        stamp = _DATETIME.match(text, position)
        if stamp:
            tokens.append(_Token("datetime", stamp.group(0), position + 1))
            position = stamp.end()
            continue
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise QueryError(
                f"Invalid query: unexpected {text[position]!r} at position {position + 1}"
            )
        kind, word, start = match.lastgroup, match[match.lastgroup], match.start(match.lastgroup)
        if kind == "word" and word.upper() in _KEYWORDS:
            kind, word = "keyword", word.upper()
        tokens.append(_Token(kind, word, start + 1))
        position = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, kind: str, text: str, wanted: str) -> _Token:
        token = self.take()
        if token.kind != kind or token.text != text:
            raise _unexpected(token, wanted)
        return token

    def parse(self) -> Node:
        node = self.junction("OR")
        if self.peek().kind != "end":
            raise _unexpected(self.peek(), "AND, OR or the end of the query")
        return node

    def junction(self, op: str) -> Node:
        terms = [self.junction("AND") if op == "OR" else self.term()]
        while self.peek().kind == "keyword" and self.peek().text == op:
            self.take()
            terms.append(self.junction("AND") if op == "OR" else self.term())
        return terms[0] if len(terms) == 1 else Junction(op, tuple(terms))

    def term(self) -> Node:
        token = self.take()
        if token.kind == "paren" and token.text == "(":
            node = self.junction("OR")
            self.expect("paren", ")", '")"')
            return node
        if token.kind != "word" or token.text.lower() in _CONSTANTS:
            raise _unexpected(token, "a field name")
        path = tuple(token.text.split("."))
        operator = self.take()
        if operator.kind == "op":
            return Comparison(path, operator.text, self.value(operator))
        if operator.kind == "keyword" and operator.text == "NOT":
            self.expect("keyword", "IN", "IN after NOT")
            return Comparison(path, "NOT IN", self.values())
        if operator.kind == "keyword" and operator.text == "IN":
            return Comparison(path, "IN", self.values())
        raise _unexpected(operator, f"an operator after {token.text!r}")

    def values(self) -> tuple[Literal, ...]:
        opening = self.expect("paren", "(", '"(" after IN')
        items = [self.value(opening)]
        while self.peek().kind == "paren" and self.peek().text == ",":
            self.take()
            items.append(self.value(opening))
        self.expect("paren", ")", '")" to close the IN list')
        return tuple(items)

    def value(self, after: _Token) -> Literal:
        token = self.take()
        if token.kind == "string":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token.kind == "number":
            return float(token.text) if "." in token.text else int(token.text)
        if token.kind == "datetime":
            return parse_datetime(token.text, token.position)
        if token.kind == "word" and token.text.lower() in _CONSTANTS:
            return _CONSTANTS[token.text.lower()]
        raise _unexpected(token, f"a value after {after.text!r}")


def _unexpected(token: _Token, wanted: str) -> QueryError:
    found = "the end of the query" if token.kind == "end" else repr(token.text)
    return QueryError(
        f"Invalid query: expected {wanted} at position {token.position}, found {found}"
    )


def parse_datetime(text: str, position: int = 0) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        raise QueryError(
            f"Invalid query: {text!r} at position {position} is not a datetime"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse(text: str) -> Node:
    """Parse a `q=` value; raise QueryError (-> 400) if it is not valid BBQL."""
    if not text.strip():
        raise QueryError("Invalid query: the query is empty")
    return _Parser(text).parse()


def comparisons(node: Node) -> Iterable[Comparison]:
    if isinstance(node, Comparison):
        yield node
    else:
        for term in node.terms:
            yield from comparisons(term)


# --- checking against a schema ---------------------------------------------------------
# A schema maps every comparable field path to its kind: "string", "datetime", "number" or
# "boolean". Paths to objects are absent, so `author = "x"` is an unknown field.


def schema_of(sample: Mapping[str, object]) -> dict[Path, str]:
    """Derive a schema from a fully populated sample object (lists are looked through)."""
    kinds: dict[Path, str] = {}
    _collect(sample, (), kinds)
    return kinds


def _collect(value: object, path: Path, kinds: dict[Path, str]) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _collect(child, (*path, key), kinds)
    elif isinstance(value, list):
        for item in value:
            _collect(item, path, kinds)
    elif isinstance(value, bool):
        kinds[path] = "boolean"
    elif isinstance(value, int | float):
        kinds[path] = "number"
    elif isinstance(value, str):
        kinds.setdefault(path, "datetime" if _looks_like_datetime(value) else "string")
    elif value is None:
        kinds.setdefault(path, "string")


def _looks_like_datetime(text: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:.]+[+-]\d{2}:\d{2}", text))


_PYTHON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "datetime": (datetime, str),
    "number": (int, float),
    "boolean": bool,
}


def check(node: Node, schema: Mapping[Path, str]) -> Node:
    """Reject unknown fields and meaningless comparisons; return the node with quoted
    datetimes (`created_on > "2026-01-01"`) turned into instants, so they compare as such."""
    if isinstance(node, Junction):
        return Junction(node.op, tuple(check(term, schema) for term in node.terms))
    name = ".".join(node.path)
    kind = schema.get(node.path)
    if kind is None:
        raise QueryError(f'Invalid query: "{name}" is not a field that can be filtered on')
    if isinstance(node.value, tuple):
        values = tuple(_checked(name, kind, node.op, v) for v in node.value)
        return Comparison(node.path, node.op, values)
    return Comparison(node.path, node.op, _checked(name, kind, node.op, node.value))


def _checked(name: str, kind: str, op: str, value: Literal) -> Literal:
    if op in ("~", "!~") and not (isinstance(value, str) and kind == "string"):
        raise QueryError(f'Invalid query: "{op}" needs a text field and a quoted string ({name})')
    if value is None:
        if op not in ("=", "!="):
            raise QueryError(f"Invalid query: null can only be compared with = or != ({name})")
        return value
    expected = _PYTHON_TYPES[kind]
    if (isinstance(value, bool) and kind != "boolean") or not isinstance(value, expected):
        raise QueryError(f'Invalid query: "{name}" is a {kind} field, not {_kind_of(value)}')
    if kind == "boolean" and op not in ("=", "!=", "IN", "NOT IN"):
        raise QueryError(f'Invalid query: "{op}" cannot compare booleans ({name})')
    if kind == "datetime" and isinstance(value, str):
        return parse_datetime(value)
    return value


def _kind_of(value: Literal) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, datetime):
        return "a datetime"
    return "a number" if isinstance(value, int | float) else "a string"


# --- evaluation --------------------------------------------------------------------------


def id_bounds(node: Node) -> tuple[float, float]:
    """The `id` range every match must lie in (inclusive), from comparisons the whole query
    requires; an index a real server would use, so a range query need not scan every row."""
    low, high = float("-inf"), float("inf")
    terms = node.terms if isinstance(node, Junction) and node.op == "AND" else (node,)
    for term in terms:
        if not (isinstance(term, Comparison) and term.path == ("id",)
                and isinstance(term.value, int) and not isinstance(term.value, bool)):
            continue
        value = term.value
        if term.op in (">", ">="):
            low = max(low, value + (1 if term.op == ">" else 0))
        elif term.op in ("<", "<="):
            high = min(high, value - (1 if term.op == "<" else 0))
        elif term.op == "=":
            low, high = max(low, value), min(high, value)
    return low, high


def evaluate(node: Node, resolve: Resolver) -> bool:
    """True if the object behind `resolve` (path -> values found there) matches."""
    if isinstance(node, Junction):
        if node.op == "AND":
            return all(evaluate(term, resolve) for term in node.terms)
        return any(evaluate(term, resolve) for term in node.terms)
    found = [v for v in resolve(node.path) if v is not None]
    if node.value is None:
        return not found if node.op == "=" else bool(found)
    positive = _NEGATED.get(node.op, node.op)
    hit = any(_holds(positive, value, node.value) for value in found)
    return not hit if node.op in _NEGATED else hit


def _holds(op: str, value: object, literal: Literal | tuple[Literal, ...]) -> bool:
    if isinstance(literal, tuple):
        return any(_holds("=", value, item) for item in literal)
    if isinstance(literal, datetime):
        value = _instant(value)
    if op == "~":
        return str(literal).casefold() in str(value).casefold()
    try:
        if op == "=":
            return bool(value == literal)
        if op == ">":
            return bool(value > literal)  # type: ignore[operator]
        if op == ">=":
            return bool(value >= literal)  # type: ignore[operator]
        if op == "<":
            return bool(value < literal)  # type: ignore[operator]
        if op == "<=":
            return bool(value <= literal)  # type: ignore[operator]
    except TypeError:
        return False
    raise QueryError(f"Invalid query: unknown operator {op!r}")


def _instant(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except QueryError:
            return None
    return None


def lookup(obj: object, path: Path) -> list[object]:
    """Every value at `path` in a JSON object, looking through lists; [] if absent."""
    values = [obj]
    for key in path:
        found: list[object] = []
        for value in values:
            if isinstance(value, dict) and key in value:
                child = value[key]
                found.extend(child if isinstance(child, list) else [child])
        values = found
    return values
