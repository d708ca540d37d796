"""Backtest at scale: 500 synthetic symbols x 16,128 sessions x 20 generated strategies; time and peak memory.

    .venv/bin/python bench/scale_bench.py [--symbols 500] [--years 64] [--strategies 20]

The strategies are generated trees (seeded): an RSI or trend test on one symbol choosing between a
filter (top/bottom k by a return metric over a random subset, weighted by inverse volatility) and an
equal-weight basket, so every indicator kind the engine vectorizes is exercised. Target: the process's
peak RSS under 400 MB for the whole run (market included): strategies are combined as they are evaluated
(pipeline.streamed_weights) and the simulation keeps one copy of the window's prices. Peak memory is
measured twice: tracemalloc (Python/numpy allocations, in a second pass
because tracing slows the code) and the process's maximum resident set size (getrusage).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc

import numpy as np

from rebalancer.strategies import LoadedStrategy
from rebalancer.symphony.nodes import (
    Asset,
    Comparison,
    Filter,
    If,
    IndicatorRef,
    Metric,
    Symphony,
    WeightEqual,
    WeightInverseVolatility,
)
from rebalancer_research.backtest.metrics import performance
from rebalancer_research.backtest.options import BacktestOptions
from rebalancer_research.backtest.pipeline import streamed_weights
from rebalancer_research.backtest.simulate import simulate
from rebalancer_research.market.synthetic import synthetic_market

SESSIONS_PER_YEAR = 252
RANKINGS = (Metric("moving-average-return", 20), Metric("cumulative-return", 60), Metric("stdev-return", 10))


def generate(index: int, universe: list[str], rng: np.random.Generator) -> Symphony:
    """One seeded strategy over a random subset of the universe."""
    subset = [str(s) for s in rng.choice(universe, size=40, replace=False)]
    signal = subset[0]
    if index % 2:
        test = Comparison(
            ">", IndicatorRef("rsi", int(rng.integers(5, 21)), signal), float(rng.integers(40, 61))
        )
    else:
        test = Comparison(
            ">",
            IndicatorRef("current-price", None, signal),
            IndicatorRef("moving-average-price", 100, signal),
        )
    ranked = Filter(
        RANKINGS[index % len(RANKINGS)],
        "top" if index % 3 else "bottom",
        int(rng.integers(3, 8)),
        tuple(Asset(s) for s in subset[1:30]),
    )
    risk_on = WeightInverseVolatility(20, (ranked,))
    risk_off = WeightEqual(tuple(Asset(s) for s in subset[30:]))
    return Symphony(f"generated-{index}", (), If(test, (risk_on,), (risk_off,)))


def backtest(symphonies: list[Symphony], history) -> tuple[dict[str, float], dict[str, float]]:
    """Evaluate and combine (streamed: one strategy's weights at a time), simulate; timings and metrics."""
    times: dict[str, float] = {}
    share = 1 / len(symphonies)
    strategies = [LoadedStrategy(s.name, share, "", "<generated>", {}, s) for s in symphonies]
    start = time.perf_counter()
    combined = streamed_weights(strategies, history)
    times[f"evaluate+combine {len(symphonies)}"] = time.perf_counter() - start
    start = time.perf_counter()
    result = simulate(combined, history, BacktestOptions(slippage_bps=2, fee_bps=1))
    times["simulate"] = time.perf_counter() - start
    start = time.perf_counter()
    metrics = performance(result.dates, result.equity, initial=result.options.initial_equity)
    times["metrics"] = time.perf_counter() - start
    summary = {"sessions": float(len(result.dates)), "held symbols": float(len(combined.symbols))}
    summary["total return"] = metrics["total_return"]
    return times, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--years", type=int, default=64, help="64 years = 16,128 sessions (the target size)")
    parser.add_argument("--strategies", type=int, default=20)
    args = parser.parse_args()
    universe = [f"S{i:03d}" for i in range(args.symbols)]
    start = time.perf_counter()
    history = synthetic_market(universe, sessions=args.years * SESSIONS_PER_YEAR)
    market_s = time.perf_counter() - start
    rng = np.random.default_rng(11)
    symphonies = [generate(i, universe, rng) for i in range(args.strategies)]
    print(f"market: {len(history.symbols)} symbols x {len(history)} sessions, generated in {market_s:.2f} s")
    times, summary = backtest(symphonies, history)
    total = sum(times.values())
    for stage, seconds in times.items():
        print(f"  {stage:<24}{seconds * 1000:>10.1f} ms")
    print(f"  {'total backtest':<24}{total * 1000:>10.1f} ms")
    print("  " + ", ".join(f"{k}: {v:g}" for k, v in summary.items()))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    tracemalloc.start()
    backtest(symphonies, history)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak memory: tracemalloc {peak / 2**20:.0f} MB during the backtest (market already loaded);")
    print(f"             max RSS {rss_mb:.0f} MB for the whole process (target < 400 MB)")
    return 0 if rss_mb < 400 else 1


if __name__ == "__main__":
    sys.exit(main())
