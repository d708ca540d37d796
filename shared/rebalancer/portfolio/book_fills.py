"""Fills back to the per-strategy books (rules in portfolio/books.py) (pure).

>>> from rebalancer.portfolio.books import StrategyBook, Books
>>> a = StrategyBook("a", Decimal("0.5"), {"SPY": Decimal(10)}, Decimal(0))
>>> b = StrategyBook("b", Decimal("0.5"), {}, Decimal(1000))
>>> wanted = {"a": {"SPY": Decimal(-4)}, "b": {"SPY": Decimal(6)}}   # a sells 4, b buys 6
>>> out = allocate_fills(Books({"a": a, "b": b}), wanted, {"SPY": (Decimal(2), Decimal(100))},
...                      {"SPY": Decimal(100)})
>>> [str(x) for x in (out.books["a"].shares["SPY"], out.books["b"].shares["SPY"], out.books["b"].cash)]
['6', '6', '400.0000']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from rebalancer.portfolio.books import QTY, ZERO, Books, StrategyBook


def wanted_shares(
    books: Books, targets: Mapping[str, Mapping[str, Decimal]], prices: Mapping[str, Decimal]
) -> dict[str, dict[str, Decimal]]:
    """Per book, the change of shares its target values ask for (target / price - held)."""
    out: dict[str, dict[str, Decimal]] = {}
    for name, book in books.books.items():
        want = targets.get(name, {})
        deltas = {}
        for symbol in set(want) | set(book.shares):
            price = prices.get(symbol, ZERO)
            held = book.shares.get(symbol, ZERO)
            if price <= 0:
                continue  # no price: nothing can be sized, the holding stays
            delta = want.get(symbol, ZERO) / price - held
            if delta != 0:
                deltas[symbol] = delta
        out[name] = deltas
    return out


def allocate_fills(
    books: Books,
    wanted: Mapping[str, Mapping[str, Decimal]],
    fills: Mapping[str, tuple[Decimal, Decimal]],
    prices: Mapping[str, Decimal],
) -> Books:
    """`fills`: symbol -> (net filled qty, + bought / - sold; average price). Books that wanted the
    opposite of the market's side are served first by swaps; the market fill goes to the side that
    traded, pro rata to what each book wanted."""
    shares = {name: dict(book.shares) for name, book in books.books.items()}
    cash = {name: book.cash for name, book in books.books.items()}
    symbols = set(fills) | {s for w in wanted.values() for s in w}
    for symbol in sorted(symbols):
        filled, fill_price = fills.get(symbol, (ZERO, ZERO))
        price = fill_price if filled != 0 and fill_price > 0 else prices.get(symbol, ZERO)
        changes = _symbol_changes(books, {n: w.get(symbol, ZERO) for n, w in wanted.items()}, filled)
        for name, change in changes.items():
            if change == 0:
                continue
            held = shares[name].get(symbol, ZERO) + change
            if held == 0:
                shares[name].pop(symbol, None)
            else:
                shares[name][symbol] = held
            cash[name] -= change * price
    out = {
        name: replace(book, shares=shares[name], cash=cash[name].quantize(Decimal("0.0001")))
        for name, book in books.books.items()
    }
    return Books(out, books.as_of)


def _symbol_changes(books: Books, deltas: Mapping[str, Decimal], filled: Decimal) -> dict[str, Decimal]:
    """Each book's change of one symbol's shares, summing exactly to `filled`.

    The swap is as large as both sides allow: buyers receive the swap plus what the market sold us
    (filled > 0), sellers give the swap plus what we sold (filled < 0)."""
    buyers = {n: d for n, d in deltas.items() if d > 0}
    sellers = {n: -d for n, d in deltas.items() if d < 0}
    bought, sold = sum(buyers.values(), ZERO), sum(sellers.values(), ZERO)
    if filled >= 0:
        swap = min(sold, max(bought - filled, ZERO))
        received, given = swap + filled, swap
    else:
        swap = min(bought, max(sold + filled, ZERO))
        received, given = swap, swap - filled
    changes = _pro_rata(received, buyers, books)
    for name, qty in _pro_rata(given, sellers, books).items():
        changes[name] = changes.get(name, ZERO) - qty
    return changes


def _pro_rata(amount: Decimal, weights: Mapping[str, Decimal], books: Books) -> dict[str, Decimal]:
    """`amount` shared pro rata to `weights` (by allocation when nobody asked: an unexpected fill)."""
    if amount == 0:
        return {}
    basis = dict(weights) or {n: b.allocation for n, b in books.books.items()}
    total = sum(basis.values(), ZERO)
    names = sorted(basis)
    parts = {n: (amount * basis[n] / total).quantize(QTY) for n in names[:-1]}
    parts[names[-1]] = amount - sum(parts.values(), ZERO)
    return parts


def with_values(books: Books, prices: Mapping[str, Decimal]) -> Books:
    """Each book's value at `prices` remembered as `last_value` (P&L today at the next run)."""
    return Books(
        {n: replace(b, last_value=b.value(prices).quantize(Decimal("0.01"))) for n, b in books.books.items()},
        books.as_of,
    )


def mark_rebalanced(books: Books, names: set[str], today: dt.date) -> Books:
    out: dict[str, StrategyBook] = {}
    for name, book in books.books.items():
        out[name] = replace(book, last_rebalanced=today) if name in names else book
    return Books(out, books.as_of)
