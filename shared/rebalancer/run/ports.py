"""Ports: everything a run touches outside itself, in one bundle.

    >>> from rebalancer_tools.local.memory import MemoryStore, MemoryHaltFlag, MemoryNotifier, FixedClock
    >>> ports = Ports(broker=my_broker, market_data=my_bars, store=MemoryStore(),  # doctest: +SKIP
    ...               halt_flag=MemoryHaltFlag(), notifier=MemoryNotifier(), clock=FixedClock(now))

`sleep` and `monotonic` drive fill polling; tests pass a fake pair so waits take no real time.
`on_step` is called after each step of the run with the step's name ("lease", "sell-submitted:SPY", ...);
tests raise from it to simulate a crash at that point. `remaining_s` bounds the run's leases (run/holds.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rebalancer.broker.base import Broker
from rebalancer.market.base import MarketData
from rebalancer.state.base import Clock, HaltFlag, Notifier, Store


def _no_hook(step: str) -> None:  # noqa: ARG001
    return None


@dataclass
class Ports:
    broker: Broker
    market_data: MarketData
    store: Store
    halt_flag: HaltFlag
    notifier: Notifier
    clock: Clock
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    on_step: Callable[[str], None] = field(default=_no_hook)
    owner: str = "local"  # who holds the lease (Lambda request id, hostname+pid)
    # Seconds before the function is killed (Lambda context.get_remaining_time_in_millis() / 1000);
    # None (local runs): the lease lasts schedule.lease_ttl.
    remaining_s: Callable[[], float] | None = None
