"""run() against an in-memory broker: the happy path, guards, data gate, risk, failures."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from run_fakes import FakeBroker, FakeMarketData, et, make_ports, make_settings

from rebalancer.broker.models import Order, OrderRequest
from rebalancer.errors import BrokerError
from rebalancer.portfolio.risk_limits import RiskLimits
from rebalancer.run import RunStatus, run
from rebalancer.run.client_ids import client_order_id
from rebalancer.state.base import RunKey, TradingFlag
from rebalancer_research.market.synthetic import synthetic_market
from rebalancer_tools.local.memory import MemoryHaltFlag

DAY = "2026-01-05"  # a Monday; the decision uses Friday 2026-01-02's close
HISTORY = synthetic_market(["SPY", "TLT", "BIL", "GLD", "XOM"], end=dt.date(2026, 1, 2), sessions=300)


def _prices() -> dict[str, Decimal]:
    return {s: Decimal(repr(float(HISTORY.close[-1, i]))) for i, s in enumerate(HISTORY.symbols)}


@pytest.fixture
def broker() -> FakeBroker:
    return FakeBroker(_prices())


def _run(tmp_path: Path, broker: FakeBroker, when: str = "09:35", day: str = DAY, **changes: object):
    now = et(day, when)
    ports, _ = make_ports(broker, HISTORY, now)
    return run(make_settings(tmp_path, **changes), ports, now), ports


def test_a_run_moves_the_account_onto_its_targets(tmp_path: Path, broker: FakeBroker) -> None:
    broker.positions = {"XOM": Decimal(20)}
    broker.cash -= 20 * broker.prices["XOM"]
    result, ports = _run(tmp_path, broker)
    assert result.status is RunStatus.COMPLETED, result.report
    assert "XOM" not in broker.holdings_value()
    equity = broker.get_account().equity
    for symbol, weight in result.targets.items():
        held = broker.holdings_value()[symbol] / equity
        assert abs(float(held) - weight * 0.98) < 0.005, (symbol, held, weight)
    assert next(o.side.value for o in result.outcomes) == "sell"
    assert all(o.is_filled for o in result.outcomes)
    records = ports.store.list_records(result.run_id)
    assert {"inputs.json", "bars.npz", "decision.json", "plan.json", "orders.json", "report.txt"} <= set(
        records
    )
    [entry] = ports.store.recent_runs("paper")
    assert (entry.status, entry.orders_filled) == ("completed", len(result.outcomes))
    subject, body = ports.notifier.messages[0]
    assert subject.startswith(f"[rebalancer paper] {DAY}: completed")
    assert "Targets per strategy:" in body
    assert "sell XOM" in body


def test_client_ids_are_the_deterministic_leg_ids(tmp_path: Path, broker: FakeBroker) -> None:
    result, _ = _run(tmp_path, broker)
    key = RunKey("paper", dt.date.fromisoformat(DAY), "open")
    assert {o.client_order_id for o in result.outcomes} == {
        client_order_id(key, o.symbol, o.side, 1) for o in result.outcomes
    }


def test_halt_flag_places_no_orders_and_alerts(tmp_path: Path, broker: FakeBroker) -> None:
    now = et(DAY)
    for flag in (MemoryHaltFlag(TradingFlag.HALT), MemoryHaltFlag(broken=True)):
        ports, _ = make_ports(broker, HISTORY, now)
        ports.halt_flag = flag
        result = run(make_settings(tmp_path), ports, now)
        assert result.status is RunStatus.HALTED
        assert broker.submits == []
        assert any("ALERT" in subject for subject, _ in ports.notifier.messages)


def test_reduce_flag_sells_but_never_buys(tmp_path: Path, broker: FakeBroker) -> None:
    broker.positions = {"XOM": Decimal(20)}
    now = et(DAY)
    ports, _ = make_ports(broker, HISTORY, now)
    ports.halt_flag = MemoryHaltFlag(TradingFlag.REDUCE)
    result = run(make_settings(tmp_path), ports, now)
    assert {o.side.value for o in result.outcomes} == {"sell"}
    assert "halt-flag" in {d["code"] for d in result.denials}
    assert "reducing-no-buys" in {d["code"] for d in result.denials}


def test_weekends_are_a_recorded_no_op(tmp_path: Path, broker: FakeBroker) -> None:
    result, ports = _run(tmp_path, broker, day="2026-01-03")
    assert result.status is RunStatus.NO_SESSION
    assert broker.submits == []
    assert ports.store.recent_runs("paper")[0].status == "no-session"


def test_a_late_invocation_is_skipped_and_alerted(tmp_path: Path, broker: FakeBroker) -> None:
    result, ports = _run(tmp_path, broker, when="10:30")
    assert result.status is RunStatus.SKIPPED_LATE
    assert "after the scheduled 09:35 ET" in result.message
    assert broker.submits == []
    assert any("ALERT" in s for s, _ in ports.notifier.messages)


def test_after_an_early_close_the_run_is_skipped(tmp_path: Path, broker: FakeBroker) -> None:
    from rebalancer.run.settings import ScheduleSettings

    schedule = ScheduleSettings(run_at=dt.time(13, 30), max_delay=dt.timedelta(hours=2))
    result, _ = _run(tmp_path, broker, when="13:35", day="2026-11-27", schedule=schedule)
    assert result.status is RunStatus.SKIPPED_LATE
    assert "early close" in result.message


def test_stale_bars_fail_closed(tmp_path: Path, broker: FakeBroker) -> None:
    now = et(DAY)
    ports, _ = make_ports(broker, HISTORY, now)
    ports.market_data = FakeMarketData(HISTORY.until("2025-12-31"))
    result = run(make_settings(tmp_path), ports, now)
    assert result.status is RunStatus.DATA_GATE_FAILED
    assert "data-stale" in result.message
    assert broker.submits == []
    inputs = ports.store.get_record(result.run_id, "inputs.json")
    assert b'"data-stale"' in inputs


def test_a_bad_strategy_file_is_a_clear_failure_with_no_orders(tmp_path: Path, broker: FakeBroker) -> None:
    settings = make_settings(tmp_path)
    settings.strategies[0].path.write_text('(defsymphony "x" {} (weight-equal [(asset)]))')
    now = et(DAY)
    ports, _ = make_ports(broker, HISTORY, now)
    result = run(settings, ports, now)
    assert result.status is RunStatus.FAILED
    assert "test.clj" in result.message
    assert broker.submits == []


def test_rejected_and_unfilled_orders_are_reported(tmp_path: Path, broker: FakeBroker) -> None:
    broker.reject = {"GLD"}
    broker.never_fill = {"TLT"}
    result, _ports = _run(tmp_path, broker)
    assert result.status is RunStatus.PARTIAL
    by_symbol = {o.symbol: o for o in result.outcomes}
    assert by_symbol["GLD"].order is None
    assert "insufficient buying power" in by_symbol["GLD"].error
    assert by_symbol["TLT"].canceled_at_timeout
    assert by_symbol["TLT"].order is not None
    assert by_symbol["TLT"].order.status.value == "canceled"
    assert "canceled at fill timeout" in result.report


def test_risk_denials_surface_with_their_codes(tmp_path: Path, broker: FakeBroker) -> None:
    limits = RiskLimits(max_orders_per_run=1, max_symbol_weight=Decimal("0.3"))
    result, _ = _run(tmp_path, broker, risk_limits=limits)
    codes = {d["code"] for d in result.denials}
    assert {"max-orders-exceeded", "max-weight-clipped"} <= codes
    assert len(result.outcomes) == 1
    assert "[max-orders-exceeded]" in result.report


def test_plan_mode_sends_nothing_and_takes_no_lease(tmp_path: Path, broker: FakeBroker) -> None:
    now = et(DAY)
    ports, _ = make_ports(broker, HISTORY, now)
    result = run(make_settings(tmp_path), ports, now, plan_only=True)
    assert result.status is RunStatus.PLANNED
    assert broker.submits == []
    assert result.run_id.endswith("-plan")
    assert ports.store.recent_runs("paper") == []


def test_stale_rebalancer_orders_are_canceled_manual_ones_kept(tmp_path: Path, broker: FakeBroker) -> None:
    stale = broker.add_open_order("rb-paper-20260102-open-abcdef-SPY-b1", "SPY")
    manual = broker.add_open_order("my-own-order", "XOM")
    result, _ = _run(tmp_path, broker)
    assert broker.cancels == [stale.order_id]
    assert broker.orders[manual.order_id].status.value == "new"
    assert any("not placed by the rebalancer" in w for w in result.warnings)


def test_neutral_reports_show_no_amounts(tmp_path: Path, broker: FakeBroker) -> None:
    result, ports = _run(tmp_path, broker, neutral_report=True)
    body = ports.notifier.messages[0][1]
    assert "asked" not in body
    assert "$" not in body
    assert result.orders_filled > 0


def test_polling_waits_with_backoff_instead_of_fixed_sleeps(tmp_path: Path, broker: FakeBroker) -> None:
    broker.fill_after_polls = 4
    now = et(DAY)
    ports, clock = make_ports(broker, HISTORY, now)
    result = run(make_settings(tmp_path), ports, now)
    assert result.status is RunStatus.COMPLETED
    assert clock.sleeps[:3] == [0.1, pytest.approx(0.16), pytest.approx(0.256)]


def test_an_unfunded_account_halts_without_counting_a_failed_run(tmp_path: Path, broker: FakeBroker) -> None:
    """Equity 0 is the risk engine's HALTED (not persisted), not a failure that opens the circuit breaker."""
    broker.cash = Decimal(0)
    result, ports = _run(tmp_path, broker)
    assert result.status is RunStatus.HALTED, result.report
    assert "equity-nonpositive" in {d["code"] for d in result.denials}
    assert broker.submits == []
    assert ports.store.load_risk_state("paper")["consecutive_failures"] == 0


