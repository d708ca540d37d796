"""`rebalancer config check FILE` and `rebalancer config show [--config FILE] [--json]`.

    $ rebalancer config check config/paper.yaml      # every problem with its field path; exit 1 if any
    $ rebalancer config check config/paper.yaml --synthetic     # also: every ticker exists in that market
    $ rebalancer config show --config config/paper.yaml
    risk.max_drawdown = "0.5"    # file
    data.feed = "iex"            # default

Both apply the environment (REBALANCER_* variables) on top of the file, exactly as a run does.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rebalancer.config.loader import LoadedConfig, flatten, inspect_config, load_config_with_sources
from rebalancer.config.problems import ConfigProblem

EXIT_PROBLEMS = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("config", help="check or show the configuration")
    commands = parser.add_subparsers(dest="config_command", required=True, metavar="SUBCOMMAND")
    check = commands.add_parser("check", help="list every problem in a config file (exit 1 if any)")
    check.add_argument("file", metavar="FILE", help="a config file such as config/paper.yaml")
    check.add_argument(
        "--skip-strategies", action="store_true", help="do not read the strategy files (field checks only)"
    )
    market = check.add_mutually_exclusive_group()
    market.add_argument("--data", metavar="DIR", help="also check every ticker has a SYMBOL.csv in DIR")
    market.add_argument(
        "--synthetic", action="store_true", help="also check every ticker exists in the synthetic market"
    )
    check.set_defaults(func=run_check)
    show = commands.add_parser("show", help="print the effective config and where each value came from")
    show.add_argument("--config", metavar="FILE", default=None, help="config file (default: defaults + env)")
    show.add_argument("--json", action="store_true", help="print {config, sources} as JSON")
    show.set_defaults(func=run_show)


def run_check(args: argparse.Namespace) -> int:
    loaded, problems = inspect_config(args.file, verify_strategies=not args.skip_strategies)
    if loaded is not None and not problems and (args.data or args.synthetic):
        problems = symbol_problems(loaded, args.data)
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        print(f"{args.file}: {len(problems)} {noun}")
        for problem in problems:
            print(f"  {problem}")
        return EXIT_PROBLEMS
    assert loaded is not None  # no problems means the config was built
    print(f"{args.file}: OK ({summary(loaded)})")
    return 0


def symbol_problems(loaded: LoadedConfig, data_dir: str | None) -> list[ConfigProblem]:
    """A `symbol-unknown` problem when a strategy names a ticker the chosen market does not have."""
    from rebalancer.config.strategy_files import strategy_specs
    from rebalancer.errors import DataError
    from rebalancer.strategies import load_strategies
    from rebalancer_research.market.select import check_market_symbols

    specs = strategy_specs(loaded.config, base_dir=loaded.base_dir, env=None)
    try:
        check_market_symbols(load_strategies(specs), data_dir)
    except DataError as err:
        return [ConfigProblem("strategies", f"{err.message}. Hint: {err.hint}", err.code)]
    return []


def run_show(args: argparse.Namespace) -> int:
    loaded = load_config_with_sources(args.config)
    if args.json:
        data = {"config": loaded.config.model_dump(mode="json"), "sources": loaded.sources}
        json.dump(data, sys.stdout, indent=2)
        print()
        return 0
    print(f"# effective configuration: {args.config or 'defaults + environment'} ({summary(loaded)})")
    for line in show_lines(loaded):
        print(line)
    return 0


def summary(loaded: LoadedConfig) -> str:
    config = loaded.config
    strategies = ", ".join(f"{name} {share:g}" for name, share in config.allocations.items())
    confirmed = "yes" if config.live_trading_confirmed else "no"
    return (
        f"env {config.env}, broker {config.broker_mode}, strategies: {strategies}; "
        f"live trading confirmed: {confirmed}"
    )


def show_lines(loaded: LoadedConfig) -> list[str]:
    """`path = value  # source` lines, values as JSON, aligned."""
    leaves = flatten(loaded.config.model_dump(mode="json"))
    pairs = [(f"{path} = {json.dumps(value)}", loaded.sources[path]) for path, value in leaves.items()]
    width = max(len(text) for text, _ in pairs)
    return [f"{text.ljust(width)}  # {source}" for text, source in pairs]
