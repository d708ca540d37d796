"""Operator commands against a deployed stack (or moto, with AWS_ENDPOINT_URL):

    rebalancer halt --env paper      # no orders at all from the next run (or the running one's next read)
    rebalancer reduce --env paper    # sells only
    rebalancer resume --env paper    # trade normally
    rebalancer status --env paper    # halt flag, last runs, risk state, high-water mark
    rebalancer health --env paper    # one line per check, exit 1 on any cross
    rebalancer reset-risk --env paper [--high-water-mark 95000]   # clear a drawdown/loss/breaker trip

They use your AWS credentials and region (AWS_PROFILE / AWS_REGION), and find the stack's resources by
their names (rebalancer.aws.resources), so they need no stack outputs. Every command but `health` first
prints the account and region it acts on and checks that the stack is there (its table and topic; the
flag commands also its halt flag): in the wrong region, or with no stack, it refuses (`stack-not-found`)
rather than report a halt that halts nothing. No command ever creates the halt flag.
"""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation
from typing import Any

from rebalancer.aws.resources import ENVIRONMENTS
from rebalancer.errors import ConfigError, RebalancerError, StateError
from rebalancer.state.base import TradingFlag

_MEANING = {
    TradingFlag.OFF: "trading normally",
    TradingFlag.REDUCE: "sells only (reduce)",
    TradingFlag.HALT: "HALTED: no orders",
}


def register(subparsers: Any) -> None:
    for name, flag, text in (
        ("halt", TradingFlag.HALT, "stop placing orders (sets the SSM halt flag to halt)"),
        ("reduce", TradingFlag.REDUCE, "only sell from now on (halt flag: reduce)"),
        ("resume", TradingFlag.OFF, "trade normally again (halt flag: off)"),
    ):
        parser = subparsers.add_parser(name, help=text)
        _env_argument(parser)
        parser.set_defaults(func=_set_flag, flag=flag)
    status = subparsers.add_parser("status", help="halt flag, last runs, risk state of a stack")
    _env_argument(status)
    status.add_argument("--runs", type=int, default=5, help="how many runs to list (default: %(default)s)")
    status.set_defaults(func=_status)
    health = subparsers.add_parser("health", help="check credentials, Alpaca, state, config and data")
    _env_argument(health)
    health.add_argument("--config", help="config file to validate (default: config/<env>.yaml)")
    health.set_defaults(func=_health)
    reset = subparsers.add_parser(
        "reset-risk", help="clear a risk trip (drawdown, daily loss, circuit breaker): an operator's decision"
    )
    _env_argument(reset)
    reset.add_argument(
        "--high-water-mark",
        help="re-base the equity high-water mark (a drawdown trip needs it, or the next run trips again)",
    )
    reset.set_defaults(func=_reset_risk)


def _env_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", choices=ENVIRONMENTS, default="paper", help="which stack (default: paper)")


def _runtime(args: argparse.Namespace) -> Any:
    from rebalancer.aws.wiring import StackRuntime

    overrides = {"REBALANCER_CONFIG_FILE": args.config} if getattr(args, "config", None) else {}
    return StackRuntime.for_env(args.env, **overrides)


def _verified_runtime(args: argparse.Namespace) -> Any:
    """The runtime, once the stack's table and topic answer in this account and region (else a refusal)."""
    runtime = _runtime(args)
    names = runtime.names
    account = names.topic_arn.split(":")[4]
    where = f"rebalancer {names.env}: account {account}, region {names.region}"
    probes = {
        f"table {names.table}": runtime.store.describe,
        f"topic {names.topic_name}": runtime.notifier.check_reachable,
    }
    missing = []
    for what, probe in probes.items():
        try:
            probe()
        except RebalancerError:
            missing.append(what)
    if missing:
        raise StateError(
            f"{where}: no {names.env} stack here ({' and '.join(missing)} not found or not readable); "
            "nothing was changed",
            code="stack-not-found",
            hint="set AWS_REGION/AWS_PROFILE to the stack's account and region (or deploy it: README)",
        )
    print(where)
    return runtime


