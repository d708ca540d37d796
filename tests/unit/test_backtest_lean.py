"""The memory-lean paths give exactly the numbers of the plain ones (scale_bench relies on them)."""

from __future__ import annotations

import numpy as np

from rebalancer.market.history import PriceHistory
from rebalancer.strategies import load_strategies, specs_from_arguments
from rebalancer_research.backtest.pipeline import combined_weights, evaluate_all, streamed_weights
from rebalancer_research.backtest.simulate import _divide_by_previous_row_inplace, _forward_fill_inplace
from rebalancer_research.market.synthetic import synthetic_market


def test_streamed_weights_equal_the_combination_of_every_strategys_history():
    strategies = load_strategies(specs_from_arguments([], []))  # the three built-ins at 0.3 / 0.5 / 0.2
    symbols = set().union(*(s.symphony.symbols for s in strategies))
    history = synthetic_market(sorted(symbols), sessions=1500)
    expected = combined_weights(strategies, evaluate_all(strategies, history))
    streamed = streamed_weights(strategies, history)
    assert streamed.symbols == expected.symbols
    np.testing.assert_array_equal(streamed.weights, expected.weights)  # NaN rows included


def test_dividing_by_the_previous_row_in_place_matches_the_plain_division_across_blocks():
    values = np.random.default_rng(3).uniform(10, 20, size=(1300, 4))
    expected = values[1:] / values[:-1]
    result = _divide_by_previous_row_inplace(values.copy(), block=512)
    np.testing.assert_array_equal(result[1:], expected)


def test_forward_fill_in_place_fills_only_gaps_and_keeps_leading_nans():
    values = np.array([[np.nan, 1.0], [2.0, np.nan], [np.nan, 3.0], [4.0, np.nan]])
    filled = _forward_fill_inplace(values)
    assert filled is values
    np.testing.assert_array_equal(filled, [[np.nan, 1.0], [2.0, 1.0], [2.0, 3.0], [4.0, 3.0]])


def test_a_wide_synthetic_market_is_the_same_whatever_symbols_come_with_it():
    alone = synthetic_market(["TQQQ"], sessions=300)
    together = synthetic_market(["QQQ", "TQQQ", "SPY"], sessions=300)
    column = together.symbols.index("TQQQ")
    assert isinstance(alone, PriceHistory)
    np.testing.assert_array_equal(alone.close[:, 0], together.close[:, column])
    np.testing.assert_array_equal(alone.open[:, 0], together.open[:, column])
