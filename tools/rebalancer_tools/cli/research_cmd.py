"""`rebalancer sweep` and `rebalancer screen`: rank grid points or symphony files (docs/research-at-scale.md).

    $ rebalancer sweep --strategy tests/fixtures/symphonies/parameters.clj --grid overbought=75,79,83
    $ rebalancer screen strategies/*.clj --metric calmar --out out/screen
    $ rebalancer sweep ... --scheduler tcp://10.0.0.5:8786          # an existing Dask cluster

Both run on an embedded Dask cluster of --jobs processes on 127.0.0.1 (--jobs 1: in this process).
Exit codes: 0 every candidate ran, 1 some failed (listed, the others still ranked), 2 an error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rebalancer.errors import ConfigError
from rebalancer.market.history import PriceHistory
from rebalancer.strategies import load_strategies, specs_from_arguments
from rebalancer_research.backtest.ranking import Ranking, screen, sweep
from rebalancer_research.backtest.walkforward import METRICS, parse_grid
from rebalancer_research.market.select import market_for
from rebalancer_tools.cli.backtest_cmd import _check_declared, _common, _options
from rebalancer_tools.cli.fanout_args import add_fan_out_options, fan_out_settings

TOP_ROWS = 20


def register(subparsers: Any) -> None:
    sweep_parser = subparsers.add_parser("sweep", help="backtest every point of a parameter grid, ranked")
    _common(sweep_parser)
    sweep_parser.add_argument(
        "--grid", action="append", default=[], metavar="NAME=V1,V2,...", help="repeatable"
    )
    _ranking_options(sweep_parser)
    sweep_parser.set_defaults(func=run_sweep_command)
    screen_parser = subparsers.add_parser("screen", help="backtest many symphony files, ranked")
    screen_parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="symphony files (.clj)")
    _common(screen_parser)
    _ranking_options(screen_parser)
    screen_parser.set_defaults(func=run_screen_command)


def _ranking_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--metric", choices=METRICS, default="sharpe", help="ranking metric (sharpe)")
    parser.add_argument("--out", metavar="DIR", help="write the JSON, ranking.csv and ranking.png here")
    add_fan_out_options(parser)


def run_sweep_command(args: argparse.Namespace) -> int:
    if not args.grid:
        raise ConfigError(
            "sweep needs a parameter grid",
            code="bad-grid",
            hint="add --grid NAME=V1,V2,... for a parameter the symphony declares",
        )
    specs = specs_from_arguments(args.strategy, args.allocation)
    strategies = load_strategies(specs)
    grid = parse_grid(args.grid)
    _check_declared(strategies, grid)
    history, _ = market_for(strategies, args.data)
    fan = fan_out_settings(args)
    ranking = sweep(specs, history, grid, _options(args), metric=args.metric, fan=fan)
    return _finish(ranking, args)


def run_screen_command(args: argparse.Namespace) -> int:
    from rebalancer.symphony.reader import load_symphony

    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        raise ConfigError(
            f"no such symphony file: {', '.join(missing)}", code="file-missing", hint="check the paths"
        )
    symbols: set[str] = set()
    for path in args.files:
        symbols |= load_symphony(path).symbols
    history = _market(_available(symbols, args.data))
    fan = fan_out_settings(args)
    ranking = screen(list(args.files), history, _options(args), metric=args.metric, fan=fan)
    return _finish(ranking, args)


def _available(symbols: set[str], data: str | None) -> tuple[set[str], str | None]:
    """The symbols the market has (CSV files, or the synthetic market's modelled symbols): a file
    needing any other fails alone, named, instead of being simulated on made-up prices."""
    if data is None:
        from rebalancer_research.market.synthetic_universe import public_symbols

        return symbols & set(public_symbols()), None
    return {symbol for symbol in symbols if (Path(data) / f"{symbol}.csv").is_file()}, data


def _market(available: tuple[set[str], str | None]) -> PriceHistory:
    symbols, data = available
    if data is not None:
        from rebalancer_research.market.csv_source import load_csv_dir

        return load_csv_dir(data, sorted(symbols))
    from rebalancer_research.market.synthetic import synthetic_market

    return synthetic_market(sorted(symbols))


def _finish(ranking: Ranking, args: argparse.Namespace) -> int:
    if args.out:
        from rebalancer_research.backtest.ranking_outputs import write_ranking

        paths = write_ranking(ranking, Path(args.out))
        ranking_outputs = {name: str(path) for name, path in paths.items()}
    if args.format == "json":
        from rebalancer_research.backtest.ranking_outputs import _json_safe

        print(json.dumps(_json_safe(ranking.document), indent=2, allow_nan=False))
    else:
        print(_table(ranking))
        if args.out:
            print(f"\nwrote {', '.join(ranking_outputs.values())}")
    for failure in ranking.failures:
        print(f"failed: {failure}", file=sys.stderr)
    return 1 if ranking.failures else 0


def _table(ranking: Ranking) -> str:
    from rebalancer_research.backtest.tables import _cell as cell
    from rebalancer_research.backtest.tables import grid

    rows = [["rank", "candidate", ranking.metric, "total return", "annualized", "max drawdown"]]
    for i, c in enumerate(ranking.candidates[:TOP_ROWS]):
        metric_kind = "num" if ranking.metric in ("sharpe", "sortino", "calmar") else "pct"
        rows.append(
            [
                str(i + 1),
                c.label,
                cell(c.metrics.get(ranking.metric), metric_kind),
                cell(c.metrics["total_return"], "pct"),
                cell(c.metrics["annualized_return"], "pct"),
                cell(c.metrics["max_drawdown"], "pct"),
            ]
        )
    more = len(ranking.candidates) - TOP_ROWS
    tail = [f"... {more} more (see --out or --format json)"] if more > 0 else []
    failed = [f"{len(ranking.failures)} failed (listed on stderr)"] if ranking.failures else []
    return "\n".join([grid(rows), *tail, *failed])
