"""Walk-forward analysis over a grid of named symphony parameters.

Every grid point is evaluated once over the whole history (the engine is causal, so one evaluation
serves every window); then, window by window, each point is simulated in-sample and out-of-sample,
the best in-sample point (by `metric`) is chosen and its out-of-sample result reported. Work fans out
through Dask (rebalancer_research.fanout: an embedded local cluster of `jobs` processes, or an existing
scheduler); `jobs` 1 runs in this process. A grid point whose evaluation fails is reported and left out.

    >>> grid = parse_grid(["spy-overbought=75,79,83", "bull-window=150,200"])
    >>> len(grid_points(grid))
    6
    >>> settings = WalkForwardSettings(in_sample=756, out_of_sample=252, metric="sharpe", jobs=2)
    >>> report = walk_forward(specs, history, grid, settings, BacktestOptions())  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rebalancer.errors import ConfigError
from rebalancer.market.history import PriceHistory, day_to_date
from rebalancer.strategies import StrategySpec, load_strategies
from rebalancer.symphony.weights import WeightHistory
from rebalancer_research.backtest.metrics import daily_returns, performance
from rebalancer_research.backtest.options import BacktestOptions
from rebalancer_research.backtest.pipeline import streamed_weights
from rebalancer_research.backtest.simulate import simulate, simulation_window
from rebalancer_research.backtest.sleeves import schedule_of
from rebalancer_research.fanout import FanOutSettings, TaskFailure, fan_out

METRICS = ("sharpe", "sortino", "calmar", "total_return", "annualized_return", "max_drawdown")
Params = dict[str, float]
Window = tuple[int, int, int, int]  # in-sample first/last row, out-of-sample first/last row


def parse_grid(items: Iterable[str]) -> dict[str, list[float]]:
    """`NAME=V1,V2,...` items -> {name: values}."""
    grid: dict[str, list[float]] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        try:
            values = [float(v) for v in raw.split(",") if v.strip()] if sep else []
        except ValueError:
            values = []
        if not name.strip() or not values:
            raise ConfigError(
                f"bad grid item {item!r}",
                code="bad-grid",
                hint="write --grid NAME=V1,V2,... e.g. bull-window=150,200",
            )
        grid[name.strip()] = values
    return grid


def grid_points(grid: Mapping[str, Sequence[float]]) -> list[Params]:
    names = list(grid)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(grid[n] for n in names))]


@dataclass(frozen=True)
class WalkForwardSettings:
    in_sample: int = 756  # sessions (about three years)
    out_of_sample: int = 252  # sessions (about one year); windows roll forward by this much
    metric: str = "sharpe"
    jobs: int = 1
    scheduler: str | None = None  # a Dask scheduler address; None embeds a local cluster of `jobs`

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ConfigError(
                f"unknown metric {self.metric!r}", code="bad-metric", hint=f"use one of {', '.join(METRICS)}"
            )
        if self.in_sample < 20 or self.out_of_sample < 5 or self.jobs < 1:
            raise ConfigError(
                "windows too short or jobs < 1",
                code="bad-walkforward",
                hint="use --in-sample >= 20 and --out-of-sample >= 5 sessions, --jobs >= 1",
            )


def windows(first: int, last: int, settings: WalkForwardSettings) -> list[Window]:
    """Rolling (in-sample, out-of-sample) row ranges inside [first, last]; the last OOS may be shorter."""
    out = []
    start = first
    while start + settings.in_sample <= last:
        oos_first = start + settings.in_sample
        out.append((start, oos_first - 1, oos_first, min(oos_first + settings.out_of_sample - 1, last)))
        start += settings.out_of_sample
    return out


def _evaluate_point(specs: Sequence[StrategySpec], history: PriceHistory, params: Params) -> WeightHistory:
    return streamed_weights(load_strategies(specs, params), history)


def _simulate_windows(
    spans: Sequence[Window], options: BacktestOptions, history: PriceHistory, weights: WeightHistory
) -> list[dict[str, Any]]:
    out = []
    for is_first, is_last, oos_first, oos_last in spans:
        results: dict[str, Any] = {}
        for label, lo, hi in (("in_sample", is_first, is_last), ("out_of_sample", oos_first, oos_last)):
            window = dataclasses.replace(
                options, start=day_to_date(history.dates[lo]), end=day_to_date(history.dates[hi])
            )
            result = simulate(weights, history, window)
            metrics = performance(result.dates, result.equity, initial=options.initial_equity)
            results[label] = {k: metrics[k] for k in METRICS}
            if label == "out_of_sample":
                # From the initial capital, so the first session's return includes the buy-in.
                curve = np.concatenate([[options.initial_equity], result.equity])
                results["oos_returns"] = daily_returns(curve).tolist()
                results["oos_dates"] = [str(d) for d in result.dates]
        out.append(results)
    return out


def _score(metrics: Mapping[str, Any], metric: str) -> float:
    value = metrics[metric]
    return -math.inf if value is None else float(value)


def _choose(per_point: Sequence[Mapping[str, Any]], metric: str) -> int:
    scores = [_score(p["in_sample"], metric) for p in per_point]
    return int(np.argmax(scores))  # first of equals wins: grid order breaks ties


def _window_report(
    span: Window,
    points: Sequence[Params],
    per_point: Sequence[Mapping[str, Any]],
    *,
    best: int,
    metric: str,
    history: PriceHistory,
) -> dict[str, Any]:
    oos_scores = [_score(p["out_of_sample"], metric) for p in per_point]
    finite = [s for s in oos_scores if math.isfinite(s)]
    return {
        "in_sample": [str(history.dates[span[0]]), str(history.dates[span[1]])],
        "out_of_sample": [str(history.dates[span[2]]), str(history.dates[span[3]])],
        "chosen": points[best],
        "in_sample_metrics": per_point[best]["in_sample"],
        "out_of_sample_metrics": per_point[best]["out_of_sample"],
        "out_of_sample_rank": 1 + sum(s > oos_scores[best] for s in oos_scores),
        "out_of_sample_grid_median": float(np.median(finite)) if finite else None,
    }


def _stitched(
    per_point_windows: Sequence[Sequence[Mapping[str, Any]]], chosen: Sequence[int]
) -> dict[str, Any]:
    """Out-of-sample returns of the chosen points, chained window after window into one curve."""
    picked = [per_point_windows[best][w] for w, best in enumerate(chosen)]
    returns = [r for window in picked for r in window["oos_returns"]]
    dates = [d for window in picked for d in window["oos_dates"]]
    if not dates:
        return {}
    equity = np.cumprod(1.0 + np.asarray(returns), dtype=np.float64)
    metrics = performance(np.array(dates, dtype="datetime64[D]"), equity, initial=1.0)
    return {
        k: metrics[k] for k in ("total_return", "annualized_return", "volatility", "sharpe", "max_drawdown")
    }


def _with_file_schedule(specs: Sequence[StrategySpec], options: BacktestOptions) -> BacktestOptions:
    """Without --rebalance, the strategies' own schedule (walk-forward simulates them combined, so
    they must share one; docs/rebalancing.md)."""
    if options.rebalance is not None:
        return options
    schedules = {schedule_of(s.symphony, None, str(s.path)) for s in load_strategies(specs)}
    if len(schedules) > 1:
        raise ConfigError(
            f"the strategies rebalance on different schedules ({', '.join(sorted(map(str, schedules)))})",
            code="walkforward-schedules",
            hint="pass --rebalance to use one schedule for all, or walk forward one strategy at a time",
        )
    return dataclasses.replace(options, rebalance=next(iter(schedules), None))


def walk_forward(
    specs: Sequence[StrategySpec],
    history: PriceHistory,
    grid: Mapping[str, Sequence[float]],
    settings: WalkForwardSettings,
    options: BacktestOptions,
    *,
    progress: bool = False,
) -> dict[str, Any]:
    """The walk-forward report (JSON-able): per window the chosen point, in- and out-of-sample metrics."""
    options = _with_file_schedule(specs, options)
    fan = FanOutSettings(scheduler=settings.scheduler, workers=settings.jobs, progress=progress)
    evaluated = fan_out(functools.partial(_evaluate_point, tuple(specs)), grid_points(grid), history, fan)
    failures = [{"params": r.item, "error": r.error} for r in evaluated if isinstance(r, TaskFailure)]
    kept = [
        (p, w) for p, w in zip(grid_points(grid), evaluated, strict=True) if not isinstance(w, TaskFailure)
    ]
    if not kept:
        raise ConfigError(
            f"every grid point failed; the first: {failures[0]['error']}",
            code="walkforward-failed",
            hint="check the grid's parameter names and values against the symphony's :parameters",
        )
    points = [p for p, _ in kept]
    weights = [w for _, w in kept]
    bounds = [simulation_window(w, history, options) for w in weights]
    first = max(lo for lo, _ in bounds)
    last = min(hi for _, hi in bounds)
    spans = windows(first, last, settings)
    if not spans:
        raise ConfigError(
            f"{last - first + 1} sessions are too few for one window",
            code="walkforward-too-short",
            hint="shorten --in-sample / --out-of-sample or use a longer history",
        )
    simulated = fan_out(functools.partial(_simulate_windows, tuple(spans), options), weights, history, fan)
    per_point = [_window_results(r) for r in simulated]
    metric = settings.metric
    chosen = [_choose([p[i] for p in per_point], metric) for i in range(len(spans))]
    reports = [
        _window_report(
            span, points, [p[i] for p in per_point], best=chosen[i], metric=metric, history=history
        )
        for i, span in enumerate(spans)
    ]
    in_scores = [w["in_sample_metrics"][metric] for w in reports]
    oos_scores = [w["out_of_sample_metrics"][metric] for w in reports]
    return {
        "schema": "rebalancer.walkforward/1",
        "metric": metric,
        "grid": {k: list(v) for k, v in grid.items()},
        "settings": dataclasses.asdict(settings),
        "options": options.to_dict(),
        "windows": reports,
        "summary": {
            "windows": len(reports),
            "in_sample_mean": _mean(in_scores),
            "out_of_sample_mean": _mean(oos_scores),
            "out_of_sample_stitched": _stitched(per_point, chosen),
        },
        "failures": failures,
    }


def _window_results(result: list[dict[str, Any]] | TaskFailure[WeightHistory]) -> list[dict[str, Any]]:
    if isinstance(result, TaskFailure):  # simulation of valid weights does not fail on bad input
        raise ConfigError(
            f"a walk-forward simulation failed: {result.error}",
            code="walkforward-failed",
            hint="rerun with --jobs 1 to see it in this process, and report it with the command",
        )
    return result


def _mean(values: Sequence[float | None]) -> float | None:
    finite = [v for v in values if v is not None]
    return float(np.mean(finite)) if finite else None
