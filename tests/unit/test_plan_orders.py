"""Order planning: sizing, rounding, exits, minimums, open orders and buying power."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rebalancer.broker.models import Account, AssetInfo, Order, OrderSide, OrderStatus, Position
from rebalancer.portfolio.plan import (
    PlannedOrder,
    PlanningError,
    PlanOptions,
    SkipCode,
    available_cash,
    plan_buys,
    plan_orders,
)

D = Decimal


def account(equity: str = "10000", cash: str | None = None, buying_power: str | None = None) -> Account:
    cash = equity if cash is None else cash
    return Account("acct", "ACTIVE", D(cash), D(equity), D(buying_power or cash), D(equity))


def position(symbol: str, qty: str, price: str) -> Position:
    return Position(symbol, D(qty), D(qty) * D(price), D(price), D(price))


def assets(*fractionable: str, whole: tuple[str, ...] = ()) -> dict[str, AssetInfo]:
    info = {s: AssetInfo(s, tradable=True, fractionable=True) for s in fractionable}
    info.update({s: AssetInfo(s, tradable=True, fractionable=False) for s in whole})
    return info


def open_order(symbol: str, side: OrderSide) -> Order:
    when = dt.datetime(2026, 3, 2, 14, 35, tzinfo=dt.UTC)
    return Order("o1", "c1", symbol, side, OrderStatus.NEW, D(1), None, D(0), None, when)


OPTIONS = PlanOptions(cash_buffer=D("0.02"), min_order_notional=D("1"))


def test_fractionable_buy_is_by_notional_after_the_cash_buffer() -> None:
    plan = plan_orders({"SPY": 0.5}, account(), [], {"SPY": D("400")}, assets("SPY"), OPTIONS)
    [buy] = plan.buys
    assert (buy.side, buy.notional, buy.qty) == (OrderSide.BUY, D("4900.00"), None)
    assert buy.target_value == D("4900.00")
    assert plan.sells == ()
    assert plan.skipped == ()


def test_non_fractionable_buy_rounds_down_to_whole_shares() -> None:
    plan = plan_orders({"BRK": 0.5}, account(), [], {"BRK": D("300")}, assets(whole=("BRK",)), OPTIONS)
    [buy] = plan.buys
    assert (buy.qty, buy.notional) == (D(16), None)  # 4900 / 300 = 16.33 -> 16


def test_buy_smaller_than_one_whole_share_is_skipped() -> None:
    plan = plan_orders({"BRK": 0.01}, account(), [], {"BRK": D("300")}, assets(whole=("BRK",)), OPTIONS)
    assert plan.buys == ()
    assert [s.code for s in plan.skipped] == [SkipCode.BELOW_ONE_SHARE]


def test_sells_come_before_buys_and_a_full_exit_closes_the_position() -> None:
    held = [position("OLD", "3.123456789", "100"), position("SPY", "10", "400")]
    prices = {"OLD": D("100"), "SPY": D("400"), "NEW": D("50")}
    plan = plan_orders(
        {"SPY": 0.2, "NEW": 0.7}, account(cash="5687.65"), held, prices, assets(*prices), OPTIONS
    )
    assert [(o.symbol, o.side) for o in plan.orders] == [
        ("OLD", OrderSide.SELL),
        ("SPY", OrderSide.SELL),
        ("NEW", OrderSide.BUY),
    ]
    exit_leg = plan.sells[0]
    assert exit_leg.close_position
    assert exit_leg.qty == D("3.123456789")
    assert exit_leg.reason == "exit"


def test_fractionable_sell_rounds_qty_down_to_nine_decimals() -> None:
    held = [position("SPY", "10", "300")]
    plan = plan_orders({"SPY": 0.1}, account(cash="7000"), held, {"SPY": D("300")}, assets("SPY"), OPTIONS)
    [sell] = plan.sells
    # excess = 3000 - 980 = 2020 -> 6.7333333333... shares, floored at 1e-9
    assert sell.qty == D("6.733333333")
    assert not sell.close_position


def test_non_fractionable_sell_rounds_up_but_never_beyond_the_shares_held() -> None:
    held = [position("BRK", "10", "300")]
    plan = plan_orders(
        {"BRK": 0.1}, account(cash="7000"), held, {"BRK": D("300")}, assets(whole=("BRK",)), OPTIONS
    )
    assert plan.sells[0].qty == D(7)  # 2020 / 300 = 6.73 -> 7 (ends below target, never above)
    tiny_target = plan_orders(
        {"BRK": 0.0001}, account(cash="7000"), held, {"BRK": D("300")}, assets(whole=("BRK",)), OPTIONS
    )
    assert tiny_target.sells[0].qty == D(10)


def test_sell_is_capped_at_qty_available() -> None:
    held = [Position("SPY", D(10), D(4000), D(400), D(400), qty_available=D(2))]
    plan = plan_orders({"SPY": 0.01}, account(cash="6000"), held, {"SPY": D("400")}, assets("SPY"), OPTIONS)
    assert plan.sells[0].qty == D(2)


def test_orders_below_the_minimum_are_skipped_but_exits_are_not() -> None:
    held = [position("SPY", "1", "400"), position("DUST", "0.001", "50")]
    options = PlanOptions(cash_buffer=D(0), min_order_notional=D("5"))
    equity = account(equity="402.05", cash="2")
    prices = {"SPY": D("400"), "DUST": D("50")}
    plan = plan_orders({"SPY": 0.9950}, equity, held, prices, assets(*prices), options)
    assert [(o.symbol, o.close_position) for o in plan.orders] == [("DUST", True)]  # $0.05 of dust closed
    assert [(s.symbol, s.code) for s in plan.skipped] == [("SPY", SkipCode.BELOW_MINIMUM)]


@pytest.mark.parametrize(
    ("open_side", "code"),
    [(OrderSide.BUY, SkipCode.OPEN_ORDER_CONFLICT), (OrderSide.SELL, SkipCode.OPEN_ORDER_PENDING)],
)
def test_an_open_order_in_the_symbol_blocks_a_new_sell(open_side: OrderSide, code: str) -> None:
    held = [position("SPY", "10", "400")]
    plan = plan_orders(
        {},
        account(cash="0"),
        held,
        {"SPY": D(400)},
        assets("SPY"),
        OPTIONS,
        open_orders=[open_order("SPY", open_side)],
    )
    assert plan.orders == ()
    assert [(s.symbol, s.side, s.code) for s in plan.skipped] == [("SPY", OrderSide.SELL, code)]


def test_a_filled_order_does_not_block() -> None:
    filled = open_order("SPY", OrderSide.SELL)
    done = Order(**{**filled.__dict__, "status": OrderStatus.FILLED})
    plan = plan_orders(
        {"SPY": 0.5}, account(), [], {"SPY": D(400)}, assets("SPY"), OPTIONS, open_orders=[done]
    )
    assert len(plan.buys) == 1


def test_buys_are_scaled_to_the_cash_available_after_sells() -> None:
    held = [position("SPY", "10", "400")]  # worth 4000; cash 0 -> equity 4000
    prices = {"SPY": D(400), "A": D(10), "B": D(10)}
    plan = plan_orders(
        {"A": 0.5, "B": 0.5}, account("4000", cash="0"), held, prices, assets(*prices), OPTIONS
    )
    assert plan.sells[0].close_position
    total_buys = sum(o.estimated_notional for o in plan.buys)
    assert total_buys <= D(4000)
    assert plan.buy_budget == D(4000)
    margin = account("10000", cash="100", buying_power="40000")  # never spend margin
    scaled = plan_orders({"A": 0.5, "B": 0.5}, margin, [], prices, assets(*prices), OPTIONS)
    assert scaled.buy_scale < 1
    assert sum(o.estimated_notional for o in scaled.buys) <= D(100)


def test_plan_buys_resizes_from_the_given_buying_power() -> None:
    prices = {"A": D(10), "B": D(25)}
    plan = plan_buys(
        {"A": 0.5, "B": 0.5},
        account(),
        [],
        prices,
        assets("A", whole=("B",)),
        OPTIONS,
        buying_power=D("1000"),
    )
    assert plan.sells == ()
    assert [(o.symbol, o.notional, o.qty) for o in plan.buys] == [
        ("A", D("500.00"), None),
        ("B", None, D(20)),
    ]
    nothing = plan_buys({"A": 1.0}, account(), [], prices, assets("A"), OPTIONS, buying_power=D(0))
    assert nothing.buys == ()
    assert [s.code for s in nothing.skipped] == [SkipCode.NO_BUYING_POWER]


def test_untradable_unknown_unpriced_and_short_symbols_are_skipped_with_reasons() -> None:
    info = {"HALT": AssetInfo("HALT", tradable=False, fractionable=True, status="inactive")}
    info.update(assets("NOPX"))
    held = [position("SHRT", "-5", "20")]
    targets = {"HALT": 0.2, "NOPE": 0.2, "NOPX": 0.2}
    plan = plan_orders(targets, account(), held, {"HALT": D(5), "NOPE": D(5)}, info, OPTIONS)
    codes = {(s.symbol, s.code) for s in plan.skipped}
    assert codes == {
        ("HALT", SkipCode.NOT_TRADABLE),
        ("NOPE", SkipCode.ASSET_UNKNOWN),
        ("NOPX", SkipCode.NO_PRICE),
        ("SHRT", SkipCode.SHORT_POSITION),
    }
    assert plan.orders == ()


def test_held_price_falls_back_to_the_position_price() -> None:
    held = [position("SPY", "10", "400")]
    plan = plan_orders({"SPY": 0.2}, account(cash="6000"), held, {}, assets("SPY"), OPTIONS)
    assert plan.sells[0].price == D(400)


@pytest.mark.parametrize(
    ("targets", "code"),
    [
        ({"A": float("nan")}, "weight-not-finite"),
        ({"A": -0.1}, "weight-negative"),
        ({"A": 0.7, "B": 0.4}, "weights-exceed-one"),
    ],
)
def test_unusable_targets_raise(targets: dict[str, float], code: str) -> None:
    with pytest.raises(PlanningError) as err:
        plan_orders(targets, account(), [], {"A": D(1), "B": D(1)}, assets("A", "B"), OPTIONS)
    assert err.value.code == code


def test_weights_summing_to_one_within_tolerance_are_accepted() -> None:
    plan = plan_orders({"A": 0.1, "B": 0.2, "C": 0.7 + 1e-12}, account(), [], {}, {}, OPTIONS)
    assert {s.code for s in plan.skipped} == {SkipCode.ASSET_UNKNOWN}


def test_non_positive_equity_refuses_to_plan() -> None:
    with pytest.raises(PlanningError, match="equity"):
        plan_orders({}, account("0"), [], {}, {}, OPTIONS)


def test_options_and_orders_validate_themselves() -> None:
    with pytest.raises(PlanningError):
        PlanOptions(cash_buffer=D(1))
    with pytest.raises(PlanningError):
        PlanOptions(min_order_notional=D(-1))
    with pytest.raises(PlanningError):
        PlannedOrder("A", OrderSide.BUY, qty=D(1), notional=D(1))
    with pytest.raises(PlanningError):
        PlannedOrder("A", OrderSide.BUY, qty=D(1), close_position=True)


def test_available_cash_ignores_margin_and_negative_cash() -> None:
    assert available_cash(account("100", cash="-5", buying_power="200")) == 0
    assert available_cash(account("100", cash="50", buying_power="30")) == D(30)


def test_plan_serializes_decimals_as_strings() -> None:
    held = [position("SPY", "10", "400")]
    plan = plan_orders(
        {"QQQ": 0.5}, account(cash="6000"), held, {"QQQ": D(100)}, assets("QQQ", "SPY"), OPTIONS
    )
    data = plan.to_dict()
    assert data["sells"][0]["qty"] == "10"
    assert data["sells"][0]["close_position"] is True
    assert data["buys"][0]["notional"] == "4900.00"
    assert data["buys"][0]["qty"] is None
    assert data["buy_scale"] == "1"


def test_sell_side_skips_have_reasons() -> None:
    prices = {"BRK": D(300), "SPY": D(400), "HALT": D(10)}
    info = assets("SPY", whole=("BRK",))
    info["HALT"] = AssetInfo("HALT", tradable=False, fractionable=True)
    held = [position("BRK", "0.5", "300"), position("SPY", "1", "400"), position("HALT", "10", "10")]
    options = PlanOptions(cash_buffer=D(0), min_order_notional=D(50))
    targets = {"BRK": 0.0001, "SPY": 0.85, "HALT": 0.0001}
    plan = plan_orders(targets, account("460", cash="10"), held, prices, info, options)
    assert plan.orders == ()
    assert {(s.symbol, s.side, s.code) for s in plan.skipped} == {
        ("BRK", OrderSide.SELL, SkipCode.BELOW_ONE_SHARE),  # half a share of a whole-share asset
        ("SPY", OrderSide.SELL, SkipCode.BELOW_MINIMUM),  # 400 - 391 = $9 < $50
        ("HALT", OrderSide.SELL, SkipCode.NOT_TRADABLE),
    }


def test_an_exit_without_a_price_still_closes_and_estimates_from_market_value() -> None:
    held = [Position("GONE", D(3), D(30), D(0), D(10))]
    plan = plan_orders({}, account(cash="100"), held, {}, assets("GONE"), OPTIONS)
    [exit_leg] = plan.sells
    assert exit_leg.close_position
    assert exit_leg.qty == D(3)
    blocked = plan_orders(
        {},
        account(cash="100"),
        held,
        {},
        assets("GONE"),
        OPTIONS,
        open_orders=[open_order("GONE", OrderSide.BUY)],
    )
    assert [(s.code, s.estimated_notional) for s in blocked.skipped] == [
        (SkipCode.OPEN_ORDER_CONFLICT, D(30))
    ]


def test_whole_share_buy_below_the_minimum_is_skipped() -> None:
    options = PlanOptions(cash_buffer=D(0), min_order_notional=D(100))
    plan = plan_orders({"BRK": 0.006}, account(), [], {"BRK": D(50)}, assets(whole=("BRK",)), options)
    assert [s.code for s in plan.skipped] == [SkipCode.BELOW_MINIMUM]  # one share = $50 < $100
