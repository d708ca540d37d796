"""Properties of the vectorized evaluator over random price histories and random small trees."""

from __future__ import annotations

import numpy as np
from evaluator_naive import NaiveEvaluator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rebalancer.market.history import PriceHistory
from rebalancer.symphony.evaluator import evaluate, required_history
from rebalancer.symphony.nodes import (
    INDICATOR_PARAMS,
    Asset,
    Comparison,
    Filter,
    Group,
    If,
    IndicatorRef,
    Metric,
    Node,
    Symphony,
    WeightEqual,
    WeightInverseVolatility,
    WeightSpecified,
)

SYMBOLS = ("AAA", "BBB", "CCC", "DDD")
NAMES = sorted(INDICATOR_PARAMS)
# Thresholds in each indicator's usual range, so both branches get taken.
RANGES = {
    "current-price": (80.0, 120.0),
    "moving-average-price": (80.0, 120.0),
    "exponential-moving-average-price": (80.0, 120.0),
    "rsi": (20.0, 80.0),
    "cumulative-return": (-5.0, 5.0),
    "moving-average-return": (-1.0, 1.0),
    "stdev-return": (0.5, 3.0),
    "stdev-price": (0.5, 3.0),
    "max-drawdown": (0.0, 6.0),
    "percentage-price-oscillator": (-2.0, 2.0),
    "percentage-price-oscillator-signal": (-2.0, 2.0),
    "moving-average-convergence-divergence": (-2.0, 2.0),
    "moving-average-convergence-divergence-signal": (-2.0, 2.0),
    "upper-bollinger": (80.0, 120.0),
    "lower-bollinger": (80.0, 120.0),
}
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def histories(draw: st.DrawFn, sessions: int = 36) -> PriceHistory:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    vol = rng.uniform(0.005, 0.04, len(SYMBOLS))
    closes = 100.0 * np.cumprod(1.0 + rng.normal(0.0, vol, (sessions, len(SYMBOLS))), axis=0)
    late = draw(st.lists(st.integers(0, 8), min_size=len(SYMBOLS), max_size=len(SYMBOLS)))
    for column, start in enumerate(late):
        closes[:start, column] = np.nan  # a fund that starts later
    dates = np.arange(np.datetime64("2020-01-01"), np.datetime64("2020-01-01") + sessions)
    return PriceHistory(dates, SYMBOLS, closes)


@st.composite
def metrics(draw: st.DrawFn) -> Metric:
    name = draw(st.sampled_from(NAMES))
    values = tuple(draw(st.integers(1, 4)) for _ in INDICATOR_PARAMS[name])
    return Metric(name, None if not values else values[0] if len(values) == 1 else values)


@st.composite
def comparisons(draw: st.DrawFn) -> Comparison:
    metric = draw(metrics())
    lhs = IndicatorRef(metric.name, metric.window, draw(st.sampled_from(SYMBOLS)))
    op = draw(st.sampled_from([">", "<", ">=", "<="]))
    if draw(st.booleans()):
        rhs: IndicatorRef | float = IndicatorRef(metric.name, metric.window, draw(st.sampled_from(SYMBOLS)))
    else:
        rhs = draw(st.floats(*RANGES[metric.name]))
    return Comparison(op, lhs, rhs)


def trees(depth: int = 3) -> st.SearchStrategy[Node]:
    assets = st.sampled_from(SYMBOLS).map(Asset)
    if depth == 0:
        return assets
    sub = trees(depth - 1)
    kids = st.lists(sub, min_size=1, max_size=3).map(tuple)
    return st.one_of(
        assets,
        st.builds(If, comparisons(), kids, kids),
        kids.map(WeightEqual),
        st.builds(Group, st.sampled_from(["g-a", "g-b", "g-c"]), kids),
        st.builds(WeightInverseVolatility, st.integers(1, 4), kids),
        st.builds(Filter, metrics(), st.sampled_from(["top", "bottom"]), st.integers(1, 3), kids),
        kids.flatmap(
            lambda c: st.lists(st.floats(0.05, 1.0), min_size=len(c), max_size=len(c)).map(
                lambda w: WeightSpecified(tuple(x / sum(w) for x in w), c)
            )
        ),
    )


def _symphony(root: Node) -> Symphony:
    return Symphony("prop", (), root)


@SETTINGS
@given(histories(), trees())
def test_defined_rows_sum_to_one_and_are_non_negative(history, root):
    wh = evaluate(_symphony(root), history)
    rows = wh.weights[wh.valid]
    assert np.all(np.abs(rows.sum(axis=1) - 1.0) <= 1e-9)
    assert np.all(rows >= 0.0)
    assert np.all(np.isnan(wh.weights[~wh.valid]))


@SETTINGS
@given(histories(), trees(), st.integers(0, 35))
def test_truncating_the_history_does_not_change_a_row(history, root, cut):
    full = evaluate(_symphony(root), history)
    short = evaluate(_symphony(root), history.rows(0, cut + 1))
    np.testing.assert_array_equal(short.weights[cut], full.weights[cut])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(sessions=24), trees())
def test_vectorized_equals_naive_per_day_reference(history, root):
    _assert_matches_naive(history, root)


def _assert_matches_naive(history: PriceHistory, root: Node) -> None:
    symphony = _symphony(root)
    wh = evaluate(symphony, history)
    naive = NaiveEvaluator(history.select(symphony.symbols))
    for t in range(len(history)):
        expected = naive.weights_at(root, t)
        if expected is None:
            assert not wh.valid[t], f"row {t} should be undefined"
            continue
        assert wh.valid[t], f"row {t} should be defined"
        got = {s: w for s, w in zip(wh.symbols, wh.weights[t], strict=True) if w != 0.0}
        expected = {s: w for s, w in expected.items() if w != 0.0}
        assert got.keys() == expected.keys(), f"row {t}"
        for symbol, weight in expected.items():
            assert abs(got[symbol] - weight) <= 1e-9, f"row {t} {symbol}"


@SETTINGS
@given(trees())
def test_required_history_makes_the_last_row_defined(root):
    symphony = _symphony(root)
    need = required_history(symphony)
    rng = np.random.default_rng(need)
    closes = 100.0 * np.cumprod(1.0 + rng.normal(0.0, 0.02, (need, len(SYMBOLS))), axis=0)
    dates = np.arange(np.datetime64("2000-01-03"), np.datetime64("2000-01-03") + need)
    wh = evaluate(symphony, PriceHistory(dates, SYMBOLS, closes))
    assert wh.valid[-1]


@st.composite
def switching_groups(draw: st.DrawFn) -> Node:
    """A filter or inverse-volatility weighting over groups whose holdings switch from day to day."""
    groups = tuple(
        Group(
            f"v{i}",
            (If(draw(comparisons()), (Asset(draw(st.sampled_from(SYMBOLS))),), (draw(trees(1)),)),),
        )
        for i in range(draw(st.integers(2, 4)))
    )
    window = draw(st.integers(1, 4))
    if draw(st.booleans()):
        return WeightInverseVolatility(window, groups)
    metric = draw(metrics())
    return Filter(metric, draw(st.sampled_from(["top", "bottom"])), draw(st.integers(1, 2)), groups)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(sessions=24), switching_groups())
def test_group_metrics_equal_naive_reference(history, root):
    _assert_matches_naive(history, root)
