"""The emulator's start time on a folder of CSV files, and its requests per second.

Start: a fresh Python process imports the emulator, builds the server on `$REBALANCER_MARKET_DATA` (460
files in ../shared/data/market), starts it and answers one GET /v2/account. Printed: wall time, the process's
CPU time and peak RSS, for the lazy source (files read on first use) and, in the same run, for the eager
baseline (every file read up front with load_csv_dir, as the emulator did before). Medians of --rounds.

Requests per second: one keep-alive client, sequential, a mix of account, clock, order submit + lookup,
bars (one symbol, a year) and latest quotes, after a warm-up; median of --rounds.

    REBALANCER_MARKET_DATA=../shared/data/market .venv/bin/python bench/emulator_bench.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

HEADERS = {"APCA-API-KEY-ID": "emulator-key", "APCA-API-SECRET-KEY": "emulator-secret"}
START_SCRIPT = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import requests
from rebalancer_emulator import EmulatorConfig, EmulatorServer
from rebalancer_emulator.series import CsvDirSource
directory, eager = sys.argv[1], sys.argv[2] == "eager"
if eager:
    from rebalancer_research.market.csv_source import load_csv_dir
    source = load_csv_dir(directory)
else:
    source = CsvDirSource(directory)
server = EmulatorServer(source, start_at="2026-07-30T10:00", config=EmulatorConfig(freeze_clock=True)).start()
answer = requests.get(server.url + "/v2/account", timeout=30,
                      headers={"APCA-API-KEY-ID": "emulator-key", "APCA-API-SECRET-KEY": "emulator-secret"})
assert answer.status_code == 200, answer.text
wall = time.perf_counter() - t0
usage = resource.getrusage(resource.RUSAGE_SELF)
server.stop()
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}))
"""


def start_once(directory: str, mode: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", START_SCRIPT, directory, mode], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def start_times(directory: str, rounds: int) -> None:
    medians = {}
    for mode in ("lazy", "eager"):
        runs = [start_once(directory, mode) for _ in range(rounds)]
        medians[mode] = {k: statistics.median(r[k] for r in runs) for k in ("wall", "cpu", "rss_mb")}
        m = medians[mode]
        print(f"start {mode:5s}: wall {m['wall']:.2f}s  cpu {m['cpu']:.2f}s  peak rss {m['rss_mb']:.0f} MB")
    ratio = medians["eager"]["cpu"] / medians["lazy"]["cpu"]
    print(f"start: lazy uses {ratio:.1f}x less CPU than eager (load average {os.getloadavg()[0]:.1f})")


def requests_per_second(directory: str, rounds: int, per_round: int) -> None:
    from rebalancer_emulator import EmulatorConfig, EmulatorServer
    from rebalancer_emulator.series import CsvDirSource

    config = EmulatorConfig(freeze_clock=True, initial_cash=10**9)  # type: ignore[arg-type]
    with EmulatorServer(CsvDirSource(directory), start_at="2026-07-30T10:00", config=config) as emu:
        session = requests.Session()
        session.headers.update(HEADERS)
        base = emu.url
        counter = iter(range(10**9))

        def one_cycle() -> int:
            n = next(counter)
            session.get(f"{base}/v2/account", timeout=10).raise_for_status()
            session.get(f"{base}/v2/clock", timeout=10).raise_for_status()
            body = {"symbol": "SPY", "qty": "1", "side": "buy", "type": "market", "time_in_force": "day"}
            order = session.post(f"{base}/v2/orders", json={**body, "client_order_id": f"b{n}"}, timeout=10)
            order.raise_for_status()
            session.get(f"{base}/v2/orders/{order.json()['id']}", timeout=10).raise_for_status()
            bars = f"{base}/v2/stocks/bars?symbols=SPY&timeframe=1Day&start=2025-07-30&adjustment=all"
            session.get(bars, timeout=10).raise_for_status()
            session.get(f"{base}/v2/stocks/quotes/latest?symbols=SPY,QQQ", timeout=10).raise_for_status()
            return 6

        for _ in range(5):
            one_cycle()
        rates = []
        for _ in range(rounds):
            t0, count = time.perf_counter(), 0
            while count < per_round:
                count += one_cycle()
            rates.append(count / (time.perf_counter() - t0))
    print(
        f"requests/s (sequential, keep-alive, 6-request mix): median {statistics.median(rates):.0f} "
        f"of {rounds} rounds x {per_round} ({', '.join(f'{r:.0f}' for r in rates)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=600)
    args = parser.parse_args()
    directory = os.environ.get("REBALANCER_MARKET_DATA")
    if not directory or not Path(directory).is_dir():
        print("REBALANCER_MARKET_DATA is not a directory: skipped")
        return
    print(f"{len(list(Path(directory).glob('*.csv')))} CSV files in {directory}")
    start_times(directory, args.rounds)
    requests_per_second(directory, args.rounds, args.requests)


if __name__ == "__main__":
    main()
