"""Many RSIs at once: every series that is one run of prices is aligned to start at row 0, and all of
them go through the same recurrence kernel (indicators.rsi_aligned) in one call.

A series with a gap falls back to the per-run path (price_indicator), which runs the same kernel on
each run, so both paths give the same values.

    >>> import numpy as np
    >>> closes = np.array([[1.0, np.nan], [2.0, 5.0], [1.5, 4.0], [2.5, 4.5]])
    >>> rsi_columns(closes, [2, 1]).round(4).tolist()
    [[nan, nan], [nan, nan], [66.6667, 0.0], [85.7143, 100.0]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rebalancer.symphony.indicators import FloatArray, price_indicator, rsi_aligned


def rsi_columns(prices: FloatArray, windows: Sequence[int]) -> FloatArray:
    """RSI of each column of `prices` (T x K) with its own window; NaN where undefined.

    Columns whose defined values form one run to the last row (the usual case, NaN-leading or not)
    are batched; a column with a gap, or ending early, takes the per-series path.
    """
    size, count = prices.shape
    out = np.full((size, count), np.nan)
    defined = ~np.isnan(prices)
    first = np.argmax(defined, axis=0)
    length = np.count_nonzero(defined, axis=0)
    one_run = (length == size - first) & (length > 0)  # defined from `first` to the last row
    batch: list[tuple[int, int, int]] = []  # (column, first defined row, window)
    for column, window in enumerate(windows):
        if one_run[column]:
            if length[column] > window:
                batch.append((column, int(first[column]), window))
        elif length[column]:
            out[:, column] = price_indicator("rsi", window, prices[:, column])
    if batch:
        _batched(prices, batch, out)
    return out


def _batched(prices: FloatArray, batch: list[tuple[int, int, int]], out: FloatArray) -> None:
    size = prices.shape[0]
    columns = [column for column, _, _ in batch]
    windows = [window for _, _, window in batch]
    if all(start == 0 for _, start, _ in batch):  # every series starts on the first row: no aligning
        out[:, columns] = rsi_aligned(prices[:, columns], windows)
        return
    height = size - min(start for _, start, _ in batch)
    aligned = np.empty((height, len(batch)))
    for j, (column, start, _) in enumerate(batch):
        aligned[: size - start, j] = prices[start:, column]
        aligned[size - start :, j] = np.nan  # trailing padding, cut off below
    values = rsi_aligned(aligned, windows)
    for j, (column, start, _) in enumerate(batch):
        out[start:, column] = values[: size - start, j]
