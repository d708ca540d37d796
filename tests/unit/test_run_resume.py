"""Crash the run after every step, re-invoke after the lease expires: it finishes, nothing is placed twice."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from run_fakes import FakeBroker, et, expire_leases, make_ports, make_settings

from rebalancer.portfolio.risk_state import RiskState, TradingState
from rebalancer.run import RunStatus, run
from rebalancer.run.ports import Ports
from rebalancer.state.base import RunKey, TradingFlag
from rebalancer_research.market.synthetic import synthetic_market
from rebalancer_tools.local.memory import MemoryHaltFlag, MemoryStore

DAY = "2026-01-05"
HISTORY = synthetic_market(["SPY", "TLT", "BIL", "GLD", "XOM"], end=dt.date(2026, 1, 2), sessions=300)
KEY = RunKey("paper", dt.date(2026, 1, 5), "open")


class Crash(Exception):
    """Stands for the process dying (not a RebalancerError: the run does not handle it)."""


def _broker() -> FakeBroker:
    prices = {s: Decimal(repr(float(HISTORY.close[-1, i]))) for i, s in enumerate(HISTORY.symbols)}
    broker = FakeBroker(prices)
    broker.positions = {"XOM": Decimal(20)}
    broker.cash -= 20 * prices["XOM"]
    return broker


def _ports(broker: FakeBroker, store: MemoryStore, crash_at: str | None = None) -> Ports:
    ports, _ = make_ports(broker, HISTORY, et(DAY))
    ports.store = store

    def hook(step: str) -> None:
        if step == crash_at:
            raise Crash(step)

    ports.on_step = hook
    return ports


def _reference_positions(tmp_path: Path) -> dict[str, Decimal]:
    broker = _broker()
    result = run(make_settings(tmp_path), _ports(broker, MemoryStore()), et(DAY))
    assert result.status is RunStatus.COMPLETED
    return broker.positions


STEPS = [
    "lease",
    "stale-canceled",
    "sell-submitted:XOM",
    "sells-filled",
    "buy-submitted:GLD",
    "buys-filled",
]


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_any_step_resumes_to_the_same_portfolio_without_duplicates(
    tmp_path: Path, step: str
) -> None:
    broker, store = _broker(), MemoryStore()
    settings = make_settings(tmp_path)
    with pytest.raises(Crash):
        run(settings, _ports(broker, store, crash_at=step), et(DAY))
    blocked = run(settings, _ports(broker, store), et(DAY, "09:36"))
    assert blocked.status is RunStatus.DUPLICATE  # the crashed run's lease is still live
    expire_leases(store, KEY)
    resumed = run(settings, _ports(broker, store), et(DAY, "09:50"))
    assert resumed.status is RunStatus.COMPLETED, resumed.report
    assert resumed.attempt == 2
    assert "resumed" in resumed.report
    per_leg = Counter(oid for oid in broker.by_client)
    assert max(per_leg.values()) == 1
    assert len(broker.orders) == len(broker.by_client)
    sides = Counter((o.symbol, o.side) for o in broker.orders.values())
    assert max(sides.values()) == 1, sides
    (tmp_path / "ref").mkdir()
    reference = _reference_positions(tmp_path / "ref")
    assert set(broker.positions) == set(reference)
    for symbol, qty in reference.items():
        assert abs(broker.positions[symbol] - qty) <= max(Decimal("0.01") * qty, Decimal("1e-6")), symbol


def test_a_finished_run_is_never_repeated(tmp_path: Path) -> None:
    broker, store = _broker(), MemoryStore()
    settings = make_settings(tmp_path)
    first = run(settings, _ports(broker, store), et(DAY))
    submitted = len(broker.submits)
    again = run(settings, _ports(broker, store), et(DAY, "09:40"))
    assert first.status is RunStatus.COMPLETED
    assert again.status is RunStatus.DUPLICATE
    assert "already finished (completed)" in again.message
    assert len(broker.submits) == submitted


def test_a_concurrent_invocation_does_nothing_and_says_so(tmp_path: Path) -> None:
    broker, store = _broker(), MemoryStore()
    settings = make_settings(tmp_path)
    seen = []

    def second_invocation(step: str) -> None:
        if step == "lease":
            seen.append(run(settings, _ports(broker, store), et(DAY, "09:36")))

    ports = _ports(broker, store)
    ports.on_step = second_invocation
    first = run(settings, ports, et(DAY))
    assert first.status is RunStatus.COMPLETED
    assert seen[0].status is RunStatus.DUPLICATE
    assert "in progress" in seen[0].message
    assert Counter(broker.submits).most_common(1)[0][1] == 1


def _journal(store: MemoryStore, phase: str) -> list[dict[str, str]]:
    legs: list[dict[str, str]] = json.loads(store.get_record(KEY.run_id, f"journal-{phase}.json"))
    return legs


def test_buys_still_open_from_the_crashed_attempt_are_reconciled_and_reported(tmp_path: Path) -> None:
    """The resumed plan sees its own open buys (pending) and plans none; the journal's buys still count."""
    broker, store = _broker(), MemoryStore()
    settings = make_settings(tmp_path)
    submitted: list[str] = []

    def hook(step: str) -> None:
        if step == "sells-filled":
            broker.fill_after_polls = 10**6  # the buys stay open until the process dies
        if step.startswith("buy-submitted:"):
            submitted.append(step)
            if len(submitted) == len(_journal(store, "buy")):
                raise Crash(step)

    ports = _ports(broker, store)
    ports.on_step = hook
    with pytest.raises(Crash):
        run(settings, ports, et(DAY))
    journaled = {leg["client_order_id"] for leg in _journal(store, "buy")}
    assert journaled
    assert all(broker.orders[broker.by_client[c]].status.is_open for c in journaled)
    broker.fill_after_polls = 2  # they fill once the resumed run polls them
    expire_leases(store, KEY)
    resumed = run(settings, _ports(broker, store), et(DAY, "09:50"))
    assert resumed.status is RunStatus.COMPLETED, resumed.report
    buys = {o.client_order_id: o for o in resumed.outcomes if o.side.value == "buy"}
    assert set(buys) == journaled
    assert all(o.is_filled for o in buys.values())
    assert [o for o in broker.orders.values() if o.status.is_open] == []
    assert Counter(broker.submits).most_common(1)[0][1] == 1


