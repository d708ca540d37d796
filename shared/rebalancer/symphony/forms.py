"""Generic s-expression forms: the reader's middle layer between tokens and the typed tree.

`parse_forms` turns tokens into atoms, lists `(...)`, vectors `[...]` and maps `{...}`, checking that
brackets balance. It is iterative (an explicit stack), so deeply nested exports cannot hit Python's
recursion limit here. `print_form` prints a form canonically (used for settings values).

    >>> from rebalancer.symphony.lexer import tokenize
    >>> [form] = parse_forms(tokenize('{:rebalance-frequency :daily, :x [1 2.50]}'))
    >>> print_form(form)
    '{:rebalance-frequency :daily, :x [1 2.5]}'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, NamedTuple

from rebalancer.errors import StrategyError
from rebalancer.symphony.lexer import CLOSERS, SourceText, Token, encode_string
from rebalancer.symphony.nodes import SourceLocation

AtomKind = Literal["string", "number", "keyword", "symbol"]
SeqKind = Literal["list", "vector", "map"]
_SEQ_KINDS: dict[str, SeqKind] = {"(": "list", "[": "vector", "{": "map"}
_SEQ_NAMES = {"list": "list (...)", "vector": "vector [...]", "map": "map {...}"}


# Forms are NamedTuples (cheap to build: a large export has tens of thousands); `loc` is computed on demand.
class Atom(NamedTuple):
    kind: AtomKind
    text: str
    offset: int
    source: SourceText

    @property
    def loc(self) -> SourceLocation:
        return self.source.locate(self.offset)

    def describe(self) -> str:
        if self.kind == "string":
            return f"the string {encode_string(self.text)}"
        if self.kind == "keyword":
            return f"the keyword :{self.text}"
        return f"the {self.kind} {self.text}"


class Seq(NamedTuple):
    kind: SeqKind
    items: tuple[Form, ...]
    offset: int
    source: SourceText

    @property
    def loc(self) -> SourceLocation:
        return self.source.locate(self.offset)

    @property
    def head(self) -> str | None:
        """The operator name of a list whose first item is a symbol, e.g. 'asset'."""
        if self.kind == "list" and self.items:
            first = self.items[0]
            if isinstance(first, Atom) and first.kind == "symbol":
                return first.text
        return None

    @property
    def args(self) -> tuple[Form, ...]:
        return self.items[1:]

    def describe(self) -> str:
        if self.head is not None:
            return f"({self.head} ...)"
        return "an empty list ()" if not self.items else f"a {_SEQ_NAMES[self.kind]}"


Form = Atom | Seq


# Brackets open at once. Real symphonies stay under 100 (klm: 58); the tree builder and the evaluator
# recurse per level, so a limit here gives a located error where Python's stack would run out.
MAX_NESTING = 256


def parse_forms(tokens: Iterable[Token]) -> list[Form]:
    """Group tokens into forms; raises StrategyError on unbalanced or mismatched brackets."""
    top: list[Form] = []
    # Each frame: (opening token, items collected so far).
    stack: list[tuple[Token, list[Form]]] = []
    for token in tokens:
        if token.kind == "open":
            if len(stack) >= MAX_NESTING:
                raise StrategyError(
                    f"nested more than {MAX_NESTING} brackets deep",
                    code="too-deep",
                    hint="the deepest built-in is 58 deep: check for a runaway paste or unclosed brackets",
                    where=str(token.loc),
                )
            stack.append((token, []))
            continue
        form = _close(stack, token) if token.kind == "close" else _atom(token)
        (stack[-1][1] if stack else top).append(form)
    if stack:
        opener = stack[-1][0]
        raise StrategyError(
            f"unbalanced brackets: this {opener.text!r} is never closed",
            code="unbalanced",
            hint=f"add the missing {CLOSERS[opener.text]!r} (count brackets from here)",
            where=str(opener.loc),
        )
    return top


def _atom(token: Token) -> Atom:
    return Atom(token.kind, token.text, token.offset, token.source)  # type: ignore[arg-type]


def _close(stack: list[tuple[Token, list[Form]]], token: Token) -> Seq:
    if not stack:
        raise StrategyError(
            f"unbalanced brackets: {token.text!r} closes nothing",
            code="unbalanced",
            hint="remove it, or add the opening bracket it was meant to close",
            where=str(token.loc),
        )
    opener, items = stack.pop()
    expected = CLOSERS[opener.text]
    if token.text != expected:
        raise StrategyError(
            f"mismatched brackets: {token.text!r} closes the {opener.text!r} opened at "
            f"line {opener.loc.line}, column {opener.loc.column}",
            code="unbalanced",
            hint=f"expected {expected!r} here",
            where=str(token.loc),
        )
    kind = _SEQ_KINDS[opener.text]
    if kind == "map" and len(items) % 2:
        raise StrategyError(
            "a map needs key/value pairs, but this one has an odd number of items",
            code="bad-map",
            hint="write {:window 10}",
            where=str(opener.loc),
        )
    return Seq(kind, tuple(items), opener.offset, opener.source)


def map_pairs(form: Seq) -> list[tuple[Form, Form]]:
    return list(zip(form.items[0::2], form.items[1::2], strict=True))


def format_number(value: float) -> str:
    """Integral values without a decimal point (79), others in Python's shortest round-trip form."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def print_form(form: Form) -> str:
    """Canonical text of a generic form (strings escaped, numbers normalized, maps with ', ')."""
    if isinstance(form, Atom):
        if form.kind == "string":
            return encode_string(form.text)
        if form.kind == "keyword":
            return ":" + form.text
        if form.kind == "number":
            return _normalize_number(form.text)
        return form.text
    if form.kind == "map":
        pairs = (f"{print_form(k)} {print_form(v)}" for k, v in map_pairs(form))
        return "{" + ", ".join(pairs) + "}"
    inner = " ".join(print_form(item) for item in form.items)
    return f"({inner})" if form.kind == "list" else f"[{inner}]"


def _normalize_number(text: str) -> str:
    if "." in text or "e" in text or "E" in text:
        return repr(float(text))
    return str(int(text))
