"""PPO, MACD (and their signals) and Bollinger bands against TA-Lib and plain loops, real and synthetic."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import talib

from rebalancer.symphony.indicators import price_indicator, warmup_sessions


def _synthetic(lead: int = 0, n: int = 500, seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    prices = 40.0 * np.cumprod(1.0 + rng.normal(0.0004, 0.025, n))
    prices[:lead] = np.nan
    return prices


def _cases() -> list[tuple[str, np.ndarray]]:
    cases = [("synthetic", _synthetic()), ("nan-leading", _synthetic(lead=31))]
    value = os.environ.get("REBALANCER_MARKET_DATA")
    path = Path(value) / "SOXL.csv" if value else None
    if path is not None and path.exists():
        closes = pd.read_csv(path)["adj_close"].astype(float).to_numpy()
        cases.append(("SOXL", closes[-1500:]))
    return cases


CASES = _cases()
IDS = [name for name, _ in CASES]


def _start(prices: np.ndarray) -> int:
    return int(np.flatnonzero(~np.isnan(prices))[0])


def _loop_ema(values: np.ndarray, n: int) -> np.ndarray:
    """EMA from the first defined value: the mean of the first n, then prev + 2/(n+1) * (x - prev)."""
    out = np.full(len(values), np.nan)
    start = _start(values)
    v = values[start:]
    if len(v) < n:
        return out
    value = float(np.mean(v[:n]))
    out[start + n - 1] = value
    for i in range(n, len(v)):
        value += 2.0 / (n + 1) * (v[i] - value)
        out[start + i] = value
    return out


def _on_defined(fn, prices: np.ndarray, *args: object) -> np.ndarray:  # type: ignore[no-untyped-def]
    out = np.full(len(prices), np.nan)
    start = _start(prices)
    out[start:] = fn(prices[start:], *args)
    return out


def _same(actual: np.ndarray, expected: np.ndarray, tol: float = 1e-9) -> None:
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize(("name", "prices"), CASES, ids=IDS)
@pytest.mark.parametrize(("short", "long"), [(12, 26), (3, 10), (5, 5)])
def test_ppo_equals_talib_ppo_with_emas(name, prices, short, long):
    ours = price_indicator("percentage-price-oscillator", (short, long), prices)
    expected = _on_defined(lambda p: talib.PPO(p, fastperiod=short, slowperiod=long, matype=1), prices)
    if short == long:
        expected = np.where(np.isnan(expected), expected, 0.0)
    _same(ours, expected)


@pytest.mark.parametrize(("name", "prices"), CASES, ids=IDS)
@pytest.mark.parametrize(("short", "long", "smooth"), [(12, 26, 9), (4, 9, 3)])
def test_macd_and_signals_match_plain_ema_loops(name, prices, short, long, smooth):
    macd = _loop_ema(prices, short) - _loop_ema(prices, long)
    _same(price_indicator("moving-average-convergence-divergence", (short, long), prices), macd)
    _same(
        price_indicator("moving-average-convergence-divergence-signal", (short, long, smooth), prices),
        _loop_ema(macd, smooth),
    )
    ppo = macd / _loop_ema(prices, long) * 100.0
    _same(
        price_indicator("percentage-price-oscillator-signal", (short, long, smooth), prices),
        _loop_ema(ppo, smooth),
    )


@pytest.mark.parametrize(("name", "prices"), CASES, ids=IDS)
@pytest.mark.parametrize("n", [2, 20, 50])
def test_bollinger_bands_equal_talib_bbands_with_the_sample_deviation(name, prices, n):
    # TA-Lib's BBANDS uses the population deviation; Composer's standard deviations are sample ones.
    upper, middle, lower = (
        _on_defined(lambda p, k=k: talib.BBANDS(p, timeperiod=n, nbdevup=2, nbdevdn=2, matype=0)[k], prices)
        for k in range(3)
    )
    scale = np.sqrt(n / (n - 1))
    _same(price_indicator("upper-bollinger", n, prices), middle + (upper - middle) * scale, 1e-7)
    _same(price_indicator("lower-bollinger", n, prices), middle - (middle - lower) * scale, 1e-7)


def test_oscillator_warmup_covers_both_emas_and_the_signal():
    assert warmup_sessions("percentage-price-oscillator", (12, 26)) == 260
    assert warmup_sessions("moving-average-convergence-divergence-signal", (12, 26, 9)) == 350
    assert warmup_sessions("upper-bollinger", 20) == 20
