"""Properties of the risk engine: whatever it approves respects every limit."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rebalancer.broker.models import Account, AssetInfo, OrderSide, Position
from rebalancer.portfolio.plan import PlanOptions, plan_orders
from rebalancer.portfolio.risk import RiskLimits, RiskState, TradingState, assess, limit_targets

SYMBOLS = ("AAA", "BBB", "CCC", "DDD", "XXX")
UNIVERSE = frozenset({"AAA", "BBB", "CCC", "DDD"})
fractions = st.decimals(min_value=Decimal("0.05"), max_value=Decimal(1), places=2)

limits_st = st.builds(
    RiskLimits,
    max_symbol_weight=fractions,
    max_gross_exposure=fractions,
    max_turnover=st.decimals(min_value=Decimal("0.05"), max_value=Decimal(2), places=2),
    max_order_notional=st.decimals(min_value=Decimal(10), max_value=Decimal(100_000), places=0),
    max_orders_per_run=st.integers(min_value=1, max_value=6),
    max_daily_loss=fractions,
    max_drawdown=fractions,
)


Scenario = tuple[dict[str, float], Account, list[Position], dict[str, Decimal]]


@st.composite
def scenario(draw: st.DrawFn) -> Scenario:
    prices = {s: draw(st.decimals(min_value=Decimal(1), max_value=Decimal(500), places=2)) for s in SYMBOLS}
    positions = []
    for symbol in draw(st.sets(st.sampled_from(SYMBOLS))):
        qty = Decimal(draw(st.integers(min_value=1, max_value=300)))
        positions.append(Position(symbol, qty, qty * prices[symbol], prices[symbol], prices[symbol]))
    cash = draw(st.decimals(min_value=0, max_value=Decimal(50_000), places=2))
    equity = cash + sum((p.market_value for p in positions), Decimal(0)) or Decimal(100)
    last = equity * draw(st.decimals(min_value=Decimal("0.8"), max_value=Decimal("1.3"), places=2))
    account = Account("a", "ACTIVE", cash, equity, cash, last)
    raw = {s: draw(st.floats(min_value=0, max_value=1)) for s in draw(st.sets(st.sampled_from(SYMBOLS)))}
    total = sum(raw.values())
    targets = {s: w / total for s, w in raw.items()} if total > 0 else {}
    return targets, account, positions, prices


@settings(max_examples=150, deadline=None)
@given(scenario(), limits_st)
def test_limited_targets_respect_every_weight_limit(case: Scenario, limits: RiskLimits) -> None:
    targets = case[0]
    limited = limit_targets(targets, limits, UNIVERSE)
    assert set(limited.weights) <= UNIVERSE
    assert all(0 < w <= limits.max_symbol_weight for w in limited.weights.values())
    assert limited.gross <= limits.max_gross_exposure


@settings(max_examples=150, deadline=None)
@given(
    scenario(),
    limits_st,
    st.sampled_from(list(TradingState)),
    st.integers(min_value=0, max_value=5),
    st.decimals(min_value=Decimal(1), max_value=Decimal(200_000), places=0),
)
def test_approved_orders_respect_every_limit(
    case: Scenario, limits: RiskLimits, flag: TradingState, failures: int, high_water_mark: Decimal
) -> None:
    targets, account, positions, prices = case
    assets = {s: AssetInfo(s, tradable=True, fractionable=s < "CCC") for s in SYMBOLS}
    limited = limit_targets(targets, limits, UNIVERSE)
    plan = plan_orders(limited.weights, account, positions, prices, assets, PlanOptions())
    state = RiskState(high_water_mark=high_water_mark, consecutive_failures=failures)
    decision = assess(targets, plan, account, positions, limits, state, UNIVERSE, halt_flag=flag)
    approved = decision.approved.orders
    equity = account.equity

    assert decision.trading_state.severity >= flag.severity
    if decision.trading_state is TradingState.HALTED:
        assert approved == ()
    if decision.trading_state is TradingState.REDUCING:
        assert decision.approved.buys == ()
    assert len(approved) <= limits.max_orders_per_run
    # The notional cap binds buys; sells are reduce-only and never blocked by it (issue 10).
    assert all(o.estimated_notional <= limits.max_order_notional for o in decision.approved.buys)
    assert sum((o.estimated_notional for o in approved), Decimal(0)) <= limits.max_turnover * equity
    assert all(o.symbol in UNIVERSE for o in decision.approved.buys)

    values = {p.symbol: p.market_value for p in positions}
    for order in approved:
        sign = 1 if order.side is OrderSide.BUY else -1
        values[order.symbol] = values.get(order.symbol, Decimal(0)) + sign * order.estimated_notional
    for order in decision.approved.buys:
        assert values[order.symbol] <= limits.max_symbol_weight * equity
    if decision.approved.buys:
        assert sum(values.values(), Decimal(0)) <= limits.max_gross_exposure * equity
    denied = len(plan.orders) - len(approved)
    assert denied <= len([d for d in decision.denials if d.symbol is not None])
