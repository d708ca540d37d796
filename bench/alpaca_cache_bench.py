"""`--data alpaca`: 450 symbols x 10 years of daily bars fetched once from the emulator (50 ms latency
per request), then served from the disk cache. Prints, in the same run, the cold load (requests, wall
time) against the warm load (no request) and the ratio, plus the cache's size on disk.

    .venv/bin/python bench/alpaca_cache_bench.py [--symbols 450] [--sessions 2520] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rebalancer.alpaca.credentials import AlpacaCredentials
from rebalancer.alpaca.http import CallPolicy
from rebalancer.alpaca.market_data import AlpacaMarketData
from rebalancer.alpaca.ratelimit import RateLimiter
from rebalancer_emulator import EmulatorServer
from rebalancer_research.market.alpaca_cache import BarsCache
from rebalancer_research.market.synthetic import synthetic_market

END = dt.date(2026, 7, 31)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--symbols", type=int, default=450)
    parser.add_argument("--sessions", type=int, default=2520)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--repeats", type=int, default=3, help="warm loads timed (median quoted)")
    args = parser.parse_args()

    symbols = [f"SYM{i:03d}" for i in range(args.symbols)]
    history = synthetic_market(symbols, end=END, sessions=args.sessions)
    creds = AlpacaCredentials("emulator-key", "emulator-secret")
    with tempfile.TemporaryDirectory() as tmp, EmulatorServer(history, start_at="2026-08-03T09:00") as emu:
        emu.clock.freeze()
        emu.faults.latency("bars", seconds=args.latency)
        data = AlpacaMarketData(creds, base_url=emu.url, policy=CallPolicy(RateLimiter(100_000)))
        cache = BarsCache(Path(tmp), data.daily_history)
        t0 = time.perf_counter()
        cold = cache.load(symbols, history.first_date, END)
        cold_s = time.perf_counter() - t0
        cold_requests = emu.request_log.count("bars")
        warm_times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            warm = cache.load(symbols, history.first_date, END)
            warm_times.append(time.perf_counter() - t0)
        warm_requests = emu.request_log.count("bars") - cold_requests
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
    warm_s = statistics.median(warm_times)
    print(f"symbols={len(symbols)} sessions={len(cold)} latency={args.latency * 1000:.0f}ms/request")
    print(f"cold: requests={cold_requests} wall={cold_s:.2f}s")
    print(f"warm: requests={warm_requests} wall={warm_s:.2f}s (median of {args.repeats})")
    print(f"cold/warm={cold_s / warm_s:.1f}x  cache on disk={size / 1e6:.1f} MB")
    same = bool((warm.close == cold.close).all())
    print(f"warm equals cold: {same}")
    return 0 if warm_requests == 0 and same else 1


if __name__ == "__main__":
    sys.exit(main())
