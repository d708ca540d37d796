"""The backtest's float trading rule (rebalancer_research/backtest/rules.py, Trader) and the live
planner (portfolio/plan.py, Decimal) agree on random books: the same symbols are sold, exited and
bought, and every position ends within a cent (the planner rounds notionals down to the cent and
quantities down to 1e-9 share; the backtest trades exact floats).

That includes books whose buys must be scaled to the cash (the sells' proceeds plus the cash): both
scale every positive delta, those under the minimum included, by cash / total, and only then skip the
scaled buys under the minimum. `scaled_cases` draws small books where sells under the minimum stay,
so the buys exceed the cash and the minimum bites after scaling.

Both kernels that are not this book (dense rows, the linear solver) are checked against it in
tests/unit/test_backtest_kernel.py, so a rule change in either engine fails here or there.
Cases where some order (after scaling, for buys) sits within two cents of the minimum are left out:
there the rounding decides. The planner's whole-share assets and open orders have no counterpart in the
backtest (fractional shares, nothing left open), so every asset here is fractionable and nothing is open.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from rebalancer.broker.models import Account, AssetInfo, OrderSide, Position
from rebalancer.portfolio.plan import PlanOptions, plan_orders
from rebalancer_research.backtest.options import BacktestOptions
from rebalancer_research.backtest.rules import Book, Trader

SYMBOLS = ("A", "B", "C", "D")
CENT = 0.01


@dataclass(frozen=True)
class Case:
    cash: Decimal
    qty: dict[str, Decimal]
    prices: dict[str, Decimal]
    weights: dict[str, float]
    buffer: Decimal
    minimum: Decimal

    @property
    def values(self) -> dict[str, Decimal]:
        return {s: q * self.prices[s] for s, q in self.qty.items()}

    @property
    def equity(self) -> Decimal:
        return self.cash + sum(self.values.values(), Decimal(0))

    def deltas(self) -> dict[str, float]:
        investable = float(self.equity) * (1 - float(self.buffer))
        symbols = set(self.weights) | set(self.qty)
        return {s: self.weights.get(s, 0.0) * investable - float(self.values.get(s, 0)) for s in symbols}


@st.composite
def cases(draw: st.DrawFn) -> Case:
    prices = {s: draw(st.decimals(Decimal(1), Decimal(500), places=2)) for s in SYMBOLS}
    held = draw(st.sets(st.sampled_from(SYMBOLS)))
    qty = {s: draw(st.decimals(Decimal("0.01"), Decimal(100), places=2)) for s in sorted(held)}
    raw = {s: draw(st.floats(0.0, 1.0)) for s in draw(st.sets(st.sampled_from(SYMBOLS), min_size=1))}
    total = sum(raw.values())
    weights = {s: round(w / total, 6) if total > 1 else round(w, 6) for s, w in raw.items()}
    weights = {s: w for s, w in weights.items() if w > 0}
    scale = sum(weights.values())
    if scale > 1:
        weights = {s: w / scale for s, w in weights.items()}
    return Case(
        cash=draw(st.decimals(Decimal(0), Decimal(20000), places=2)),
        qty=qty,
        prices=prices,
        weights=weights,
        buffer=draw(st.sampled_from([Decimal(0), Decimal("0.02"), Decimal("0.05")])),
        minimum=draw(st.sampled_from([Decimal(1), Decimal(5), Decimal(25)])),
    )


@st.composite
def scaled_cases(draw: st.DrawFn, *, bite: bool = False) -> Case:
    """Small books (up to 40 minimum orders) whose positions are drawn off their targets by a role: a
    sell under the minimum (it stays, so the buys are short of the cash and scaled), a buy of up to three
    minimum orders (which may fall under the minimum once scaled), a sell over it; plus exits. Equity and
    weights are drawn first, the positions from them, and the cash is the rest. With `bite`, the first
    two targets are a sell of 0.5 to 0.95 minimum orders that stays and a buy of 1 to 2 minimum orders, so
    the scaled buy mostly falls under the minimum."""
    minimum = draw(st.sampled_from([Decimal(5), Decimal(25)]))
    buffer = draw(st.sampled_from([Decimal(0), Decimal("0.02")]))
    equity = draw(st.decimals(2 * minimum, 40 * minimum, places=2))
    prices = {s: draw(st.decimals(Decimal(1), Decimal(500), places=2)) for s in SYMBOLS}
    targeted = draw(st.sets(st.sampled_from(SYMBOLS), min_size=2 if bite else 1))
    raw = {s: draw(st.floats(0.01, 1.0)) for s in targeted}
    total = sum(raw.values())
    weights = {s: round(w / total, 6) for s, w in raw.items()}
    if sum(weights.values()) > 1:
        weights = {s: w / sum(weights.values()) for s, w in weights.items()}
    offsets = {"kept sell": (0.05, 0.95), "buy": (-3.0, -0.05), "sell": (1.05, 3.0), "not held": None}
    roles = st.sampled_from(["kept sell", "kept sell", "buy", "buy", "sell", "not held"])
    forced = dict(zip(sorted(targeted), [(0.5, 0.95), (-2.0, -1.0)] if bite else [], strict=False))
    investable = equity * (1 - buffer)
    values: dict[str, Decimal] = {}
    for s in SYMBOLS:
        if s not in weights:
            if draw(st.integers(0, 3)) == 0:  # an exit
                values[s] = draw(st.decimals(Decimal("0.5"), 2 * minimum, places=2))
            continue
        bounds = forced.get(s) or offsets[draw(roles)]
        if bounds is not None:
            off = Decimal(repr(draw(st.floats(*bounds)))) * minimum
            values[s] = Decimal(repr(weights[s])) * investable + off
    qty = {s: (v / prices[s]).quantize(Decimal("0.000001")) for s, v in values.items()}
    qty = {s: q for s, q in qty.items() if q > 0}
    cash = (equity - sum((q * prices[s] for s, q in qty.items()), Decimal(0))).quantize(Decimal("0.01"))
    assume(cash >= 0)
    return Case(cash=cash, qty=qty, prices=prices, weights=weights, buffer=buffer, minimum=minimum)


def backtest_values(case: Case) -> dict[str, float]:
    columns = {s: i for i, s in enumerate(SYMBOLS)}
    options = BacktestOptions(cash_buffer=float(case.buffer), min_order_notional=float(case.minimum))
    book = Book({columns[s]: float(v) for s, v in case.values.items()}, float(case.cash))
    Trader(options).trade(book, [(columns[s], w) for s, w in sorted(case.weights.items())])
    return {s: book.held.get(columns[s], 0.0) for s in SYMBOLS}


def planner_values(case: Case) -> dict[str, float]:
    account = Account("acct", "ACTIVE", case.cash, case.equity, case.cash, case.equity)
    positions = [
        Position(s, q, q * case.prices[s], case.prices[s], case.prices[s]) for s, q in case.qty.items()
    ]
    assets = {s: AssetInfo(s, tradable=True, fractionable=True) for s in SYMBOLS}
    plan = plan_orders(
        case.weights, account, positions, case.prices, assets, PlanOptions(case.buffer, case.minimum)
    )
    values = {s: float(case.values.get(s, 0)) for s in SYMBOLS}
    for order in plan.orders:
        amount = float(order.estimated_notional)
        values[order.symbol] += amount if order.side is OrderSide.BUY else -amount
    return values


def _sold(case: Case, deltas: dict[str, float]) -> float:
    minimum = float(case.minimum)
    return sum(-d for s, d in deltas.items() if d < 0 and (-d >= minimum or s not in case.weights))


def buy_scale(case: Case) -> float:
    """The planner's scale of every positive delta: the cash after the sells over all the buys wanted."""
    deltas = case.deltas()
    wanted = sum(d for d in deltas.values() if d > 0)
    return min(1.0, (float(case.cash) + _sold(case, deltas)) / wanted) if wanted > 0 else 1.0


