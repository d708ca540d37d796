"""Per-strategy books: reconciled with the broker, netted, fills allocated back (docs/rebalancing.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rebalancer.portfolio.book_fills import allocate_fills
from rebalancer.portfolio.books import Books, StrategyBook, book_targets, net_weights, reconcile

D = Decimal
DAY = dt.date(2026, 1, 5)
HALF = {"a": D("0.5"), "b": D("0.5")}


def _books(a: dict[str, Decimal], a_cash: Decimal, b: dict[str, Decimal], b_cash: Decimal) -> Books:
    return Books({"a": StrategyBook("a", D("0.5"), a, a_cash), "b": StrategyBook("b", D("0.5"), b, b_cash)})


def test_first_books_split_the_account_by_allocation() -> None:
    books, notes = reconcile(None, {"a": D("0.6"), "b": D("0.4")}, {"SPY": D(10)}, D(1000), DAY)
    assert books.books["a"].shares == {"SPY": D(6)}
    assert books.books["b"].cash == D(400)
    assert books.total_shares() == {"SPY": D(10)}
    assert "split" in notes[0]


def test_a_hand_trade_is_reconciled_pro_rata_and_reported() -> None:
    saved = _books({"SPY": D(3)}, D(0), {"SPY": D(1), "TLT": D(5)}, D(10))
    books, notes = reconcile(saved, HALF, {"SPY": D(8), "TLT": D(5), "GLD": D(2)}, D(10), DAY)
    assert books.books["a"].shares["SPY"] == D(6)  # 3:1 kept
    assert books.books["b"].shares["SPY"] == D(2)
    assert books.books["a"].shares["GLD"] == D(1)  # nobody held it: split by allocation
    assert books.total_shares() == {"SPY": D(8), "TLT": D(5), "GLD": D(2)}
    assert any("SPY" in n for n in notes)
    assert any("GLD" in n for n in notes)


def test_cash_the_books_do_not_hold_is_split_by_allocation() -> None:
    saved = _books({}, D(100), {}, D(100))
    books, notes = reconcile(saved, HALF, {}, D(300), DAY)
    assert (books.books["a"].cash, books.books["b"].cash) == (D(150), D(150))
    assert "cash" in notes[0]


def test_changed_allocations_split_the_account_again() -> None:
    saved = _books({"SPY": D(4)}, D(0), {}, D(100))
    books, notes = reconcile(saved, {"a": D("0.25"), "b": D("0.75")}, {"SPY": D(4)}, D(100), DAY)
    assert books.books["b"].shares == {"SPY": D(3)}
    assert books.books["a"].last_rebalanced is None  # every strategy invests afresh
    assert "changed" in notes[0]


def test_a_book_that_does_not_rebalance_keeps_its_shares_in_the_netted_targets() -> None:
    prices = {"SPY": D(100), "TLT": D(50)}
    a = StrategyBook("a", D("0.5"), {"SPY": D(5)}, D(0))
    b = StrategyBook("b", D("0.5"), {}, D(500))
    held = book_targets(a, {"TLT": 1.0}, False, prices, D("0.02"))
    wanted = book_targets(b, {"TLT": 1.0}, True, prices, D("0.02"))
    assert held == {"SPY": D(500)}
    assert wanted == {"TLT": D(490)}
    assert net_weights([held, wanted], D(1000)) == {"SPY": D("0.5"), "TLT": D("0.49")}


def test_opposite_wishes_are_swapped_and_only_the_net_trades() -> None:
    books = _books({"QQQ": D(3)}, D(0), {}, D(1000))
    out = allocate_fills(
        books, {"a": {"QQQ": D(-3)}, "b": {"QQQ": D(2)}}, {"QQQ": (D(-1), D(100))}, {"QQQ": D(99)}
    )
    assert out.books["a"].shares == {}
    assert out.books["b"].shares == {"QQQ": D(2)}
    assert out.books["a"].cash == D(300)
    assert out.books["b"].cash == D(800)


def test_a_partial_fill_is_shared_pro_rata_to_what_each_book_wanted() -> None:
    books = _books({}, D(1000), {}, D(1000))
    out = allocate_fills(
        books, {"a": {"SPY": D(6)}, "b": {"SPY": D(2)}}, {"SPY": (D(4), D(100))}, {"SPY": D(100)}
    )
    assert (out.books["a"].shares["SPY"], out.books["b"].shares["SPY"]) == (D(3), D(1))


amounts = st.decimals(min_value=-50, max_value=50, places=3, allow_nan=False, allow_infinity=False)


@given(st.dictionaries(st.sampled_from("abc"), amounts, min_size=1), amounts, st.decimals(1, 500, places=2))
def test_fills_allocated_add_up_to_the_account(
    wanted: dict[str, Decimal], filled: Decimal, price: Decimal
) -> None:
    start = Books({n: StrategyBook(n, D(1), {"X": D(100)}, D(10_000)) for n in "abc"})
    out = allocate_fills(
        start, {n: {"X": w} for n, w in wanted.items()}, {"X": (filled, price)}, {"X": price}
    )
    shares = sum((b.shares.get("X", D(0)) for b in out.books.values()), D(0))
    cash = sum((b.cash for b in out.books.values()), D(0))
    assert shares == D(300) + filled
    assert abs(cash - (D(30_000) - filled * price)) <= D("0.0003")
