"""`rebalancer emulator`: run the local Alpaca-compatible paper broker until Ctrl-C.

    $ rebalancer emulator --port 8765 --synthetic --start-at 2024-11-29T09:35
    $ rebalancer emulator --data ../shared/data/market --freeze

Without --data or --synthetic it serves $REBALANCER_MARKET_DATA when set, else synthetic prices. A CSV
folder is read lazily: file names are listed at start and a symbol's file is parsed on its first request.
--start-at is New York time unless it carries an offset; the clock then runs in real time (or stays put
with --freeze; move it with POST /_emulator/clock). The keys it prints are the emulator's own, not Alpaca's.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from decimal import Decimal
from typing import Any

from rebalancer.market.history import PriceHistory
from rebalancer_emulator.clock import NEW_YORK, SimClock
from rebalancer_emulator.config import EmulatorConfig
from rebalancer_emulator.series import CsvDirSource
from rebalancer_emulator.server import EmulatorServer


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("emulator", help="serve a local Alpaca-compatible paper broker")
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0 picks a free one)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", metavar="DIR", help="directory of SYMBOL.csv daily prices")
    source.add_argument(
        "--synthetic", action="store_true", help="seeded synthetic prices ending at --start-at"
    )
    parser.add_argument("--start-at", metavar="ISO-TIME", help="simulated start time (default: now)")
    parser.add_argument("--freeze", action="store_true", help="keep the clock still until told to move")
    parser.add_argument("--key-id", default="emulator-key")
    parser.add_argument("--secret-key", default="emulator-secret")
    parser.add_argument("--cash", type=Decimal, default=Decimal("100000"), help="starting cash")
    parser.add_argument("--slippage-bps", type=Decimal, default=Decimal(0))
    parser.add_argument("--fill-model", choices=["current", "next_open"], default="current")
    parser.add_argument(
        "--account-type", choices=["margin", "cash"], default="margin", help="margin, as Alpaca paper"
    )
    parser.add_argument("--spread-bps", type=Decimal, default=Decimal(2), help="quoted spread, bps of mid")
    parser.add_argument(
        "--partial-fill-rate",
        type=float,
        default=0.1,
        help="share of orders that fill in two parts (default 0.1, as Alpaca paper; 0 for none)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the partial-fill draws")
    parser.set_defaults(func=run_emulator)


def load_history(args: argparse.Namespace) -> tuple[PriceHistory | CsvDirSource, str]:
    """The prices the flags ask for (a lazy CSV folder or synthetic history), and a short description."""
    data_dir = args.data or (None if args.synthetic else os.environ.get("REBALANCER_MARKET_DATA"))
    if data_dir:
        return CsvDirSource(data_dir), f"CSV files in {data_dir}, each read on first use"
    from rebalancer_research.market.synthetic import synthetic_market

    end = SimClock(args.start_at).now().astimezone(NEW_YORK).date()
    return synthetic_market(end=end), f"synthetic prices ending {end.isoformat()}"


def build_server(args: argparse.Namespace) -> tuple[EmulatorServer, str]:
    history, described = load_history(args)
    config = EmulatorConfig(
        initial_cash=args.cash,
        slippage_bps=args.slippage_bps,
        fill_model=args.fill_model,
        freeze_clock=args.freeze,
        account_type=args.account_type,
        spread_bps=args.spread_bps,
        partial_fill_rate=args.partial_fill_rate,
        seed=args.seed,
    )
    server = EmulatorServer(
        history,
        start_at=args.start_at,
        port=args.port,
        key_id=args.key_id,
        secret_key=args.secret_key,
        config=config,
    )
    return server, described


def run_emulator(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    server, described = build_server(args)
    with server:
        lines = [
            f"Alpaca emulator serving {len(server.prices.symbols)} symbols ({described})",
            f"  url:        {server.url}",
            f"  key id:     {args.key_id}",
            f"  secret key: {args.secret_key}",
            f"  clock:      {server.clock.now().astimezone(NEW_YORK).isoformat()}"
            + (" (frozen)" if server.clock.frozen else ""),
            "  alpaca-py:  TradingClient(key, secret, paper=True, url_override=URL)",
            f"  control:    {server.url}/_emulator/clock, /_emulator/faults, /_emulator/requests",
            "Press Ctrl-C to stop.",
        ]
        print("\n".join(lines), flush=True)
        try:
            (stop or threading.Event()).wait()
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)
    return 0
