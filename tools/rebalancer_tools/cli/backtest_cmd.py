"""`rebalancer backtest` and `rebalancer walkforward`: research on the live engine (docs/backtesting.md).

    $ rebalancer backtest                                     # the three built-ins, synthetic market
    $ rebalancer backtest --data ../shared/data/market --execution open --slippage-bps 5 --out /tmp/bt
    $ rebalancer backtest --strategy tecl --rebalance threshold:0.05 --format json --check-bias
    $ rebalancer walkforward --strategy my.clj --grid spy-overbought=75,79,83 --grid bull-window=150,200

Exit codes: 0 done, 1 the look-ahead check failed, 2 an error (typed, with a hint).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

from rebalancer.errors import ConfigError
from rebalancer.strategies import load_strategies, specs_from_arguments
from rebalancer_research.backtest.bias import look_ahead_check, warmup_check
from rebalancer_research.backtest.options import BacktestOptions, parse_rebalance, planner_defaults
from rebalancer_research.backtest.pipeline import run_backtest, write_outputs
from rebalancer_research.backtest.tables import backtest_table, walkforward_table
from rebalancer_research.backtest.walkforward import METRICS, WalkForwardSettings, parse_grid, walk_forward
from rebalancer_research.json_output import strict_json
from rebalancer_research.market.quality import data_warnings
from rebalancer_research.market.select import market_for
from rebalancer_tools.cli.fanout_args import add_fan_out_options


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _common(parser: argparse.ArgumentParser) -> None:
    buffer, minimum = planner_defaults()
    parser.add_argument("--strategy", action="append", default=[], metavar="NAME|FILE", help="repeatable")
    parser.add_argument(
        "--allocation",
        action="append",
        default=[],
        metavar="NAME=WEIGHT",
        help="repeatable; fractions summing to 1, or percentages to 100",
    )
    parser.add_argument(
        "--data",
        metavar="DIR",
        help="folder of SYMBOL.csv files, or 'alpaca' (Alpaca market data cached in "
        "$REBALANCER_BARS_CACHE, default .rebalancer/bars; keys from APCA_API_KEY_ID/APCA_API_SECRET_KEY "
        "or a REBALANCER_PROFILE) "
        "(default: synthetic market)",
    )
    parser.add_argument("--start", type=_date, help="first session (YYYY-MM-DD)")
    parser.add_argument("--end", type=_date, help="last session (YYYY-MM-DD)")
    parser.add_argument("--execution", choices=("close", "open"), default="close")
    parser.add_argument("--slippage-bps", type=float, default=0.0)
    parser.add_argument("--fee-bps", type=float, default=0.0)
    parser.add_argument(
        "--rebalance",
        default=None,
        help="override every strategy's own :rebalance-frequency / :rebalance-threshold: "
        "daily, weekly, monthly, quarterly, yearly, none or threshold:X (default: each file's setting)",
    )
    parser.add_argument(
        "--cash-buffer", type=float, default=buffer, help=f"as the live planner (default {buffer})"
    )
    parser.add_argument(
        "--min-order", type=float, default=minimum, help=f"minimum order notional ({minimum})"
    )
    parser.add_argument("--initial-equity", type=float, default=100_000.0)
    parser.add_argument("--format", choices=("table", "json"), default="table")


def register(subparsers: Any) -> None:
    backtest = subparsers.add_parser("backtest", help="backtest strategies on the live engine")
    _common(backtest)
    backtest.add_argument("--benchmark", default="SPY", help="benchmark symbol, or 'none'")
    backtest.add_argument("--out", metavar="DIR", help="write backtest.json, PNG charts and report.html here")
    backtest.add_argument("--check-bias", action="store_true", help="run the look-ahead and warm-up checks")
    backtest.add_argument(
        "--bias-samples", type=int, default=12, help="sessions sampled by the look-ahead check"
    )
    backtest.set_defaults(func=run_backtest_command)
    walk = subparsers.add_parser("walkforward", help="walk-forward analysis over a parameter grid")
    _common(walk)
    walk.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2,...", help="repeatable")
    walk.add_argument("--in-sample", type=int, default=756, help="sessions per in-sample window (756)")
    walk.add_argument(
        "--out-of-sample", type=int, default=252, help="sessions per out-of-sample window (252)"
    )
    walk.add_argument("--metric", choices=METRICS, default="sharpe", help="in-sample selection metric")
    add_fan_out_options(walk)
    walk.set_defaults(func=run_walkforward_command)


def _options(args: argparse.Namespace) -> BacktestOptions:
    return BacktestOptions(
        execution=args.execution,
        slippage_bps=args.slippage_bps,
        fee_bps=args.fee_bps,
        rebalance=None if args.rebalance is None else parse_rebalance(args.rebalance),
        cash_buffer=args.cash_buffer,
        min_order_notional=args.min_order,
        initial_equity=args.initial_equity,
        start=args.start,
        end=args.end,
    )


def output_folder(text: str) -> Path:
    """The --out folder, created now: a bad path is refused before minutes of backtesting, not after."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise ConfigError(
            f"{text} is a file, not a folder",
            code="out-not-folder",
            hint="give a folder for backtest.json, the charts and report.html (created when missing)",
            where="--out",
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(
            f"cannot create folder {text}: {err.strerror}",
            code="out-unwritable",
            hint="pick a folder you can write, e.g. --out /tmp/backtest",
            where="--out",
        ) from None
    if not os.access(path, os.W_OK):
        raise ConfigError(
            f"cannot write in folder {text}",
            code="out-unwritable",
            hint="pick a folder you can write, e.g. --out /tmp/backtest",
            where="--out",
        )
    return path