def test_a_resumed_run_sends_no_journaled_leg_while_the_risk_engine_halts(tmp_path: Path) -> None:
    broker, store = _broker(), MemoryStore()
    settings = make_settings(tmp_path)
    submit = broker.submit_order

    def dies(request: object) -> None:
        raise Crash("the process died before the first order went out")

    broker.submit_order = dies  # type: ignore[method-assign,assignment]
    with pytest.raises(Crash):
        run(settings, _ports(broker, store), et(DAY))
    assert [leg["symbol"] for leg in _journal(store, "sell")] == ["XOM"]
    broker.submit_order = submit  # type: ignore[method-assign]
    halted = RiskState(tripped=TradingState.HALTED, trip_reason="drawdown-tripped")
    store.save_risk_state("paper", halted.to_dict())
    expire_leases(store, KEY)
    resumed = run(settings, _ports(broker, store), et(DAY, "09:50"))
    assert resumed.status is RunStatus.HALTED, resumed.report
    assert broker.orders == {}
    assert resumed.outcomes == []
    assert any("was never sent" in w and "XOM" in w for w in resumed.warnings)


@pytest.mark.parametrize(
    ("when", "flag", "status"),
    # A late redelivery of a finished run is a quiet duplicate (it used to be skipped-late, an alert).
    [("09:50", TradingFlag.HALT, RunStatus.HALTED), ("11:00", TradingFlag.OFF, RunStatus.DUPLICATE)],
)
def test_a_later_invocation_that_stops_before_the_lease_keeps_the_finished_runs_records(
    tmp_path: Path, when: str, flag: TradingFlag, status: RunStatus
) -> None:
    broker, store = _broker(), MemoryStore()
    settings = make_settings(tmp_path)
    first = run(settings, _ports(broker, store), et(DAY))
    assert first.status is RunStatus.COMPLETED
    orders = store.get_record(first.run_id, "orders.json")
    ports = _ports(broker, store)
    ports.halt_flag = MemoryHaltFlag(flag)
    later = run(settings, ports, et(DAY, when))
    assert later.status is status
    [entry] = store.recent_runs("paper")
    assert (entry.status, entry.orders_filled) == ("completed", len(first.outcomes))
    assert store.get_record(first.run_id, "orders.json") == orders
    assert json.loads(store.get_record(first.run_id, "result.json"))["status"] == "completed"
    if status is not RunStatus.DUPLICATE:
        assert any("recorded nothing" in w for w in later.warnings)


def _cash_share(broker: FakeBroker) -> Decimal:
    return broker.cash / broker.get_account().equity


def test_a_resume_after_a_partially_filled_sell_finishes_the_job(tmp_path: Path) -> None:
    """Regression: the resume skipped its own open sell (open-order-pending), left its proceeds out of
    the buy budget and reported completed with the account mostly in cash."""
    broker, store = _broker(), MemoryStore()
    broker.positions["XOM"] = Decimal(1500)  # most of the account
    broker.cash = Decimal(100_000) - 1500 * broker.prices["XOM"]
    broker.partial_once["XOM"] = Decimal("0.3")
    settings = make_settings(tmp_path)
    with pytest.raises(Crash):
        run(settings, _ports(broker, store, crash_at="sell-submitted:XOM"), et(DAY))
    [sell] = broker.orders.values()
    assert sell.status.value == "partially_filled"
    expire_leases(store, KEY)
    resumed = run(settings, _ports(broker, store), et(DAY, "09:50"))
    assert resumed.status is RunStatus.COMPLETED, resumed.report
    assert "XOM" not in broker.holdings_value()
    assert _cash_share(broker) < Decimal("0.05"), resumed.report
    assert len(broker.by_client) == len(broker.orders)


def test_a_resume_after_a_refused_sell_re_sizes_the_journaled_buys(tmp_path: Path) -> None:
    """Regression: the resume re-sent the refused sell, then sent the journaled buys as sized before,
    so the new proceeds stayed in cash and the run still said completed."""
    broker, store = _broker(), MemoryStore()
    broker.positions["SPY"] = Decimal(300)  # SPY is not a target today: both positions are exits
    broker.cash = Decimal(100_000) - 300 * broker.prices["SPY"] - 20 * broker.prices["XOM"]
    broker.reject = {"SPY"}
    settings = make_settings(tmp_path)
    with pytest.raises(Crash):
        run(settings, _ports(broker, store, crash_at="buy-submitted:BIL"), et(DAY))
    assert {leg["symbol"] for leg in _journal(store, "buy")} >= {"BIL", "GLD"}
    broker.reject = set()
    expire_leases(store, KEY)
    resumed = run(settings, _ports(broker, store), et(DAY, "09:50"))
    assert "SPY" not in broker.holdings_value()
    assert resumed.status is RunStatus.COMPLETED, resumed.report
    assert _cash_share(broker) < Decimal("0.05"), resumed.report
    assert len(broker.by_client) == len(broker.orders)
