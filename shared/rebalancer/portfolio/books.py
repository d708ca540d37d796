"""Per-strategy books: which shares and cash of the one Alpaca account belong to which strategy (pure).

Several strategies share one account, so "has this strategy drifted?" and "what did it earn?" need a
virtual book per strategy. Each run (docs/rebalancing.md):
1. reconcile the saved books with the broker (positions and cash; rules below);
2. decide per strategy whether it rebalances today (strategies/schedule.py);
3. net: a strategy that rebalances wants weight x its value x (1 - cash buffer) of each symbol, one that
   does not keeps its shares; the sum over books is the account's target (one set of orders);
4. allocate the fills back: per symbol, books that sell hand their shares to books that buy (Composer's
   "symphony swaps"), and the market fill is shared by the side that traded, pro rata to what each
   wanted. Every change of a symbol's shares is booked at one price (the fill's average price, else
   the decision price), so the books' cash moves exactly as the account's does.

Reconciliation rules (a book that disagrees with the broker: someone traded by hand, a dividend, a fee):
- no books yet, or the configured strategies or allocations changed: the account is split by allocation
  (every position and the cash) and every strategy rebalances (a first investment);
- a symbol the books hold in another quantity than the broker: the holding books are scaled pro rata
  to the broker's quantity; a symbol no book holds is split by allocation;
- cash the books do not account for (deposits, withdrawals, dividends, fees) is split by allocation.
Every adjustment is reported.

    >>> books, notes = reconcile(None, {"a": Decimal("0.5"), "b": Decimal("0.5")}, {"SPY": Decimal(4)},
    ...                          Decimal(100), dt.date(2026, 1, 5))
    >>> str(books.books["a"].shares["SPY"]), str(books.books["a"].cash)
    ('2.000000000', '50.00')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from rebalancer.errors import StateError

ZERO = Decimal(0)
T = TypeVar("T")
REQUIRED = object()  # a saved book's field without a default
QTY = Decimal("0.000000001")  # Alpaca's share precision
CENT = Decimal("0.01")


@dataclass(frozen=True)
class StrategyBook:
    """One strategy's shares and cash. `invested` is what it was funded with (P&L since inception is
    value - invested); `last_value` its value at the end of the previous run (P&L today)."""

    name: str
    allocation: Decimal
    shares: dict[str, Decimal] = field(default_factory=dict)
    cash: Decimal = ZERO
    invested: Decimal = ZERO
    inception: dt.date | None = None
    last_rebalanced: dt.date | None = None
    last_value: Decimal | None = None

    def value(self, prices: Mapping[str, Decimal]) -> Decimal:
        return self.cash + sum((q * prices.get(s, ZERO) for s, q in self.shares.items()), ZERO)

    def weights(self, prices: Mapping[str, Decimal]) -> dict[str, float]:
        """Each holding's share of the book's value (the corridor's drift is measured on these)."""
        total = self.value(prices)
        if total <= 0:
            return {}
        return {s: float(q * prices.get(s, ZERO) / total) for s, q in self.shares.items() if q > 0}

    def to_dict(self) -> dict[str, Any]:
        return {
            "allocation": str(self.allocation),
            "shares": {s: str(q) for s, q in sorted(self.shares.items())},
            "cash": str(self.cash),
            "invested": str(self.invested),
            "inception": _day(self.inception),
            "last_rebalanced": _day(self.last_rebalanced),
            "last_value": None if self.last_value is None else str(self.last_value),
        }

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> StrategyBook:
        """Inverse of to_dict; StateError `books-corrupt` naming the strategy and the field when the saved
        book is damaged (a hand edit, a truncated write)."""

        def read(key: str, parse: Callable[[Any], T], default: Any = REQUIRED) -> T:
            try:
                return parse(data[key] if default is REQUIRED else data.get(key, default))
            except (KeyError, TypeError, ValueError, InvalidOperation) as err:
                raise _corrupt(f"the saved book of strategy {name}: {key} {_why(err)}") from err

        return cls(
            name=name,
            allocation=read("allocation", _number),
            shares=read("shares", _quantities, {}),
            cash=read("cash", _number, "0"),
            invested=read("invested", _number, "0"),
            inception=read("inception", _date, None),
            last_rebalanced=read("last_rebalanced", _date, None),
            last_value=read("last_value", _optional_number, None),
        )


@dataclass(frozen=True)
class Books:
    books: dict[str, StrategyBook]
    as_of: dt.date | None = None

    def total_shares(self) -> dict[str, Decimal]:
        total: dict[str, Decimal] = {}
        for book in self.books.values():
            for symbol, qty in book.shares.items():
                total[symbol] = total.get(symbol, ZERO) + qty
        return {s: q for s, q in total.items() if q != 0}

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": _day(self.as_of), "books": {n: b.to_dict() for n, b in sorted(self.books.items())}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Books:
        books = {name: StrategyBook.from_dict(name, item) for name, item in data.get("books", {}).items()}
        try:
            as_of = _date(data.get("as_of"))
        except ValueError as err:
            raise _corrupt(f"the saved books: as_of {_why(err)}") from err
        return cls(books, as_of)


def _day(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _date(text: Any) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(str(text))


def _number(value: Any) -> Decimal:
    number = Decimal(str(value))
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _optional_number(value: Any) -> Decimal | None:
    return None if value is None else _number(value)


def _quantities(value: Any) -> dict[str, Decimal]:
    if not isinstance(value, Mapping):
        raise TypeError(f"a symbol -> quantity object, not {type(value).__name__}")
    return {str(symbol): _number(qty) for symbol, qty in value.items()}


def _why(err: Exception) -> str:
    if isinstance(err, KeyError):
        return "is missing"
    if isinstance(err, InvalidOperation):
        return "is not a number"
    return f"is invalid: {err}"


def _corrupt(message: str) -> StateError:
    return StateError(
        message,
        code="books-corrupt",
        hint="fix the stored books item, or delete the stored books: the next run opens them again, "
        "splitting the account by allocation (docs/runbook.md)",
    )


def _split(amount: Decimal, weights: Mapping[str, Decimal], quantum: Decimal) -> dict[str, Decimal]:
    """`amount` split pro rata to `weights` (>= 0), rounded to `quantum`; the last takes the remainder
    so the parts add up exactly."""
    total = sum(weights.values(), ZERO)
    names = sorted(weights)
    if not names:
        return {}
    if total <= 0:
        weights, total = dict.fromkeys(names, Decimal(1)), Decimal(len(names))
    parts = {n: (amount * weights[n] / total).quantize(quantum) for n in names[:-1]}
    parts[names[-1]] = amount - sum(parts.values(), ZERO)
    return parts


def open_books(
    allocations: Mapping[str, Decimal],
    positions: Mapping[str, Decimal],
    cash: Decimal,
    today: dt.date,
    *,
    prices: Mapping[str, Decimal] | None = None,
) -> Books:
    """The account split by allocation: each book gets its share of every position and of the cash."""
    shares: dict[str, dict[str, Decimal]] = {name: {} for name in allocations}
    for symbol, qty in positions.items():
        for name, part in _split(qty, allocations, QTY).items():
            if part:
                shares[name][symbol] = part
    cash_parts = _split(cash, allocations, CENT)
    books = {}
    for name, allocation in allocations.items():
        book = StrategyBook(name, allocation, shares[name], cash_parts[name], inception=today)
        invested = book.value(prices or {}) if prices is not None else ZERO
        books[name] = replace(book, invested=invested)
    return Books(books, today)


def reconcile(
    saved: Books | None,
    allocations: Mapping[str, Decimal],
    positions: Mapping[str, Decimal],
    cash: Decimal,
    today: dt.date,
    *,
    prices: Mapping[str, Decimal] | None = None,
) -> tuple[Books, list[str]]:
    """The saved books brought in line with the broker (module docstring); returns (books, notes)."""
    if saved is None:
        return open_books(allocations, positions, cash, today, prices=prices), [
            "books opened: the account is split between the strategies by allocation"
        ]
    booked_allocations = {n: b.allocation for n, b in saved.books.items()}
    if booked_allocations != dict(allocations):
        return open_books(allocations, positions, cash, today, prices=prices), [
            "the strategies or their allocations changed: the account is split again by allocation "
            "and every strategy rebalances"
        ]
    books = {n: replace(b, shares=dict(b.shares)) for n, b in saved.books.items()}
    notes = _reconcile_shares(books, allocations, positions)
    unaccounted = cash - sum((b.cash for b in books.values()), ZERO)
    if unaccounted != 0:
        for name, part in _split(unaccounted, allocations, CENT).items():
            books[name] = replace(books[name], cash=books[name].cash + part)
        if abs(unaccounted) >= CENT:
            notes.append(f"cash the books did not hold ({unaccounted:+.2f}) split by allocation")
    return Books(books, today), notes


def _reconcile_shares(
    books: dict[str, StrategyBook], allocations: Mapping[str, Decimal], positions: Mapping[str, Decimal]
) -> list[str]:
    notes = []
    booked = Books(books).total_shares()
    for symbol in sorted(set(booked) | {s for s, q in positions.items() if q != 0}):
        have, want = booked.get(symbol, ZERO), positions.get(symbol, ZERO)
        if have == want:
            continue
        holders = {n: b.shares.get(symbol, ZERO) for n, b in books.items() if b.shares.get(symbol, ZERO) > 0}
        if holders:
            parts = _split(want, holders, QTY)
            notes.append(f"{symbol}: the books held {have}, the broker {want}: scaled pro rata")
        else:
            parts = _split(want, allocations, QTY)
            notes.append(f"{symbol}: {want} shares no book held, split by allocation")
        for name, book in books.items():
            book.shares[symbol] = parts.get(name, ZERO)
            if book.shares[symbol] == 0:
                del book.shares[symbol]
    return notes


def book_targets(
    book: StrategyBook,
    weights: Mapping[str, float],
    due: bool,
    prices: Mapping[str, Decimal],
    buffer: Decimal,
) -> dict[str, Decimal]:
    """The market value the book wants per symbol: its weights of its value when it rebalances, else
    the shares it holds (at today's prices)."""
    if not due:
        return {s: q * prices.get(s, ZERO) for s, q in book.shares.items() if q > 0}
    investable = max(book.value(prices), ZERO) * (1 - buffer)
    return {s: investable * Decimal(repr(w)) for s, w in weights.items() if w > 0}


def net_weights(targets: Iterable[Mapping[str, Decimal]], equity: Decimal) -> dict[str, Decimal]:
    """All books' target values as weights of the account's equity (scaled down if above 1)."""
    total: dict[str, Decimal] = {}
    for book in targets:
        for symbol, value in book.items():
            total[symbol] = total.get(symbol, ZERO) + value
    if equity <= 0:
        return {}
    weights = {s: v / equity for s, v in total.items() if v > 0}
    scale = sum(weights.values(), ZERO)
    if scale > 1:
        weights = {s: w / scale for s, w in weights.items()}
    return weights
