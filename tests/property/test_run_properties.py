"""Properties of the run: client ids and buy sizing against buying power."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rebalancer.broker.models import Account, AssetInfo, OrderSide, Position
from rebalancer.portfolio.plan import PlanOptions, available_cash, plan_buys, plan_orders
from rebalancer.run.client_ids import MAX_LENGTH, belongs_to_run, client_order_id
from rebalancer.run.resize import cap_to_approved
from rebalancer.state.base import RunKey

names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}", fullmatch=True)
symbols = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FFF), min_size=1, max_size=60)
keys = st.builds(RunKey, names, st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)), names)
legs = st.tuples(symbols, st.sampled_from(list(OrderSide)), st.integers(1, 999))


@given(keys, legs)
def test_client_ids_are_deterministic_short_and_owned_by_their_run(key: RunKey, leg: tuple) -> None:
    first = client_order_id(key, *leg)
    assert first == client_order_id(key, *leg)
    assert len(first) <= MAX_LENGTH
    assert belongs_to_run(first, key)


@given(keys, st.lists(legs, min_size=2, max_size=20, unique=True))
def test_different_legs_never_share_a_client_id(key: RunKey, many: list) -> None:
    ids = {client_order_id(key, *leg) for leg in many}
    assert len(ids) == len(many)


@given(keys, keys, legs)
def test_different_runs_never_share_a_client_id(a: RunKey, b: RunKey, leg: tuple) -> None:
    if a != b:
        assert client_order_id(a, *leg) != client_order_id(b, *leg)


money = st.decimals(Decimal("0"), Decimal("200000"), places=2)
price = st.decimals(Decimal("1"), Decimal("900"), places=2)
TICKERS = ["AAA", "BBB", "CCC", "DDD", "EEE"]


@st.composite
def portfolios(draw: st.DrawFn) -> tuple:
    raw = draw(st.lists(st.floats(0, 1), min_size=len(TICKERS), max_size=len(TICKERS)))
    total = sum(raw) or 1.0
    targets = {s: w / total for s, w in zip(TICKERS, raw, strict=True) if w > 0}
    prices = {s: draw(price) for s in TICKERS}
    held = {s: draw(st.decimals(Decimal(0), Decimal(300), places=3)) for s in TICKERS}
    cash = draw(money)
    buying_power = draw(st.decimals(Decimal(0), cash + Decimal(1), places=2))
    fractionable = {s: draw(st.booleans()) for s in TICKERS}
    return targets, prices, held, cash, buying_power, fractionable


@settings(max_examples=150, deadline=None)
@given(portfolios())
def test_the_runs_buys_never_exceed_buying_power(case: tuple) -> None:
    targets, prices, held, cash, buying_power, fractionable = case
    positions = [Position(s, q, q * prices[s], prices[s], prices[s], q) for s, q in held.items() if q > 0]
    equity = cash + sum((p.market_value for p in positions), Decimal(0))
    if equity <= 0:
        return
    account = Account("a", "ACTIVE", cash, equity, buying_power, equity)
    assets = {s: AssetInfo(s, True, fractionable[s]) for s in TICKERS}
    options = PlanOptions()
    approved = plan_orders(targets, account, positions, prices, assets, options).buys
    buys = plan_buys(targets, account, positions, prices, assets, options).buys
    spent = sum((o.estimated_notional for o in cap_to_approved(buys, approved)), Decimal(0))
    assert spent <= available_cash(account)
