"""Per-strategy books with hand-computed amounts: a share or a cent booked to the wrong strategy is a
wrong P&L, a saved book that does not read back is a strategy that forgets what it holds
(docs/rebalancing.md, portfolio/books.py, portfolio/book_fills.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

import pytest

from rebalancer.portfolio.books import Books, StrategyBook

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
