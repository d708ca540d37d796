"""Reading the leaves of a symphony: tickers, indicators, comparisons and filter metrics.

Windows may be written `{:window 10}` (Composer's editor) or positionally `10` (Composer's
documentation and newer exports); a named parameter keyword may stand for the number. Indicators with
several windows take a map of their keys, e.g. `{:short-window 12, :long-window 26}` (nodes.py,
INDICATOR_PARAMS), or the numbers in that order.

    >>> from rebalancer.symphony.forms import parse_forms
    >>> from rebalancer.symphony.lexer import tokenize
    >>> [form] = parse_forms(tokenize('(> (rsi "EQUITIES::SPY//USD" {:window 10}) 79)'))
    >>> read_comparison(form, {})
    Comparison(op='>', lhs=IndicatorRef(name='rsi', window=10, symbol='SPY'), rhs=79.0)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from rebalancer.symphony.forms import Atom, Form, Seq, map_pairs
from rebalancer.symphony.nodes import (
    COMPARISON_OPS,
    INDICATOR_ALIASES,
    INDICATOR_PARAMS,
    Asset,
    Comparison,
    IndicatorRef,
    Metric,
    Node,
    WeightEqual,
    Window,
)
from rebalancer.symphony.params import error_at, resolve_number, resolve_positive_int

_TICKER_RE = re.compile(r"[A-Z0-9][A-Z0-9./-]*")
_DIGITS_RE = re.compile(r"\d+")
_BOOLEAN_OPS = ("and", "or", "not")
_INDICATOR_LIST = ", ".join(INDICATOR_PARAMS)
_COMPARISON_EXAMPLE = '(> (rsi "SPY" {:window 10}) 79)'
# (op a b) with a number on the left is read as (flipped-op b a).
_FLIPPED = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "=": "="}

NodeReader = Callable[[Form], Node]


def read_ticker(form: Form) -> str:
    """A ticker string; strips Composer's `EQUITIES::` market prefix and `//USD` currency suffix.

    A share class written with a slash (Composer's `BRK/B`) is the broker's and data sources' `BRK.B`.
    """
    if not (isinstance(form, Atom) and form.kind == "string"):
        message = f'expected a ticker string such as "SPY", got {form.describe()}'
        raise error_at(form, message, code="bad-ticker", hint='write (asset "SPY") or (rsi "SPY" 10)')
    text = form.text.strip()
    market, sep, rest = text.partition("::")
    if sep:
        if market.upper() != "EQUITIES":
            raise error_at(
                form,
                f"unsupported market {market!r} in ticker {form.text!r}: rebalancer trades US equities only",
                code="unsupported-market",
                hint="remove this asset (crypto and other markets are not supported), or use an equity "
                "such as EQUITIES::SPY",
            )
        text = rest
    text, sep, currency = text.partition("//")
    if sep and currency.upper() != "USD":
        raise error_at(
            form,
            f"unsupported currency {currency!r} in ticker {form.text!r}",
            code="bad-ticker",
            hint="rebalancer trades US equities in USD: write EQUITIES::SPY//USD or just SPY",
        )
    symbol = text.upper()
    if not _TICKER_RE.fullmatch(symbol):
        raise error_at(
            form,
            f"{form.text!r} is not a valid ticker",
            code="bad-ticker",
            hint="tickers are letters, digits, '.', '/' or '-', e.g. SPY or BRK/B",
        )
    return symbol.replace("/", ".")


def _window_number(form: Form, params: Mapping[str, float], what: str) -> int:
    """A positive integer; Composer's reader also takes it as a string of digits, `(rsi "10")`."""
    if isinstance(form, Atom) and form.kind == "string" and _DIGITS_RE.fullmatch(form.text.strip()):
        form = Atom("number", form.text.strip(), form.offset, form.source)
    return resolve_positive_int(form, params, what, code="bad-window")


def read_window(form: Form, params: Mapping[str, float], owner: str) -> int:
    """`{:window n}`, or a bare number/parameter keyword; must be a positive integer."""
    window = _read_windows(form, (), params, owner, ("window",))
    assert isinstance(window, int)
    return window


def _read_windows(
    first: Form, rest: tuple[Form, ...], params: Mapping[str, float], owner: str, keys: tuple[str, ...]
) -> int | tuple[int, ...]:
    """The windows of `owner`: a map of its keys, or the numbers in order."""
    example = "{" + ", ".join(f":{k} {n}" for k, n in zip(keys, (12, 26, 9), strict=False)) + "}"
    if isinstance(first, Seq) and first.kind == "map":
        if rest:
            raise error_at(rest[0], f"too many arguments to {owner}", code="arity", hint=f"write {example}")
        found: dict[str, int] = {}
        for key, value in map_pairs(first):
            if not (isinstance(key, Atom) and key.kind == "keyword" and key.text in keys):
                known = ", ".join(f":{k}" for k in keys)
                raise error_at(
                    key,
                    f"unknown option {key.describe()} for {owner}; its options are {known}",
                    code="bad-window",
                    hint=f"write {example}",
                )
            found[key.text] = _window_number(value, params, f"the {key.text} of {owner}")
        missing = [k for k in keys if k not in found]
        if missing:
            raise error_at(
                first, f"{owner} needs :{missing[0]}", code="missing-window", hint=f"write {example}"
            )
        values = [found[k] for k in keys]
    else:
        forms = (first, *rest)
        if len(forms) > len(keys):
            raise error_at(
                forms[len(keys)], f"too many arguments to {owner}", code="arity", hint=f"write {example}"
            )
        if len(forms) < len(keys):
            raise error_at(
                first,
                f"{owner} needs {len(keys)} windows: {', '.join(keys)}",
                code="missing-window",
                hint=f"write {example}",
            )
        values = [_window_number(f, params, f"the {k} of {owner}") for f, k in zip(forms, keys, strict=True)]
    return values[0] if len(values) == 1 else tuple(values)


def _indicator_parts(form: Form, role: str) -> tuple[str, Seq]:
    if not (isinstance(form, Seq) and form.kind == "list" and form.head is not None):
        raise error_at(
            form,
            f"expected an indicator as {role}, got {form.describe()}",
            code="expected-indicator",
            hint=f"indicators are: {_INDICATOR_LIST}",
        )
    name = INDICATOR_ALIASES.get(form.head, form.head)
    if name not in INDICATOR_PARAMS:
        raise error_at(
            form,
            f"unknown indicator {form.head!r} as {role}",
            code="unknown-indicator",
            hint=f"indicators are: {_INDICATOR_LIST}",
        )
    return name, form


def _window_of(name: str, form: Seq, window_args: tuple[Form, ...], params: Mapping[str, float]) -> Window:
    keys = INDICATOR_PARAMS[name]
    if not keys:
        # Newer Composer exports write (current-price "SPY" 10): the price has no window, so the number
        # changes nothing and is dropped.
        if len(window_args) > 1:
            raise error_at(
                window_args[1], f"too many arguments to {name}", code="arity", hint=f'write ({name} "SPY")'
            )
        return None
    if not window_args:
        example = f'({name} "SPY" {{:window 10}})'
        raise error_at(form, f"{name} needs a window", code="missing-window", hint=f"write {example}")
    return _read_windows(window_args[0], window_args[1:], params, name, keys)


def read_indicator(
    form: Form, params: Mapping[str, float], role: str, read_node: NodeReader | None = None
) -> IndicatorRef:
    """`(rsi "SPY" {:window 10})`, `(rsi "SPY" 10)`, `(current-price "SPY")`, or with a sub-tree as
    the subject: `(rsi (group "G" [...]) 10)` or `(rsi [(asset "A") (asset "B")] 10)`."""
    name, seq = _indicator_parts(form, role)
    if not seq.args:
        raise error_at(seq, f"{name} needs a ticker", code="arity", hint=f'write ({name} "SPY" ...)')
    subject = seq.args[0]
    window = _window_of(name, seq, seq.args[1:], params)
    if isinstance(subject, Seq) and read_node is not None and subject.kind in ("list", "vector"):
        node = _subject_node(subject, read_node)
        if isinstance(node, Asset):  # (rsi (asset "SPY") 10) is (rsi "SPY" 10)
            return IndicatorRef(name, window, node.symbol, loc=seq.loc)
        return IndicatorRef(name, window, "", loc=seq.loc, node=node)
    return IndicatorRef(name, window, read_ticker(subject), loc=seq.loc)


def _subject_node(form: Seq, read_node: NodeReader) -> Node:
    """A sub-tree subject; a vector of nodes weights them equally."""
    if form.kind == "vector":
        if not form.items:
            raise error_at(form, "an empty list of nodes as an indicator's subject", code="empty-children")
        nodes = tuple(read_node(item) for item in form.items)
        return nodes[0] if len(nodes) == 1 else WeightEqual(nodes, loc=form.loc)
    return read_node(form)


def read_metric(form: Form, params: Mapping[str, float]) -> Metric:
    """A filter's ranking metric: an indicator without a ticker, e.g. `(rsi {:window 10})`."""
    name, seq = _indicator_parts(form, "a filter's metric")
    first = seq.args[0] if seq.args else None
    is_digits = (
        isinstance(first, Atom) and first.kind == "string" and _DIGITS_RE.fullmatch(first.text.strip())
    )
    if isinstance(first, Atom) and first.kind == "string" and not is_digits:
        raise error_at(
            first,
            "a filter's metric takes no ticker: it is applied to each child in turn",
            code="bad-metric",
            hint=f"write ({name} {{:window 10}})" if INDICATOR_PARAMS[name] else f"write ({name})",
        )
    return Metric(name, _window_of(name, seq, seq.args, params))


def read_comparison(
    form: Form, params: Mapping[str, float], read_node: NodeReader | None = None
) -> Comparison:
    """`(op indicator number|indicator)` with op one of > < >= <= =; `(op number indicator)` is read
    with the operator flipped, `(> 30 x)` as `(< x 30)`."""
    head = form.head if isinstance(form, Seq) else None
    if head in _BOOLEAN_OPS:
        raise error_at(
            form,
            f"boolean operator {head!r} is not supported in conditions",
            code="unsupported-operator",
            hint="chain if forms instead: (if A [(if B [then] [else])] [else])",
        )
    if not isinstance(form, Seq) or head not in COMPARISON_OPS:
        raise error_at(
            form,
            f"expected a comparison such as {_COMPARISON_EXAMPLE}, got {form.describe()}",
            code="expected-comparison",
            hint="comparison operators are: " + " ".join(COMPARISON_OPS),
        )
    if len(form.args) != 2:
        raise error_at(
            form,
            f"{head} compares exactly two things, got {len(form.args)}",
            code="arity",
            hint=f"write {_COMPARISON_EXAMPLE}",
        )
    lhs_form, rhs_form = form.args
    if isinstance(lhs_form, Atom) and isinstance(rhs_form, Seq):
        head, lhs_form, rhs_form = _FLIPPED[head], rhs_form, lhs_form
    if isinstance(lhs_form, Atom):
        raise error_at(
            lhs_form,
            "a comparison needs an indicator on at least one side",
            code="expected-indicator",
            hint=f"write {_COMPARISON_EXAMPLE}",
        )
    lhs = read_indicator(lhs_form, params, "the left side of a comparison", read_node)
    rhs: IndicatorRef | float
    if isinstance(rhs_form, Seq):
        rhs = read_indicator(rhs_form, params, "the right side of a comparison", read_node)
    else:
        rhs = resolve_number(rhs_form, params, "a comparison threshold")
    return Comparison(head, lhs, rhs, loc=form.loc)  # type: ignore[arg-type]
