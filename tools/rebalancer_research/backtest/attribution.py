"""Per-strategy contribution to a combined backtest.

Each session's market profit on a symbol is split among the strategies in proportion to what each
asked of that symbol at the decision the portfolio last traded to (allocation x the strategy's weight).
Contributions are fractions of the initial equity; with the costs line they add up to the total return.

    >>> import numpy as np
    >>> from rebalancer_research.backtest.options import BacktestOptions
    >>> from rebalancer_research.backtest.simulate import simulate
    >>> from rebalancer.market.history import PriceHistory
    >>> from rebalancer.portfolio.combine import combine_histories
    >>> from rebalancer.symphony.weights import WeightHistory
    >>> history = PriceHistory.from_columns(
    ...     ["2024-01-02", "2024-01-03"], {"SPY": [100.0, 110.0], "BIL": [50.0, 50.0]})
    >>> per_strategy = {name: WeightHistory(history.dates, (symbol,), np.ones((2, 1)))
    ...                 for name, symbol in (("spy", "SPY"), ("bil", "BIL"))}
    >>> allocations = {"spy": 0.5, "bil": 0.5}
    >>> combined = combine_histories(per_strategy, allocations)
    >>> result = simulate(combined, history, BacktestOptions(cash_buffer=0.0))
    >>> shares = contributions(result, per_strategy, allocations)
    >>> round(shares["spy"], 6), round(shares["bil"], 6), round(sum(shares.values()), 6)  # total return
    (0.05, 0.0, 0.05)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rebalancer.market.history import FloatMatrix
from rebalancer_research.backtest.simulate import BacktestResult, WeightsLike

COSTS = "costs"
UNATTRIBUTED = "unattributed"


def _requested(
    result: BacktestResult, per_strategy: Mapping[str, WeightsLike], allocations: Mapping[str, float]
) -> dict[str, FloatMatrix]:
    """Per strategy: allocation x weight, per session (by the decision in force) and portfolio symbol."""
    column = {sym: i for i, sym in enumerate(result.symbols)}
    rows = np.maximum(result.decision_row, 0)
    asked: dict[str, FloatMatrix] = {}
    for name, history in per_strategy.items():
        matrix = np.zeros((len(result.dates), len(result.symbols)))
        weights = np.nan_to_num(np.asarray(history.weights)[rows])
        for j, sym in enumerate(history.symbols):
            if sym in column:
                matrix[:, column[sym]] = allocations[name] * weights[:, j]
        matrix[result.decision_row < 0] = 0.0
        asked[name] = matrix
    return asked


def _split(pnl: FloatMatrix, asked: dict[str, FloatMatrix]) -> dict[str, float]:
    total = sum(asked.values(), start=np.zeros_like(pnl))
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = {name: np.where(total > 0, a / total, 0.0) for name, a in asked.items()}
    out = {name: float((pnl * share).sum()) for name, share in shares.items()}
    out[UNATTRIBUTED] = float(np.where(total > 0, 0.0, pnl).sum())
    return out


def contributions(
    result: BacktestResult, per_strategy: Mapping[str, WeightsLike], allocations: Mapping[str, float]
) -> dict[str, float]:
    """Strategy name -> contribution to the total return; plus "costs" and (if any) "unattributed"."""
    asked = _requested(result, per_strategy, allocations)
    holdings_before = np.vstack([np.zeros((1, len(result.symbols))), result.holdings[:-1]])
    # Before the day's trade the previous decision is in force; after it, the day's.
    previous = {name: np.vstack([np.zeros((1, a.shape[1])), a[:-1]]) for name, a in asked.items()}
    before = _split(holdings_before * (result.growth_pre - 1.0), previous)
    after = _split(result.holdings * (1.0 - 1.0 / result.growth_post), asked)
    initial = result.options.initial_equity
    out = {name: (before[name] + after[name]) / initial for name in per_strategy}
    out[COSTS] = -float(result.costs.sum()) / initial
    leftover = (before[UNATTRIBUTED] + after[UNATTRIBUTED]) / initial
    if abs(leftover) > 1e-12:
        out[UNATTRIBUTED] = leftover
    return out
