"""One full run (50 symbols, 30 orders) against the emulator with 50 ms latency per request.

Counts the sequential round trips on the critical path from the emulator's request log (a request that
arrives less than one latency after the first request of the current wave overlapped it in flight: the
same round trip; sequential requests are at least one latency apart), separately for fill polling, and
the wall time; in the same run, the naive peer: the same run with one request at a time.
Target: at most 10 sequential round trips besides fill polling, whatever the number of orders.

    .venv/bin/python bench/run_bench.py [--latency 0.05] [--symbols 50] [--orders 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from rebalancer.alpaca.credentials import AlpacaCredentials
from rebalancer.run import ExecutionSettings, RunSettings, StrategySpec, run
from rebalancer.run.decide import decide
from rebalancer.strategies import load_strategies
from rebalancer_emulator import EmulatorConfig, EmulatorServer
from rebalancer_research.market.synthetic import synthetic_market
from rebalancer_tools.local.emulator_session import EMULATOR_KEY, EMULATOR_SECRET, BrokerSession, adapters
from rebalancer_tools.local.memory import MemoryHaltFlag, MemoryNotifier, MemoryStore

AT = dt.datetime(2026, 11, 2, 14, 35, tzinfo=dt.UTC)  # Monday 09:35 ET
POLLING = {"orders", "order"}


def _symphony(symbols: list[str], top: int) -> str:
    assets = " ".join(f'(asset "{s}")' for s in symbols)
    return (
        '(defsymphony "Bench" {:asset-class "EQUITIES", :rebalance-frequency :daily}\n'
        f" (weight-equal [(filter (cumulative-return {{:window 20}}) (select-top {top}) [{assets}])]))\n"
    )


def _waves(records: list, latency: float) -> tuple[int, int]:
    """(sequential round trips outside fill polling, polling round trips)."""
    ordered = sorted(records, key=lambda r: r.at)
    waves: list[list] = []
    for record in ordered:
        if waves and (record.at - waves[-1][0].at).total_seconds() < latency * 0.9:
            waves[-1].append(record)
        else:
            waves.append([record])
    first_submit = next((i for i, w in enumerate(waves) if any(r.method == "POST" for r in w)), len(waves))
    polling = sum(
        1
        for i, wave in enumerate(waves)
        if i > first_submit and all(r.method == "GET" and r.endpoint in POLLING for r in wave)
    )
    return len(waves) - polling, polling


def _one_run(settings: RunSettings, history, exits: list[str], latency: float, parallel: int) -> dict:
    config = EmulatorConfig()
    with EmulatorServer(history, start_at=AT, config=config) as emulator:
        for symbol in exits:
            emulator.state.seed_position(symbol, Decimal(20), Decimal(50))
        emulator.state.set_cash(Decimal(100_000))
        emulator.faults.latency("*", seconds=latency)
        broker, data = adapters(
            emulator.url, AlpacaCredentials(EMULATOR_KEY, EMULATOR_SECRET), max_parallel=parallel
        )
        session = BrokerSession(broker, data, emulator.clock, emulator)
        ports = session.ports(MemoryStore(), MemoryHaltFlag(), MemoryNotifier())
        tuned = replace(settings, execution=replace(settings.execution, max_parallel=parallel))
        started = time.perf_counter()
        result = run(tuned, ports, session.now())
        wall = time.perf_counter() - started
        records = emulator.request_log.records
        critical, polling = _waves(records, latency)
        return {
            "status": result.status.value,
            "orders": len(result.outcomes),
            "filled": result.orders_filled,
            "requests": len(records),
            "critical": critical,
            "polling": polling,
            "wall": wall,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--symbols", type=int, default=50)
    parser.add_argument("--orders", type=int, default=30)
    args = parser.parse_args()

    symbols = [f"S{i:03d}" for i in range(args.symbols)]
    buys = args.orders // 2
    history = synthetic_market(symbols, end=AT.date() - dt.timedelta(days=3), sessions=300)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.clj"
        path.write_text(_symphony(symbols, buys))
        settings = RunSettings(
            env="paper",
            strategies=(StrategySpec("bench", path, 1.0),),
            execution=ExecutionSettings(fill_timeout_s=60),
            lookback_margin=5,
        )
        decision_day = history.last_date
        targets = decide(load_strategies(settings.strategies), history, decision_day).targets
        exits = [s for s in symbols if s not in targets][: args.orders - buys]
        ours = _one_run(settings, history, exits, args.latency, parallel=32)
        naive = _one_run(settings, history, exits, args.latency, parallel=1)

    print(
        f"run: {args.symbols} symbols, {len(exits)} sells + {buys} buys, {args.latency * 1000:.0f} ms latency"
    )
    for name, figures in (("rebalancer", ours), ("one-at-a-time peer", naive)):
        print(
            f"  {name:<20} status {figures['status']:<9} orders {figures['orders']:>3} "
            f"filled {figures['filled']:>3} requests {figures['requests']:>4} "
            f"round trips {figures['critical']:>3} (+{figures['polling']} polling) "
            f"wall {figures['wall']:.2f} s"
        )
    print(
        f"  ratio peer/rebalancer: round trips {naive['critical'] / ours['critical']:.1f}x, "
        f"wall {naive['wall'] / ours['wall']:.1f}x"
    )
    met = ours["critical"] <= 10
    verdict = "OK" if met else "OVER TARGET"
    print(f"  target <= 10 round trips besides polling: {verdict} ({ours['critical']})")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
