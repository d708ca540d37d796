"""One trader per account, leases bound to the function's time, and a halt flag read before each phase.

Regressions (issue 10): a manual run of another slot traded the account while the scheduled run was
trading it (both sold the same shares); the 410 s lease of a function that may run 600 s was never renewed
nor checked before submitting; the halt flag was read once, so `rebalancer halt` mid-run did not stop
the buys.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from run_fakes import FakeBroker, et, make_ports, make_settings

from rebalancer.broker.models import OrderSide
from rebalancer.run import RunStatus, run
from rebalancer.run.ports import Ports
from rebalancer.run.settings import ScheduleSettings, lease_for
from rebalancer.state.base import LeaseStatus, RunKey, TradingFlag
from rebalancer_research.market.synthetic import synthetic_market
from rebalancer_tools.local.memory import MemoryStore

DAY = "2026-01-05"
HISTORY = synthetic_market(["SPY", "TLT", "BIL", "GLD", "XOM"], end=dt.date(2026, 1, 2), sessions=300)
KEY = RunKey("paper", dt.date(2026, 1, 5), "open")


def _broker() -> FakeBroker:
    prices = {s: Decimal(repr(float(HISTORY.close[-1, i]))) for i, s in enumerate(HISTORY.symbols)}
    broker = FakeBroker(prices)
    broker.positions = {"XOM": Decimal(20)}
    broker.cash -= 20 * prices["XOM"]
    return broker


def _ports(broker: FakeBroker, store: MemoryStore, when: str = "09:35") -> Ports:
    ports, _ = make_ports(broker, HISTORY, et(DAY, when))
    ports.store = store
    return ports


def _sells(broker: FakeBroker, symbol: str) -> int:
    return sum(1 for o in broker.orders.values() if o.symbol == symbol and o.side is OrderSide.SELL)


def test_a_manual_run_of_another_slot_does_not_trade_while_the_scheduled_run_does(tmp_path: Path) -> None:
    broker, store = _broker(), MemoryStore()
    scheduled = make_settings(tmp_path)
    manual = replace(scheduled, schedule=ScheduleSettings(slot="manual-1"))
    seen = []
    manual_ports = _ports(broker, store, "09:36")

    def manual_run_meanwhile(step: str) -> None:
        if step == "sell-submitted:XOM":
            seen.append(run(manual, manual_ports, et(DAY, "09:36")))

    broker.fill_after_polls = 2  # the scheduled run's sell is still open when the manual run starts
    ports = _ports(broker, store)
    ports.on_step = manual_run_meanwhile
    first = run(scheduled, ports, et(DAY))
    assert first.status is RunStatus.COMPLETED, first.report
    assert seen[0].status.value == "account-busy", seen[0].report
    assert "open" in seen[0].message
    assert _sells(broker, "XOM") == 1
    assert Counter(broker.submits).most_common(1)[0][1] == 1
    assert any("ALERT" in subject for subject, _ in manual_ports.notifier.messages)
    later = run(manual, _ports(broker, store, "09:40"), et(DAY, "09:40"))  # the lock was released
    assert later.status is RunStatus.COMPLETED, later.report
    assert _sells(broker, "XOM") == 1


def test_a_halt_set_during_the_run_stops_the_buys(tmp_path: Path) -> None:
    broker, store = _broker(), MemoryStore()
    ports = _ports(broker, store)

    def halt_after_sells(step: str) -> None:
        if step == "sells-filled":
            ports.halt_flag.write(TradingFlag.HALT)

    ports.on_step = halt_after_sells
    result = run(make_settings(tmp_path), ports, et(DAY))
    assert result.status is RunStatus.HALTED, result.report
    assert [o.side for o in broker.orders.values()] == [OrderSide.SELL]
    assert any("ALERT" in subject for subject, _ in ports.notifier.messages)


def test_reduce_set_during_the_run_lets_sells_finish_but_sends_no_buy(tmp_path: Path) -> None:
    broker, store = _broker(), MemoryStore()
    ports = _ports(broker, store)

    def reduce_after_sells(step: str) -> None:
        if step == "sells-filled":
            ports.halt_flag.write(TradingFlag.REDUCE)

    ports.on_step = reduce_after_sells
    run(make_settings(tmp_path), ports, et(DAY))
    assert {o.side for o in broker.orders.values()} == {OrderSide.SELL}


def test_too_little_time_left_stops_the_run_before_it_submits(tmp_path: Path) -> None:
    broker, store = _broker(), MemoryStore()
    ports = _ports(broker, store)
    ports.remaining_s = lambda: 5.0
    result = run(make_settings(tmp_path), ports, et(DAY))
    assert result.status is RunStatus.FAILED
    assert "time-short" in result.message
    assert broker.submits == []


def test_a_run_whose_lease_was_taken_over_stops_before_it_submits(tmp_path: Path) -> None:
    broker, store = _broker(), MemoryStore()
    ports = _ports(broker, store)

    def taken_over(step: str) -> None:
        if step == "stale-canceled":
            store.expire_lease(KEY)
            store.acquire_lease(KEY, "someone-else", et(DAY, "09:45"), dt.timedelta(minutes=10))

    ports.on_step = taken_over
    result = run(make_settings(tmp_path), ports, et(DAY))
    assert result.status is RunStatus.FAILED
    assert "lease-lost" in result.message
    assert broker.submits == []


def test_the_lease_lasts_as_long_as_the_function_can_run(tmp_path: Path) -> None:
    broker, store = _broker(), MemoryStore()
    ports = _ports(broker, store)
    left = [590.0]
    ports.remaining_s = lambda: left[0]
    probes = []

    def probe(step: str) -> None:
        if step == "lease":
            later = et(DAY) + dt.timedelta(seconds=500)  # past the old 410 s lease, before the timeout
            probes.append(store.acquire_lease(KEY, "other", later, dt.timedelta(minutes=5)))

    ports.on_step = probe
    settings = make_settings(tmp_path, schedule=ScheduleSettings(lease_ttl=lease_for(120)))  # 410 s
    result = run(settings, ports, et(DAY))
    assert probes[0].status is LeaseStatus.HELD
    assert result.status is RunStatus.COMPLETED, result.report
