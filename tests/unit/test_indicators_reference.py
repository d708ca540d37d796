"""Every indicator against a straightforward reference (pandas, plain loops, TA-Lib), real and synthetic."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import talib

from rebalancer.symphony.indicators import (
    daily_returns,
    indicator,
    price_indicator,
    return_indicator,
    runs,
    warmup_sessions,
)

WINDOWS = (1, 2, 10, 200)


def _market_dir() -> Path | None:
    value = os.environ.get("REBALANCER_MARKET_DATA")
    return Path(value) if value and Path(value).is_dir() else None


def _real(symbol: str) -> pd.Series:
    directory = _market_dir()
    if directory is None or not (directory / f"{symbol}.csv").exists():
        pytest.skip("REBALANCER_MARKET_DATA is not set or lacks the CSV (real-data check skipped)")
    frame = pd.read_csv(directory / f"{symbol}.csv", parse_dates=["date"]).set_index("date")
    return frame["adj_close"].astype(float)


def _synthetic(lead: int = 0, n: int = 600, seed: int = 11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    prices = 50.0 * np.cumprod(1.0 + rng.normal(0.0005, 0.02, n))
    prices[:lead] = np.nan
    return prices


def _series_cases() -> list[tuple[str, np.ndarray]]:
    cases = [("synthetic", _synthetic()), ("nan-leading", _synthetic(lead=37))]
    try:
        spy = _real("SPY").loc["2009-06-01":]  # SOXL starts 2010: a NaN-leading case on these dates
        soxl = _real("SOXL").reindex(spy.index)
        cases += [("SPY", spy.to_numpy()), ("SOXL-on-SPY-dates", soxl.to_numpy())]
    except pytest.skip.Exception:
        pass
    return cases


CASES = _series_cases()
IDS = [name for name, _ in CASES]


# -- plain-loop references -------------------------------------------------------------------------


def _loop_rsi(prices: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(prices), np.nan)
    start = int(np.flatnonzero(~np.isnan(prices))[0])
    p = prices[start:]
    if len(p) <= n:
        return out
    d = np.diff(p)
    gain = np.sum(np.maximum(d[:n], 0)) / n
    loss = np.sum(np.maximum(-d[:n], 0)) / n
    out[start + n] = 100 * gain / (gain + loss)
    for i in range(n, len(d)):
        gain = (gain * (n - 1) + max(d[i], 0)) / n
        loss = (loss * (n - 1) + max(-d[i], 0)) / n
        out[start + i + 1] = 100 * gain / (gain + loss)
    return out


def _loop_ema(prices: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(prices), np.nan)
    start = int(np.flatnonzero(~np.isnan(prices))[0])
    p = prices[start:]
    if len(p) < n:
        return out
    value = np.mean(p[:n])
    out[start + n - 1] = value
    alpha = 2 / (n + 1)
    for i in range(n, len(p)):
        value = alpha * p[i] + (1 - alpha) * value
        out[start + i] = value
    return out


def _loop_max_drawdown(prices: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(prices), np.nan)
    for t in range(n - 1, len(prices)):
        window = prices[t - n + 1 : t + 1]
        if np.isnan(window).any():
            continue
        peak, worst = window[0], 0.0
        for x in window:
            peak = max(peak, x)
            worst = max(worst, (peak - x) / peak * 100)
        out[t] = worst
    return out


def _loop_stdev(values: np.ndarray, n: int) -> np.ndarray:
    # Sample standard deviation (n - 1), Composer's definition; 0 for a single value.
    # pandas' rolling std is an online algorithm (errors ~1e-8 on flat stretches); a loop is exact.
    out = np.full(len(values), np.nan)
    for t in range(n - 1, len(values)):
        out[t] = np.std(values[t - n + 1 : t + 1], ddof=1) if n > 1 else 0.0 * values[t]
    return out


def _reference(name: str, n: int, prices: np.ndarray) -> np.ndarray:
    s = pd.Series(prices)
    r = s / s.shift(1) - 1
    if name == "moving-average-price":
        return s.rolling(n).mean().to_numpy()
    if name == "stdev-price":
        return _loop_stdev(prices, n)
    if name == "cumulative-return":
        return ((s / s.shift(n) - 1) * 100).to_numpy()
    if name == "moving-average-return":
        return (r.rolling(n).mean() * 100).to_numpy()
    return _loop_stdev(r.to_numpy(), n) * 100


def _close(actual: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-9, equal_nan=True)


# -- tests -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "prices"), CASES, ids=IDS)
@pytest.mark.parametrize("n", [2, 3, 10, 14, 20, 70])
def test_rsi_matches_talib_and_a_plain_loop(name, prices, n):
    ours = price_indicator("rsi", n, prices)
    _close(ours, talib.RSI(prices, timeperiod=n))
    _close(ours, _loop_rsi(prices, n))


@pytest.mark.parametrize(("name", "prices"), CASES, ids=IDS)
@pytest.mark.parametrize("n", [2, 5, 20, 200])
def test_ema_is_sma_seeded_and_matches_talib(name, prices, n):
    ours = price_indicator("exponential-moving-average-price", n, prices)
    _close(ours, talib.EMA(prices, timeperiod=n))
    _close(ours, _loop_ema(prices, n))


@pytest.mark.parametrize(("name", "prices"), CASES, ids=IDS)
@pytest.mark.parametrize(
    "indicator_name",
    ["moving-average-price", "stdev-price", "cumulative-return", "moving-average-return", "stdev-return"],
)
@pytest.mark.parametrize("n", WINDOWS)
def test_rolling_indicators_match_reference(name, prices, indicator_name, n):
    ours = indicator(indicator_name, n, prices, daily_returns(prices))
    _close(ours, _reference(indicator_name, n, prices))


@pytest.mark.parametrize(("name", "prices"), CASES, ids=IDS)
@pytest.mark.parametrize("n", [1, 5, 60])
def test_max_drawdown_matches_a_plain_loop(name, prices, n):
    _close(price_indicator("max-drawdown", n, prices), _loop_max_drawdown(prices, n))


def test_max_drawdown_peak_must_be_inside_the_window():
    prices = np.array([200.0, 100.0, 90.0, 99.0, 95.0])
    # Window of 3 ending at 95: [90, 99, 95] -> peak 99 -> 4.04%, not the 200 peak outside the window.
    assert price_indicator("max-drawdown", 3, prices)[-1] == pytest.approx((99 - 95) / 99 * 100)


def test_current_price_is_the_close_and_a_copy():
    prices = np.array([1.0, 2.0])
    out = price_indicator("current-price", None, prices)
    out[0] = 9.0
    assert prices.tolist() == [1.0, 2.0]


def test_cumulative_return_is_in_percent_over_n_sessions():
    prices = np.array([100.0, 105.0, 110.0, 121.0])
    assert price_indicator("cumulative-return", 2, prices)[2:] == pytest.approx([10.0, 15.238095238])


def test_stdev_return_is_the_sample_standard_deviation_in_percent():
    # Composer divides by n - 1 (docs/strategy-language.md, "Standard deviation").
    prices = np.array([100.0, 101.0, 99.99, 101.9898])
    returns = [0.01, -0.01, 0.02]
    assert return_indicator("stdev-return", 3, daily_returns(prices))[-1] == pytest.approx(
        np.std(returns, ddof=1) * 100, rel=1e-9
    )


@pytest.mark.parametrize(("name", "prices"), CASES, ids=IDS)
@pytest.mark.parametrize("n", [2, 5, 20, 90])
def test_stdev_indicators_match_talib_stddev_rescaled_to_the_sample_definition(name, prices, n):
    # TA-Lib's STDDEV divides by n; sample = population * sqrt(n / (n - 1)).
    scale = np.sqrt(n / (n - 1))
    returns = daily_returns(prices)
    lead = int(np.flatnonzero(~np.isnan(returns))[0])
    expected_r = np.full(len(prices), np.nan)
    expected_r[lead:] = talib.STDDEV(returns[lead:], timeperiod=n, nbdev=1.0) * scale * 100
    ours_r = return_indicator("stdev-return", n, returns)
    np.testing.assert_allclose(ours_r, expected_r, rtol=1e-6, atol=1e-9, equal_nan=True)
    start = int(np.flatnonzero(~np.isnan(prices))[0])
    expected_p = np.full(len(prices), np.nan)
    expected_p[start:] = talib.STDDEV(prices[start:], timeperiod=n, nbdev=1.0) * scale
    ours_p = price_indicator("stdev-price", n, prices)
    np.testing.assert_allclose(ours_p, expected_p, rtol=1e-6, atol=1e-7, equal_nan=True)


def test_rsi_of_a_flat_series_is_zero_like_talib():
    prices = np.full(30, 10.0)
    np.testing.assert_array_equal(price_indicator("rsi", 10, prices), talib.RSI(prices, timeperiod=10))


def test_rsi_keeps_its_ratio_through_a_long_flat_stretch_like_talib():
    # Averages decay towards 0 while the price is flat; TA-Lib keeps gain/(gain+loss) until both are 0.
    prices = np.array([10.0, 10.5, 10.2] + [10.2] * 1100)
    ours = price_indicator("rsi", 2, prices)
    np.testing.assert_allclose(ours, talib.RSI(prices, timeperiod=2), rtol=1e-9, atol=1e-9, equal_nan=True)
    assert ours[60] == pytest.approx(62.5)
    assert ours[-1] == 0.0


def test_a_gap_restarts_the_warm_up():
    prices = np.array([1.0, 2.0, 3.0, np.nan, 4.0, 5.0, 6.0])
    assert runs(~np.isnan(prices)) == [(0, 3), (4, 7)]
    sma = price_indicator("moving-average-price", 2, prices)
    np.testing.assert_array_equal(sma, [np.nan, 1.5, 2.5, np.nan, np.nan, 4.5, 5.5])


def test_no_look_ahead_truncation_keeps_every_value():
    prices = _synthetic(lead=5, n=300)
    for name in ("rsi", "exponential-moving-average-price", "max-drawdown", "stdev-return"):
        full = indicator(name, 14, prices, daily_returns(prices))
        short = indicator(name, 14, prices[:150], daily_returns(prices[:150]))
        np.testing.assert_array_equal(full[:150], short)


def test_window_must_be_positive():
    with pytest.raises(ValueError, match="positive window"):
        price_indicator("rsi", 0, np.ones(5))


def test_warmup_sessions_cover_rsi_convergence():
    assert warmup_sessions("rsi", 10) == 100
    assert warmup_sessions("moving-average-price", 200) == 200
    assert warmup_sessions("cumulative-return", 60) == 61
    assert warmup_sessions("current-price", None) == 1
