"""`rebalancer run`, `rebalancer plan`, `rebalancer replay`: one rebalance from the command line.

    $ rebalancer run --config config/paper.yaml --broker emulator --at 2026-11-02T09:35
    $ rebalancer plan --config config/paper.yaml            # stops before sending orders
    $ rebalancer rerun --config config/paper.yaml           # today's run again after a failed one
    $ rebalancer replay paper-2026-11-02-market-open        # re-evaluates the recorded inputs

With `--broker emulator` and no --base-url, an emulator starts in-process on the synthetic market with its
clock at --at (New York time unless it has an offset; default Monday 2026-11-02 09:35). Records, the
ledger, the halt flag (`halt/<env>`) and sent messages (`outbox/`) live under --records (.rebalancer/).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rebalancer.errors import ConfigError
from rebalancer.run.settings import NEW_YORK, RunSettings

OK_STATUSES = {"completed", "planned", "no-session", "duplicate"}


def register(subparsers: Any) -> None:
    for name, plan_only, text in (
        ("run", False, "run one full rebalance (orders are sent)"),
        ("plan", True, "everything a run does up to sending orders"),
        ("rerun", False, "a new attempt of today's run after one that failed without orders"),
    ):
        parser = subparsers.add_parser(name, help=text)
        parser.add_argument(
            "--config", default="config/paper.yaml", help="config file (default: %(default)s)"
        )
        parser.add_argument("--broker", choices=["emulator"], default="emulator")
        parser.add_argument("--base-url", help="an emulator already running (default: start one in-process)")
        parser.add_argument(
            "--at", metavar="ISO-TIME", help="the emulator clock (default: 2026-11-02T09:35 ET)"
        )
        parser.add_argument(
            "--records", default=".rebalancer", help="local store directory (default: %(default)s)"
        )
        parser.set_defaults(func=_run_command, plan_only=plan_only, rerun=name == "rerun")
    replay = subparsers.add_parser("replay", help="re-evaluate a recorded run and compare")
    replay.add_argument("run_id", metavar="RUN", help="the run id, e.g. paper-2026-11-02-market-open")
    replay.add_argument(
        "--records", default=".rebalancer", help="local store directory (default: %(default)s)"
    )
    replay.set_defaults(func=_replay_command)


def parse_at(text: str | None) -> dt.datetime:
    from rebalancer_tools.local.emulator_session import DEFAULT_AT

    if not text:
        return DEFAULT_AT
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"cannot read time {text!r}",
            code="bad-time",
            hint="write --at 2026-11-02T09:35 (New York time unless it carries an offset)",
            where="--at",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=NEW_YORK)


def _run_command(args: argparse.Namespace) -> int:
    from rebalancer.config.loader import load_config_with_sources
    from rebalancer.run import run
    from rebalancer.run.config_bridge import settings_from_config
    from rebalancer_tools.local.disk import DiskHaltFlag, DiskNotifier, DiskStore

    parse_at(args.at)  # a typo is refused before the config, the emulator and the market are loaded
    settings = settings_from_config(load_config_with_sources(args.config))
    root = Path(args.records)
    with _session(args, settings) as session:
        ports = session.ports(DiskStore(root), DiskHaltFlag(root, settings.env), DiskNotifier(root))
        result = run(settings, ports, session.now(), plan_only=args.plan_only, rerun=args.rerun)
    print(result.report, end="")
    if args.plan_only and result.status.value == "planned":
        print(f"Plan recorded: {root / 'runs' / result.run_id / 'plan.json'}")
    return 0 if result.status.value in OK_STATUSES else 1


@contextlib.contextmanager
def _session(args: argparse.Namespace, settings: RunSettings) -> Iterator[Any]:
    from rebalancer.alpaca.credentials import AlpacaCredentials
    from rebalancer.state.base import BrokerClock
    from rebalancer_tools.local.emulator_session import (
        EMULATOR_KEY,
        EMULATOR_SECRET,
        BrokerSession,
        adapters,
        emulator_scope,
        emulator_session,
    )

    if args.base_url:
        broker, data = adapters(args.base_url, AlpacaCredentials(EMULATOR_KEY, EMULATOR_SECRET))
        yield BrokerSession(broker, data, BrokerClock(broker))
        return
    symbols, sessions = emulator_scope(settings)
    with emulator_session(at=parse_at(args.at), symbols=symbols, sessions=sessions) as session:
        yield session


def _replay_command(args: argparse.Namespace) -> int:
    from rebalancer_tools.local.disk import DiskStore
    from rebalancer_tools.replay import replay_run

    report = replay_run(DiskStore(args.records), args.run_id)
    print(report.format(), end="")
    return 0 if report.identical else 1
