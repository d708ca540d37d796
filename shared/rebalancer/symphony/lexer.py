"""Tokenizer for Composer's symphony s-expressions (a small subset of EDN/Clojure syntax).

Commas are whitespace, `;` starts a comment, strings use backslash escapes. Every token carries its
1-based line and column, so later stages can point at the offending form.

    >>> [t.text for t in tokenize('(asset "SPY") ; a comment', "x.clj")]
    ['(', 'asset', 'SPY', ')']
    >>> tokenize("(rsi -1.5)", "x.clj")[2].loc.column
    6

Runs in one linear pass (one compiled regex matched at successive positions), so large exports tokenize
in milliseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rebalancer.errors import StrategyError
from rebalancer.symphony.nodes import SourceLocation

TokenKind = Literal["open", "close", "string", "number", "keyword", "symbol"]

# Characters that end an atom (whitespace, comma, comment, brackets, quote).
_DELIM = r"\s,;()\[\]{}\""
_TOKEN_RE = re.compile(
    rf"""
    (?P<ws>[\s,]+)
  | (?P<comment>;[^\n]*)
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


@dataclass(frozen=True, slots=True)
class Token:
    """One token. `text` is decoded for strings, the name without ':' for keywords, raw otherwise."""

    kind: TokenKind
    text: str
    loc: SourceLocation


def tokenize(text: str, filename: str = "<string>") -> list[Token]:
    """Split `text` into tokens; raises StrategyError on an unterminated string or an unreadable atom."""
    tokens: list[Token] = []
    pos, line, line_start = 0, 1, 0
    end = len(text)
    while pos < end:
        match = _TOKEN_RE.match(text, pos)
        assert match is not None, "the `bad` alternative matches any non-delimiter"
        kind = match.lastgroup or "bad"
        raw = match.group()
        loc = SourceLocation(filename, line, pos - line_start + 1)
        if kind == "unterminated":
            raise StrategyError(
                "unterminated string: no closing double quote before the end of the file",
                code="unterminated-string",
                hint='close the string with " (write \\" for a quote inside a string)',
                where=str(loc),
            )
        if kind == "bad":
            raise StrategyError(
                f"cannot read {raw!r}: not a number, keyword or symbol",
                code="bad-token",
                hint="numbers look like 79, -10 or 82.5; keywords like :window; strings are in double quotes",
                where=str(loc),
            )
        if kind not in ("ws", "comment"):
            tokens.append(Token(kind, _token_text(kind, raw, loc), loc))  # type: ignore[arg-type]
        newlines = raw.count("\n")
        if newlines:
            line += newlines
            line_start = pos + raw.rfind("\n") + 1
        pos = match.end()
    return tokens


def _token_text(kind: str, raw: str, loc: SourceLocation) -> str:
    if kind == "string":
        return decode_string(raw[1:-1], loc)
    if kind == "keyword":
        return raw[1:]
    return raw


def decode_string(body: str, loc: SourceLocation) -> str:
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
            where=str(loc),
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