def _set_flag(args: argparse.Namespace) -> int:
    runtime = _verified_runtime(args)
    runtime.halt_flag.write(args.flag)
    value = runtime.halt_flag.read()
    print(f"{runtime.names.halt_parameter} = {value.value}: {_MEANING[value]}")
    return 0


def _status(args: argparse.Namespace) -> int:
    runtime = _verified_runtime(args)
    names = runtime.names
    print(f"rebalancer {names.env} ({names.region}; table {names.table}, bucket {names.bucket})")
    code = 0
    try:
        flag = runtime.halt_flag.read()
        print(f"halt flag: {flag.value} ({_MEANING[flag]})")
    except StateError as err:
        print(f"halt flag: UNREADABLE, runs treat it as halt: {err}")
        code = 1
    runs = runtime.store.recent_runs(names.env, limit=args.runs)
    print(f"last {len(runs)} runs:" if runs else "no runs recorded yet")
    for entry in runs:
        print(
            f"  {entry.session_date}  {entry.slot:<12} {entry.status:<17} "
            f"{entry.orders_submitted} submitted, {entry.orders_filled} filled  {entry.message[:80]}"
        )
    state = runtime.store.load_risk_state(names.env)
    if state is None:
        print("risk state: none saved yet (high-water mark set by the first run)")
    else:
        print(
            f"risk state: {state.get('tripped', 'active')}"
            f"{' (' + str(state.get('trip_reason')) + ')' if state.get('trip_reason') else ''}, "
            f"consecutive failures {state.get('consecutive_failures', 0)}"
        )
        print(f"high-water mark: {state.get('high_water_mark') or 'not set'}")
    for line in books_lines(runtime.store.load_books(names.env)):
        print(line)
    return code


def books_lines(doc: dict[str, Any] | None) -> list[str]:
    """The per-strategy books as the last run left them (value at its prices; docs/rebalancing.md)."""
    from rebalancer.portfolio.books import Books

    if doc is None:
        return ["strategy books: none saved yet (the first run opens them)"]
    books = Books.from_dict(doc)
    lines = [f"strategy books (as of {books.as_of}):"]
    for name, book in sorted(books.books.items()):
        last = book.last_rebalanced.isoformat() if book.last_rebalanced else "never"
        value = "n/a" if book.last_value is None else f"{book.last_value:,.2f}"
        pnl = ""
        if book.last_value is not None and book.invested > 0:
            pnl = f", P&L since inception {book.last_value - book.invested:+,.2f}"
        lines.append(
            f"  {name} (allocation {book.allocation}): value {value}{pnl}, cash {book.cash:,.2f}, "
            f"last rebalanced {last}"
        )
        held = ", ".join(f"{s} {q.normalize():f}" for s, q in sorted(book.shares.items()))
        lines.append(f"    holdings: {held or 'cash only'}")
    return lines


def _health(args: argparse.Namespace) -> int:
    from rebalancer.aws.health import run_checks

    checks = run_checks(_runtime(args))
    for check in checks:
        print(check.line())
    return 0 if all(c.ok for c in checks) else 1


def _reset_risk(args: argparse.Namespace) -> int:
    from rebalancer.portfolio.risk_state import RiskState

    mark = _money(args.high_water_mark) if args.high_water_mark else None
    runtime = _verified_runtime(args)
    saved = runtime.store.load_risk_state(runtime.names.env)
    if saved is None:
        print(f"risk state ({runtime.names.env}): none saved yet, nothing to reset")
        return 0
    before = RiskState.from_dict(saved)
    after = before.reset(high_water_mark=mark)
    runtime.store.save_risk_state(runtime.names.env, after.to_dict())
    print(
        f"risk state ({runtime.names.env}): {before.tripped.value} -> {after.tripped.value}; "
        f"consecutive failures {before.consecutive_failures} -> 0; "
        f"high-water mark {before.high_water_mark} -> {after.high_water_mark}"
    )
    return 0


def _money(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value <= 0:
        raise ConfigError(
            f"not a positive amount: {text!r}", code="bad-amount", hint="e.g. --high-water-mark 95000"
        )
    return value
