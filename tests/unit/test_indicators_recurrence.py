"""The blocked linear-recurrence kernel against a plain loop, and RSI/EMA built on it against TA-Lib
over long real series (block boundaries, carries and seeds all exercised)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from rebalancer.symphony.indicators import price_indicator, rsi_aligned
from rebalancer.symphony.recurrence import MAX_GROWTH, block_length, decay_filter
from rebalancer.symphony.rsi_batch import rsi_columns


def _loop(x: np.ndarray, decay: np.ndarray, gain: np.ndarray) -> np.ndarray:
    out = np.empty(x.shape)
    prev = np.zeros(x.shape[1])
    for t in range(len(x)):
        prev = decay * prev + gain * x[t]
        out[t] = prev
    return out


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 700),
    windows=st.lists(st.integers(1, 300), min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
)
def test_blocked_recurrence_equals_the_loop(rows, windows, seed):
    x = np.random.default_rng(seed).exponential(1.0, (rows, len(windows)))
    n = np.array(windows, dtype=np.float64)
    decay, gain = (n - 1) / n, 1 / n
    np.testing.assert_allclose(decay_filter(x, decay, gain), _loop(x, decay, gain), rtol=1e-13)


def test_columns_do_not_affect_each_other():
    x = np.random.default_rng(3).exponential(1.0, (500, 3))
    decay, gain = np.array([0.9, 0.5, 0.99]), np.array([0.1, 0.5, 0.01])
    together = decay_filter(x, decay, gain)
    for column in range(3):
        alone = decay_filter(x[:, [column]], decay[[column]], gain[[column]])
        np.testing.assert_array_equal(together[:, column], alone[:, 0])


def test_block_length_keeps_the_scaling_bounded():
    for decay in (0.5, 0.9, 0.99, 0.999):
        length = block_length(decay)
        assert decay ** -(length - 1) <= MAX_GROWTH
    assert block_length(0.0) == 1
    with pytest.raises(ValueError, match="decay"):
        block_length(1.0)


def _spy() -> np.ndarray:
    value = os.environ.get("REBALANCER_MARKET_DATA")
    path = Path(value) / "SPY.csv" if value else None
    if path is None or not path.exists():
        pytest.skip("REBALANCER_MARKET_DATA is not set or lacks SPY.csv (real-data check skipped)")
    return pd.read_csv(path)["adj_close"].to_numpy(dtype=np.float64)


@pytest.mark.parametrize("n", [2, 9, 10, 14, 200])
def test_rsi_and_ema_match_talib_over_all_of_spy(n):
    spy = _spy()
    assert len(spy) > 8000  # decades: thousands of blocks and carries
    for name, reference in (("rsi", talib.RSI), ("exponential-moving-average-price", talib.EMA)):
        ours = price_indicator(name, n, spy)
        np.testing.assert_allclose(ours, reference(spy, timeperiod=n), rtol=1e-9, atol=1e-9, equal_nan=True)


def test_batched_rsi_of_late_starters_matches_talib_over_spy():
    spy = _spy()
    prices = np.column_stack([spy, spy * 1.0, spy])
    prices[:5000, 1] = np.nan  # a fund starting 5,000 sessions later
    prices[:8000, 2] = np.nan
    batched = rsi_columns(prices, [10, 10, 3])
    for column, window in enumerate((10, 10, 3)):
        expected = talib.RSI(prices[:, column], timeperiod=window)
        np.testing.assert_allclose(batched[:, column], expected, rtol=1e-9, atol=1e-9, equal_nan=True)


def test_trailing_padding_comes_out_undefined():
    prices = np.array([[1.0, 1.0], [2.0, 1.5], [1.5, np.nan], [2.5, np.nan]])
    out = rsi_aligned(prices, [1, 1])
    assert np.isnan(out[2:, 1]).all()
    assert out[1:, 0].tolist() == [100.0, 0.0, 100.0]


def test_subnormal_averages_fall_back_to_talibs_own_rounding():
    # 1,100 flat sessions: the averages (window 2) halve down through the subnormal numbers to 0.
    prices = np.array([[10.0, 10.5, 10.2] + [10.2] * 1100]).T
    np.testing.assert_array_equal(rsi_aligned(prices, [2])[:, 0], talib.RSI(prices[:, 0], timeperiod=2))
