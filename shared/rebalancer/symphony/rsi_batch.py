"""Many RSIs at once: one time loop whose steps are numpy operations across all series.

Wilder's recursion is sequential in time, so a per-series Python loop costs T steps per series; here
the T steps are shared by every series (one multiply, add and divide over a vector of all their
averages per step). Each element goes through exactly the same IEEE operations as the scalar kernel
in indicators.py (TA-Lib's order), so the results are identical, bit for bit.

    >>> import numpy as np
    >>> closes = np.array([[1.0, np.nan], [2.0, 5.0], [1.5, 4.0], [2.5, 4.5]])
    >>> rsi_columns(closes, [2, 1]).round(4).tolist()
    [[nan, nan], [nan, nan], [66.6667, 0.0], [85.7143, 100.0]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rebalancer.symphony.indicators import FloatArray, price_indicator, rsi_from_averages, runs


def rsi_columns(prices: FloatArray, windows: Sequence[int]) -> FloatArray:
    """RSI of each column of `prices` (T x K) with its own window; NaN where undefined.

    Columns whose defined values form one run (the usual case, NaN-leading or not) are batched;
    a column with a gap falls back to the per-series kernel.
    """
    size, count = prices.shape
    out = np.full((size, count), np.nan)
    batch: list[tuple[int, int, int]] = []  # (column, first defined row, window)
    for column, window in enumerate(windows):
        spans = runs(~np.isnan(prices[:, column]))
        if len(spans) == 1 and spans[0][1] == size:
            if size - spans[0][0] > window:
                batch.append((column, spans[0][0], window))
        elif spans:
            out[:, column] = price_indicator("rsi", window, prices[:, column])
    if batch:
        _batched(prices, batch, out)
    return out


def _batched(prices: FloatArray, batch: list[tuple[int, int, int]], out: FloatArray) -> None:
    columns = [c for c, _, _ in batch]
    changes = np.diff(prices[:, columns], axis=0)  # row i is the change into price row i + 1
    steps = np.concatenate([np.maximum(changes, 0.0), np.maximum(-changes, 0.0)], axis=1)
    windows = np.array([w for _, _, w in batch] * 2, dtype=np.float64)
    keep = windows - 1.0
    width = len(batch)
    # Seeds: the mean of the first n changes, summed in order as TA-Lib does.
    seed_rows: dict[int, list[tuple[int, float, float]]] = {}
    for j, (_, start, window) in enumerate(batch):
        gain = loss = 0.0
        for i in range(start, start + window):
            gain += float(steps[i, j])
            loss += float(steps[i, j + width])
        seed_rows.setdefault(start + window, []).append((j, gain / window, loss / window))
    first = min(seed_rows)
    state = np.full(2 * width, np.nan)
    averages = np.full((prices.shape[0], 2 * width), np.nan)
    for row in range(first, prices.shape[0]):
        np.multiply(state, keep, out=state)
        np.add(state, steps[row - 1], out=state)
        np.divide(state, windows, out=state)
        for j, gain, loss in seed_rows.get(row, ()):
            state[j], state[j + width] = gain, loss
        averages[row] = state
    out[:, columns] = rsi_from_averages(averages[:, :width], averages[:, width:])
