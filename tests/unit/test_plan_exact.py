"""Planner rounding and blocking, with hand-computed amounts: a cent or a share off is a wrong trade."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rebalancer.broker.models import Account, AssetInfo, Order, OrderSide, OrderStatus, Position
from rebalancer.portfolio.plan import PlanningError, PlanOptions, SkipCode, plan_buys, plan_orders

D = Decimal
OPTIONS = PlanOptions(cash_buffer=D("0.02"), min_order_notional=D("1"))


def account(equity: str = "10000", cash: str | None = None, buying_power: str | None = None) -> Account:
    cash = equity if cash is None else cash
    return Account("acct", "ACTIVE", D(cash), D(equity), D(buying_power or cash), D(equity))


def position(symbol: str, qty: str, price: str, available: str | None = None) -> Position:
    return Position(
        symbol,
        D(qty),
        D(qty) * D(price),
        D(price),
        D(price),
        qty_available=None if available is None else D(available),
    )


def fractionable(*symbols: str) -> dict[str, AssetInfo]:
    return {s: AssetInfo(s, tradable=True, fractionable=True) for s in symbols}


def whole(*symbols: str) -> dict[str, AssetInfo]:
    return {s: AssetInfo(s, tradable=True, fractionable=False) for s in symbols}


def open_order(symbol: str, side: OrderSide, status: OrderStatus = OrderStatus.NEW) -> Order:
    when = dt.datetime(2026, 3, 2, 14, 35, tzinfo=dt.UTC)
    return Order("o1", "c1", symbol, side, status, D(1), None, D(0), None, when)


def test_a_notional_buy_is_rounded_down_to_the_cent() -> None:
    # 10000 x 0.98 x 0.33333 = 3266.6340 -> 3266.63 (never 3266.64: that spends money not planned)
    [buy] = plan_orders({"SPY": 0.33333}, account(), [], {"SPY": D(400)}, fractionable("SPY"), OPTIONS).buys
    assert buy.notional == D("3266.63")
    # 10000 x 0.98 x 0.123456789 = 1209.876532... -> 1209.87
    [buy] = plan_orders(
        {"SPY": 0.123456789}, account(), [], {"SPY": D(400)}, fractionable("SPY"), OPTIONS
    ).buys
    assert buy.notional == D("1209.87")


def test_a_whole_share_buy_rounds_down() -> None:
    # 4900 / 301 = 16.28 -> 16 shares; 4900 / 245 = 20 exactly -> 20.
    [buy] = plan_orders({"BRK": 0.5}, account(), [], {"BRK": D(301)}, whole("BRK"), OPTIONS).buys
    assert buy.qty == D(16)
    [buy] = plan_orders({"BRK": 0.5}, account(), [], {"BRK": D(245)}, whole("BRK"), OPTIONS).buys
    assert buy.qty == D(20)


def test_a_whole_share_sell_never_sells_more_than_the_whole_shares_held() -> None:
    # 2.6 shares of a whole-share asset (after a split, say), target almost nothing: sell 2, never 3.
    held = [position("BRK", "2.6", "100")]
    [sell] = plan_orders({"BRK": 0.0001}, account("1000"), held, {"BRK": D(100)}, whole("BRK"), OPTIONS).sells
    assert sell.qty == D(2)


def test_a_whole_share_sell_rounds_up_toward_less_exposure() -> None:
    # 20 held at 100 (2000), target 10% of 9800 = 980: sell 10.2 -> 11 shares.
    held = [position("BRK", "20", "100")]
    [sell] = plan_orders({"BRK": 0.1}, account("10000"), held, {"BRK": D(100)}, whole("BRK"), OPTIONS).sells
    assert sell.qty == D(11)


def test_a_fractional_sell_rounds_down_to_a_billionth_and_respects_what_is_available() -> None:
    # 10 held at 301 = 3010, target 10% of 9800 = 980: sell 2030 / 301 = 6.7441860465... -> 6.744186046
    held = [position("SPY", "10", "200")]
    [sell] = plan_orders({"SPY": 0.1}, account(), held, {"SPY": D(301)}, fractionable("SPY"), OPTIONS).sells
    assert sell.qty == D("6.744186046")
    locked = [position("SPY", "10", "200", available="4")]
    [sell] = plan_orders({"SPY": 0.1}, account(), locked, {"SPY": D(301)}, fractionable("SPY"), OPTIONS).sells
    assert sell.qty == D(4)


@pytest.mark.parametrize("side", [OrderSide.BUY, OrderSide.SELL])
def test_an_open_order_blocks_a_second_one_in_the_symbol(side: OrderSide) -> None:
    held = [position("SPY", "10", "100")]
    target = {"SPY": 0.5 if side is OrderSide.BUY else 0.01}
    prices, assets = {"SPY": D(100)}, fractionable("SPY")
    plan = plan_orders(
        target, account(), held, prices, assets, OPTIONS, open_orders=[open_order("SPY", side)]
    )
    assert plan.orders == ()
    assert [(s.symbol, s.code) for s in plan.skipped] == [("SPY", SkipCode.OPEN_ORDER_PENDING)]
    other = OrderSide.SELL if side is OrderSide.BUY else OrderSide.BUY
    plan = plan_orders(
        target, account(), held, prices, assets, OPTIONS, open_orders=[open_order("SPY", other)]
    )
    assert [(s.symbol, s.code) for s in plan.skipped] == [("SPY", SkipCode.OPEN_ORDER_CONFLICT)]
    buys = plan_buys(target, account(), held, prices, assets, OPTIONS, open_orders=[open_order("SPY", side)])
    assert buys.buys == ()


def test_a_filled_order_does_not_block() -> None:
    done = open_order("SPY", OrderSide.BUY, OrderStatus.FILLED)
    plan = plan_orders(
        {"SPY": 0.5}, account(), [], {"SPY": D(100)}, fractionable("SPY"), OPTIONS, open_orders=[done]
    )
    assert [b.notional for b in plan.buys] == [D("4900.00")]


def test_buys_are_scaled_to_the_cash_and_never_use_margin() -> None:
    # equity 10000 but only 2450 cash and 5000 buying power: buys wanted 4900 + 4900 are scaled to 2450.
    acct = account("10000", cash="2450", buying_power="5000")
    plan = plan_orders(
        {"A": 0.5, "B": 0.5}, acct, [], {"A": D(10), "B": D(10)}, fractionable("A", "B"), OPTIONS
    )
    assert [b.notional for b in plan.buys] == [D("1225.00"), D("1225.00")]
    assert plan.buy_scale == D("0.25")
    assert plan.buy_budget == D("2450")


def test_a_buy_exactly_at_the_minimum_is_placed_and_a_cent_under_is_skipped() -> None:
    options = PlanOptions(cash_buffer=D(0), min_order_notional=D(5))
    [buy] = plan_orders({"A": 0.005}, account("1000"), [], {"A": D(10)}, fractionable("A"), options).buys
    assert buy.notional == D("5.00")
    plan = plan_orders({"A": 0.00499}, account("1000"), [], {"A": D(10)}, fractionable("A"), options)
    assert plan.buys == ()
    assert [s.code for s in plan.skipped] == [SkipCode.BELOW_MINIMUM]


def test_weights_summing_just_over_one_are_refused() -> None:
    with pytest.raises(PlanningError) as err:
        plan_orders({"A": 0.6, "B": 0.400001}, account(), [], {}, {}, OPTIONS)
    assert err.value.code == "weights-exceed-one"
    plan = plan_orders(
        {"A": 0.6, "B": 0.4}, account(), [], {"A": D(1), "B": D(1)}, fractionable("A", "B"), OPTIONS
    )
    assert len(plan.buys) == 2
