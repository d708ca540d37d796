"""The `rebalancer` command. Each command group lives in its own module with a `register` function."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from rebalancer_tools.cli.guard import guarded

# Every command: (name, module under rebalancer_tools.cli that registers it, one-line help). Only the
# chosen command's module is imported (they pull in pandas, exchange_calendars, pydantic, the emulator),
# so `rebalancer --help` costs the interpreter and argparse alone. Each module defines
# `register(subparsers)`, adding exactly the commands listed here for it, in this order, each with
# `func=<callable(args) -> int>`; tests/unit/test_cli_main.py checks the table against the modules.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("symphony", "symphony_cmd", "inspect symphony (strategy) files"),
    ("emulator", "emulator_cmd", "serve a local Alpaca-compatible paper broker"),
    ("config", "config_cmd", "check or show the configuration"),
    ("run", "run_cmd", "run one full rebalance (orders are sent)"),
    ("plan", "run_cmd", "everything a run does up to sending orders"),
    ("rerun", "run_cmd", "a new attempt of today's run after one that failed without orders"),
    ("replay", "run_cmd", "re-evaluate a recorded run and compare"),
    ("signals", "signals_cmd", "today's target weights of each strategy and the combined portfolio"),
    ("backtest", "backtest_cmd", "backtest strategies on the live engine"),
    ("walkforward", "backtest_cmd", "walk-forward analysis over a parameter grid"),
    ("sweep", "research_cmd", "backtest every point of a parameter grid, ranked"),
    ("screen", "research_cmd", "backtest many symphony files, ranked"),
    ("halt", "ops_cmd", "stop placing orders (sets the SSM halt flag to halt)"),
    ("reduce", "ops_cmd", "only sell from now on (halt flag: reduce)"),
    ("resume", "ops_cmd", "trade normally again (halt flag: off)"),
    ("status", "ops_cmd", "halt flag, last runs, risk state of a stack"),
    ("health", "ops_cmd", "check credentials, Alpaca, state, config and data"),
    (
        "reset-risk",
        "ops_cmd",
        "clear a risk trip (drawdown, daily loss, circuit breaker): an operator's decision",
    ),
    ("invoke", "invoke_cmd", "run a Lambda handler in-process with an event file"),
    ("demo", "demo_cmd", "run the Lambda stack locally on moto + the emulator"),
)

DESCRIPTION = (
    "A multi-strategy portfolio rebalancer for Alpaca. `rebalancer COMMAND --help` shows a command's "
    "options; `rebalancer demo` runs the whole stack locally."
)

COMMAND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(module for _, module, _ in COMMANDS))


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command word: the first argument that is not an option (the root has only flags)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The full parser for the command `argv` names; the others are listed but not imported.

    With no argv (tests, docs), every module is imported and registered.
    """
    command = None if argv is None else chosen_command(argv)
    wanted = {module for name, module, _ in COMMANDS if argv is None or name == command}
    parser = argparse.ArgumentParser(prog="rebalancer", description=DESCRIPTION)
    parser.add_argument("--debug", action="store_true", help="show a traceback for an unexpected error")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    registered: set[str] = set()
    for name, module, text in COMMANDS:
        if module in wanted:
            if module not in registered:
                importlib.import_module(f"rebalancer_tools.cli.{module}").register(subparsers)
                registered.add(module)
        else:
            subparsers.add_parser(name, help=text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    # --debug is accepted anywhere on the line (it is the guard's switch, not a command option).
    debug = "--debug" in arguments
    arguments = [arg for arg in arguments if arg != "--debug"]
    return guarded(lambda: _dispatch(arguments), debug=debug)


def _dispatch(arguments: list[str]) -> int:
    args = build_parser(arguments).parse_args(arguments)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
