"""Engine speed and memory: the three built-ins evaluated vectorized vs the naive per-day way.

    .venv/bin/python bench/engine_bench.py [--sessions 4000] [--repeat 5] [--naive-days 40] [--full-naive]
    REBALANCER_MARKET_DATA=../shared/data/market .venv/bin/python bench/engine_bench.py

What is measured, in one run:
- vectorized: the CPU time (time.process_time) of `evaluate(symphony, history)` once over the whole
  history (median of --repeat runs after one warm-up run), on the synthetic market (--sessions
  sessions) and, when REBALANCER_MARKET_DATA is set, on the real data up to 2026-07-31 (the
  2026-08-03 row is a mid-session snapshot) from the first date where every symbol the strategy
  needs has a price;
- naive: what a per-day engine does, re-evaluating the tree from scratch for each day t on
  `history.rows(0, t + 1)` and keeping the last row. Running that for all 4,000 days of all three
  strategies takes many minutes, so by default it is timed on --naive-days evenly spaced days and
  the total is extrapolated as mean(sampled day cost) x sessions (the cost of a day grows with t, so
  evenly spaced samples estimate the sum). --full-naive runs every day instead. The sampled days are
  also a correctness check: the naive last row must equal the vectorized row (no look-ahead);
- memory: tracemalloc peak of one evaluation at two history sizes (half and full), per strategy, to
  show that memory grows linearly with sessions x symbols.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rebalancer.market.history import PriceHistory
from rebalancer.symphony.evaluator import evaluate
from rebalancer.symphony.nodes import Symphony
from rebalancer.symphony.reader import load_symphony
from rebalancer_research.market.csv_source import load_csv_dir
from rebalancer_research.market.synthetic import synthetic_market

REPO = Path(__file__).resolve().parents[1]
NAMES = ("nuclear", "tecl", "klm")
LAST_COMPLETE_SESSION = dt.date(2026, 7, 31)
TARGET_SECONDS = 0.5
TARGET_SPEEDUP = 200.0


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    action()  # warm-up: imports, caches of numpy
    times = []
    for _ in range(repeat):
        start = time.process_time()
        action()
        times.append(time.process_time() - start)
    return statistics.median(times)


def naive_days(size: int, sampled: int | None) -> list[int]:
    """Every day, or `sampled` evenly spaced days across the history."""
    if sampled is None or sampled >= size:
        return list(range(size))
    return sorted({round(float(x)) for x in np.linspace(0, size - 1, sampled)})


def naive_seconds(symphony: Symphony, history: PriceHistory, days: list[int]) -> tuple[float, int]:
    """Total time of the per-day evaluations on `days`, and how many of them disagreed with the
    vectorized row (should be 0)."""
    vectorized = evaluate(symphony, history).weights
    mismatches = 0
    total = 0.0
    for t in days:
        start = time.process_time()
        row = evaluate(symphony, history.rows(0, t + 1)).weights[-1]
        total += time.process_time() - start
        if not np.allclose(row, vectorized[t], rtol=0, atol=1e-12, equal_nan=True):
            mismatches += 1
    return total, mismatches


def peak_bytes(symphony: Symphony, history: PriceHistory) -> int:
    tracemalloc.start()
    evaluate(symphony, history)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def synthetic_section(strategies: dict[str, Symphony], args: argparse.Namespace) -> bool:
    symbols = sorted(set().union(*(s.symbols for s in strategies.values())))
    market = synthetic_market(symbols, sessions=args.sessions)
    span = f"{market.first_date}..{market.last_date}"
    print(f"synthetic market: {len(market)} sessions x {len(symbols)} symbols ({span})")
    sampled = None if args.full_naive else args.naive_days
    days = naive_days(len(market), sampled)
    how = "every day" if sampled is None else f"{len(days)} sampled days, extrapolated to {len(market)}"
    print(f"naive = evaluate(tree, history.rows(0, t+1)) per day t ({how})\n")
    print(f"{'strategy':<9}{'symbols':>8}{'vectorized':>12}{'naive (est.)':>14}{'naive/vec':>11}{'agree':>7}")
    total_vec = total_naive = 0.0
    for name, symphony in strategies.items():
        history = market.select(symphony.symbols)
        vec = median_seconds(lambda s=symphony, h=history: evaluate(s, h), args.repeat)
        spent, mismatches = naive_seconds(symphony, history, days)
        naive = spent / len(days) * len(history)
        total_vec += vec
        total_naive += naive
        agree = "yes" if mismatches == 0 else f"NO({mismatches})"
        print(
            f"{name:<9}{len(symphony.symbols):>8}{vec:>11.3f}s{naive:>13.1f}s{naive / vec:>10.0f}x{agree:>7}"
        )
    ratio = total_naive / total_vec
    print(f"{'all three':<17}{total_vec:>11.3f}s{total_naive:>13.1f}s{ratio:>10.0f}x\n")
    fast = total_vec < TARGET_SECONDS
    verdict = "met" if fast else "MISSED"
    print(f"target: all three under {TARGET_SECONDS} s of CPU -> {verdict} ({total_vec:.3f} s)")
    ahead = ratio >= TARGET_SPEEDUP
    verdict = "met" if ahead else "MISSED"
    print(f"target: >= {TARGET_SPEEDUP:.0f}x faster than naive -> {verdict} ({ratio:.0f}x)\n")
    memory_section(strategies, market)
    return fast and ahead


def memory_section(strategies: dict[str, Symphony], market: PriceHistory) -> None:
    half = len(market) // 2
    print(f"peak memory of one evaluation (tracemalloc), {half} vs {len(market)} sessions:")
    print(f"{'strategy':<9}{'cells':>9}{'peak half':>12}{'peak full':>12}{'full/half':>11}{'bytes/cell':>12}")
    for name, symphony in strategies.items():
        history = market.select(symphony.symbols)
        small = peak_bytes(symphony, history.rows(len(history) - half, len(history)))
        large = peak_bytes(symphony, history)
        cells = len(history) * len(history.symbols)
        print(
            f"{name:<9}{cells:>9}{small / 1e6:>10.1f}MB{large / 1e6:>10.1f}MB"
            f"{large / small:>11.2f}{large / cells:>12.0f}"
        )
    print("(full/half near 2 means memory is linear in sessions; bytes/cell is per session x symbol)\n")


def real_data_section(strategies: dict[str, Symphony], folder: str, repeat: int) -> None:
    symbols = sorted(set().union(*(s.symbols for s in strategies.values())))
    data = load_csv_dir(folder, symbols).until(LAST_COMPLETE_SESSION)
    print(f"real data in {folder}, up to {LAST_COMPLETE_SESSION}, from each strategy's common start:")
    print(f"{'strategy':<9}{'from':>12}{'sessions':>10}{'vectorized':>12}{'per session':>13}")
    for name, symphony in strategies.items():
        history = data.select(symphony.symbols).from_first_complete_row()
        vec = median_seconds(lambda s=symphony, h=history: evaluate(s, h), repeat)
        per = vec / len(history) * 1e6
        print(f"{name:<9}{history.first_date!s:>12}{len(history):>10}{vec:>11.3f}s{per:>11.1f}us")
    print()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--naive-days", type=int, default=40)
    parser.add_argument("--full-naive", action="store_true", help="time the naive way on every day")
    args = parser.parse_args()
    strategies = {name: load_symphony(REPO / "strategies" / f"{name}.clj") for name in NAMES}
    ok = synthetic_section(strategies, args)
    folder = os.environ.get("REBALANCER_MARKET_DATA")
    if folder:
        real_data_section(strategies, folder, args.repeat)
    else:
        print("REBALANCER_MARKET_DATA is not set: real-data section skipped\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
