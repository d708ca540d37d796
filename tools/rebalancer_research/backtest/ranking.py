"""`sweep` (a parameter grid over one symphony) and `screen` (many symphony files), each point or file
backtested over the full period on the same data and options, then ranked by one metric.

Both fan out through `fanout.fan_out` (Dask, or in-process for --jobs 1) with the same task shape, so a
fanned-out result is the serial result. Ranking: best metric first; a missing metric (e.g. a Sharpe with
no volatility) ranks last; ties keep the input order (grid order, or the files' order).

    >>> fan = FanOutSettings(workers=2)
    >>> report = sweep([spec], history, grid, BacktestOptions(), metric="sharpe", fan=fan)  # doctest: +SKIP
    >>> report.document["ranking"][0]["params"]                                            # doctest: +SKIP
    {'overbought': 79.0}
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rebalancer.errors import ConfigError, DataError
from rebalancer.market.history import PriceHistory
from rebalancer.strategies import StrategySpec, load_strategies
from rebalancer.symphony.evaluator import evaluate
from rebalancer_research.backtest.metrics import performance
from rebalancer_research.backtest.options import BacktestOptions
from rebalancer_research.backtest.pipeline import streamed_weights
from rebalancer_research.backtest.simulate import simulate
from rebalancer_research.backtest.sleeves import schedule_of
from rebalancer_research.backtest.walkforward import METRICS, Params, grid_points
from rebalancer_research.fanout import FanOutSettings, TaskFailure, fan_out

REPORTED = ("total_return", "annualized_return", "volatility", "sharpe", "sortino", "calmar", "max_drawdown")
LOWER_IS_BETTER: frozenset[str] = frozenset()  # max_drawdown is negative: higher (closer to 0) is better


@dataclass(frozen=True)
class Candidate:
    """One backtested point or file: its metrics and its equity curve (for the chart)."""

    label: str
    params: Params
    metrics: dict[str, Any]
    dates: np.ndarray[Any, Any]
    equity: np.ndarray[Any, Any]


@dataclass(frozen=True)
class Ranking:
    kind: str  # "sweep" or "screen"
    metric: str
    candidates: list[Candidate]  # best first
    failures: list[dict[str, Any]]
    grid: dict[str, list[float]]
    options: BacktestOptions

    @property
    def document(self) -> dict[str, Any]:
        return {
            "schema": f"rebalancer.{self.kind}/1",
            "metric": self.metric,
            "grid": self.grid,
            "options": self.options.to_dict(),
            "ranking": [
                {"rank": i + 1, "label": c.label, "params": c.params, **c.metrics}
                for i, c in enumerate(self.candidates)
            ],
            "failures": self.failures,
        }


def _backtest_point(
    specs: Sequence[StrategySpec], options: BacktestOptions, history: PriceHistory, params: Params
) -> Candidate:
    strategies = load_strategies(specs, params)
    weights = streamed_weights(strategies, history)
    own = options if len(strategies) != 1 else _own_schedule(strategies[0].symphony, options)
    return _candidate(" ".join(f"{k}={v:g}" for k, v in params.items()), params, weights, history, own)


def _own_schedule(symphony: Any, options: BacktestOptions) -> BacktestOptions:
    """Without --rebalance, a symphony trades on its own file's schedule (docs/rebalancing.md)."""
    if options.rebalance is not None:
        return options
    return dataclasses.replace(options, rebalance=schedule_of(symphony, None))


def _backtest_file(options: BacktestOptions, history: PriceHistory, path: Path) -> Candidate:
    from rebalancer.symphony.reader import load_symphony

    symphony = load_symphony(path)
    missing = sorted(symphony.symbols - set(history.symbols))
    if missing:
        raise DataError(
            f"{path}: no data for {', '.join(missing)}",
            code="data-missing",
            hint="add SYMBOL.csv files for these symbols to --data",
        )
    return _candidate(path.stem, {}, evaluate(symphony, history), history, _own_schedule(symphony, options))


def _candidate(
    label: str, params: Params, weights: Any, history: PriceHistory, options: BacktestOptions
) -> Candidate:
    result = simulate(weights, history, options)
    metrics = performance(result.dates, result.equity, initial=options.initial_equity)
    figures = {key: metrics[key] for key in REPORTED}
    figures["start"], figures["end"] = metrics["start"], metrics["end"]
    return Candidate(label, params, figures, result.dates, result.equity)


def rank(candidates: Sequence[Candidate], metric: str) -> list[Candidate]:
    """Best first by `metric`; None last; the input order breaks ties (a stable sort)."""
    if metric not in METRICS:
        raise ConfigError(
            f"unknown metric {metric!r}", code="bad-metric", hint=f"use one of {', '.join(METRICS)}"
        )

    def key(candidate: Candidate) -> float:
        value = candidate.metrics.get(metric)
        return math.inf if value is None else -float(value)

    return sorted(candidates, key=key)


def _split(results: Sequence[Candidate | TaskFailure[Any]]) -> tuple[list[Candidate], list[TaskFailure[Any]]]:
    done = [r for r in results if isinstance(r, Candidate)]
    return done, [r for r in results if isinstance(r, TaskFailure)]


def sweep(
    specs: Sequence[StrategySpec],
    history: PriceHistory,
    grid: Mapping[str, Sequence[float]],
    options: BacktestOptions,
    *,
    metric: str,
    fan: FanOutSettings,
) -> Ranking:
    points = grid_points(grid)
    task = functools.partial(_backtest_point, tuple(specs), options)
    done, failed = _split(fan_out(task, points, history, fan))
    failures = [{"params": f.item, "error": f.error} for f in failed]
    return Ranking(
        "sweep", metric, rank(done, metric), failures, {k: list(v) for k, v in grid.items()}, options
    )


def screen(
    paths: Sequence[Path],
    history: PriceHistory,
    options: BacktestOptions,
    *,
    metric: str,
    fan: FanOutSettings,
) -> Ranking:
    task = functools.partial(_backtest_file, options)
    done, failed = _split(fan_out(task, list(paths), history, fan))
    failures = [{"file": str(f.item), "error": f.error} for f in failed]
    return Ranking("screen", metric, rank(done, metric), failures, {}, options)


def table_rows(ranking: Ranking) -> list[dict[str, Any]]:
    """One flat row per candidate (params as columns) for the CSV table."""
    names = list(ranking.grid)
    rows = []
    for row in ranking.document["ranking"]:
        flat = {"rank": row["rank"], "label": row["label"]}
        flat.update({name: row["params"].get(name) for name in names})
        flat.update({key: row[key] for key in (*REPORTED, "start", "end")})
        rows.append(flat)
    return rows