def test_the_risk_state_is_read_once_and_recorded_as_used(tmp_path: Path, broker: FakeBroker) -> None:
    """One store read per run: the state the risk engine assessed is the one inputs.json keeps for replay."""
    now = et(DAY, "09:35")
    ports, _ = make_ports(broker, HISTORY, now)
    ports.store.save_risk_state("paper", {"consecutive_failures": 1})
    reads: list[str] = []
    load = ports.store.load_risk_state

    def counted(env: str) -> dict[str, object] | None:
        reads.append(env)
        return load(env)

    ports.store.load_risk_state = counted  # type: ignore[method-assign]
    result = run(make_settings(tmp_path), ports, now)
    assert result.status is RunStatus.COMPLETED, result.report
    assert reads == ["paper"]
    inputs = json.loads(ports.store.get_record(result.run_id, "inputs.json"))
    assert inputs["risk_state"]["consecutive_failures"] == 1


def test_an_order_the_adapter_could_not_resolve_is_looked_up_again_not_reported_unplaced(
    tmp_path: Path, broker: FakeBroker
) -> None:
    """The response was lost and the adapter's own lookup failed too: the order may well exist."""
    accept = broker.submit_order

    def lost_response(request: OrderRequest) -> Order:
        accept(request)
        raise BrokerError("submit: timed out, and the lookup timed out", code="timeout")

    broker.submit_order = lost_response  # type: ignore[method-assign]
    result, _ = _run(tmp_path, broker)
    assert result.status is RunStatus.COMPLETED, result.report
    assert all(o.is_filled for o in result.outcomes)
    assert len(broker.orders) == len(result.outcomes)  # found, never posted again


