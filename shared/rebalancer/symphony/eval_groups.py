"""Filters and sub-tree series: per-row ranking, a sub-tree's simulated return stream, and its NAV.

A non-asset child (a group or any sub-tree) is ranked by a metric of its own simulated history: its
weights decided at day t-1's close, held over day t, applied to close-to-close returns,
r_g[t] = sum_i w_g,i[t-1] * r_i[t]. Price-based metrics read its NAV: 1 on the first day the sub-tree is
defined, compounded by the stream (restarting at 1 after a stretch where it was undefined).

Ties in a ranking are broken by name in ascending ordinal string order (an asset's ticker, a group's
name, else `kind[index]`), then by position in the list; the same rule holds for top and bottom.

    >>> import numpy as np
    >>> metrics = np.array([[1.0, 3.0, 3.0]])
    >>> present = np.ones((1, 3), dtype=bool)
    >>> selected, defined = rank_select(metrics, present, ("C", "B", "A"), 1, top=True)
    >>> selected.tolist(), row_order(metrics[0], present[0], ("C", "B", "A"), top=True)
    ([[False, False, True]], [2, 1, 0])
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np

from rebalancer.symphony.eval_types import Alloc, BoolArray, FloatArray
from rebalancer.symphony.indicators import runs


def tie_ranks(names: Sequence[str]) -> FloatArray:
    """Position of each name in the tie order: by name, then by list position."""
    order = sorted(range(len(names)), key=lambda i: (names[i], i))
    ranks = np.empty(len(names), dtype=np.float64)
    ranks[order] = np.arange(len(names))
    return ranks


def _sort_keys(metrics: FloatArray, present: BoolArray, top: bool) -> FloatArray:
    """Smaller is better; absent candidates are NaN (sorted last; a present NaN leaves the row undefined)."""
    return np.where(present, -metrics if top else metrics, np.nan)


def rank_select(
    metrics: FloatArray, present: BoolArray, names: Sequence[str], count: int, *, top: bool
) -> tuple[BoolArray, BoolArray]:
    """Per row, select the `count` present candidates with the highest (top) or lowest metric.

    Returns (selected T x C, defined T); a row is undefined when a present candidate's metric is NaN or
    nothing is present. When fewer than `count` are present, all present ones are selected.

    No full sort: the k-th best key of each row (np.partition) splits the candidates into those strictly
    better (all selected) and those equal to it, which are taken in tie order until k are selected.
    """
    rows, cols = metrics.shape
    by_name = np.argsort(tie_ranks(names), kind="stable")
    key = _sort_keys(metrics, present, top)[:, by_name]  # columns in tie order
    kth = min(count, cols) - 1
    threshold = np.partition(key, kth, axis=1)[:, kth : kth + 1]
    with np.errstate(invalid="ignore"):
        better = key < threshold
        tied = key == threshold
    room = count - better.sum(axis=1, keepdims=True)
    chosen = better | (tied & (np.cumsum(tied, axis=1) <= room))
    # Fewer than k defined keys: every present candidate (the row is undefined if one has a NaN metric).
    chosen = np.where(np.isnan(threshold), present[:, by_name], chosen)
    selected = np.empty((rows, cols), dtype=bool)
    selected[:, by_name] = chosen
    selected &= present
    unranked = np.asarray((present & np.isnan(metrics)).any(axis=1), dtype=bool)
    return selected, ~unranked & np.asarray(present.any(axis=1), dtype=bool)


def row_order(metrics: FloatArray, present: BoolArray, names: Sequence[str], *, top: bool) -> list[int]:
    """The candidates of one row, best first (the order rank_select selects in): by metric, then tie
    order; absent ones last."""
    key = _sort_keys(metrics[None, :], present[None, :], top)[0].tolist()
    ties = tie_ranks(names).tolist()

    def position(i: int) -> tuple[bool, float, float]:
        absent = math.isnan(key[i])
        return absent, 0.0 if absent else key[i], ties[i]

    return sorted(range(len(names)), key=position)


def simulated_returns(alloc: Alloc, asset_returns: Callable[[str], FloatArray]) -> FloatArray:
    """r[t] = sum_i w_i[t-1] * r_i[t]; NaN where w[t-1] is undefined or a held asset has no return."""
    size = len(alloc.defined)
    out = np.full(size, np.nan)
    if size < 2:
        return out
    total = np.zeros(size - 1)
    usable = alloc.defined[:-1].copy()
    for symbol in sorted(alloc.weights):
        previous = alloc.weights[symbol][:-1]
        returns = asset_returns(symbol)[1:]
        held = previous != 0.0
        usable &= ~held | ~np.isnan(returns)
        total += np.where(held, previous * returns, 0.0)
    out[1:] = np.where(usable, total, np.nan)
    return out


def nav_from_returns(stream: FloatArray, defined: BoolArray) -> FloatArray:
    """NAV: 1 where a stretch of definedness begins, compounded by the stream while it is defined."""
    has_return = ~np.isnan(stream)
    out = np.full(len(stream), np.nan)
    for start, stop in runs(defined | has_return):
        breaks = [*(start + np.flatnonzero(~has_return[start:stop])).tolist(), stop]
        for a, b in itertools.pairwise(breaks):
            out[a] = 1.0
            out[a + 1 : b] = np.cumprod(1.0 + stream[a + 1 : b])
    return out
