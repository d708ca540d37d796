"""The backtest's JSON document (schema "rebalancer_research.backtest/1", documented in docs/backtesting.md).

>>> curve = benchmark_curve(history, "SPY", result.dates, result.options.initial_equity)  # doctest: +SKIP
>>> doc = summarize(result, benchmark=curve)  # doctest: +SKIP
>>> doc["portfolio"]["sharpe"], doc["benchmark"]["symbol"]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rebalancer.errors import DataError
from rebalancer.market.history import DateArray, PriceHistory
from rebalancer_research.backtest.metrics import exposure, performance, turnover
from rebalancer_research.backtest.simulate import BacktestResult, forward_filled

SCHEMA = "rebalancer_research.backtest/1"


@dataclass(frozen=True, eq=False)
class BenchmarkCurve:
    """Buy and hold of one symbol over the backtest's sessions, scaled to the initial equity."""

    symbol: str
    dates: DateArray
    equity: npt.NDArray[np.float64]


def benchmark_curve(history: PriceHistory, symbol: str, dates: DateArray, initial: float) -> BenchmarkCurve:
    """The benchmark over `dates` (from its first price when it starts later); no costs."""
    closes = history.close[:, history.index_of(symbol)]
    rows = np.searchsorted(history.dates, dates)
    prices = closes[rows]
    defined = np.flatnonzero(np.isfinite(prices))
    if defined.size == 0:
        raise DataError(
            f"benchmark {symbol} has no price in the backtest's range",
            code="benchmark-no-data",
            hint="pick another --benchmark or widen the range",
        )
    start = int(defined[0])
    filled = forward_filled(prices[start:, None])[:, 0]  # gaps keep the last price
    return BenchmarkCurve(symbol, dates[start:], initial * filled / filled[0])


def portfolio_section(result: BacktestResult) -> dict[str, Any]:
    """Metrics of the simulated portfolio, plus turnover, costs, cash and per-asset exposure."""
    held = result.weights_held
    return {
        **performance(result.dates, result.equity, initial=result.options.initial_equity),
        **turnover(result.traded, result.equity),
        "total_costs": float(result.costs.sum()),
        "trading_sessions": int(result.traded_today.sum()),
        "mean_cash_weight": float(1.0 - held.sum(axis=1).mean()),
        "exposure": exposure(result.symbols, held),
    }


def summarize(
    result: BacktestResult,
    *,
    benchmark: BenchmarkCurve | None = None,
    strategies: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The whole JSON document. `strategies` maps a name to its allocation, file, contribution..."""
    bench: dict[str, Any] | None = None
    if benchmark is not None:
        bench = {"symbol": benchmark.symbol, **performance(benchmark.dates, benchmark.equity)}
    return {
        "schema": SCHEMA,
        "options": result.options.to_dict(),
        "strategies": {name: dict(info) for name, info in (strategies or {}).items()},
        "portfolio": portfolio_section(result),
        "benchmark": bench,
    }
