"""A 200-point parameter sweep: serial in this process vs an embedded Dask cluster, in the same run.

    .venv/bin/python bench/sweep_bench.py [--workers 2] [--sessions 4000]

The symphony is tests/fixtures/symphonies/parameters.clj (four named parameters); the grid has
10 x 5 x 4 = 200 points over the synthetic market. Both runs must produce the same ranking (same
numbers, same order) or the bench fails. Printed: wall time of each (median of --repeat runs), the
speed-up, the CPU the cluster's workers spent against the serial run's, and the cluster's start-up.
The bench fails only when the rankings differ: the speed-up depends on how busy the machine is (with
other work on both cores no fan-out can help), so it is printed with the load average, not held.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from rebalancer.strategies import load_strategies, specs_from_arguments
from rebalancer_research.backtest.options import BacktestOptions
from rebalancer_research.backtest.ranking import sweep
from rebalancer_research.fanout import FanOutSettings
from rebalancer_research.market.select import market_for

ROOT = Path(__file__).resolve().parents[1]
SYMPHONY = ROOT / "tests" / "fixtures" / "symphonies" / "parameters.clj"
GRID = {  # the hedge stays 25: the file's weight-specified needs 75 + hedge = 100
    "overbought": [70.0, 72.0, 74.0, 76.0, 78.0, 80.0, 82.0, 84.0, 86.0, 88.0],
    "bull-window": [100.0, 150.0, 200.0, 250.0, 300.0],
    "top-k": [1.0, 2.0, 3.0, 4.0],
}


def timed_sweep(specs, history, fan: FanOutSettings):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    ranking = sweep(specs, history, GRID, BacktestOptions(), metric="sharpe", fan=fan)
    return time.perf_counter() - start, ranking


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    specs = specs_from_arguments([str(SYMPHONY)], [])
    history, _ = market_for(load_strategies(specs), None)
    history = history.rows(max(0, len(history) - args.sessions), len(history))
    points = 1
    for values in GRID.values():
        points *= len(values)
    print(f"sweep of {points} points over {len(history)} sessions, {len(history.symbols)} symbols")

    import distributed

    serial_times, cluster_times = [], []
    serial = fanned = None
    start = time.perf_counter()
    with distributed.LocalCluster(
        n_workers=args.workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        silence_logs=40,
    ) as cluster:
        startup = time.perf_counter() - start
        on_cluster = FanOutSettings(scheduler=cluster.scheduler_address, workers=args.workers, progress=False)
        for _ in range(args.repeat):
            seconds, serial = timed_sweep(specs, history, FanOutSettings(progress=False))
            serial_times.append(seconds)
            seconds, fanned = timed_sweep(specs, history, on_cluster)
            cluster_times.append(seconds)
    assert serial is not None
    assert fanned is not None
    same = fanned.document == serial.document
    serial_s, cluster_s = statistics.median(serial_times), statistics.median(cluster_times)
    ratio = serial_s / cluster_s
    print(f"  serial (this process)        {serial_s:8.2f} s  median of {args.repeat}")
    print(f"  local cluster, {args.workers} workers     {cluster_s:8.2f} s  median of {args.repeat}")
    print(f"  speed-up                     {ratio:8.2f}x  (cluster start-up {startup:.1f} s, not included)")
    print(f"  load average at the end      {os.getloadavg()[0]:8.2f}   on {os.cpu_count()} cores")
    best = fanned.candidates[0].label if fanned.candidates else "-"
    print(f"  identical ranking: {same}; {len(fanned.candidates)} ranked; best {best}")
    if serial.failures or not serial.candidates:
        print(f"FAILED: {len(serial.failures)} grid points failed: {serial.failures[:1]}")
        return 1
    if not same:
        print("FAILED: the cluster's ranking differs from the serial one")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
