"""Exact indicators over whole series at once (vectorized; RSI/EMA as blocked linear recurrences).

Every function takes one series (prices, or daily returns for the return-based ones) and returns an
array of the same length whose value at t uses data up to and including t only. A value without enough
history is NaN. NaN gaps in the input split the series into runs of consecutive defined values; each run
is computed on its own (a fund that starts later simply has a NaN-leading run; a gap restarts warm-up).

    >>> import numpy as np
    >>> closes = np.array([np.nan, 10.0, 11.0, 12.1])
    >>> price_indicator("cumulative-return", 2, closes).round(6).tolist()
    [nan, nan, nan, 21.0]
    >>> price_indicator("moving-average-price", 2, closes).tolist()
    [nan, nan, 10.5, 11.55]

Definitions (windows count sessions):
- current-price: close_t. moving-average-price(n): mean of the last n closes.
- exponential-moving-average-price(n): alpha = 2/(n+1), seeded with the mean of the first n closes
  (TA-Lib's EMA).
- rsi(n): Wilder's RSI exactly as TA-Lib computes it: averages seeded with the mean of the first n changes,
  then avg = (prev*(n-1) + x)/n; RSI = 100*(gain/(gain+loss)), and 0 where gain+loss is exactly 0
  (a flat series; TA-Lib does the same, and keeps the ratio however small the averages become).
- cumulative-return(n): (close_t/close_{t-n} - 1)*100.
- moving-average-return(n): mean of the last n daily returns, in percent.
- stdev-return(n): sample standard deviation (divide by n-1) of the last n daily returns, in percent
  (0 for n = 1). Composer's definition: docs/strategy-language.md, "Standard deviation".
- stdev-price(n): sample standard deviation of the last n closes (0 for n = 1).
- max-drawdown(n): largest (peak - close)/peak*100 over the last n closes, the peak inside the window.
- percentage-price-oscillator(s, l): (EMA_s - EMA_l) / EMA_l * 100 (EMAs as above);
  percentage-price-oscillator-signal(s, l, k): the EMA(k) of that PPO series (seeded once k values exist).
- moving-average-convergence-divergence(s, l): EMA_s - EMA_l; ...-signal(s, l, k): its EMA(k).
- upper-bollinger(n) / lower-bollinger(n): SMA_n +/- 2 * stdev-price(n) (the sample stdev above).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from rebalancer.symphony.recurrence import decay_filter

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Indicators computed from daily returns rather than prices (for a group: its stream rather than its NAV).
RETURN_BASED: frozenset[str] = frozenset({"moving-average-return", "stdev-return"})

# A kernel over one run of defined values; its window is an int, or a tuple for multi-window indicators.
RunFunction = Callable[[FloatArray, Any], FloatArray]
WindowArg = int | tuple[int, ...]
# Bollinger bands sit this many (sample) standard deviations from the moving average.
BOLLINGER_WIDTH = 2.0


def runs(defined: BoolArray) -> list[tuple[int, int]]:
    """(start, stop) of each run of consecutive True values."""
    if defined.size == 0:
        return []
    edges = np.diff(np.concatenate(([False], defined, [False])).astype(np.int8))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def _per_run(values: FloatArray, window: WindowArg, fn: RunFunction) -> FloatArray:
    out = np.full(values.shape, np.nan)
    for start, stop in runs(~np.isnan(values)):
        out[start:stop] = fn(values[start:stop], window)
    return out


def daily_returns(prices: FloatArray) -> FloatArray:
    """close_t / close_{t-1} - 1; NaN on the first row and wherever either close is NaN."""
    out = np.full(prices.shape, np.nan)
    if prices.size > 1:
        out[1:] = prices[1:] / prices[:-1] - 1.0
    return out


# -- per-run kernels (input has no NaN) ----------------------------------------------------------


def _rolling(values: FloatArray, window: int, reduce: Callable[[FloatArray], FloatArray]) -> FloatArray:
    out = np.full(values.shape, np.nan)
    if values.size >= window:
        out[window - 1 :] = reduce(sliding_window_view(values, window))
    return out


def _mean(values: FloatArray, window: int) -> FloatArray:
    return _rolling(values, window, lambda w: w.mean(axis=1))


def _stdev(values: FloatArray, window: int) -> FloatArray:
    """Sample standard deviation (divide by n - 1), as Composer computes it; 0 for a 1-value window."""
    if window == 1:
        return _rolling(values, window, lambda w: np.zeros(w.shape[0]))
    return _rolling(values, window, lambda w: w.std(axis=1, ddof=1))


def _max_drawdown(values: FloatArray, window: int) -> FloatArray:
    def reduce(w: FloatArray) -> FloatArray:
        peaks = np.maximum.accumulate(w, axis=1)
        result: FloatArray = ((peaks - w) / peaks).max(axis=1) * 100.0
        return result

    return _rolling(values, window, reduce)


def _cumulative_return(values: FloatArray, window: int) -> FloatArray:
    out = np.full(values.shape, np.nan)
    if values.size > window:
        out[window:] = (values[window:] / values[:-window] - 1.0) * 100.0
    return out


def _ema(values: FloatArray, window: int) -> FloatArray:
    """TA-Lib's EMA: the SMA of the first n values, then prev + alpha*(x - prev), as one linear
    recurrence (recurrence.py; equal to the step-by-step loop within a few ulps)."""
    out = np.full(values.shape, np.nan)
    if values.size < window:
        return out
    alpha = 2.0 / (window + 1)
    x = values[window - 1 :].copy()
    x[0] = float(values[:window].mean()) / alpha  # the seed, injected so that y starts at it
    out[window - 1 :] = decay_filter(x[:, None], np.array([1.0 - alpha]), np.array([alpha]))[:, 0]
    return out


def _rsi(values: FloatArray, window: int) -> FloatArray:
    return rsi_aligned(values[:, None], [window])[:, 0]


def _rsi_stepwise(values: FloatArray, window: int) -> FloatArray:
    """Wilder's RSI step by step with TA-Lib's exact order of operations: prev *= n-1; prev += change
    (gains) or -= change (losses); prev /= n. Adding the clipped change (0.0 on the other side) gives
    the same floating-point results. Used where the averages decay into subnormal numbers (thousands
    of flat sessions), where only TA-Lib's own rounding reproduces its ratio."""
    out = np.full(values.shape, np.nan)
    changes = np.diff(values)
    gains = np.maximum(changes, 0.0).tolist()
    losses = np.maximum(-changes, 0.0).tolist()
    gain = loss = 0.0
    for i in range(window):
        gain += gains[i]
        loss += losses[i]
    gain /= window
    loss /= window
    keep = float(window - 1)
    avg_gain, avg_loss = [gain], [loss]
    for g, lo in zip(gains[window:], losses[window:], strict=True):
        gain = (gain * keep + g) / window
        loss = (loss * keep + lo) / window
        avg_gain.append(gain)
        avg_loss.append(loss)
    out[window:] = rsi_from_averages(np.array(avg_gain), np.array(avg_loss))
    return out


