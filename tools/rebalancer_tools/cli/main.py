"""The `rebalancer` command. Each command group lives in its own module with a `register` function."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from rebalancer.errors import RebalancerError

# Modules under rebalancer_tools.cli that each define `register(subparsers)`; every parser they add sets
# `func=<callable(args) -> int>`.
COMMAND_MODULES: tuple[str, ...] = (
    "symphony_cmd",
    "emulator_cmd",
    "config_cmd",
    "run_cmd",
    "signals_cmd",
    "backtest_cmd",
    "research_cmd",
    "ops_cmd",
    "invoke_cmd",
    "demo_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rebalancer", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"rebalancer_tools.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except RebalancerError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
