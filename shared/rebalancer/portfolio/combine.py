"""Combine strategies: the portfolio target is the allocation-weighted sum of the strategies' weights.

Allocations follow rebalancer.strategies.normalize_allocations (ConfigError otherwise; a zero is
dropped); each strategy's weights must be non-negative and sum to 1 within 1e-9 (DataError otherwise).
Combined rows sum to 1.

    >>> combine_weights({"a": {"SPY": 1.0}, "b": {"SPY": 0.5, "BIL": 0.5}}, {"a": 0.5, "b": 0.5})
    {'BIL': 0.25, 'SPY': 0.75}
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from rebalancer.errors import ConfigError, DataError
from rebalancer.strategies.allocations import normalize_allocations
from rebalancer.symphony.weights import WEIGHT_TOLERANCE, WeightHistory


def check_allocations(allocations: Mapping[str, float], strategies: Mapping[str, object]) -> dict[str, float]:
    """The allocations as fractions (rebalancer.strategies' rules); zero allocations are dropped."""
    unknown = sorted(set(allocations) - set(strategies))
    if unknown:
        raise ConfigError(
            f"allocations name strategies that were not evaluated: {', '.join(unknown)}",
            code="allocation-unknown-strategy",
            hint="allocate only to enabled strategies",
            where="allocations",
        )
    unallocated = sorted(set(strategies) - set(allocations))
    if unallocated:
        raise ConfigError(
            f"strategies without an allocation: {', '.join(unallocated)}",
            code="allocation-missing",
            hint="give every strategy an allocation (0 to disable it)",
            where="allocations",
        )
    active = {name: value for name, value in allocations.items() if value != 0}
    return normalize_allocations(active, list(active), where="allocations")


def _check_row(name: str, weights: Mapping[str, float]) -> None:
    total = math.fsum(weights.values())
    if abs(total - 1.0) > WEIGHT_TOLERANCE or any(not (w >= 0) for w in weights.values()):
        raise DataError(
            f"weights of strategy {name} sum to {total!r} or contain a negative value",
            code="weights-invalid",
            hint="a strategy's weights must be non-negative and sum to 1",
        )


def combine_weights(
    per_strategy: Mapping[str, Mapping[str, float]], allocations: Mapping[str, float]
) -> dict[str, float]:
    """Allocation-weighted sum of per-strategy target weights (symbols sorted, zeros omitted)."""
    shares = check_allocations(allocations, per_strategy)
    combined: dict[str, float] = {}
    for name, share in shares.items():
        _check_row(name, per_strategy[name])
        for symbol, weight in per_strategy[name].items():
            combined[symbol] = combined.get(symbol, 0.0) + share * weight
    return {symbol: combined[symbol] for symbol in sorted(combined) if combined[symbol] != 0.0}


def combine_histories(
    per_strategy: Mapping[str, WeightHistory], allocations: Mapping[str, float]
) -> WeightHistory:
    """Allocation-weighted sum of weight histories over the same dates.

    A combined row is defined only where every allocated strategy's row is defined.
    """
    shares = check_allocations(allocations, per_strategy)  # not empty: the allocations sum to 1
    histories = [per_strategy[name] for name in shares]
    dates = histories[0].dates
    if any(not np.array_equal(h.dates, dates) for h in histories):
        raise DataError(
            "strategies were evaluated over different dates",
            code="weights-dates-differ",
            hint="evaluate every strategy on the same price history",
        )
    symbols = tuple(sorted({s for h in histories for s in h.symbols}))
    column = {s: i for i, s in enumerate(symbols)}
    combined = np.zeros((len(dates), len(symbols)))
    for share, history in zip(shares.values(), histories, strict=True):
        idx = [column[s] for s in history.symbols]
        combined[:, idx] += share * history.weights
    return WeightHistory(dates, symbols, combined)
