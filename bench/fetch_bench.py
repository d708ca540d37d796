"""Fetch 500 symbols x 2 years of daily bars from the emulator with 50 ms latency per request.

Prints the request count against the floor ceil(total bars / page size) and the wall time, and, in the
same run, the naive peer: one request per symbol (what a per-symbol loop does).

    .venv/bin/python bench/fetch_bench.py [--symbols 500] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import time

import numpy as np

from rebalancer.alpaca.credentials import AlpacaCredentials
from rebalancer.alpaca.http import CallPolicy
from rebalancer.alpaca.market_data import AlpacaMarketData
from rebalancer.alpaca.ratelimit import RateLimiter
from rebalancer_emulator import EmulatorServer
from rebalancer_research.market.synthetic import synthetic_market

END = dt.date(2024, 11, 26)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--naive-sample", type=int, default=50, help="symbols fetched one by one")
    args = parser.parse_args()

    symbols = [f"SYM{i:03d}" for i in range(args.symbols)]
    history = synthetic_market(symbols, end=END, sessions=504)
    creds = AlpacaCredentials("emulator-key", "emulator-secret")
    start = history.first_date
    with EmulatorServer(history, start_at="2024-11-27T09:00") as emu:
        emu.clock.freeze()
        emu.faults.latency("bars", seconds=args.latency)
        # No rate limit here: the bench measures round trips, not Alpaca's 200/min quota.
        data = AlpacaMarketData(creds, base_url=emu.url, policy=CallPolicy(RateLimiter(100_000)))
        t0 = time.perf_counter()
        got = data.daily_history(symbols, start, END)
        batched = time.perf_counter() - t0
        bars = int(np.isfinite(got.close).sum())
        floor = math.ceil(bars / data.page_size)

        sample = symbols[: args.naive_sample]
        naive = AlpacaMarketData(creds, base_url=emu.url, policy=CallPolicy(RateLimiter(100_000)))
        t0 = time.perf_counter()
        for symbol in sample:
            naive.daily_history([symbol], start, END)
        naive_per_symbol = (time.perf_counter() - t0) / len(sample)

    naive_total = naive_per_symbol * len(symbols)
    print(f"symbols={len(symbols)} sessions={len(got)} bars={bars} page_size={data.page_size}")
    print(f"batched: requests={data.pages_fetched} floor=ceil(bars/page)={floor} wall={batched:.2f}s")
    print(
        f"naive one-request-per-symbol: requests={len(symbols)} "
        f"wall~{naive_total:.2f}s (measured on {len(sample)} symbols)"
    )
    request_ratio = len(symbols) / data.pages_fetched
    print(f"ratio naive/batched: wall {naive_total / batched:.1f}x, requests {request_ratio:.1f}x")
    if data.pages_fetched != floor:
        raise SystemExit(f"request count {data.pages_fetched} != floor {floor}")


if __name__ == "__main__":
    main()
