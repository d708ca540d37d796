"""Reading the leaves of a symphony: tickers, indicators, comparisons and filter metrics.

Windows may be written `{:window 10}` (Composer's editor) or positionally `10` (Composer's
documentation and newer exports); a named parameter keyword may stand for the number.

    >>> from rebalancer.symphony.forms import parse_forms
    >>> from rebalancer.symphony.lexer import tokenize
    >>> [form] = parse_forms(tokenize('(> (rsi "EQUITIES::SPY//USD" {:window 10}) 79)'))
    >>> read_comparison(form, {})
    Comparison(op='>', lhs=IndicatorRef(name='rsi', window=10, symbol='SPY'), rhs=79.0)
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rebalancer.symphony.forms import Atom, Form, Seq, map_pairs
from rebalancer.symphony.nodes import COMPARISON_OPS, INDICATORS, Comparison, IndicatorRef, Metric
from rebalancer.symphony.params import error_at, resolve_number, resolve_positive_int

_TICKER_RE = re.compile(r"[A-Z0-9][A-Z0-9./-]*")
_BOOLEAN_OPS = ("and", "or", "not")
_INDICATOR_LIST = ", ".join(INDICATORS)
_COMPARISON_EXAMPLE = '(> (rsi "SPY" {:window 10}) 79)'


def read_ticker(form: Form) -> str:
    """A ticker string; strips Composer's `EQUITIES::` market prefix and `//USD` currency suffix."""
    if not (isinstance(form, Atom) and form.kind == "string"):
        message = f'expected a ticker string such as "SPY", got {form.describe()}'
        raise error_at(form, message, code="bad-ticker", hint='write (asset "SPY") or (rsi "SPY" 10)')
    text = form.text.strip()
    market, sep, rest = text.partition("::")
    if sep:
        if market.upper() != "EQUITIES":
            raise error_at(
                form,
                f"unsupported market {market!r} in ticker {form.text!r}",
                code="unsupported-market",
                hint="rebalancer trades US equities: write EQUITIES::SPY or just SPY",
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
    return symbol


# A standard deviation over one value is always 0 (and inverse volatility then divides by it): the
# window of these must cover at least two values to mean anything.
NEEDS_TWO_VALUES = frozenset({"stdev-return", "stdev-price", "weight-inverse-volatility"})


def read_window(form: Form, params: Mapping[str, float], owner: str) -> int:
    """`{:window n}`, or a bare number/parameter keyword; a positive integer (>= 2 for a deviation)."""
    window = _read_window(form, params, owner)
    if window < 2 and owner in NEEDS_TWO_VALUES:
        raise error_at(
            form,
            f"the window of {owner} must be at least 2, got {window}: a deviation over one value is 0",
            code="bad-window",
            hint="write {:window 20} (any window of 2 or more)",
        )
    return window


def _read_window(form: Form, params: Mapping[str, float], owner: str) -> int:
    if isinstance(form, Seq) and form.kind == "map":
        window: int | None = None
        for key, value in map_pairs(form):
            if not (isinstance(key, Atom) and key.kind == "keyword" and key.text == "window"):
                raise error_at(
                    key,
                    f"unknown option {key.describe()} for {owner}; the only option is :window",
                    code="bad-window",
                    hint="write {:window 10}",
                )
            window = resolve_positive_int(value, params, f"the window of {owner}", code="bad-window")
        if window is None:
            raise error_at(form, f"{owner} needs a window", code="missing-window", hint="write {:window 10}")
        return window
    return resolve_positive_int(form, params, f"the window of {owner}", code="bad-window")


def _indicator_parts(form: Form, role: str) -> tuple[str, Seq]:
    if not (isinstance(form, Seq) and form.kind == "list" and form.head is not None):
        raise error_at(
            form,
            f"expected an indicator as {role}, got {form.describe()}",
            code="expected-indicator",
            hint=f"indicators are: {_INDICATOR_LIST}",
        )
    if form.head not in INDICATORS:
        raise error_at(
            form,
            f"unknown indicator {form.head!r} as {role}",
            code="unknown-indicator",
            hint=f"indicators are: {_INDICATOR_LIST}",
        )
    return form.head, form


def _window_of(
    name: str, form: Seq, window_args: tuple[Form, ...], params: Mapping[str, float]
) -> int | None:
    example = f'({name} "SPY" {{:window 10}})'
    if not INDICATORS[name]:
        if window_args:
            raise error_at(
                window_args[0],
                f"{name} takes no window",
                code="window-not-allowed",
                hint=f'write ({name} "SPY")',
            )
        return None
    if not window_args:
        raise error_at(form, f"{name} needs a window", code="missing-window", hint=f"write {example}")
    if len(window_args) > 1:
        raise error_at(window_args[1], f"too many arguments to {name}", code="arity", hint=f"write {example}")
    return read_window(window_args[0], params, name)


def read_indicator(form: Form, params: Mapping[str, float], role: str) -> IndicatorRef:
    """`(rsi "SPY" {:window 10})`, `(rsi "SPY" 10)` or `(current-price "SPY")`."""
    name, seq = _indicator_parts(form, role)
    if not seq.args:
        raise error_at(seq, f"{name} needs a ticker", code="arity", hint=f'write ({name} "SPY" ...)')
    symbol = read_ticker(seq.args[0])
    window = _window_of(name, seq, seq.args[1:], params)
    return IndicatorRef(name, window, symbol, loc=seq.loc)


def read_metric(form: Form, params: Mapping[str, float]) -> Metric:
    """A filter's ranking metric: an indicator without a ticker, e.g. `(rsi {:window 10})`."""
    name, seq = _indicator_parts(form, "a filter's metric")
    if seq.args and isinstance(seq.args[0], Atom) and seq.args[0].kind == "string":
        raise error_at(
            seq.args[0],
            "a filter's metric takes no ticker: it is applied to each child in turn",
            code="bad-metric",
            hint=f"write ({name} {{:window 10}})" if INDICATORS[name] else f"write ({name})",
        )
    return Metric(name, _window_of(name, seq, seq.args, params))


def read_comparison(form: Form, params: Mapping[str, float]) -> Comparison:
    """`(op indicator number|indicator)` with op one of > < >= <=."""
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
    if isinstance(lhs_form, Atom):
        raise error_at(
            lhs_form,
            "the left side of a comparison must be an indicator",
            code="expected-indicator",
            hint='put the indicator first and flip the operator: (< (rsi "SPY" {:window 10}) 30)',
        )
    lhs = read_indicator(lhs_form, params, "the left side of a comparison")
    rhs: IndicatorRef | float
    if isinstance(rhs_form, Seq):
        rhs = read_indicator(rhs_form, params, "the right side of a comparison")
    else:
        rhs = resolve_number(rhs_form, params, "a comparison threshold")
    return Comparison(head, lhs, rhs, loc=form.loc)  # type: ignore[arg-type]
