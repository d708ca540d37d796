"""The batched RSI (all series through one kernel) equals the per-series path bit for bit, and TA-Lib."""

import numpy as np
import talib

from rebalancer.symphony.indicators import price_indicator
from rebalancer.symphony.rsi_batch import rsi_columns


def _matrix() -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(9)
    prices = 100.0 * np.cumprod(1.0 + rng.normal(0.0, 0.02, (400, 9)), axis=0)
    prices[:37, 1] = np.nan  # starts later
    prices[:395, 2] = np.nan  # too short for its window
    prices[:, 3] = np.nan  # no data at all
    prices[100:104, 4] = np.nan  # a gap: falls back to the per-series kernel
    prices[150:220, 5] = 42.0  # flat stretch: TA-Lib's zero rule
    prices[-3:, 6] = np.nan  # ends early: not batched
    return prices, [14, 10, 10, 5, 10, 3, 2, 70, 1]


def test_batched_rsi_is_identical_to_the_per_series_kernel():
    prices, windows = _matrix()
    batched = rsi_columns(prices, windows)
    for column, window in enumerate(windows):
        single = price_indicator("rsi", window, prices[:, column])
        np.testing.assert_array_equal(batched[:, column], single, err_msg=f"column {column}")


def test_batched_rsi_matches_talib_on_single_run_columns():
    prices, windows = _matrix()
    batched = rsi_columns(prices, windows)
    for column in (0, 1, 5, 7):
        expected = talib.RSI(prices[:, column], timeperiod=windows[column])
        np.testing.assert_allclose(batched[:, column], expected, rtol=1e-9, atol=1e-9, equal_nan=True)
