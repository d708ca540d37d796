"""Risk engine: every limit trips with its reason code; REDUCING places no buys; HALTED places no orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rebalancer.broker.models import Account, AssetInfo, OrderSide, Position
from rebalancer.errors import ConfigError
from rebalancer.portfolio.plan import Plan, PlannedOrder, PlanOptions, plan_orders
from rebalancer.portfolio.risk import (
    RiskCode,
    RiskDecision,
    RiskLimits,
    RiskState,
    TradingState,
    assess,
    limit_targets,
)

D = Decimal
TODAY = dt.date(2026, 3, 2)


def account(
    equity: str = "10000", last: str | None = None, cash: str | None = None, **flags: bool
) -> Account:
    cash = equity if cash is None else cash
    return Account("acct", "ACTIVE", D(cash), D(equity), D(cash), D(last or equity), **flags)


def buy(symbol: str, notional: str) -> PlannedOrder:
    return PlannedOrder(symbol, OrderSide.BUY, notional=D(notional), price=D(10))


def sell(symbol: str, qty: str, price: str = "10") -> PlannedOrder:
    return PlannedOrder(symbol, OrderSide.SELL, qty=D(qty), price=D(price), reason="reduce")


def held(symbol: str, qty: str, price: str = "10") -> Position:
    return Position(symbol, D(qty), D(qty) * D(price), D(price), D(price))


UNIVERSE = {"A", "B", "C"}


def run(
    plan: Plan,
    *,
    targets: dict[str, float] | None = None,
    acct: Account | None = None,
    positions: list[Position] | None = None,
    limits: RiskLimits | None = None,
    state: RiskState | None = None,
    flag: TradingState = TradingState.ACTIVE,
) -> RiskDecision:
    return assess(
        targets or {},
        plan,
        acct or account(),
        positions or [],
        limits or RiskLimits(),
        state or RiskState(),
        UNIVERSE,
        halt_flag=flag,
        today=TODAY,
    )


def test_a_plan_within_every_limit_is_approved_unchanged() -> None:
    plan = Plan(sells=(sell("A", "10"),), buys=(buy("B", "500"),))
    decision = run(plan, positions=[held("A", "20")])
    assert decision.approved == plan
    assert decision.denials == ()
    assert decision.trading_state is TradingState.ACTIVE
    assert decision.new_state.high_water_mark == D(10000)
    assert decision.new_state.updated_on == TODAY


def test_weight_above_the_cap_is_clipped_to_cash() -> None:
    limited = limit_targets({"A": 0.7, "B": 0.3}, RiskLimits(max_symbol_weight=D("0.5")), UNIVERSE)
    assert limited.weights == {"A": D("0.5"), "B": D("0.3")}
    assert [(d.code, d.symbol) for d in limited.denials] == [(RiskCode.MAX_WEIGHT_CLIPPED, "A")]


def test_buy_that_would_exceed_the_weight_cap_is_clipped() -> None:
    limits = RiskLimits(max_symbol_weight=D("0.5"))
    decision = run(Plan(buys=(buy("A", "3000"),)), positions=[held("A", "300")], limits=limits)
    assert decision.approved.buys[0].notional == D("2000.00")
    assert decision.codes == (RiskCode.MAX_WEIGHT_CLIPPED,)
    whole = PlannedOrder("A", OrderSide.BUY, qty=D(300), price=D(10))
    clipped = run(Plan(buys=(whole,)), positions=[held("A", "300")], limits=limits)
    assert clipped.approved.buys[0].qty == D(200)
    full = run(Plan(buys=(buy("A", "100"), whole)), positions=[held("A", "500")], limits=limits)
    assert full.approved.buys == ()
    assert full.codes == (RiskCode.MAX_WEIGHT_CLIPPED,) * 2


def test_gross_exposure_scales_targets_and_denies_buys_beyond_it() -> None:
    limits = RiskLimits(max_gross_exposure=D("0.8"))
    limited = limit_targets({"A": 0.5, "B": 0.5}, limits, UNIVERSE)
    assert limited.weights == {"A": D("0.4"), "B": D("0.4")}
    assert limited.gross <= D("0.8")
    assert [d.code for d in limited.denials] == [RiskCode.GROSS_EXPOSURE_CLIPPED]
    decision = run(Plan(buys=(buy("A", "4000"), buy("B", "4500"))), limits=limits)
    assert [o.symbol for o in decision.approved.buys] == ["A"]
    assert decision.codes == (RiskCode.GROSS_EXPOSURE_EXCEEDED,)


def test_turnover_beyond_the_limit_denies_the_remaining_orders() -> None:
    plan = Plan(sells=(sell("A", "300"),), buys=(buy("B", "2500"), buy("C", "500")))
    decision = run(plan, positions=[held("A", "300")], limits=RiskLimits(max_turnover=D("0.5")))
    assert [o.symbol for o in decision.approved.orders] == ["A", "C"]
    assert [(d.code, d.symbol) for d in decision.denials] == [(RiskCode.TURNOVER_EXCEEDED, "B")]


def test_order_above_the_notional_limit_is_denied() -> None:
    decision = run(Plan(buys=(buy("A", "5000.01"),)), limits=RiskLimits(max_order_notional=D(5000)))
    assert decision.approved.is_empty
    assert decision.codes == (RiskCode.ORDER_NOTIONAL_EXCEEDED,)


def test_an_exit_or_reduction_above_the_notional_limit_is_approved_reduce_only() -> None:
    """Regression: a position worth more than max_order_notional could not be sold at all."""
    exit_all = PlannedOrder("A", OrderSide.SELL, qty=D(900), price=D(10), close_position=True, reason="exit")
    plan = Plan(sells=(exit_all, sell("B", "800")), buys=(buy("C", "6000"),))
    positions = [held("A", "900"), held("B", "900")]
    decision = run(
        plan, positions=positions, acct=account("20000"), limits=RiskLimits(max_order_notional=D(5000))
    )
    assert [o.symbol for o in decision.approved.sells] == ["A", "B"]
    assert [(d.code, d.symbol) for d in decision.denials] == [(RiskCode.ORDER_NOTIONAL_EXCEEDED, "C")]


def test_orders_beyond_the_count_limit_are_denied_sells_kept_first() -> None:
    plan = Plan(sells=(sell("A", "1"),), buys=(buy("B", "10"), buy("C", "10")))
    decision = run(plan, positions=[held("A", "5")], limits=RiskLimits(max_orders_per_run=2))
    assert [o.symbol for o in decision.approved.orders] == ["A", "B"]
    assert [(d.code, d.symbol) for d in decision.denials] == [(RiskCode.MAX_ORDERS_EXCEEDED, "C")]


def test_symbols_outside_the_universe_are_neither_targeted_nor_bought_but_may_be_sold() -> None:
    limited = limit_targets({"A": 0.5, "ZZZ": 0.5}, RiskLimits(), UNIVERSE)
    assert limited.weights == {"A": D("0.5")}
    plan = Plan(sells=(sell("OLD", "5"),), buys=(buy("ZZZ", "100"),))
    decision = run(plan, targets={"A": 0.5, "ZZZ": 0.5}, positions=[held("OLD", "5")])
    assert [o.symbol for o in decision.approved.orders] == ["OLD"]
    assert [(d.code, d.symbol) for d in decision.denials] == [
        (RiskCode.NOT_IN_UNIVERSE, "ZZZ"),
        (RiskCode.NOT_IN_UNIVERSE, "ZZZ"),
    ]


MIXED = Plan(sells=(sell("A", "10"),), buys=(buy("B", "100"),))


def test_daily_loss_trips_to_reducing_and_reducing_places_no_buys() -> None:
    decision = run(MIXED, acct=account("8400", last="10000"), positions=[held("A", "20")])
    assert decision.trading_state is TradingState.REDUCING
    assert [o.side for o in decision.approved.orders] == [OrderSide.SELL]
    assert decision.codes == (RiskCode.DAILY_LOSS_TRIPPED, RiskCode.REDUCING_NO_BUYS)
    assert [a.code for a in decision.alerts] == [RiskCode.DAILY_LOSS_TRIPPED]
    state = decision.new_state
    assert (state.tripped, state.trip_reason, state.tripped_on) == (
        TradingState.REDUCING,
        RiskCode.DAILY_LOSS_TRIPPED,
        TODAY,
    )


def test_a_daily_loss_trip_expires_on_a_later_date_but_holds_the_same_day() -> None:
    tripped = RiskState(
        tripped=TradingState.REDUCING, trip_reason=RiskCode.DAILY_LOSS_TRIPPED, tripped_on=TODAY
    )
    same_day = run(MIXED, state=tripped, positions=[held("A", "20")])
    assert same_day.trading_state is TradingState.REDUCING
    assert RiskCode.DAILY_LOSS_TRIPPED in same_day.codes
    earlier = RiskState(
        tripped=TradingState.REDUCING,
        trip_reason=RiskCode.DAILY_LOSS_TRIPPED,
        tripped_on=dt.date(2026, 2, 27),
    )
    next_day = run(MIXED, state=earlier, positions=[held("A", "20")])
    assert next_day.trading_state is TradingState.ACTIVE
    assert next_day.approved == MIXED
    assert next_day.new_state.tripped is TradingState.ACTIVE


def test_drawdown_from_the_high_water_mark_halts_and_stays_halted() -> None:
    state = RiskState(high_water_mark=D(20000))
    decision = run(MIXED, acct=account("9999"), state=state, positions=[held("A", "20")])
    assert decision.trading_state is TradingState.HALTED
    assert decision.approved.is_empty
    assert decision.codes == (RiskCode.DRAWDOWN_TRIPPED, RiskCode.HALTED, RiskCode.HALTED)
    assert decision.new_state.high_water_mark == D(20000)
    again = run(MIXED, acct=account("9999"), state=decision.new_state, positions=[held("A", "20")])
    assert again.codes == decision.codes  # the sticky trip is not reported twice
    assert again.alerts == ()
    recovered = run(MIXED, acct=account("19000"), state=decision.new_state, positions=[held("A", "20")])
    assert recovered.trading_state is TradingState.HALTED
    assert recovered.alerts == ()
    reset = decision.new_state.reset(today=TODAY, high_water_mark=D(9999))
    assert run(MIXED, acct=account("9999"), state=reset).trading_state is TradingState.ACTIVE


def test_the_high_water_mark_follows_new_highs() -> None:
    decision = run(Plan(), acct=account("12000"), state=RiskState(high_water_mark=D(11000)))
    assert decision.new_state.high_water_mark == D(12000)


def test_circuit_breaker_opens_after_consecutive_failures() -> None:
    state = RiskState().record_run(succeeded=False).record_run(succeeded=False).record_run(succeeded=False)
    decision = run(MIXED, state=state, positions=[held("A", "20")])
    assert decision.trading_state is TradingState.HALTED
    assert decision.approved.is_empty
    assert decision.codes[0] == RiskCode.CIRCUIT_BREAKER_OPEN
    assert decision.new_state.trip_reason == RiskCode.CIRCUIT_BREAKER_OPEN
    two = RiskState(consecutive_failures=2)
    assert run(MIXED, state=two, positions=[held("A", "20")]).trading_state is TradingState.ACTIVE


@pytest.mark.parametrize(
    ("flag", "risk_state", "expected"),
    [
        (TradingState.REDUCING, TradingState.ACTIVE, TradingState.REDUCING),
        (TradingState.HALTED, TradingState.REDUCING, TradingState.HALTED),
        (TradingState.ACTIVE, TradingState.HALTED, TradingState.HALTED),
        (TradingState.REDUCING, TradingState.HALTED, TradingState.HALTED),
    ],
)
def test_the_stricter_of_flag_and_risk_state_wins(
    flag: TradingState, risk_state: TradingState, expected: TradingState
) -> None:
    state = RiskState(tripped=risk_state, trip_reason="drawdown-tripped")
    decision = run(MIXED, state=state, flag=flag, positions=[held("A", "20")])
    assert decision.trading_state is expected
    if flag is not TradingState.ACTIVE:
        assert RiskCode.HALT_FLAG in decision.codes


def test_halt_flag_halt_places_no_orders_and_reduce_places_only_sells() -> None:
    halted = run(MIXED, flag=TradingState.from_flag("halt"), positions=[held("A", "20")])
    assert halted.approved.is_empty
    assert halted.codes.count(RiskCode.HALTED) == 2
    reducing = run(MIXED, flag=TradingState.from_flag("reduce"), positions=[held("A", "20")])
    assert reducing.approved.buys == ()
    assert len(reducing.approved.sells) == 1


def test_blocked_account_or_non_positive_equity_halts_without_persisting() -> None:
    blocked = run(MIXED, acct=account(trading_blocked=True), positions=[held("A", "20")])
    assert blocked.trading_state is TradingState.HALTED
    assert blocked.codes[0] == RiskCode.ACCOUNT_BLOCKED
    assert blocked.new_state.tripped is TradingState.ACTIVE
    broke = run(MIXED, acct=account("0", last="100"))
    assert broke.trading_state is TradingState.HALTED
    assert broke.codes[0] == RiskCode.EQUITY_NONPOSITIVE
    assert broke.new_state.high_water_mark is None


def test_planning_from_limited_targets_then_assessing_is_consistent() -> None:
    targets = {"A": 0.8, "B": 0.2}
    limits = RiskLimits(max_symbol_weight=D("0.5"))
    limited = limit_targets(targets, limits, UNIVERSE)
    assets = {s: AssetInfo(s, True, True) for s in "AB"}
    plan = plan_orders(limited.weights, account(), [], {"A": D(10), "B": D(10)}, assets, PlanOptions())
    decision = run(plan, targets=targets, limits=limits)
    assert decision.approved == plan
    assert decision.codes == (RiskCode.MAX_WEIGHT_CLIPPED,)
    assert decision.to_dict()["approved_targets"] == {"A": "0.5", "B": "0.2"}


@pytest.mark.parametrize(
    "bad",
    [
        {"max_symbol_weight": D(0)},
        {"max_drawdown": D("1.5")},
        {"max_turnover": D(3)},
        {"max_order_notional": D(0)},
        {"max_orders_per_run": 0},
        {"drawdown_action": TradingState.ACTIVE},
    ],
)
def test_limits_out_of_range_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        RiskLimits(**bad)  # type: ignore[arg-type]
