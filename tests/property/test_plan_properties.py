"""Properties of the planner over random targets, positions and prices."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rebalancer.broker.models import Account, AssetInfo, OrderSide, Position
from rebalancer.portfolio.plan import Plan, PlanOptions, available_cash, plan_buys, plan_orders

SYMBOLS = ("AAA", "BBB", "CCC", "DDD", "EEE")


@dataclass(frozen=True)
class Case:
    targets: dict[str, float]
    account: Account
    positions: list[Position]
    prices: dict[str, Decimal]
    assets: dict[str, AssetInfo]
    options: PlanOptions


prices_st = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(3000), places=2)
fractional_qty = st.decimals(min_value=Decimal("0.000000001"), max_value=Decimal(500), places=9)
whole_qty = st.integers(min_value=1, max_value=500).map(Decimal)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    prices = {s: draw(prices_st) for s in SYMBOLS}
    assets = {s: AssetInfo(s, tradable=True, fractionable=draw(st.booleans())) for s in SYMBOLS}
    positions = []
    for symbol in draw(st.sets(st.sampled_from(SYMBOLS))):
        qty = draw(fractional_qty if assets[symbol].fractionable else whole_qty)
        price = prices[symbol]
        positions.append(Position(symbol, qty, qty * price, price, price))
    cash = draw(st.decimals(min_value=0, max_value=Decimal(200_000), places=2))
    equity = cash + sum((p.market_value for p in positions), Decimal(0))
    if equity <= 0:
        cash = equity = Decimal(100)
    buying_power = cash * draw(st.sampled_from([Decimal(1), Decimal(2), Decimal("0.5")]))
    account = Account("a", "ACTIVE", cash, equity, buying_power, equity)
    raw = {s: draw(st.floats(min_value=0, max_value=1)) for s in draw(st.sets(st.sampled_from(SYMBOLS)))}
    total = sum(raw.values())
    scale = draw(st.floats(min_value=0.5, max_value=1.0))
    targets = {s: w / total * scale for s, w in raw.items()} if total > 0 else {}
    options = PlanOptions(
        cash_buffer=draw(st.sampled_from([Decimal(0), Decimal("0.02"), Decimal("0.1")])),
        min_order_notional=draw(st.sampled_from([Decimal(1), Decimal(5), Decimal(100)])),
    )
    return Case(targets, account, positions, prices, assets, options)


def plan(case: Case) -> Plan:
    return plan_orders(case.targets, case.account, case.positions, case.prices, case.assets, case.options)


@settings(max_examples=150, deadline=None)
@given(cases())
def test_buys_never_exceed_the_cash_available_after_sells(case: Case) -> None:
    result = plan(case)
    proceeds = sum((o.estimated_notional for o in result.sells), Decimal(0))
    buys = sum((o.estimated_notional for o in result.buys), Decimal(0))
    assert buys <= available_cash(case.account) + proceeds


@settings(max_examples=150, deadline=None)
@given(cases())
def test_never_sells_more_than_is_held(case: Case) -> None:
    held = {p.symbol: p.qty for p in case.positions}
    for order in plan(case).sells:
        assert order.qty is not None
        assert 0 < order.qty <= held[order.symbol]
        if order.close_position:
            assert order.qty == held[order.symbol]
            assert case.targets.get(order.symbol, 0) == 0


@settings(max_examples=150, deadline=None)
@given(cases())
def test_quantities_respect_the_broker_precision(case: Case) -> None:
    for order in plan(case).orders:
        if order.qty is not None:
            assert order.qty == order.qty.quantize(Decimal("1e-9"))
            if not case.assets[order.symbol].fractionable and not order.close_position:
                assert order.qty == order.qty.to_integral_value()
        else:
            assert order.notional is not None
            assert case.assets[order.symbol].fractionable
            assert order.notional == order.notional.quantize(Decimal("0.01"))


@settings(max_examples=150, deadline=None)
@given(cases())
def test_orders_meet_the_minimum_and_never_trade_both_sides(case: Case) -> None:
    result = plan(case)
    for order in result.orders:
        assert order.close_position or order.estimated_notional >= case.options.min_order_notional
    assert not {o.symbol for o in result.sells} & {o.symbol for o in result.buys}
    assert all(o.side is OrderSide.SELL for o in result.sells)
    assert all(o.side is OrderSide.BUY for o in result.buys)


@settings(max_examples=100, deadline=None)
@given(cases(), st.decimals(min_value=0, max_value=Decimal(50_000), places=2))
def test_plan_buys_stays_within_the_given_buying_power(case: Case, buying_power: Decimal) -> None:
    result = plan_buys(
        case.targets,
        case.account,
        case.positions,
        case.prices,
        case.assets,
        case.options,
        buying_power=buying_power,
    )
    assert result.sells == ()
    assert sum((o.estimated_notional for o in result.buys), Decimal(0)) <= buying_power
