"""What a run records and reports about its money decisions, pinned literally: every denial's code, symbol
and detail, every skipped order's reason, the JSON of orders and plans, and every error's code, hint and
field. A report that names the wrong symbol, or an error with no hint, is a defect a user sees."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pytest

from rebalancer.broker.models import Account, AssetInfo, Order, OrderSide, OrderStatus, Position
from rebalancer.errors import RebalancerError
from rebalancer.portfolio.combine import combine_histories, combine_weights
from rebalancer.portfolio.plan import (
    Plan,
    PlannedOrder,
    PlanOptions,
    SkippedOrder,
    plan_buys,
    plan_orders,
    to_weight,
)
from rebalancer.portfolio.risk import RiskDecision, RiskLimits, RiskState, TradingState, assess
from rebalancer.symphony.weights import WeightHistory

D = Decimal
TODAY = dt.date(2026, 3, 2)
OPTIONS = PlanOptions(cash_buffer=D("0.02"), min_order_notional=D("1"))
WEIGHT_HINT = "Hint: target weights must be finite, non-negative and sum to at most 1 (the rest is cash)"


def account(equity: str = "10000", last: str | None = None, **flags: bool) -> Account:
    return Account("acct", "ACTIVE", D(equity), D(equity), D(equity), D(last or equity), **flags)


def held(symbol: str, qty: str, price: str = "10") -> Position:
    return Position(symbol, D(qty), D(qty) * D(price), D(price), D(price))


def buy(symbol: str, notional: str) -> PlannedOrder:
    return PlannedOrder(symbol, OrderSide.BUY, notional=D(notional), price=D(10))


def buy_shares(symbol: str, qty: str) -> PlannedOrder:
    return PlannedOrder(symbol, OrderSide.BUY, qty=D(qty), price=D(10))


def sell(symbol: str, qty: str) -> PlannedOrder:
    return PlannedOrder(symbol, OrderSide.SELL, qty=D(qty), price=D(10), reason="reduce")


def fractionable(*symbols: str) -> dict[str, AssetInfo]:
    return {s: AssetInfo(s, tradable=True, fractionable=True) for s in symbols}


def whole(*symbols: str) -> dict[str, AssetInfo]:
    return {s: AssetInfo(s, tradable=True, fractionable=False) for s in symbols}


def open_order(symbol: str, side: OrderSide) -> Order:
    when = dt.datetime(2026, 3, 2, 14, 35, tzinfo=dt.UTC)
    return Order("o1", "c1", symbol, side, OrderStatus.NEW, D(1), None, D(0), None, when)


def decide(
    orders: list[PlannedOrder],
    positions: tuple[Position, ...] = (),
    *,
    acct: Account | None = None,
    state: RiskState | None = None,
    flag: TradingState = TradingState.ACTIVE,
    **limits: object,
) -> RiskDecision:
    plan = Plan(
        sells=tuple(o for o in orders if o.side is OrderSide.SELL),
        buys=tuple(o for o in orders if o.side is OrderSide.BUY),
    )
    return assess(
        {},
        plan,
        acct or account(),
        list(positions),
        RiskLimits(**limits),  # type: ignore[arg-type]
        state or RiskState(),
        {"A", "B", "C"},
        halt_flag=flag,
        today=TODAY,
    )


def denials(decision: RiskDecision) -> list[tuple[str, str | None, str]]:
    return [(d.code, d.symbol, d.detail) for d in decision.denials]


def orders(decision: RiskDecision) -> list[tuple[str, str, str]]:
    return [(o.symbol, o.side.value, str(o.qty or o.notional)) for o in decision.approved.orders]


# -- risk: each denial with its code, symbol and detail --------------------------------------------

HALTED = ("halted", "A", "trading is halted: no orders")


@pytest.mark.parametrize(
    ("decision", "expected_denials", "expected_orders"),
    [
        (
            lambda: decide([buy("A", "10")], flag=TradingState.HALTED),
            [("halt-flag", None, "halt flag is set to halted"), HALTED],
            [],
        ),
        (
            lambda: decide([buy("A", "10"), sell("B", "1")], (held("B", "5"),), flag=TradingState.REDUCING),
            [
                ("halt-flag", None, "halt flag is set to reducing"),
                ("reducing-no-buys", "A", "trading is reducing: sells only"),
            ],
            [("B", "sell", "1")],
        ),
        (
            lambda: decide([buy("Z", "10")]),
            [("symbol-not-in-universe", "Z", "no strategy references this symbol")],
            [],
        ),
        (
            lambda: decide([buy("A", "6000")], max_order_notional=D(5000)),
            [("order-notional-exceeded", "A", "6000 > 5000")],
            [],
        ),
        (
            lambda: decide([buy("B", "4001")], (held("A", "400"),), max_gross_exposure=D("0.8")),
            [("gross-exposure-exceeded", "B", "gross 8001 > 8000.0")],
            [],
        ),
        (
            lambda: decide([sell("A", "300"), buy("B", "2001")], (held("A", "500"),), max_turnover=D("0.5")),
            [("turnover-exceeded", "B", "turnover 5001 > 5000.0")],
            [("A", "sell", "300")],
        ),
        (
            lambda: decide([buy("A", "10"), buy("B", "10")], max_orders_per_run=1),
            [("max-orders-exceeded", "B", "limit 1")],
            [("A", "buy", "10")],
        ),
        (
            lambda: decide([buy("A", "3000.01")], (held("A", "100"),), max_symbol_weight=D("0.4")),
            [("max-weight-clipped", "A", "buy clipped from 3000.01 to 3000.00")],
            [("A", "buy", "3000.00")],
        ),
        (  # room 2999.995: rounded down to 2999.99, never half-even up to 3000.00
            lambda: decide(
                [buy("A", "3000")],
                (Position("A", D("100.0005"), D("1000.005"), D(10), D(10)),),
                max_symbol_weight=D("0.4"),
            ),
            [("max-weight-clipped", "A", "buy clipped from 3000 to 2999.99")],
            [("A", "buy", "2999.99")],
        ),
        (
            lambda: decide([buy_shares("A", "350")], (held("A", "100"),), max_symbol_weight=D("0.4")),
            [("max-weight-clipped", "A", "buy clipped from 350 to 300 shares")],
            [("A", "buy", "300")],
        ),
        (
            lambda: decide([buy_shares("A", "1")], (held("A", "400"),), max_symbol_weight=D("0.4")),
            [("max-weight-clipped", "A", "the position is already at its cap 4000.0")],
            [],
        ),
        (
            lambda: decide([buy("A", "500")], (held("A", "500"),), max_symbol_weight=D("0.5")),
            [("max-weight-clipped", "A", "the position is already at its cap 5000.0")],
            [],
        ),
        (
            lambda: decide([buy("A", "10")], acct=account(trading_blocked=True)),
            [("account-blocked", None, "account status ACTIVE"), HALTED],
            [],
        ),
        (
            lambda: decide([buy("A", "10")], acct=account(account_blocked=True)),
            [("account-blocked", None, "account status ACTIVE"), HALTED],
            [],
        ),
        (
            lambda: decide([buy("A", "10")], acct=account("0")),
            [("equity-nonpositive", None, "equity is 0"), HALTED],
            [],
        ),
        (
            lambda: decide([buy("A", "10")], acct=account("8000", last="10000")),
            [
                ("daily-loss-tripped", None, "daily loss 20.00% >= 15.00% (equity vs last close)"),
                ("reducing-no-buys", "A", "trading is reducing: sells only"),
            ],
            [],
        ),
        (
            lambda: decide([], acct=account("8000"), state=RiskState(high_water_mark=D(20000))),
            [("drawdown-tripped", None, "drawdown 60.00% >= 50.00% from high-water mark 20000")],
            [],
        ),
        (
            lambda: decide([], state=RiskState(consecutive_failures=5)),
            [("circuit-breaker-open", None, "5 consecutive failed runs")],
            [],
        ),
        (  # a sticky trip from an earlier run is reported with its date and still blocks
            lambda: decide(
                [buy("A", "10")],
                state=RiskState(
                    tripped=TradingState.HALTED,
                    trip_reason="drawdown-tripped",
                    tripped_on=dt.date(2026, 2, 1),
                ),
            ),
            [("drawdown-tripped", None, "still halted: tripped since 2026-02-01"), HALTED],
            [],
        ),
        (
            lambda: decide(
                [buy("A", "10")], state=RiskState(tripped=TradingState.HALTED, trip_reason="drawdown-tripped")
            ),
            [("drawdown-tripped", None, "still halted: tripped"), HALTED],
            [],
        ),
        (  # yesterday's daily-loss trip has expired today
            lambda: decide(
                [buy("A", "10")],
                state=RiskState(
                    tripped=TradingState.REDUCING,
                    trip_reason="daily-loss-tripped",
                    tripped_on=dt.date(2026, 3, 1),
                ),
            ),
            [],
            [("A", "buy", "10")],
        ),
    ],
)
def test_every_denial_names_its_code_symbol_and_reason(
    decision: Callable[[], RiskDecision],
    expected_denials: list[tuple[str, str | None, str]],
    expected_orders: list[tuple[str, str, str]],
) -> None:
    outcome = decision()
    assert denials(outcome) == expected_denials
    assert orders(outcome) == expected_orders


def test_a_trip_is_an_alert_and_is_persisted_with_its_date() -> None:
    decision = decide([buy("A", "10")], acct=account("8000", last="10000"))
    assert decision.to_dict() == {
        "trading_state": "reducing",
        "approved": {
            "sells": [],
            "buys": [],
            "skipped": [],
            "buy_budget": "0",
            "buy_scale": "1",
            "notes": [],
        },
        "denials": [
            {
                "code": "daily-loss-tripped",
                "symbol": None,
                "detail": "daily loss 20.00% >= 15.00% (equity vs last close)",
            },
            {"code": "reducing-no-buys", "symbol": "A", "detail": "trading is reducing: sells only"},
        ],
        "alerts": [
            {
                "code": "daily-loss-tripped",
                "symbol": None,
                "detail": "daily loss 20.00% >= 15.00% (equity vs last close)",
            }
        ],
        "approved_targets": {},
        "new_state": {
            "high_water_mark": "8000",
            "consecutive_failures": 0,
            "tripped": "reducing",
            "trip_reason": "daily-loss-tripped",
            "tripped_on": "2026-03-02",
            "updated_on": "2026-03-02",
        },
    }


def test_an_old_trip_keeps_its_date_and_the_equity_halt_is_not_persisted() -> None:
    old = RiskState(
        tripped=TradingState.HALTED, trip_reason="drawdown-tripped", tripped_on=dt.date(2026, 2, 1)
    )
    decision = decide([], state=old)
    assert (decision.new_state.tripped_on, decision.new_state.updated_on) == (dt.date(2026, 2, 1), TODAY)
    assert decision.alerts == ()
    empty = decide([], acct=account("0"), state=RiskState(high_water_mark=D(500)))
    assert empty.new_state == RiskState(high_water_mark=D(500), updated_on=TODAY)


# -- planner: each skip with its code, detail and amount ------------------------------------------


def skips(plan: Plan) -> list[tuple[str, str, str, str, str]]:
    return [(s.symbol, s.side.value, s.code, s.detail, str(s.estimated_notional)) for s in plan.skipped]


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (
            lambda: plan_orders(
                {"A": 0.5}, account(), [held("S", "-3")], {"A": D(10)}, fractionable("A"), OPTIONS
            ),
            [("S", "buy", "short-position", "short position -3 left alone", "0")],
        ),
        (
            lambda: plan_orders(
                {"A": 0.5},
                account(),
                [held("A", "100")],
                {"A": D(10)},
                fractionable("A"),
                OPTIONS,
                open_orders=[open_order("A", OrderSide.SELL)],
            ),
            [("A", "buy", "open-order-conflict", "an opposite-side order is open", "3900.000")],
        ),
        (
            lambda: plan_orders(
                {"A": 0.2},
                account(),
                [held("A", "100")],
                {"A": D(10)},
                fractionable("A"),
                OPTIONS,
                open_orders=[open_order("A", OrderSide.BUY)],
            ),
            [("A", "buy", "open-order-pending", "a same-side order is already open", "960.000")],
        ),
        (
            lambda: plan_orders({"A": 0.5}, account(), [], {"A": D(10)}, {}, OPTIONS),
            [("A", "buy", "asset-unknown", "no asset information from the broker", "4900.000")],
        ),
        (
            lambda: plan_orders(
                {"A": 0.5},
                account(),
                [],
                {"A": D(10)},
                {"A": AssetInfo("A", False, True, "inactive")},
                OPTIONS,
            ),
            [("A", "buy", "not-tradable", "asset is inactive, tradable=False", "4900.000")],
        ),
        (
            lambda: plan_orders(
                {"A": 0.5},
                account(),
                [],
                {"A": D(10)},
                {"A": AssetInfo("A", True, True, "inactive")},
                OPTIONS,
            ),
            [("A", "buy", "not-tradable", "asset is inactive, tradable=True", "4900.000")],
        ),
        (
            lambda: plan_orders({"A": 0.5}, account(), [], {}, fractionable("A"), OPTIONS),
            [("A", "buy", "no-price", "no positive price to size the buy", "4900.000")],
        ),
        (
            lambda: plan_buys(
                {"A": 0.5}, account(), [], {"A": D(10)}, fractionable("A"), OPTIONS, buying_power=D(0)
            ),
            [("A", "buy", "no-buying-power", "no cash left for this buy", "4900.000")],
        ),
        (
            lambda: plan_orders({"A": 0.00005}, account(), [], {"A": D(10)}, fractionable("A"), OPTIONS),
            [("A", "buy", "below-minimum", "< 1", "0.4900000")],
        ),
        (
            lambda: plan_orders({"A": 0.0005}, account(), [], {"A": D(100)}, whole("A"), OPTIONS),
            [("A", "buy", "below-one-share", "less than one whole share", "4.900000")],
        ),
        (  # 4.9 buys 9 shares at 0.5 = 4.5, under the 5 minimum
            lambda: plan_orders(
                {"A": 0.00049}, account(), [], {"A": D("0.5")}, whole("A"), PlanOptions(D(0), D(5))
            ),
            [("A", "buy", "below-minimum", "< 5", "4.5")],
        ),
        (  # 1000 held, target 978.04: a 21.96 sell under the 25 minimum
            lambda: plan_orders(
                {"A": 0.0998},
                account(),
                [held("A", "100")],
                {"A": D(10)},
                fractionable("A"),
                PlanOptions(D("0.02"), D(25)),
            ),
            [("A", "sell", "below-minimum", "< 25", "21.960000000")],
        ),
        (  # half a share of a whole-share asset cannot be sold down
            lambda: plan_orders(
                {"A": 0.00001}, account(), [held("A", "0.5")], {"A": D(10)}, whole("A"), OPTIONS
            ),
            [("A", "sell", "below-one-share", "the sell rounds to zero shares", "4.9020000")],
        ),
    ],
)
def test_every_skip_names_its_reason_and_amount(
    plan: Callable[[], Plan], expected: list[tuple[str, ...]]
) -> None:
    assert skips(plan()) == expected


def test_orders_carry_their_reason() -> None:
    plan = plan_orders(
        {"A": 0.1, "B": 0.5},
        account(),
        [held("A", "200"), held("C", "1")],
        {"A": D(10), "B": D(10), "C": D(10)},
        fractionable("A", "B", "C"),
        OPTIONS,
    )
    assert [(o.symbol, o.side.value, o.reason, o.close_position) for o in plan.orders] == [
        ("A", "sell", "reduce", False),
        ("C", "sell", "exit", True),
        ("B", "buy", "increase", False),
    ]


def test_the_plan_json_is_the_record_format() -> None:
    exit_leg = PlannedOrder(
        "A",
        OrderSide.SELL,
        qty=D("2.5"),
        price=D(10),
        close_position=True,
        reason="exit",
        target_weight=D(0),
        target_value=D(0),
        current_value=D(25),
    )
    skipped = SkippedOrder("B", OrderSide.BUY, "below-minimum", "< 1", D("0.5"))
    plan = Plan(sells=(exit_leg,), skipped=(skipped,), buy_budget=D(100), buy_scale=D("0.5"), notes=("n",))
    leg = {
        "symbol": "A",
        "side": "sell",
        "qty": "2.5",
        "notional": None,
        "close_position": True,
        "reason": "exit",
        "price": "10",
        "estimated_notional": "25.0",
        "target_weight": "0",
        "target_value": "0",
        "current_value": "25",
    }
    skip = {
        "symbol": "B",
        "side": "buy",
        "code": "below-minimum",
        "detail": "< 1",
        "estimated_notional": "0.5",
    }
    assert plan.to_dict() == {
        "sells": [leg],
        "buys": [],
        "skipped": [skip],
        "buy_budget": "100",
        "buy_scale": "0.5",
        "notes": ["n"],
    }


def test_planned_values_reach_the_order() -> None:
    [order] = plan_orders(
        {"A": 0.5}, account(), [held("A", "100")], {"A": D(10)}, fractionable("A"), OPTIONS
    ).buys
    assert (order.target_weight, order.target_value, order.current_value, order.price) == (
        D("0.5"),
        D("4900.000"),
        D("1000"),
        D(10),
    )


# -- errors: code, message, hint and field ----------------------------------------------------------

D1 = np.array(["2024-01-02"], dtype="datetime64[D]")
D2 = np.array(["2024-01-03"], dtype="datetime64[D]")


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda: PlanOptions(cash_buffer=D(1)), "cash_buffer 1 is outside [0, 1) (bad-cash-buffer)"),
        (lambda: PlanOptions(min_order_notional=D(-1)), "min_order_notional is negative (bad-min-order)"),
        (
            lambda: PlannedOrder("A", OrderSide.BUY, price=D(1)),
            "A: an order needs exactly one of qty and notional (order-size-invalid)",
        ),
        (
            lambda: PlannedOrder("A", OrderSide.BUY, qty=D(1), price=D(1), close_position=True),
            "A: only a sell can close a position (order-side-invalid)",
        ),
        (lambda: to_weight("A", math.nan), f"A: weight of A is nan (weight-not-finite). {WEIGHT_HINT}"),
        (lambda: to_weight("A", -0.1), f"A: weight of A is -0.1 (weight-negative). {WEIGHT_HINT}"),
        (lambda: to_weight("A", D("-0.1")), f"A: weight of A is -0.1 (weight-negative). {WEIGHT_HINT}"),
        (
            lambda: plan_orders({"A": 0.7, "B": 0.4}, account(), [], {}, {}, OPTIONS),
            f"target weights sum to 1.1 > 1 (weights-exceed-one). {WEIGHT_HINT}",
        ),
        (
            lambda: plan_orders({"A": D("1.0000000011")}, account(), [], {}, {}, OPTIONS),
            f"target weights sum to 1.0000000011 > 1 (weights-exceed-one). {WEIGHT_HINT}",
        ),
        (
            lambda: plan_orders({"A": 0.5}, account("0"), [], {}, {}, OPTIONS),
            "account equity is 0 (equity-nonpositive)."
            " Hint: fund the account; nothing can be sized from zero equity",
        ),
        (
            lambda: RiskLimits(max_symbol_weight=D(0)),
            "risk.max_symbol_weight: 0 not in (0, 1] (limit-out-of-range)",
        ),
        (lambda: RiskLimits(max_drawdown=D(2)), "risk.max_drawdown: 2 not in (0, 1] (limit-out-of-range)"),
        (lambda: RiskLimits(max_turnover=D(3)), "risk.max_turnover: outside (0, 2] (limit-out-of-range)"),
        (
            lambda: RiskLimits(max_order_notional=D(0)),
            "risk.max_order_notional: must be positive (limit-out-of-range)",
        ),
        (lambda: RiskLimits(max_orders_per_run=0), "risk: counts must be at least 1 (limit-out-of-range)"),
        (
            lambda: RiskLimits(drawdown_action=TradingState.ACTIVE),
            "drawdown_action: must be reducing or halted (limit-out-of-range)",
        ),
        (
            lambda: combine_weights({"a": {"SPY": 0.5}}, {"a": 1.0}),
            "weights of strategy a sum to 0.5 or contain a negative value (weights-invalid)."
            " Hint: a strategy's weights must be non-negative and sum to 1",
        ),
        (
            lambda: combine_weights({"a": {"SPY": -0.5, "B": 1.5}}, {"a": 1.0}),
            "weights of strategy a sum to 1.0 or contain a negative value (weights-invalid)."
            " Hint: a strategy's weights must be non-negative and sum to 1",
        ),
        (
            lambda: combine_histories(
                {
                    "a": WeightHistory(D1, ("A",), np.ones((1, 1))),
                    "b": WeightHistory(D2, ("A",), np.ones((1, 1))),
                },
                {"a": 0.5, "b": 0.5},
            ),
            "strategies were evaluated over different dates (weights-dates-differ)."
            " Hint: evaluate every strategy on the same price history",
        ),
        (
            lambda: WeightHistory(D1, ("A",), np.ones((2, 1))),
            "weights have shape (2, 1), expected (1, 1) (weights-shape)."
            " Hint: one row per date and one column per symbol",
        ),
        (
            lambda: WeightHistory(D1, ("A",), np.ones((1, 1))).row("2024-01-05"),
            "2024-01-05 is not a session of this weight history (date-outside-data)."
            " Hint: pick a trading day inside the evaluated history",
        ),
        (
            lambda: WeightHistory(D1, ("A",), np.full((1, 1), np.nan)).row("2024-01-02"),
            "weights on 2024-01-02 are undefined (an indicator lacks history) (weights-undefined)."
            " Hint: load more history before this date (see required_history())",
        ),
        (
            lambda: WeightHistory(D1, ("A",), np.full((1, 1), np.nan)).last_valid_row(),
            "no session has defined weights (weights-undefined)."
            " Hint: load more history (see required_history())",
        ),
    ],
)
def test_every_error_says_what_where_and_what_to_do(call: Callable[[], object], text: str) -> None:
    with pytest.raises(RebalancerError) as err:
        call()
    assert str(err.value) == text


def test_weights_at_the_tolerance_and_equity_of_a_dollar_are_usable() -> None:
    plan = plan_orders(
        {"A": D("1.000000001")}, account("1"), [], {"A": D(1)}, fractionable("A"), PlanOptions(D(0), D(1))
    )
    assert [b.notional for b in plan.buys] == [D("1.00")]


def test_combining_histories_weights_each_strategy_by_its_share() -> None:
    a = WeightHistory(D1, ("A",), np.ones((1, 1)))
    b = WeightHistory(D1, ("A", "B"), np.array([[0.5, 0.5]]))
    combined = combine_histories({"a": a, "b": b}, {"a": 0.75, "b": 0.25})
    assert combined.symbols == ("A", "B")
    assert combined.weights.tolist() == [[0.875, 0.125]]
    assert combined.dates.tolist() == D1.tolist()
