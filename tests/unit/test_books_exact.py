"""Per-strategy books with hand-computed amounts: a share or a cent booked to the wrong strategy is a
wrong P&L, a saved book that does not read back is a strategy that forgets what it holds
(docs/rebalancing.md, portfolio/books.py, portfolio/book_fills.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rebalancer.errors import StateError
from rebalancer.portfolio.book_fills import allocate_fills, mark_rebalanced, wanted_shares, with_values
from rebalancer.portfolio.books import Books, StrategyBook, book_targets, net_weights, open_books, reconcile

D = Decimal
DAY = dt.date(2026, 1, 5)
NEXT = dt.date(2026, 1, 6)
HALF = {"a": D("0.5"), "b": D("0.5")}


def _two(a: dict[str, Decimal], a_cash: str, b: dict[str, Decimal], b_cash: str) -> Books:
    return Books(
        {"a": StrategyBook("a", D("0.5"), a, D(a_cash)), "b": StrategyBook("b", D("0.5"), b, D(b_cash))},
        as_of=DAY,
    )


# --- the saved form (books.json in the run's records, the books item in the store) ---


def test_a_book_round_trips_through_its_saved_form() -> None:
    book = StrategyBook(
        "momentum",
        D("0.6"),
        {"TLT": D("2.5"), "SPY": D(10)},
        D("123.45"),
        invested=D(5000),
        inception=DAY,
        last_rebalanced=dt.date(2026, 2, 2),
        last_value=D("5100.25"),
    )
    saved = {
        "allocation": "0.6",
        "shares": {"SPY": "10", "TLT": "2.5"},
        "cash": "123.45",
        "invested": "5000",
        "inception": "2026-01-05",
        "last_rebalanced": "2026-02-02",
        "last_value": "5100.25",
    }
    assert book.to_dict() == saved
    assert list(book.to_dict()["shares"]) == ["SPY", "TLT"]  # sorted: the saved document is stable
    assert StrategyBook.from_dict("momentum", saved) == book


def test_a_book_that_never_rebalanced_saves_its_missing_dates_and_value_as_null() -> None:
    book = StrategyBook("fresh", D("0.4"), {}, D("50.00"))
    saved = {
        "allocation": "0.4",
        "shares": {},
        "cash": "50.00",
        "invested": "0",
        "inception": None,
        "last_rebalanced": None,
        "last_value": None,
    }
    assert book.to_dict() == saved
    assert StrategyBook.from_dict("fresh", saved) == book


def test_a_saved_book_with_only_its_allocation_reads_as_an_empty_book() -> None:
    assert StrategyBook.from_dict("new", {"allocation": "0.5"}) == StrategyBook(
        "new", D("0.5"), {}, D(0), invested=D(0), inception=None, last_rebalanced=None, last_value=None
    )


def test_all_books_round_trip_with_their_names_and_day() -> None:
    books = Books(
        {
            "b": StrategyBook("b", D("0.5"), {}, D(7), last_value=D("7.00")),
            "a": StrategyBook("a", D("0.5"), {"SPY": D(1)}, D(0), inception=DAY),
        },
        as_of=NEXT,
    )
    saved = {
        "as_of": "2026-01-06",
        "books": {
            "a": {
                "allocation": "0.5",
                "shares": {"SPY": "1"},
                "cash": "0",
                "invested": "0",
                "inception": "2026-01-05",
                "last_rebalanced": None,
                "last_value": None,
            },
            "b": {
                "allocation": "0.5",
                "shares": {},
                "cash": "7",
                "invested": "0",
                "inception": None,
                "last_rebalanced": None,
                "last_value": "7.00",
            },
        },
    }
    assert books.to_dict() == saved
    back = Books.from_dict(saved)
    assert back == books
    assert back.books["a"].name == "a"
    assert back.as_of == NEXT


def test_a_saved_document_without_books_reads_as_no_books() -> None:
    assert Books.from_dict({}) == Books({}, None)


@pytest.mark.parametrize(
    ("saved", "field"),
    [
        ({"allocation": "0.5", "inception": "2026-02-30"}, "inception"),
        ({"allocation": "0.5", "last_rebalanced": "last week"}, "last_rebalanced"),
        ({"allocation": "0.5", "cash": "12,50"}, "cash"),
        ({"allocation": "0.5", "shares": {"SPY": "ten"}}, "shares"),
        ({"allocation": "0.5", "shares": ["SPY"]}, "shares"),
        ({"allocation": "0.5", "last_value": "NaN"}, "last_value"),
        ({"cash": "10"}, "allocation"),
    ],
)
def test_a_corrupt_saved_book_is_refused_naming_the_strategy_and_the_field(
    saved: dict[str, object], field: str
) -> None:
    """A damaged books item (hand-edited, truncated) is a typed error the run reports, never a raw
    ValueError, KeyError or decimal.InvalidOperation that ends it as an internal error."""
    with pytest.raises(StateError) as err:
        StrategyBook.from_dict("damaged", saved)
    assert err.value.code == "books-corrupt"
    assert err.value.message.startswith(f"the saved book of strategy damaged: {field} ")
    assert "delete the stored books" in err.value.hint


def test_a_corrupt_saved_day_is_refused() -> None:
    with pytest.raises(StateError, match="yesterday") as err:
        Books.from_dict({"as_of": "yesterday", "books": {}})
    assert err.value.code == "books-corrupt"


# --- value and weights (P&L and the corridor's drift) ---


def test_a_book_is_valued_at_its_prices_and_an_unpriced_holding_counts_nothing() -> None:
    book = StrategyBook("a", D("0.5"), {"SPY": D("0.5"), "OLD": D(3), "TLT": D(0)}, D(100))
    prices = {"SPY": D(200), "TLT": D(100)}
    assert book.value(prices) == D(200)  # 100 cash + 0.5 x 200; OLD has no price, TLT no shares
    assert book.weights(prices) == {"SPY": 0.5, "OLD": 0.0}


def test_a_book_worth_nothing_has_no_weights() -> None:
    book = StrategyBook("a", D("0.5"), {"OLD": D(3)}, D(0))
    assert book.value({}) == D(0)
    assert book.weights({}) == {}


def test_a_book_worth_less_than_a_dollar_still_has_weights() -> None:
    book = StrategyBook("a", D("0.5"), {"SPY": D("0.002")}, D("0.40"))
    assert book.value({"SPY": D(200)}) == D("0.80")
    assert book.weights({"SPY": D(200)}) == {"SPY": 0.5}


def test_the_account_total_counts_a_single_share_and_drops_holdings_that_cancel_out() -> None:
    books = Books(
        {
            "a": StrategyBook("a", D("0.5"), {"X": D(1), "Y": D(2)}),
            "b": StrategyBook("b", D("0.5"), {"Y": D(-2)}),
        }
    )
    assert books.total_shares() == {"X": D(1)}


# --- opening the books: the account split by allocation ---


def test_first_books_split_every_position_and_the_cash_and_record_what_each_was_funded_with() -> None:
    allocations = {"a": D("0.5"), "b": D("0.3"), "c": D("0.2")}
    books, notes = reconcile(None, allocations, {"SPY": D(10)}, D("100.00"), DAY, prices={"SPY": D(50)})
    assert books == Books(
        {
            "a": StrategyBook("a", D("0.5"), {"SPY": D(5)}, D("50.00"), invested=D(300), inception=DAY),
            "b": StrategyBook("b", D("0.3"), {"SPY": D(3)}, D("30.00"), invested=D(180), inception=DAY),
            "c": StrategyBook("c", D("0.2"), {"SPY": D(2)}, D("20.00"), invested=D(120), inception=DAY),
        },
        as_of=DAY,
    )
    assert notes == ["books opened: the account is split between the strategies by allocation"]


def test_books_opened_without_prices_record_nothing_invested() -> None:
    books, _ = reconcile(None, HALF, {"SPY": D(2)}, D("10.00"), DAY)
    assert (books.books["a"].invested, books.books["b"].invested) == (D(0), D(0))
    assert books.books["a"].shares == {"SPY": D(1)}
    assert books.books["b"].cash == D("5.00")


def test_a_cent_that_does_not_split_evenly_goes_to_the_last_strategy() -> None:
    books = open_books(HALF, {}, D("0.05"), DAY)
    assert (books.books["a"].cash, books.books["b"].cash) == (D("0.02"), D("0.03"))  # 0.025 rounds to even


def test_strategies_without_a_positive_allocation_share_the_account_equally_and_nothing_is_lost() -> None:
    zero = {"a": D(0), "b": D(0), "c": D(0)}
    books = open_books(zero, {"SPY": D(3)}, D("0.10"), DAY)
    assert [b.shares for b in books.books.values()] == [{"SPY": D(1)}] * 3
    assert [b.cash for b in books.books.values()] == [D("0.03"), D("0.03"), D("0.04")]


def test_changed_allocations_split_the_account_again_at_todays_prices() -> None:
    saved = _two({"SPY": D(4)}, "0", {}, "100")
    books, notes = reconcile(
        saved, {"a": D("0.25"), "b": D("0.75")}, {"SPY": D(4)}, D(100), NEXT, prices={"SPY": D(25)}
    )
    assert books == Books(
        {
            "a": StrategyBook("a", D("0.25"), {"SPY": D(1)}, D("25.00"), invested=D(50), inception=NEXT),
            "b": StrategyBook("b", D("0.75"), {"SPY": D(3)}, D("75.00"), invested=D(150), inception=NEXT),
        },
        as_of=NEXT,
    )
    assert notes == [
        "the strategies or their allocations changed: the account is split again by allocation "
        "and every strategy rebalances"
    ]


# --- reconciling with the broker (hand trades, dividends, fees) ---


def test_books_that_agree_with_the_broker_are_kept_as_they_are_and_nothing_is_reported() -> None:
    saved = _two({"AAA": D(2)}, "10", {"AAA": D(1), "ZZZ": D(4)}, "20")
    books, notes = reconcile(saved, HALF, {"AAA": D(3), "ZZZ": D(4)}, D(30), NEXT)
    assert books == Books(saved.books, as_of=NEXT)
    assert notes == []


def test_a_hand_trade_in_a_later_symbol_is_reconciled_after_one_that_agrees() -> None:
    saved = _two({"AAA": D(2)}, "0", {"AAA": D(1), "ZZZ": D(4)}, "0")
    books, notes = reconcile(saved, HALF, {"AAA": D(3), "ZZZ": D(2)}, D(0), NEXT)
    assert books.books["a"].shares == {"AAA": D(2)}
    assert books.books["b"].shares == {"AAA": D(1), "ZZZ": D(2)}
    assert notes == ["ZZZ: the books held 4, the broker 2: scaled pro rata"]


def test_a_position_sold_by_hand_leaves_every_book_and_the_saved_books_are_untouched() -> None:
    saved = _two({"SPY": D(3)}, "0", {"SPY": D(1), "TLT": D(5)}, "0")
    books, notes = reconcile(saved, HALF, {"TLT": D(5)}, D(0), NEXT)
    assert books.books["a"].shares == {}
    assert books.books["b"].shares == {"TLT": D(5)}
    assert notes == ["SPY: the books held 4, the broker 0: scaled pro rata"]
    assert saved.books["a"].shares == {"SPY": D(3)}  # the saved books are not rewritten in place
    assert saved.books["b"].shares == {"SPY": D(1), "TLT": D(5)}


def test_a_hand_trade_is_scaled_on_the_holder_only_and_a_book_without_the_symbol_stays_without() -> None:
    saved = _two({"SPY": D(3)}, "0", {"TLT": D(5)}, "0")
    books, notes = reconcile(saved, HALF, {"SPY": D(6), "TLT": D(5)}, D(0), NEXT)
    assert books.books["a"].shares == {"SPY": D(6)}
    assert books.books["b"].shares == {"TLT": D(5)}
    assert notes == ["SPY: the books held 3, the broker 6: scaled pro rata"]


def test_a_single_share_no_book_held_is_split_by_the_unequal_allocations() -> None:
    saved = Books(
        {"a": StrategyBook("a", D("0.6"), {}, D(0)), "b": StrategyBook("b", D("0.4"), {}, D(0))}, DAY
    )
    books, notes = reconcile(saved, {"a": D("0.6"), "b": D("0.4")}, {"GLD": D(1)}, D(0), NEXT)
    assert books.books["a"].shares == {"GLD": D("0.6")}
    assert books.books["b"].shares == {"GLD": D("0.4")}
    assert notes == ["GLD: 1 shares no book held, split by allocation"]


def test_a_book_left_short_is_cleared_when_the_broker_holds_the_symbol() -> None:
    saved = _two({"X": D(2)}, "0", {"X": D(-2)}, "0")  # the books net to nothing
    books, notes = reconcile(saved, HALF, {"X": D(3)}, D(0), NEXT)
    assert books.books["a"].shares == {"X": D(3)}
    assert books.books["b"].shares == {}
    assert notes == ["X: the books held 0, the broker 3: scaled pro rata"]


def test_a_one_dollar_dividend_is_split_by_allocation_and_reported() -> None:
    saved = _two({}, "100", {}, "100")
    books, notes = reconcile(saved, HALF, {}, D("201.00"), NEXT)
    assert (books.books["a"].cash, books.books["b"].cash) == (D("100.50"), D("100.50"))
    assert notes == ["cash the books did not hold (+1.00) split by allocation"]


def test_a_one_cent_fee_is_booked_and_reported() -> None:
    saved = _two({}, "100", {}, "100")
    books, notes = reconcile(saved, HALF, {}, D("199.99"), NEXT)
    assert (books.books["a"].cash, books.books["b"].cash) == (D("100.00"), D("99.99"))  # -0.005 -> -0.00
    assert notes == ["cash the books did not hold (-0.01) split by allocation"]


# --- targets and netting ---


def test_a_book_that_holds_keeps_its_fractional_shares_and_an_unpriced_holding_wants_nothing() -> None:
    book = StrategyBook("a", D("0.5"), {"SPY": D("0.5"), "OLD": D(3), "TLT": D(0)}, D(100))
    targets = book_targets(book, {"QQQ": 1.0}, False, {"SPY": D(200), "TLT": D(100)}, D("0.02"))
    assert targets == {"SPY": D(100), "OLD": D(0)}


def test_a_book_that_rebalances_wants_its_weights_of_its_value_less_the_buffer() -> None:
    book = StrategyBook("a", D("0.5"), {}, D(1000))
    targets = book_targets(book, {"SPY": 0.25, "TLT": 0.75, "GLD": 0.0}, True, {}, D("0.02"))
    assert targets == {"SPY": D(245), "TLT": D(735)}  # 980 invested; GLD's zero weight is no target


def test_books_targeting_the_same_symbol_add_up_and_a_worthless_target_is_dropped() -> None:
    targets = [{"SPY": D(300), "OLD": D(0)}, {"SPY": D(200), "TLT": D(400)}]
    assert net_weights(targets, D(1000)) == {"SPY": D("0.5"), "TLT": D("0.4")}


def test_targets_above_the_account_are_scaled_down_to_it() -> None:
    assert net_weights([{"SPY": D(900)}, {"TLT": D(600)}], D(1000)) == {"SPY": D("0.6"), "TLT": D("0.4")}


def test_an_account_worth_nothing_has_no_target_weights() -> None:
    assert net_weights([{"SPY": D(100)}], D(0)) == {}


def test_a_one_dollar_account_still_targets_fifty_cents() -> None:
    assert net_weights([{"SPY": D("0.5")}], D(1)) == {"SPY": D("0.5")}


# --- what each book wants to trade, and the fills allocated back ---


def test_each_book_wants_its_target_less_what_it_holds_and_unpriced_holdings_stay() -> None:
    books = Books(
        {
            # OLD*, DEAD* and GONE* have no price (delisted): they are left where they are, and
            # several of them make sure the books' other symbols are still sized whatever the order.
            "a": StrategyBook("a", D("0.25"), {"SPY": D(10), "OLD1": D(3), "OLD2": D(1), "OLD3": D(1)}),
            "b": StrategyBook("b", D("0.25"), {"DEAD1": D(1), "DEAD2": D(1)}, D(600)),
            "c": StrategyBook("c", D("0.25"), {"PNY": D(4), "QQQ": D(2)}),
            "d": StrategyBook("d", D("0.25"), {"TLT": D(2), "GONE1": D(5), "GONE2": D(5)}),
        }
    )
    targets = {
        "a": {"SPY": D(600)},
        "b": {"SPY": D(100), "TLT": D(500)},
        "c": {"PNY": D(3), "QQQ": D(20)},
    }  # d has no targets: it sells what it holds
    prices = {"SPY": D(100), "TLT": D(50), "PNY": D("0.5"), "QQQ": D(10)}
    assert wanted_shares(books, targets, prices) == {
        "a": {"SPY": D(-4)},
        "b": {"SPY": D(1), "TLT": D(10)},
        "c": {"PNY": D(2)},  # a 50-cent stock is sized too; QQQ is on target
        "d": {"TLT": D(-2)},
    }


def test_a_swap_without_a_market_fill_is_booked_at_the_decision_price() -> None:
    books = _two({"SPY": D(5)}, "0", {}, "1000")
    out = allocate_fills(books, {"a": {"SPY": D(-2)}, "b": {"SPY": D(2)}}, {}, {"SPY": D(100)})
    assert out == Books(
        {
            "a": StrategyBook("a", D("0.5"), {"SPY": D(3)}, D("200.0000")),
            "b": StrategyBook("b", D("0.5"), {"SPY": D(2)}, D("800.0000")),
        },
        as_of=DAY,
    )


def test_a_symbol_bought_and_sold_back_to_nothing_books_the_swap_at_the_decision_price() -> None:
    books = _two({"SPY": D(5)}, "0", {}, "1000")
    wanted = {"a": {"SPY": D(-2)}, "b": {"SPY": D(2)}}
    out = allocate_fills(books, wanted, {"SPY": (D(0), D(101))}, {"SPY": D(100)})
    assert (out.books["a"].cash, out.books["b"].cash) == (D(200), D(800))


def test_a_one_share_fill_goes_to_the_book_that_asked_at_the_fill_price() -> None:
    books = _two({}, "1000", {}, "1000")
    out = allocate_fills(books, {"a": {"SPY": D(1)}, "b": {}}, {"SPY": (D(1), D(101))}, {"SPY": D(100)})
    assert out.books["a"].shares == {"SPY": D(1)}
    assert out.books["a"].cash == D(899)
    assert out.books["b"] == books.books["b"]


def test_fills_nobody_asked_for_are_shared_by_allocation() -> None:
    books = Books(
        {
            "a": StrategyBook("a", D("0.6"), {"Y": D(6)}, D(100)),
            "b": StrategyBook("b", D("0.4"), {"Y": D(4)}, D(100)),
        }
    )
    fills = {"X": (D(5), D(10)), "Y": (D(-5), D(20))}  # a hand-placed or stray order filled in the run
    out = allocate_fills(books, {"a": {}, "b": {}}, fills, {"X": D(10), "Y": D(20)})
    assert out.books["a"].shares == {"X": D(3), "Y": D(3)}
    assert out.books["b"].shares == {"X": D(2), "Y": D(2)}
    assert (out.books["a"].cash, out.books["b"].cash) == (D(130), D(120))  # -30 + 60, -20 + 40


def test_a_partial_buy_serves_a_fractional_buyer_and_the_seller_swaps_with_the_other() -> None:
    books = Books(
        {
            "a": StrategyBook("a", D("0.4"), {"SPY": D(2)}, D(0)),
            "b": StrategyBook("b", D("0.3"), {}, D(100)),
            "c": StrategyBook("c", D("0.3"), {}, D(500)),
        }
    )
    wanted = {"a": {"SPY": D(-2)}, "b": {"SPY": D("0.5")}, "c": {"SPY": D(2)}}
    out = allocate_fills(books, wanted, {"SPY": (D("0.5"), D(100))}, {"SPY": D(100)})
    assert [b.shares for b in out.books.values()] == [{}, {"SPY": D("0.5")}, {"SPY": D(2)}]
    assert [b.cash for b in out.books.values()] == [D(200), D(50), D(300)]


def test_an_over_filled_fractional_buy_goes_entirely_to_the_book_that_bought() -> None:
    books = _two({}, "100", {}, "100")
    out = allocate_fills(
        books, {"a": {}, "b": {"SPY": D("0.25")}}, {"SPY": (D("0.5"), D(100))}, {"SPY": D(100)}
    )
    assert out.books["a"].shares == {}
    assert out.books["b"].shares == {"SPY": D("0.5")}
    assert out.books["b"].cash == D(50)


def test_an_over_filled_buy_gives_the_buyer_what_it_asked_and_the_seller_gives_less() -> None:
    books = _two({"SPY": D(3)}, "0", {}, "1000")
    wanted = {"a": {"SPY": D(-3)}, "b": {"SPY": D(5)}}
    out = allocate_fills(books, wanted, {"SPY": (D(3), D(100))}, {"SPY": D(100)})  # the net was 2
    assert out.books["a"].shares == {"SPY": D(1)}
    assert out.books["b"].shares == {"SPY": D(5)}
    assert (out.books["a"].cash, out.books["b"].cash) == (D(200), D(500))


def test_an_over_filled_sell_takes_all_the_seller_offered_and_the_buyer_gets_only_the_swap() -> None:
    books = _two({"SPY": D(5)}, "0", {}, "1000")
    wanted = {"a": {"SPY": D(-5)}, "b": {"SPY": D(3)}}
    out = allocate_fills(books, wanted, {"SPY": (D(-3), D(100))}, {"SPY": D(100)})  # the net was -2
    assert out.books["a"].shares == {}
    assert out.books["b"].shares == {"SPY": D(2)}
    assert (out.books["a"].cash, out.books["b"].cash) == (D(500), D(800))


def test_a_penny_stock_fill_is_booked_at_its_price_and_a_fill_without_a_price_at_the_decision_price() -> None:
    books = _two({}, "100", {}, "0")
    wanted = {"a": {"PNY": D(4), "ZRO": D(2)}, "b": {}}
    fills = {"PNY": (D(4), D("0.5")), "ZRO": (D(2), D(0))}
    out = allocate_fills(books, wanted, fills, {"PNY": D("0.6"), "ZRO": D(3)})
    assert out.books["a"].shares == {"PNY": D(4), "ZRO": D(2)}
    assert out.books["a"].cash == D(92)  # 100 - 4 x 0.50 - 2 x 3


def test_a_fill_with_no_price_at_all_still_moves_the_shares_and_no_cash() -> None:
    books = _two({}, "100", {}, "100")
    out = allocate_fills(books, {"a": {}, "b": {}}, {"NEW": (D(2), D(0))}, {})  # nothing to price it at
    assert out.total_shares() == {"NEW": D(2)}  # the books still add up to the broker's shares
    assert (out.books["a"].shares, out.books["b"].shares) == ({"NEW": D(1)}, {"NEW": D(1)})
    assert (out.books["a"].cash, out.books["b"].cash) == (D(100), D(100))


def test_the_smallest_share_fraction_is_still_booked_so_the_books_add_up() -> None:
    books = _two({}, "1000", {}, "1000")
    wanted = {"a": {"SPY": D(1)}, "b": {"SPY": D(1)}}
    out = allocate_fills(books, wanted, {"SPY": (D("0.000000001"), D(100))}, {"SPY": D(100)})
    assert out.books["a"].shares == {}  # half of 1e-9 rounds to 0 (half to even)
    assert out.books["b"].shares == {"SPY": D("0.000000001")}
    assert out.total_shares() == {"SPY": D("0.000000001")}


# --- after the run: values for tomorrow's P&L, who rebalanced ---


def test_each_book_remembers_its_value_to_the_cent_for_tomorrows_pnl() -> None:
    books = _two({"SPY": D(3)}, "10.005", {}, "50")
    out = with_values(books, {"SPY": D("33.333")})
    assert out.books["a"].last_value == D("110.00")  # 10.005 + 99.999 = 110.004
    assert out.books["b"].last_value == D("50.00")
    assert out.as_of == DAY


def test_only_the_books_that_rebalanced_are_marked() -> None:
    earlier = dt.date(2025, 12, 1)
    books = Books(
        {
            "a": StrategyBook("a", D("0.5"), {}, D(0)),
            "b": StrategyBook("b", D("0.5"), {}, D(0), last_rebalanced=earlier),
        },
        as_of=DAY,
    )
    out = mark_rebalanced(books, {"a"}, NEXT)
    assert out.books["a"].last_rebalanced == NEXT
    assert out.books["b"].last_rebalanced == earlier
    assert out.as_of == DAY
