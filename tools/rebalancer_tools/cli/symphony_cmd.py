"""`rebalancer symphony show FILE [--json] [--param NAME=VALUE ...]`: print a symphony's normalized tree.
`rebalancer symphony check FILE...`: can these symphonies run here (symphony_check.py)?

    $ rebalancer symphony show nuclear            # a built-in name, or a path to a .clj file
    $ rebalancer symphony show my.clj --json --param overbought=81

The text form is the canonical s-expression (it reads back to the same tree), preceded by `;` comment
lines listing the holdings and signals derived from the tree. Errors are StrategyErrors (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rebalancer.errors import StrategyError
from rebalancer.symphony.library import resolve_strategy
from rebalancer.symphony.reader import load_symphony
from rebalancer_tools.printer import format_symphony, symphony_to_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("symphony", help="inspect symphony (strategy) files")
    commands = parser.add_subparsers(dest="symphony_command", required=True, metavar="SUBCOMMAND")
    show = commands.add_parser("show", help="print the normalized tree of a symphony")
    show.add_argument("file", metavar="FILE", help="a built-in strategy name (nuclear, tecl, klm) or a path")
    show.add_argument("--json", action="store_true", help="print the normalized tree as JSON")
    show.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a named parameter declared in the settings map (repeatable)",
    )
    show.set_defaults(func=run_show)
    from rebalancer_tools.cli.symphony_check import register_check

    register_check(commands)


def parse_param_overrides(items: list[str]) -> dict[str, float]:
    overrides: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise _bad_override(item)
        try:
            overrides[name.strip()] = float(value)
        except ValueError:
            raise _bad_override(item) from None
    return overrides


def _bad_override(item: str) -> StrategyError:
    return StrategyError(
        f"cannot read parameter override {item!r}",
        code="bad-parameters",
        hint="write --param NAME=NUMBER, e.g. --param overbought=81",
        where="--param",
    )


def run_show(args: argparse.Namespace) -> int:
    path = resolve_strategy(args.file)
    symphony = load_symphony(path, parameters=parse_param_overrides(args.param))
    if args.json:
        json.dump(symphony_to_json(symphony), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    sys.stdout.write(f"; holdings: {' '.join(sorted(symphony.holdings))}\n")
    sys.stdout.write(f"; signals: {' '.join(sorted(symphony.signals))}\n")
    sys.stdout.write(format_symphony(symphony) + "\n")
    return 0