def run_backtest_command(args: argparse.Namespace) -> int:
    options = _options(args)
    out = output_folder(args.out) if args.out else None
    benchmark = None if args.benchmark.lower() == "none" else args.benchmark.upper()
    strategies = load_strategies(specs_from_arguments(args.strategy, args.allocation))
    history, _ = market_for(strategies, args.data, benchmark=benchmark, end=args.end)
    _warn_about(history)
    run = run_backtest(strategies, history, options, benchmark=benchmark)
    passed = True
    if args.check_bias:
        bias = {}
        for item in strategies:
            look = look_ahead_check(item.symphony, history, samples=args.bias_samples)
            passed = passed and look.passed
            warm = warmup_check(item.symphony, history)
            bias[item.name] = {"look_ahead": look.to_dict(), "warmup": warm.to_dict()}
        run.document["bias"] = bias
    if out is not None:
        paths = write_outputs(run, out, title=_title(strategies))
        run.document["outputs"] = {name: str(path) for name, path in paths.items()}
    if args.format == "json":
        print(strict_json(run.document, indent=2))
    else:
        print(backtest_table(run.document))
        if args.out:
            print(f"\nreport: {run.document['outputs']['html']}")
    if not passed:
        print("look-ahead check FAILED: weights differ on truncated data", file=sys.stderr)
    return 0 if passed else 1


def _warn_about(history: Any) -> None:
    for line in data_warnings(history):
        print(line, file=sys.stderr)


def _title(strategies: Any) -> str:
    return "Backtest: " + ", ".join(f"{s.name} {s.allocation:.0%}" for s in strategies)


def run_walkforward_command(args: argparse.Namespace) -> int:
    options = _options(args)
    if not args.grid:
        raise ConfigError(
            "walkforward needs a parameter grid",
            code="bad-grid",
            hint="give --grid NAME=V1,V2,... for parameters the symphony declares in :parameters",
            where="--grid",
        )
    settings = WalkForwardSettings(
        args.in_sample, args.out_of_sample, args.metric, args.jobs, scheduler=args.scheduler
    )
    specs = specs_from_arguments(args.strategy, args.allocation)
    grid = parse_grid(args.grid)
    strategies = load_strategies(specs)
    _check_declared(strategies, grid)
    history, _ = market_for(strategies, args.data, end=getattr(args, "end", None))
    _warn_about(history)
    report = walk_forward(specs, history, grid, settings, options, progress=not args.no_progress)
    print(strict_json(report, indent=2) if args.format == "json" else walkforward_table(report))
    return 0


def _check_declared(strategies: Any, grid: dict[str, list[float]]) -> None:
    declared = {name for item in strategies for name, _ in item.symphony.parameters}
    unknown = sorted(set(grid) - declared)
    if unknown:
        raise ConfigError(
            f"no strategy declares parameter(s) {', '.join(unknown)}",
            code="unknown-parameter",
            hint=f"declared: {', '.join(sorted(declared)) or 'none'} (settings map :parameters {{...}})",
            where="--grid",
        )