def needs_scaling(case: Case) -> bool:
    """Would the buys (every positive delta) exceed the cash after the sells?"""
    return buy_scale(case) < 1.0 - 1e-9


def minimum_bites_after_scaling(case: Case) -> bool:
    """Scaled buys with a delta at or over the minimum end under it (skipping first would have kept them)."""
    minimum, scale = float(case.minimum), buy_scale(case)
    return any(d >= minimum > d * scale for d in case.deltas().values())


def near_the_minimum(case: Case) -> bool:
    minimum, scale = float(case.minimum), buy_scale(case)
    orders = [d * scale if d > 0 else d for d in case.deltas().values()]
    return any(abs(abs(d) - minimum) < 2 * CENT for d in orders)


def assert_agree(case: Case) -> None:
    ours, live = backtest_values(case), planner_values(case)
    for symbol in SYMBOLS:
        assert ours[symbol] == pytest.approx(live[symbol], abs=CENT), (symbol, case)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_backtest_and_planner_trade_the_same_book_the_same_way(case: Case) -> None:
    assume(case.equity > 0 and not near_the_minimum(case))
    event("buys scaled" if needs_scaling(case) else "buys fit the cash")
    assert_agree(case)


# The regime is narrow on purpose (cash left >= 0 and buys that must be scaled): about 1 draw in 6
# qualifies, which trips hypothesis' filter_too_much health check on some seeds (seen on Python 3.13).
# The filter is the point of the test, and it still runs its full count of qualifying cases.
NARROW = settings(deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


@settings(NARROW, max_examples=300)
@given(scaled_cases())
def test_backtest_and_planner_agree_when_buys_must_be_scaled(case: Case) -> None:
    assume(case.equity > 0 and needs_scaling(case) and not near_the_minimum(case))
    event("a buy over the minimum falls under it" if minimum_bites_after_scaling(case) else "scaled")
    assert_agree(case)


@settings(NARROW, max_examples=150)
@given(scaled_cases(bite=True))
def test_backtest_and_planner_agree_when_the_minimum_bites_after_scaling(case: Case) -> None:
    assume(case.equity > 0 and minimum_bites_after_scaling(case) and not near_the_minimum(case))
    assert_agree(case)


def test_when_buys_must_be_scaled_both_scale_first_then_skip_under_the_minimum() -> None:
    # Equity 10,003 (9,000 cash; C worth 1,003 is kept: its 2.70 excess is under the 5 minimum).
    # Buys want 8,998.70 of A and 4.00 of B with 9,000 of cash. The planner scales both by
    # 9,000 / 9,002.70, then skips B (under the minimum): A gets 8,996.00. The backtest used to drop B
    # first, so A alone fitted the cash and got 8,998.70: 2.70 more than the live run would buy.
    case = Case(
        cash=Decimal(9000),
        qty={"C": Decimal("10.03")},
        prices={"A": Decimal(10), "B": Decimal(10), "C": Decimal(100), "D": Decimal(10)},
        weights={"A": 0.8996, "B": 0.0004, "C": 0.1},
        buffer=Decimal(0),
        minimum=Decimal(5),
    )
    ours, live = backtest_values(case), planner_values(case)
    assert live["A"] == pytest.approx(8996.00, abs=CENT)
    assert ours["A"] == pytest.approx(live["A"], abs=CENT)
    assert ours["B"] == live["B"] == 0.0  # scaled to 4.00, under the minimum: skipped by both
    assert ours["C"] == pytest.approx(live["C"], abs=CENT)  # its 2.70 excess is kept by both