def test_a_broker_that_cannot_say_whether_it_took_an_order_fails_the_run_for_a_resume(
    tmp_path: Path, broker: FakeBroker
) -> None:
    accept = broker.submit_order

    def lost_response(request: OrderRequest) -> Order:
        accept(request)
        raise BrokerError("submit: timed out, and the lookup timed out", code="timeout")

    def unreachable(client_order_id: str) -> Order | None:
        raise BrokerError("look up order: timed out", code="timeout")

    broker.submit_order = lost_response  # type: ignore[method-assign]
    broker.get_order_by_client_id = unreachable  # type: ignore[method-assign]
    result, ports = _run(tmp_path, broker)
    assert result.status is RunStatus.FAILED
    assert any("orders were already sent" in w for w in result.warnings)
    assert (
        ports.store.acquire_lease(
            RunKey("paper", dt.date.fromisoformat(DAY), "open"),
            "other",
            et(DAY, "09:40"),
            dt.timedelta(minutes=5),
        ).status.value
        == "held"
    )  # left for a resume to reconcile, not completed


def test_a_calendar_without_earlier_sessions_is_a_typed_failure(tmp_path: Path, broker: FakeBroker) -> None:
    full = broker.get_calendar
    broker.get_calendar = lambda start, end: [d for d in full(start, end) if d.date == end]  # type: ignore[method-assign]
    result, _ = _run(tmp_path, broker)
    assert result.status is RunStatus.FAILED
    assert "no session before today" in result.message
    assert broker.submits == []
