"""Per-strategy books with hand-computed amounts: a share or a cent booked to the wrong strategy is a
wrong P&L, a saved book that does not read back is a strategy that forgets what it holds
(docs/rebalancing.md, portfolio/books.py, portfolio/book_fills.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

import pytest

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
    ("saved", "error"),
    [
        ({"allocation": "0.5", "inception": "2026-02-30"}, ValueError),
        ({"allocation": "0.5", "last_rebalanced": "last week"}, ValueError),
        ({"allocation": "0.5", "cash": "12,50"}, InvalidOperation),
        ({"allocation": "0.5", "shares": {"SPY": "ten"}}, InvalidOperation),
        ({"cash": "10"}, KeyError),
    ],
)
def test_a_corrupt_saved_book_is_refused(saved: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        StrategyBook.from_dict("damaged", saved)


def test_a_corrupt_saved_day_is_refused() -> None:
    with pytest.raises(ValueError, match="yesterday"):
        Books.from_dict({"as_of": "yesterday", "books": {}})


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