def rsi_aligned(prices: FloatArray, windows: Sequence[int]) -> FloatArray:
    """Wilder's RSI down each column of `prices` (T x K; every column's run starts at row 0 and has no
    NaN, except as trailing padding, whose rows come out NaN).

    Averages are seeded with the mean of the first n changes (summed in order, as TA-Lib does), then
    avg = (prev*(n-1) + x)/n, solved as a linear recurrence over all columns at once
    (recurrence.py); the result equals TA-Lib's within a few ulps of the averages. A column whose
    averages become subnormal is redone step by step (_rsi_stepwise).
    """
    size, count = prices.shape
    out = np.full((size, count), np.nan)
    if size < 2:
        return out
    n = np.array(list(windows) * 2, dtype=np.int64)
    changes = prices[1:] - prices[:-1]  # row i is the change into price row i + 1
    steps = np.empty((size - 1, 2 * count))
    np.maximum(changes, 0.0, out=steps[:, :count])
    np.maximum(-changes, 0.0, out=steps[:, count:])
    seed_rows = np.minimum(n, size - 1) - 1
    every = np.arange(2 * count)
    seeds = np.cumsum(steps[: int(seed_rows.max()) + 1], axis=0)[seed_rows, every]
    for seed_row in set(seed_rows.tolist()):
        steps[:seed_row, seed_rows == seed_row] = 0.0  # warming up: y = 0 until the seed
    steps[seed_rows, every] = seeds  # y = seed/n there, then the recursion
    averages = decay_filter(steps, (n - 1) / n, 1.0 / n)
    rsi = out[1:]
    rsi_from_averages(averages[:, :count], averages[:, count:], out=rsi)
    for column, seed_row in enumerate(seed_rows[:count].tolist()):
        rsi[:seed_row, column] = np.nan
    rsi[:, n[:count] > size - 1] = np.nan  # not enough changes for the seed
    tiny = np.finfo(np.float64).tiny
    # Any average in (0, tiny): more values below tiny than exact zeros (NaN padding counts in neither).
    if np.count_nonzero(averages < tiny) > np.count_nonzero(averages == 0.0):
        _redo_subnormal(prices, windows, averages, out)
    return out


