"""Every user mistake is a StrategyError pointing at the offending form, with a message saying what was
expected; never a Python traceback."""

import pytest

from rebalancer.errors import StrategyError
from rebalancer.symphony.reader import read_symphony


def wrap(body: str) -> str:
    return f'(defsymphony "T" {{:rebalance-frequency :daily}}\n  {body})'


def where_of(text: str, needle: str) -> str:
    """file:line:col (1-based) of `needle`'s first occurrence in `text` (its last if it starts with $)."""
    pos = text.rindex(needle[1:]) if needle.startswith("$") else text.index(needle)
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"t.clj:{line}:{column}"


def read_error(text: str, **kwargs: object) -> StrategyError:
    with pytest.raises(StrategyError) as info:
        read_symphony(text, filename="t.clj", **kwargs)  # type: ignore[arg-type]
    return info.value


RSI = '(rsi "SPY" {:window 10})'
A, B = '(asset "A")', '(asset "B")'

# (case id, symphony text, text at the error location, expected code, message fragment)
CASES = [
    ("unknown-operator", wrap(f"(weight-equal [(assett {A})])"), "(assett", "unknown-operator", "'assett'"),
    ("indicator-as-node", wrap(f"(weight-equal [{RSI}])"), "(rsi", "expected-node", "(rsi ...) cannot stand"),
    ("string-as-node", wrap('(weight-equal ["SPY"])'), '"SPY"', "expected-node", 'the string "SPY"'),
    ("if-arity", wrap(f"(if (> {RSI} 79) [{A}])"), "(if", "arity", "condition, a then-branch"),
    ("asset-arity", wrap("(weight-equal [(asset)])"), "(asset)", "arity", "ticker"),
    ("group-arity", wrap('(group "g")'), "(group", "arity", "name and children"),
    ("wiv-arity", wrap("(weight-inverse-volatility 90)"), "(weight-inverse", "arity", "window and children"),
    ("filter-arity", wrap(f"(filter (rsi 10) [{A}])"), "(filter", "arity", "metric, a selector"),
    ("comparison-arity", wrap(f"(if (> {RSI}) [{A}] [{B}])"), "(> ", "arity", "exactly two"),
    ("defsymphony-arity", '(defsymphony "T" {})', "(defsymphony", "arity", "exactly one body"),
    ("two-bodies", f'(defsymphony "T" {{}} {A} {B})', "(defsymphony", "arity", "exactly one body"),
    ("window-zero", wrap(f'(if (> (rsi "SPY" {{:window 0}}) 79) [{A}] [{B}])'), "0}", "bad-window", "got 0"),
    ("window-fraction", wrap(f'(if (> (rsi "SPY" 10.5) 79) [{A}] [{B}])'), "10.5", "bad-window", "got 10.5"),
    (
        "window-negative",
        wrap(f"(weight-inverse-volatility -3 [{A}])"),
        "-3",
        "bad-window",
        "positive integer",
    ),
    (
        "window-option",
        wrap(f'(if (> (rsi "SPY" {{:days 10}}) 1) [{A}] [{B}])'),
        ":days",
        "bad-window",
        ":window",
    ),
    ("window-too-many", wrap(f'(if (> (rsi "SPY" 10 20) 1) [{A}] [{B}])'), "20)", "arity", "too many"),
    (
        "weights-sum",
        wrap(f"(weight-specified 0.5 {A} 0.4 {B})"),
        "(weight-specified",
        "bad-weights",
        "got 0.9",
    ),
    (
        "weights-pct-sum",
        wrap(f"(weight-specified 60 {A} 30 {B})"),
        "(weight-specified",
        "bad-weights",
        "got 90",
    ),
    ("weight-negative", wrap(f"(weight-specified 1.5 {A} -0.5 {B})"), "-0.5", "bad-weight", "negative"),
    ("weights-odd", wrap(f"(weight-specified 0.5 {A} 0.5)"), "(weight-specified", "arity", "pairs"),
    (
        "weights-vectors",
        wrap(f"(weight-specified [1] [{A} {B}])"),
        "(weight-specified",
        "arity",
        "one weight",
    ),
    ("weight-not-number", wrap(f'(weight-specified "x" {A})'), '"x"', "expected-number", "a weight"),
    ("empty-then", wrap(f"(if (> {RSI} 79) [] [{B}])"), "[]", "empty-branch", "empty then-branch"),
    ("empty-else", wrap(f"(if (> {RSI} 79) [{A}] [])"), "[])", "empty-branch", "empty else-branch"),
    ("empty-children", wrap("(weight-equal [])"), "(weight-equal", "empty-children", "empty child list"),
    ("empty-group", wrap('(group "g" [])'), "(group", "empty-children", "group 'g'"),
    ("empty-filter", wrap("(filter (rsi 10) (select-top 1) [])"), "(filter", "empty-children", "filter"),
    (
        "unknown-indicator",
        wrap(f'(if (> (rsy "SPY" 10) 79) [{A}] [{B}])'),
        "(rsy",
        "unknown-indicator",
        "'rsy'",
    ),
    (
        "unknown-metric",
        wrap(f"(filter (momentum 10) (select-top 1) [{A}])"),
        "(momentum",
        "unknown-indicator",
        "",
    ),
    (
        "missing-window",
        wrap(f'(if (> (rsi "SPY") 79) [{A}] [{B}])'),
        '(rsi "SPY")',
        "missing-window",
        "needs a",
    ),
    (
        "missing-window-map",
        wrap(f'(if (> (rsi "SPY" {{}}) 79) [{A}] [{B}])'),
        "{}",
        "missing-window",
        "window",
    ),
    ("metric-missing-window", wrap(f"(filter (rsi) (select-top 1) [{A}])"), "(rsi)", "missing-window", ""),
    ("select-zero", wrap(f"(filter (rsi 10) (select-top 0) [{A}])"), "0) [", "bad-count", "select-top count"),
    ("select-arity", wrap(f"(filter (rsi 10) (select-top) [{A}])"), "(select-top)", "arity", "one count"),
    ("metric-number", wrap(f"(filter 10 (select-top 1) [{A}])"), "10 (", "expected-indicator", "metric"),
    ("bad-selector", wrap(f"(filter (rsi 10) (top 1) [{A}])"), "(top", "expected-selector", "select-top"),
    (
        "metric-ticker",
        wrap(f'(filter (rsi "SPY" 10) (select-top 1) [{A}])'),
        '"SPY" 10',
        "bad-metric",
        "no ticker",
    ),
    (
        "bool-op",
        wrap(f"(if (and (> {RSI} 1) (< {RSI} 2)) [{A}] [{B}])"),
        "(and",
        "unsupported-operator",
        "'and'",
    ),
    ("not-comparison", wrap(f"(if {RSI} [{A}] [{B}])"), "(rsi", "expected-comparison", "comparison"),
    ("number-both", wrap(f"(if (> 79 80) [{A}] [{B}])"), "79", "expected-indicator", "at least one side"),
    ("indicator-no-ticker", wrap(f"(if (> (rsi) 79) [{A}] [{B}])"), "(rsi)", "arity", "needs a ticker"),
    ("ticker-not-string", wrap(f"(if (> (rsi SPY 10) 79) [{A}] [{B}])"), "SPY 10", "bad-ticker", "ticker"),
    ("bad-ticker", wrap('(asset "S P Y")'), '"S P Y"', "bad-ticker", "not a valid ticker"),
    ("crypto-market", wrap('(asset "CRYPTO::BTC//USD")'), '"CRYPTO', "unsupported-market", "CRYPTO"),
    ("bad-currency", wrap('(asset "EQUITIES::SPY//EUR")'), '"EQUITIES', "bad-ticker", "currency"),
    ("display-not-string", wrap('(asset "SPY" 5)'), "5)", "expected-string", "display name"),
    ("rhs-not-number", wrap(f"(if (> {RSI} :x) [{A}] [{B}])"), ":x", "unknown-parameter", ":x"),
    ("rhs-string", wrap(f'(if (> {RSI} "79") [{A}] [{B}])'), '"79"', "expected-number", "threshold"),
    ("unclosed", wrap(f"(weight-equal [{A}]"), "(defsymphony", "unbalanced", "never closed"),
    ("unclosed-inner", wrap(f"(weight-equal [{A} }}"), "$}", "unbalanced", "mismatched"),
    ("extra-close", wrap(A) + ")", "$)", "unbalanced", "closes nothing"),
    ("unterminated", wrap('(asset "SPY)'), '"SPY', "unterminated-string", "unterminated string"),
    ("bad-escape", wrap(r'(asset "SPY" "a\qb")'), '"a', "bad-escape", r"\q"),
    ("bad-number", wrap('(weight-inverse-volatility 9x0 [(asset "A")])'), "9x0", "bad-token", "'9x0'"),
    ("trailing", wrap(A) + ' (asset "B")', '(asset "B")', "trailing-garbage", "trailing content"),
    ("trailing-symbol", wrap(A) + " oops", "oops", "trailing-garbage", "the symbol oops"),
    ("not-defsymphony", A, "(asset", "expected-defsymphony", "expected (defsymphony"),
    ("name-not-string", f"(defsymphony T {{}} {A})", "T {", "expected-string", "symphony name"),
    ("settings-key", f'(defsymphony "T" {{"a" 1}} {A})', '"a"', "bad-settings", "keywords"),
    ("settings-dup", f'(defsymphony "T" {{:a 1 :a 2}} {A})', ":a 2", "duplicate-key", ":a"),
    ("odd-map", f'(defsymphony "T" {{:a}} {A})', "{:a}", "bad-map", "odd number"),
    ("params-not-map", f'(defsymphony "T" {{:parameters 3}} {A})', "3}", "bad-parameters", "must be a map"),
    ("param-not-number", f'(defsymphony "T" {{:parameters {{:k :x}}}} {A})', ":x", "bad-parameters", ":k"),
    ("param-dup", f'(defsymphony "T" {{:parameters {{:k 1 :k 2}}}} {A})', ":k 2", "duplicate-key", ":k"),
    ("vector-as-node", wrap(f"(if (> {RSI} 79) [{A}] [{B}] [{A}])"), "(if", "arity", "condition"),
    ("empty-list-node", wrap("(weight-equal [()])"), "(weight-equal", "empty-children", "empty child list"),
    ("headless-list", wrap('(weight-equal [("SPY")])'), '("SPY")', "expected-node", "expected a node"),
]


