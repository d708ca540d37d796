"""Tokenizer for Composer's symphony s-expressions (a small subset of EDN/Clojure syntax).

Commas are whitespace, `;` starts a comment, strings use backslash escapes. Every token carries its
1-based line and column, so later stages can point at the offending form.

    >>> [t.text for t in tokenize('(asset "SPY") ; a comment', "x.clj")]
    ['(', 'asset', 'SPY', ')']
    >>> tokenize("(rsi -1.5)", "x.clj")[2].loc.column
    6

Runs in one linear pass of one compiled regex; line and column are computed only for the offsets
that need them, so large exports tokenize in milliseconds.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import Literal, NamedTuple

from rebalancer.errors import StrategyError
from rebalancer.symphony.nodes import SourceLocation

TokenKind = Literal["open", "close", "string", "number", "keyword", "symbol"]

# Characters that end an atom (whitespace, comma, comment, brackets, quote).
_DELIM = r"\s,;()\[\]{}\""
# Every character is matched by some alternative (`unterminated` and `bad` catch the rest), so finditer
# walks the text contiguously.
_TOKEN_RE = re.compile(
    rf"""
    (?P<skip>(?:[\s,]+|;[^\n]*)+)
  | (?P<open>[(\[{{])
  | (?P<close>[)\]}}])
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<unterminated>")
  | (?P<number>[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![^{_DELIM}]))
  | (?P<keyword>:[^{_DELIM}:][^{_DELIM}]*)
  | (?P<symbol>[^{_DELIM}\d:][^{_DELIM}]*)
  | (?P<bad>[^{_DELIM}]+)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}

# Bracket pairs: opening character -> closing character.
CLOSERS = {"(": ")", "[": "]", "{": "}"}


class SourceText:
    """Maps character offsets of one text to file:line:col, computed only when asked (errors, nodes)."""

    def __init__(self, text: str, filename: str) -> None:
        self.filename = filename
        self._line_starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def locate(self, offset: int) -> SourceLocation:
        line = bisect.bisect_right(self._line_starts, offset)
        return SourceLocation(self.filename, line, offset - self._line_starts[line - 1] + 1)


class Token(NamedTuple):
    """One token. `text` is decoded for strings, the name without ':' for keywords, raw otherwise."""

    kind: TokenKind
    text: str
    offset: int
    source: SourceText

    @property
    def loc(self) -> SourceLocation:
        return self.source.locate(self.offset)


def tokenize(text: str, filename: str = "<string>") -> list[Token]:
    """Split `text` into tokens; raises StrategyError on an unterminated string or an unreadable atom."""
    return list(iter_tokens(text, filename))


def iter_tokens(text: str, filename: str = "<string>") -> Iterator[Token]:
    """Tokens one at a time (the reader streams them, so they never all live at once)."""
    source = SourceText(text, filename)
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup
        if kind == "skip":
            continue
        raw = match.group()
        offset = match.start()
        if kind == "string":
            yield Token("string", decode_string(raw[1:-1], source, offset), offset, source)
        elif kind == "keyword":
            yield Token("keyword", raw[1:], offset, source)
        elif kind == "unterminated":
            raise StrategyError(
                "unterminated string: no closing double quote before the end of the file",
                code="unterminated-string",
                hint='close the string with " (write \\" for a quote inside a string)',
                where=str(source.locate(offset)),
            )
        elif kind == "bad":
            raise StrategyError(
                f"cannot read {raw!r}: not a number, keyword or symbol",
                code="bad-token",
                hint="numbers look like 79, -10 or 82.5; keywords like :window; strings are in double quotes",
                where=str(source.locate(offset)),
            )
        else:
            yield Token(kind, raw, offset, source)  # type: ignore[arg-type]


def decode_string(body: str, source: SourceText, offset: int) -> str:
    """Resolve backslash escapes in a string literal's body."""
    if "\\" not in body:
        return body

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in _ESCAPES:
            return _ESCAPES[code]
        if len(code) == 5:  # uXXXX
            return chr(int(code[1:], 16))
        raise StrategyError(
            f"unknown escape \\{code} in a string",
            code="bad-escape",
            hint='use \\" for a quote, \\\\ for a backslash, \\n for a new line',
            where=str(source.locate(offset)),
        )

    return _ESCAPE_RE.sub(replace, body)


def encode_string(value: str) -> str:
    """The string literal (with quotes) that reads back as `value`."""
    out = ['"']
    for char in value:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif ord(char) < 0x20 or char == "\x7f":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)
