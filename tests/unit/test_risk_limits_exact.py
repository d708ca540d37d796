"""Every risk limit at its exact value and one step past it, with hand-computed numbers.

A limit written `>` where `>=` is meant (or the reverse), or a loss computed with `*` instead of `/`,
fails here: each test pins which side of the line the exact value falls on.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rebalancer.broker.models import Account, OrderSide, Position
from rebalancer.errors import ConfigError
from rebalancer.portfolio.plan import Plan, PlannedOrder
from rebalancer.portfolio.risk import RiskCode, RiskDecision, RiskLimits, RiskState, TradingState, assess
from rebalancer.portfolio.risk_limits import limit_targets

D = Decimal
TODAY = dt.date(2026, 3, 2)
UNIVERSE = {"A", "B", "C"}


def account(equity: str = "10000", last: str | None = None) -> Account:
    return Account("acct", "ACTIVE", D(equity), D(equity), D(equity), D(last or equity))


def buy(symbol: str, notional: str) -> PlannedOrder:
    return PlannedOrder(symbol, OrderSide.BUY, notional=D(notional), price=D(10))


def buy_shares(symbol: str, qty: str, price: str = "10") -> PlannedOrder:
    return PlannedOrder(symbol, OrderSide.BUY, qty=D(qty), price=D(price))


def sell(symbol: str, qty: str, price: str = "10") -> PlannedOrder:
    return PlannedOrder(symbol, OrderSide.SELL, qty=D(qty), price=D(price), reason="reduce")


def held(symbol: str, qty: str, price: str = "10") -> Position:
    return Position(symbol, D(qty), D(qty) * D(price), D(price), D(price))


def decide(
    orders: list[PlannedOrder],
    *,
    acct: Account | None = None,
    positions: list[Position] | None = None,
    state: RiskState | None = None,
    **limits: object,
) -> RiskDecision:
    sells = tuple(o for o in orders if o.side is OrderSide.SELL)
    buys = tuple(o for o in orders if o.side is OrderSide.BUY)
    return assess(
        {},
        Plan(sells=sells, buys=buys),
        acct or account(),
        positions or [],
        RiskLimits(**limits),  # type: ignore[arg-type]
        state or RiskState(),
        UNIVERSE,
        today=TODAY,
    )


def approved(decision: RiskDecision) -> list[tuple[str, str, Decimal]]:
    return [(o.symbol, o.side.value, o.estimated_notional) for o in decision.approved.orders]


# -- trips ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("equity", "trips"),
    [("8500", True), ("8500.01", False), ("9999", False), ("8000", True)],
)
def test_daily_loss_trips_at_exactly_the_limit(equity: str, trips: bool) -> None:
    # last close 10000, limit 15%: a loss of 1500 is exactly 15%, 1499.99 is below it.
    decision = decide([buy("A", "100")], acct=account(equity, last="10000"), max_daily_loss=D("0.15"))
    assert (RiskCode.DAILY_LOSS_TRIPPED in decision.codes) is trips
    assert decision.trading_state is (TradingState.REDUCING if trips else TradingState.ACTIVE)
    assert approved(decision) == ([] if trips else [("A", "buy", D(100))])


@pytest.mark.parametrize(("equity", "trips"), [("6000", True), ("6000.01", False), ("9990", False)])
def test_drawdown_trips_at_exactly_the_limit(equity: str, trips: bool) -> None:
    # high-water mark 15000 (a past peak), limit 60%: equity 6000 is exactly 60% down.
    state = RiskState(high_water_mark=D(15000))
    decision = decide([], acct=account(equity), state=state, max_drawdown=D("0.6"))
    assert (RiskCode.DRAWDOWN_TRIPPED in decision.codes) is trips
    assert decision.new_state.high_water_mark == D(15000)
    assert decision.trading_state is (TradingState.HALTED if trips else TradingState.ACTIVE)


@pytest.mark.parametrize(("failures", "trips"), [(3, True), (2, False)])
def test_circuit_breaker_opens_at_exactly_the_limit(failures: int, trips: bool) -> None:
    decision = decide([buy("A", "100")], state=RiskState(consecutive_failures=failures))
    assert (RiskCode.CIRCUIT_BREAKER_OPEN in decision.codes) is trips
    assert approved(decision) == ([] if trips else [("A", "buy", D(100))])


def test_a_new_high_raises_the_high_water_mark_and_never_trips() -> None:
    decision = decide([], acct=account("12000"), state=RiskState(high_water_mark=D(10000)))
    assert decision.new_state.high_water_mark == D(12000)
    assert decision.codes == ()


# -- order limits ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("notional", "denied"), [("5000", False), ("5000.01", True)])
def test_order_notional_limit_allows_exactly_the_limit(notional: str, denied: bool) -> None:
    decision = decide([buy("A", notional)], max_order_notional=D(5000))
    assert (RiskCode.ORDER_NOTIONAL_EXCEEDED in decision.codes) is denied


@pytest.mark.parametrize(("notional", "clipped_to"), [("3000", None), ("3000.01", D("3000.00"))])
def test_symbol_cap_clips_only_past_the_cap(notional: str, clipped_to: Decimal | None) -> None:
    # cap 40% of 10000 = 4000, 1000 held: room is exactly 3000.
    decision = decide([buy("A", notional)], positions=[held("A", "100")], max_symbol_weight=D("0.4"))
    [order] = decision.approved.orders
    assert order.notional == (clipped_to or D(notional))
    assert (RiskCode.MAX_WEIGHT_CLIPPED in decision.codes) is (clipped_to is not None)


@pytest.mark.parametrize(("room", "denied"), [("1.00", False), ("0.99", True)])
def test_a_clipped_buy_under_one_dollar_is_denied(room: str, denied: bool) -> None:
    # cap 50% of 10000 = 5000; held 5000 - room.
    value = D(5000) - D(room)
    positions = [Position("A", value / 10, value, D(10), D(10))]
    decision = decide([buy("A", "500")], positions=positions, max_symbol_weight=D("0.5"))
    assert approved(decision) == ([] if denied else [("A", "buy", D(room))])
    assert decision.codes == (RiskCode.MAX_WEIGHT_CLIPPED,)


def test_a_whole_share_buy_is_clipped_to_the_shares_that_fit() -> None:
    # cap 4000, 1000 held: 300 shares at 10 fit exactly, 301 do not.
    fits = decide([buy_shares("A", "300")], positions=[held("A", "100")], max_symbol_weight=D("0.4"))
    assert fits.approved.orders[0].qty == D(300)
    assert fits.codes == ()
    over = decide([buy_shares("A", "350")], positions=[held("A", "100")], max_symbol_weight=D("0.4"))
    assert over.approved.orders[0].qty == D(300)
    assert over.codes == (RiskCode.MAX_WEIGHT_CLIPPED,)
    full = decide([buy_shares("A", "1")], positions=[held("A", "400")], max_symbol_weight=D("0.4"))
    assert full.approved.orders == ()


@pytest.mark.parametrize(("notional", "denied"), [("4000", False), ("4000.01", True)])
def test_gross_exposure_allows_exactly_the_cap(notional: str, denied: bool) -> None:
    # cap 80% of 10000 = 8000; 4000 held.
    decision = decide([buy("B", notional)], positions=[held("A", "400")], max_gross_exposure=D("0.8"))
    assert (RiskCode.GROSS_EXPOSURE_EXCEEDED in decision.codes) is denied


@pytest.mark.parametrize(("notional", "denied"), [("2000", False), ("2000.01", True)])
def test_turnover_allows_exactly_the_cap(notional: str, denied: bool) -> None:
    # cap 50% of 10000 = 5000: a 3000 sell, then the buy.
    orders = [sell("A", "300"), buy("B", notional)]
    decision = decide(orders, positions=[held("A", "500")], max_turnover=D("0.5"))
    assert (RiskCode.TURNOVER_EXCEEDED in decision.codes) is denied
    assert len(decision.approved.orders) == (1 if denied else 2)


def test_max_orders_allows_exactly_the_count() -> None:
    decision = decide([buy("A", "10"), buy("B", "10"), buy("C", "10")], max_orders_per_run=2)
    assert [o.symbol for o in decision.approved.orders] == ["A", "B"]
    assert decision.codes == (RiskCode.MAX_ORDERS_EXCEEDED,)


def test_a_full_rotation_is_approved_because_sells_reduce_the_projected_exposure() -> None:
    # Everything in A, all of it into B: gross stays at 100% only if the sell is subtracted first.
    orders = [sell("A", "1000"), buy("B", "9800")]
    decision = decide(orders, positions=[held("A", "1000")])
    assert approved(decision) == [("A", "sell", D(10000)), ("B", "buy", D(9800))]
    assert decision.codes == ()


def test_a_buy_on_top_of_a_held_position_counts_what_is_held() -> None:
    # gross cap 100%: 6000 held in A, so a 4000.01 buy of B goes over and a 4000 buy does not.
    positions = [held("A", "600")]
    assert decide([buy("B", "4000")], positions=positions).codes == ()
    assert decide([buy("B", "4000.01")], positions=positions).codes == (RiskCode.GROSS_EXPOSURE_EXCEEDED,)


# -- target limits --------------------------------------------------------------------------------


def test_target_weight_cap_clips_only_past_the_cap() -> None:
    limits = RiskLimits(max_symbol_weight=D("0.4"))
    at_cap = limit_targets({"A": D("0.4"), "B": D("0.3")}, limits, UNIVERSE)
    assert at_cap.weights == {"A": D("0.4"), "B": D("0.3")}
    assert at_cap.denials == ()
    over = limit_targets({"A": D("0.41")}, limits, UNIVERSE)
    assert over.weights == {"A": D("0.4")}
    assert [d.code for d in over.denials] == [RiskCode.MAX_WEIGHT_CLIPPED]


def test_target_gross_cap_scales_only_past_the_cap() -> None:
    limits = RiskLimits(max_gross_exposure=D("0.8"))
    at_cap = limit_targets({"A": D("0.5"), "B": D("0.3")}, limits, UNIVERSE)
    assert at_cap.weights == {"A": D("0.5"), "B": D("0.3")}
    assert at_cap.gross == D("0.8")
    over = limit_targets({"A": D("0.6"), "B": D("0.4")}, limits, UNIVERSE)
    assert over.weights == {"A": D("0.48"), "B": D("0.32")}
    assert [d.code for d in over.denials] == [RiskCode.GROSS_EXPOSURE_CLIPPED]


def test_targets_outside_the_universe_go_to_cash_and_zeros_are_dropped() -> None:
    limited = limit_targets({"A": 0.5, "ZZZ": 0.3, "B": 0.0}, RiskLimits(), UNIVERSE)
    assert limited.weights == {"A": D("0.5")}
    assert [(d.code, d.symbol) for d in limited.denials] == [(RiskCode.NOT_IN_UNIVERSE, "ZZZ")]


@pytest.mark.parametrize(
    "limits",
    [
        {"max_symbol_weight": D(0)},
        {"max_gross_exposure": D("1.01")},
        {"max_daily_loss": D(0)},
        {"max_drawdown": D("1.5")},
        {"max_turnover": D("2.01")},
        {"max_turnover": D(0)},
        {"max_order_notional": D(0)},
        {"max_orders_per_run": 0},
        {"circuit_breaker_failures": 0},
        {"daily_loss_action": TradingState.ACTIVE},
        {"drawdown_action": TradingState.ACTIVE},
    ],
)
def test_limits_outside_their_range_are_refused(limits: dict[str, object]) -> None:
    with pytest.raises(ConfigError) as err:
        RiskLimits(**limits)  # type: ignore[arg-type]
    assert err.value.code == "limit-out-of-range"


def test_limits_at_the_edges_of_their_range_are_accepted() -> None:
    edges = RiskLimits(
        max_symbol_weight=D(1),
        max_gross_exposure=D(1),
        max_daily_loss=D(1),
        max_drawdown=D(1),
        max_turnover=D(2),
        max_orders_per_run=1,
        circuit_breaker_failures=1,
    )
    assert edges.max_turnover == D(2)