@pytest.mark.parametrize(
    ("text", "at", "code", "fragment"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_mistake_is_located_strategy_error(text: str, at: str, code: str, fragment: str) -> None:
    err = read_error(text)
    assert err.code == code
    assert err.where == where_of(text, at)
    assert fragment in err.message
    assert str(err).startswith(f"{err.where}: ")


def test_empty_file_points_at_its_start() -> None:
    err = read_error("  ; only a comment\n")
    assert (err.code, err.where) == ("empty-file", "t.clj:1:1")
    assert "defsymphony" in err.hint


def test_every_error_has_a_hint_or_says_what_was_expected() -> None:
    for _, text, *_ in CASES:
        err = read_error(text)
        assert err.hint or "expected" in err.message, err


def test_unknown_override_names_the_declared_parameters() -> None:
    text = f'(defsymphony "T" {{:parameters {{:k 1}}}} {A})'
    err = read_error(text, parameters={"kk": 2})
    assert err.code == "unknown-parameter"
    assert "'kk'" in err.message
    assert ":k" in err.message
    assert err.where == where_of(text, "{:k 1}")


def test_override_must_be_finite() -> None:
    text = f'(defsymphony "T" {{:parameters {{:k 1}}}} {A})'
    assert read_error(text, parameters={"k": float("nan")}).code == "bad-parameters"


def test_parameter_must_still_be_a_positive_integer_window_after_substitution() -> None:
    text = wrap(f'(if (> (rsi "SPY" {{:window :w}}) 79) [{A}] [{B}])').replace(
        "{:rebalance-frequency :daily}", "{:parameters {:w 10}}"
    )
    err = read_error(text, parameters={"w": 2.5})
    assert err.code == "bad-window"
    assert "(parameter :w)" in err.message
    assert err.where == where_of(text, ":w})")


def test_deep_nesting_is_a_strategy_error_not_a_recursion_error() -> None:
    depth = 3000
    body = "(weight-equal [" * depth + A + "])" * depth
    err = read_error(f'(defsymphony "Deep" {{}} {body})')
    assert err.code == "too-deep"