def _redo_subnormal(
    prices: FloatArray, windows: Sequence[int], averages: FloatArray, out: FloatArray
) -> None:
    count = prices.shape[1]
    tiny = np.finfo(np.float64).tiny
    subnormal: BoolArray = np.asarray(((averages > 0.0) & (averages < tiny)).any(axis=0))
    for column in np.flatnonzero(subnormal[:count] | subnormal[count:]).tolist():
        run = prices[:, column]
        defined = int(np.count_nonzero(~np.isnan(run)))
        out[:, column] = np.nan
        if defined > windows[column]:
            out[:defined, column] = _rsi_stepwise(run[:defined], windows[column])


def rsi_from_averages(gain: FloatArray, loss: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """100*(gain/(gain+loss)) as TA-Lib computes it; 0 where gain+loss is exactly 0."""
    total = gain + loss
    with np.errstate(divide="ignore", invalid="ignore"):
        result: FloatArray = np.divide(gain, total, out=out)
    result *= 100.0
    result[total == 0.0] = 0.0
    return result


def _ema_gap(values: FloatArray, windows: tuple[int, int]) -> FloatArray:
    return _ema(values, windows[0]) - _ema(values, windows[1])


def _ppo(values: FloatArray, windows: tuple[int, int]) -> FloatArray:
    result: FloatArray = _ema_gap(values, windows) / _ema(values, windows[1]) * 100.0
    return result


def _smoothed(kernel: Callable[[FloatArray, tuple[int, int]], FloatArray]) -> RunFunction:
    """The EMA(k) of an oscillator, started where the oscillator is first defined."""

    def run(values: FloatArray, windows: tuple[int, int, int]) -> FloatArray:
        return _per_run(kernel(values, (windows[0], windows[1])), windows[2], _ema)

    return run


def _bollinger(sign: float) -> RunFunction:
    def run(values: FloatArray, window: int) -> FloatArray:
        result: FloatArray = _mean(values, window) + sign * BOLLINGER_WIDTH * _stdev(values, window)
        return result

    return run


_PRICE_KERNELS: dict[str, RunFunction] = {
    "moving-average-price": _mean,
    "exponential-moving-average-price": _ema,
    "rsi": _rsi,
    "cumulative-return": _cumulative_return,
    "stdev-price": _stdev,
    "max-drawdown": _max_drawdown,
    "percentage-price-oscillator": _ppo,
    "percentage-price-oscillator-signal": _smoothed(_ppo),
    "moving-average-convergence-divergence": _ema_gap,
    "moving-average-convergence-divergence-signal": _smoothed(_ema_gap),
    "upper-bollinger": _bollinger(1.0),
    "lower-bollinger": _bollinger(-1.0),
}


def _percent_mean(values: FloatArray, window: int) -> FloatArray:
    return _mean(values, window) * 100.0


def _percent_stdev(values: FloatArray, window: int) -> FloatArray:
    return _stdev(values, window) * 100.0


_RETURN_KERNELS: dict[str, RunFunction] = {
    "moving-average-return": _percent_mean,
    "stdev-return": _percent_stdev,
}


# -- public entry points ------------------------------------------------------------------------


def price_indicator(name: str, window: WindowArg | None, prices: FloatArray) -> FloatArray:
    """A price-based indicator over a whole price series (NaN where undefined)."""
    if name == "current-price":
        return np.array(prices, dtype=np.float64, copy=True)
    return _per_run(prices, _window(name, window), _PRICE_KERNELS[name])


def return_indicator(name: str, window: WindowArg | None, returns: FloatArray) -> FloatArray:
    """A return-based indicator (moving-average-return, stdev-return) over daily returns."""
    return _per_run(returns, _window(name, window), _RETURN_KERNELS[name])


def indicator(name: str, window: WindowArg | None, prices: FloatArray, returns: FloatArray) -> FloatArray:
    """Dispatch on the indicator's kind: return-based ones read `returns`, the rest read `prices`."""
    if name in RETURN_BASED:
        return return_indicator(name, window, returns)
    return price_indicator(name, window, prices)


def _window(name: str, window: WindowArg | None) -> WindowArg:
    windows = (window,) if isinstance(window, int) else window
    if not windows or any(w < 1 for w in windows):
        raise ValueError(f"{name} needs positive windows, got {window}")
    assert window is not None
    return window


def warmup_sessions(name: str, window: WindowArg | None) -> int:
    """Sessions of a series needed before the indicator is defined (and, for RSI/EMA, converged).

    Recursive indicators (RSI, EMA) depend on where the series starts; 10*n sessions make that
    dependence negligible, as DESIGN.md asks for RSI.
    """
    if name == "current-price":
        return 1
    checked = _window(name, window)
    if isinstance(checked, tuple):  # oscillators: the long EMA converged, then the signal EMA
        return 10 * checked[1] + (10 * checked[2] if len(checked) > 2 else 0)
    n = checked
    if name in ("rsi", "exponential-moving-average-price"):
        return max(10 * n, n + 1)
    if name in ("cumulative-return", "moving-average-return", "stdev-return"):
        return n + 1
    return n
