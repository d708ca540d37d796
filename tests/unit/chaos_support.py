"""Randomized money-path schedules for the run (not a test module): tests/unit/test_run_chaos.py runs a
few hundred in CI, bench/chaos_bench.py thousands.

One schedule, from its seed: a starting portfolio, broker faults (refused orders, partial fills that
stall, lost responses to POSTs the broker did process, whole-share assets), and a sequence of invocations
of the same day's run, each possibly killed at a random step, with duplicate (same slot) and concurrent
(same slot, or another slot) invocations started in the middle. Invocations continue (after the lease
runs out) until one ends with a status. Two properties are checked:
- no duplicate order: no client_order_id makes two orders, no symbol is sold below zero or bought
  beyond its target (tolerance added), and a concurrent or duplicate invocation places nothing;
- a `completed` run is on target: every symbol within 1% of equity (or one whole share) of its target.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from run_fakes import FakeBroker, et, expire_leases, make_ports, make_settings

from rebalancer.broker.models import Order, OrderRequest, OrderSide
from rebalancer.errors import BrokerError
from rebalancer.market.history import PriceHistory
from rebalancer.run import RunResult, RunStatus, run
from rebalancer.run.decide import decide
from rebalancer.run.settings import RunSettings, ScheduleSettings
from rebalancer.state.base import RunKey
from rebalancer.strategies import load_strategies
from rebalancer_research.market.synthetic import synthetic_market
from rebalancer_tools.local.memory import MemoryStore

DAY = "2026-01-05"
SYMBOLS = ["SPY", "TLT", "BIL", "GLD", "XOM"]
KEY = RunKey("paper", dt.date(2026, 1, 5), "open")
MAX_INVOCATIONS = 6
TOLERANCE = Decimal("0.01")
MAIN_THREAD_STEPS = frozenset({"lease", "settled", "stale-canceled", "sells-filled", "buys-filled"})


class Crash(Exception):
    """The process dies (not a RebalancerError: the run does not handle it)."""


class ChaosBroker(FakeBroker):
    """FakeBroker plus lost responses: the order is placed, the client hears a timeout."""

    def __init__(self, prices: dict[str, Decimal]) -> None:
        super().__init__(prices)
        self.lose: set[str] = set()  # symbols whose next POST is processed but answered by a timeout

    def submit_order(self, request: OrderRequest) -> Order:
        order = super().submit_order(request)
        if request.symbol in self.lose:
            self.lose.discard(request.symbol)
            raise BrokerError("read timed out", code="timeout")
        return order


@dataclass
class Outcome:
    seed: int
    statuses: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    off_target: list[str] = field(default_factory=list)
    final: RunResult | None = None

    @property
    def completed(self) -> bool:
        return self.final is not None and self.final.status is RunStatus.COMPLETED


@dataclass(frozen=True)
class World:
    history: PriceHistory
    settings: RunSettings
    other_slot: RunSettings
    targets: dict[str, float]  # the day's decision (the same for every schedule)


def make_world(tmp: Path) -> World:
    history = synthetic_market(SYMBOLS, end=dt.date(2026, 1, 2), sessions=120)
    settings = make_settings(tmp)
    targets = decide(load_strategies(settings.strategies), history, dt.date(2026, 1, 2)).targets
    other = replace(settings, schedule=ScheduleSettings(slot="manual-1"))
    return World(history, settings, other, targets)


def _broker(world: World, rng: random.Random) -> ChaosBroker:
    last = world.history.close[-1]
    prices = {s: Decimal(repr(float(last[i]))) for i, s in enumerate(world.history.symbols)}
    broker = ChaosBroker(prices)
    for symbol in rng.sample(SYMBOLS, rng.randint(0, 4)):
        qty = Decimal(rng.randint(1, 400))
        broker.positions[symbol] = qty
        broker.cash -= qty * prices[symbol]
    if broker.cash < 0:  # keep the account funded: scale the cash back to a small positive balance
        broker.cash = Decimal(rng.randint(0, 5000))
    broker.non_fractionable = set(rng.sample(SYMBOLS, rng.randint(0, 2)))
    broker.reject = set(rng.sample(SYMBOLS, rng.choice([0, 0, 1, 2])))
    broker.lose = set(rng.sample(SYMBOLS, rng.choice([0, 1, 2])))
    for symbol in rng.sample(SYMBOLS, rng.choice([0, 0, 1, 2])):
        broker.partial_once[symbol] = Decimal(rng.choice(["0.25", "0.5", "0.9"]))
    broker.fill_after_polls = rng.choice([0, 0, 1, 3])
    return broker


@dataclass
class _Hook:
    """The on_step hook of one invocation: meddle once between phases, die at step `kill_at`."""

    world: World
    broker: ChaosBroker
    store: MemoryStore
    now: dt.datetime
    out: Outcome
    meddler: RunSettings
    kill_at: int | None
    meddle_at: int | None
    steps: int = 0
    meddled: bool = False

    def __call__(self, step: str) -> None:
        self.steps += 1
        # Meddle only between phases: submissions run on pool threads, which would blur who placed what.
        due = self.meddle_at is not None and self.steps >= self.meddle_at
        if due and step in MAIN_THREAD_STEPS and not self.meddled:
            self.meddled = True
            self.meddle(self.meddler)
        if self.steps == self.kill_at:
            raise Crash(step)

    def meddle(self, settings: RunSettings) -> None:
        """Another invocation while one is in flight: it must place nothing."""
        before = len(self.broker.orders)
        ports, _ = make_ports(self.broker, self.world.history, self.now)
        ports.store = self.store
        result = run(settings, ports, self.now)
        slot = settings.schedule.slot
        if result.status not in (RunStatus.DUPLICATE, RunStatus.ACCOUNT_BUSY):
            self.out.duplicates.append(f"a concurrent {slot} invocation ran: {result.status}")
        if len(self.broker.orders) != before:
            self.out.duplicates.append(f"a concurrent {slot} invocation placed orders")


def run_schedule(world: World, seed: int) -> Outcome:
    rng = random.Random(seed)
    broker, store = _broker(world, rng), MemoryStore()
    initial = dict(broker.positions)
    out = Outcome(seed)
    minute = 35
    for _ in range(MAX_INVOCATIONS):
        now = et(DAY, f"09:{minute:02d}")
        ports, _ = make_ports(broker, world.history, now)
        ports.store = store
        hook = _Hook(
            world,
            broker,
            store,
            now,
            out,
            meddler=rng.choice([world.settings, world.other_slot]),
            kill_at=rng.choice([None, None, *range(1, 14)]),
            meddle_at=rng.choice([None, None, None, *range(1, 14)]),
        )
        ports.on_step = hook
        try:
            out.final = run(world.settings, ports, now)
        except Crash:
            out.statuses.append("crash")
            hook.meddle(world.settings)  # a redelivery while the crashed attempt's lease lives
            expire_leases(store, KEY)
            if rng.random() < 0.7:
                broker.reject = set()
            minute += 2
            continue
        out.statuses.append(out.final.status.value)
        break
    _check(world, broker, initial, out)
    return out


def _check(world: World, broker: ChaosBroker, initial: dict[str, Decimal], out: Outcome) -> None:
    if len(broker.by_client) != len(broker.orders):
        out.duplicates.append("a client_order_id made two orders")
    for symbol, qty in broker.positions.items():
        if qty < 0:
            out.duplicates.append(f"{symbol} oversold to {qty} (held {initial.get(symbol, 0)})")
    account = broker.get_account()
    investable = account.equity * (1 - world.settings.execution.cash_buffer)
    targets = world.targets
    for symbol in SYMBOLS:
        value = broker.positions.get(symbol, Decimal(0)) * broker.prices[symbol]
        target = Decimal(repr(targets.get(symbol, 0.0))) * investable
        allowed = TOLERANCE * account.equity
        if symbol in broker.non_fractionable:
            allowed = max(allowed, broker.prices[symbol])
        bought = any(o.symbol == symbol and o.side is OrderSide.BUY for o in broker.orders.values())
        if bought and value > target + allowed:
            out.duplicates.append(f"{symbol} bought beyond its target: {value:.2f} > {target:.2f}")
        if out.completed and abs(value - target) > allowed:
            out.off_target.append(f"{symbol}: {value:.2f} vs target {target:.2f}")


def summarize(outcomes: list[Outcome]) -> dict[str, int]:
    return {
        "schedules": len(outcomes),
        "duplicates": sum(1 for o in outcomes if o.duplicates),
        "off_target_completions": sum(1 for o in outcomes if o.off_target),
        "completed": sum(1 for o in outcomes if o.completed),
        "partial": sum(1 for o in outcomes if o.final is not None and o.final.status is RunStatus.PARTIAL),
        "crashes": sum(o.statuses.count("crash") for o in outcomes),
    }
