"""A whole backtest: evaluate every strategy once (vectorized), combine, simulate, summarize, write outputs.

>>> from rebalancer.strategies import load_strategies, specs_from_arguments
>>> from rebalancer_research.market.select import market_for
>>> strategies = load_strategies(specs_from_arguments([], []))               # the three built-ins
>>> history, _ = market_for(strategies, None, benchmark="SPY")               # the synthetic market
>>> run = run_backtest(strategies, history, BacktestOptions(), benchmark="SPY")
>>> sorted(run.document["strategies"]), run.document["benchmark"]["symbol"]
(['klm', 'nuclear', 'tecl'], 'SPY')
>>> paths = write_outputs(run, Path("/tmp/bt"))  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rebalancer.market.history import PriceHistory, day_to_date
from rebalancer.portfolio.combine import check_allocations, combine_histories
from rebalancer.strategies import LoadedStrategy
from rebalancer.symphony.evaluator import evaluate
from rebalancer.symphony.weights import WeightHistory
from rebalancer_research.backtest.attribution import COSTS, UNATTRIBUTED, contributions
from rebalancer_research.backtest.metrics import performance
from rebalancer_research.backtest.options import BacktestOptions
from rebalancer_research.backtest.simulate import BacktestResult, simulate, simulation_window
from rebalancer_research.backtest.sleeves import (
    schedule_of,
    simulate_sleeves,
    sleeve_contributions,
    trade_sessions,
)
from rebalancer_research.backtest.summary import BenchmarkCurve, benchmark_curve, summarize
from rebalancer_research.market.coverage import data_coverage

_STANDALONE_KEYS = ("total_return", "annualized_return", "volatility", "sharpe", "max_drawdown")


@dataclass(frozen=True, eq=False)
class BacktestRun:
    """Everything one backtest produced: weights, the simulated path, the benchmark and the JSON document."""

    per_strategy: dict[str, WeightHistory]
    combined: WeightHistory
    result: BacktestResult
    benchmark: BenchmarkCurve | None
    document: dict[str, Any]


def evaluate_all(strategies: Sequence[LoadedStrategy], history: PriceHistory) -> dict[str, WeightHistory]:
    """Each strategy's weight history over the whole history (one vectorized evaluation each)."""
    return {item.name: evaluate(item.symphony, history) for item in strategies}


def combined_weights(
    strategies: Sequence[LoadedStrategy], per_strategy: dict[str, WeightHistory]
) -> WeightHistory:
    return combine_histories(per_strategy, {item.name: item.allocation for item in strategies})


def streamed_weights(strategies: Sequence[LoadedStrategy], history: PriceHistory) -> WeightHistory:
    """`combined_weights(strategies, evaluate_all(strategies, history))`, evaluating one strategy at a time:
    memory holds the combined matrix and one strategy's weights, not every strategy's (sweeps, screens
    and wide universes, bench/scale_bench.py). Same sums in the same order, so the same numbers."""
    shares = check_allocations({s.name: s.allocation for s in strategies}, {s.name: s for s in strategies})
    by_name = {s.name: s for s in strategies}
    symbols = tuple(sorted({symbol for name in shares for symbol in by_name[name].symphony.holdings}))
    column = {symbol: i for i, symbol in enumerate(symbols)}
    combined = np.zeros((len(history.dates), len(symbols)))
    for name, share in shares.items():
        weights = evaluate(by_name[name].symphony, history)
        combined[:, [column[s] for s in weights.symbols]] += share * weights.weights
    return WeightHistory(history.dates, symbols, combined)


def _standalone(weights: WeightHistory, history: PriceHistory, options: BacktestOptions) -> dict[str, Any]:
    result = simulate(weights, history, options)
    metrics = performance(result.dates, result.equity, initial=options.initial_equity)
    return {key: metrics[key] for key in _STANDALONE_KEYS}


def run_backtest(
    strategies: Sequence[LoadedStrategy],
    history: PriceHistory,
    options: BacktestOptions,
    *,
    benchmark: str | None = "SPY",
) -> BacktestRun:
    """Backtest the allocation-weighted portfolio of `strategies` over `history`."""
    per_strategy = evaluate_all(strategies, history)
    combined = combined_weights(strategies, per_strategy)
    allocations = {s.name: s.allocation for s in strategies}
    schedules = {
        s.name: schedule_of(s.symphony, options.rebalance, str(s.path or s.name)) for s in strategies
    }
    sleeves: dict[str, BacktestResult] = {}
    if len(set(schedules.values())) <= 1:
        shared = next(iter(schedules.values()), options.schedule)
        result = simulate(combined, history, dataclasses.replace(options, rebalance=shared))
        shares = contributions(result, per_strategy, allocations)
    else:
        result, sleeves = simulate_sleeves(per_strategy, allocations, schedules, history, options)
        shares = sleeve_contributions(sleeves, options.initial_equity)
    curve = None
    if benchmark:
        curve = benchmark_curve(history, benchmark, result.dates, options.initial_equity)
    # Each strategy alone over the same sessions as the portfolio, for comparison.
    start = dataclasses.replace(options, start=day_to_date(result.dates[0]))
    info = {
        item.name: {
            "allocation": item.allocation,
            "rebalance": str(schedules[item.name]),
            "sessions_traded": trade_sessions(sleeves[item.name]) if item.name in sleeves else None,
            "title": item.symphony.name,
            "file": item.filename,
            "parameters": dict(item.symphony.parameters),
            "contribution": shares[item.name],
            "first_session_alone": str(
                history.dates[simulation_window(per_strategy[item.name], history, options)[0]]
            ),
            "standalone": _standalone(
                per_strategy[item.name], history, dataclasses.replace(start, rebalance=schedules[item.name])
            ),
        }
        for item in strategies
    }
    document = summarize(result, benchmark=curve, strategies=info)
    document["sessions_traded"] = trade_sessions(result)
    # Which symbol's late start decides the first session, and gaps the prices were filled over.
    document["data_coverage"] = data_coverage(history, set(combined.symbols)).to_dict()
    document["contribution_costs"] = shares[COSTS]
    document["contribution_unattributed"] = shares.get(UNATTRIBUTED, 0.0)
    return BacktestRun(per_strategy, combined, result, curve, document)


def write_outputs(run: BacktestRun, folder: Path, *, title: str = "Backtest report") -> dict[str, Path]:
    """backtest.json, the PNG charts and report.html into `folder`; returns name -> path."""
    from rebalancer_research.backtest.plots import write_charts
    from rebalancer_research.backtest.report_html import render_html

    folder.mkdir(parents=True, exist_ok=True)
    charts = write_charts(run.result, run.benchmark, folder)
    json_path = folder / "backtest.json"
    json_path.write_text(json.dumps(run.document, indent=2) + "\n")
    html_path = folder / "report.html"
    html_path.write_text(render_html(run.document, charts, title=title))
    return {**charts, "json": json_path, "html": html_path}
