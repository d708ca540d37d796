"""Local wiring: the run against an in-process emulator (or any Alpaca-compatible URL) with disk stores.

>>> with emulator_session(at=dt.datetime(2026, 11, 2, 14, 35, tzinfo=dt.UTC)) as session:  # doctest: +SKIP
...     result = run(settings, session.ports(DiskStore(".rebalancer")), session.now())
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from rebalancer.alpaca.broker import AlpacaBroker
from rebalancer.alpaca.credentials import AlpacaCredentials
from rebalancer.alpaca.market_data import AlpacaMarketData
from rebalancer.alpaca.ratelimit import RateLimiter
from rebalancer.run.ports import Ports
from rebalancer.run.settings import NEW_YORK, RunSettings
from rebalancer.state.base import Clock, HaltFlag, Notifier, Store
from rebalancer.strategies import load_strategies, lookback_sessions, needed_symbols

EMULATOR_KEY, EMULATOR_SECRET = "emulator-key", "emulator-secret"  # pragma: allowlist secret (fake)
DEFAULT_AT = dt.datetime(2026, 11, 2, 9, 35, tzinfo=NEW_YORK)  # a Monday morning


@dataclass
class BrokerSession:
    """The adapters for one base URL, sharing one rate limiter; `emulator` when started in-process."""

    broker: AlpacaBroker
    market_data: AlpacaMarketData
    clock: Clock
    emulator: Any = None

    def now(self) -> dt.datetime:
        return self.clock.now()

    def ports(self, store: Store, halt_flag: HaltFlag, notifier: Notifier) -> Ports:
        owner = f"{socket.gethostname()}-{os.getpid()}"
        return Ports(self.broker, self.market_data, store, halt_flag, notifier, self.clock, owner=owner)


def adapters(
    base_url: str, credentials: AlpacaCredentials, *, per_minute: int = 200, max_parallel: int = 32
) -> tuple[Any, Any]:
    """A broker and market data on one base URL sharing one rate limiter (the account's 200/min)."""
    limiter = RateLimiter(per_minute)
    broker = AlpacaBroker(credentials, base_url=base_url, limiter=limiter, max_parallel=max_parallel)
    data = AlpacaMarketData(credentials, base_url=base_url, limiter=limiter)
    return broker, data


def emulator_scope(settings: RunSettings) -> tuple[set[str], int]:
    """The symbols the configured strategies need and how many sessions of history the emulator serves:
    the run's lookback and margin plus 60 sessions of slack (holidays, a later --at).

    A symbol the synthetic market does not model is refused (DataError `symbol-unknown` naming it and
    its file): the emulator would otherwise serve made-up prices for a mistyped ticker."""
    from rebalancer_research.market.select import check_market_symbols

    strategies = load_strategies(settings.strategies)
    check_market_symbols(strategies, None)
    sessions = max(lookback_sessions(strategies), settings.lookback_sessions) + settings.lookback_margin + 60
    return needed_symbols(strategies), sessions


@contextlib.contextmanager
def emulator_session(
    *,
    at: dt.datetime = DEFAULT_AT,
    symbols: Collection[str] | None = None,
    sessions: int = 2500,
    config: Any = None,
) -> Iterator[BrokerSession]:
    """Start an emulator on the synthetic market (bars up to the session before `at`), clock set to `at`."""
    from rebalancer_emulator import EmulatorServer
    from rebalancer_research.market.synthetic import synthetic_market

    end = at.astimezone(NEW_YORK).date() - dt.timedelta(days=1)
    history = synthetic_market(symbols, end=end, sessions=sessions)
    with EmulatorServer(history, start_at=at, config=config) as emulator:
        broker, data = adapters(emulator.url, AlpacaCredentials(EMULATOR_KEY, EMULATOR_SECRET))
        yield BrokerSession(broker, data, emulator.clock, emulator)
