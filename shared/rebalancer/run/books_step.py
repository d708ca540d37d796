"""The run's per-strategy books: reconcile, decide who rebalances, net the targets, allocate the fills.

The pure rules are in portfolio/books.py, portfolio/book_fills.py and strategies/schedule.py. This step
journals what it decided (books.json in the run's records) before any order is sent, so a resumed run
allocates the crashed attempt's fills to the same books and targets instead of reconciling positions
its own orders already moved. The books are saved (DynamoDB in the stack, disk locally) only once the
orders are settled.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from rebalancer.broker.models import Account, OrderSide, Position
from rebalancer.portfolio.book_fills import allocate_fills, mark_rebalanced, wanted_shares, with_values
from rebalancer.portfolio.books import ZERO, Books, book_targets, net_weights, reconcile
from rebalancer.run.context import RunContext
from rebalancer.run.decide import Decision
from rebalancer.run.result import OrderOutcome, RunStatus
from rebalancer.strategies import LoadedStrategy
from rebalancer.strategies.schedule import Due, rebalance_due

JOURNAL = "books.json"


class BookKeeper:
    def __init__(self, ctx: RunContext, strategies: Sequence[LoadedStrategy], buffer: Decimal) -> None:
        self.ctx = ctx
        self.strategies = strategies
        self.buffer = buffer
        self.books = Books({})
        self.due: dict[str, Due] = {}
        self.targets: dict[str, dict[str, Decimal]] = {}
        self.prices: dict[str, Decimal] = {}  # the live prices the books were valued at
        self.lines: list[str] = []

    def net(
        self,
        decision: Decision,
        account: Account,
        positions: Sequence[Position],
        prices: Mapping[str, Decimal],
    ) -> dict[str, Decimal]:
        """The account's target weights: every book's targets summed (the planner adds no buffer)."""
        ctx = self.ctx
        if ctx.resumed and ctx.recorder.has(JOURNAL):
            self._load_journal()
        else:
            self._decide(decision, account, positions, prices)
            ctx.recorder.put_json(JOURNAL, self._journal())
        return net_weights(self.targets.values(), account.equity)

    def _decide(
        self,
        decision: Decision,
        account: Account,
        positions: Sequence[Position],
        prices: Mapping[str, Decimal],
    ) -> None:
        ctx = self.ctx
        self.prices = dict(prices)
        today = ctx.key.session_date
        saved_doc = ctx.ports.store.load_books(ctx.settings.env)
        saved = None if saved_doc is None else Books.from_dict(saved_doc)
        allocations = {s.name: Decimal(repr(s.allocation)) for s in self.strategies}
        held = {p.symbol: p.qty for p in positions if p.qty != 0}
        self.books, notes = reconcile(saved, allocations, held, account.cash, today, prices=prices)
        for note in notes:
            ctx.warn(f"books: {note}")
        invested = 1.0 - float(self.buffer)
        for strategy in self.strategies:
            book = self.books.books[strategy.name]
            weights = decision.per_strategy.get(strategy.name, {})
            scaled = {s: w * invested for s, w in weights.items()}
            due = rebalance_due(strategy.schedule, today, book.last_rebalanced, scaled, book.weights(prices))
            self.due[strategy.name] = due
            self.targets[strategy.name] = book_targets(book, weights, due.due, prices, self.buffer)

    def _journal(self) -> dict[str, Any]:
        return {
            "books": self.books.to_dict(),
            "due": {n: {"due": d.due, "reason": d.reason} for n, d in self.due.items()},
            "targets": {n: {s: str(v) for s, v in t.items()} for n, t in self.targets.items()},
            "prices": {s: str(p) for s, p in sorted(self.prices.items())},
        }

    def _load_journal(self) -> None:
        doc = json.loads(self.ctx.ports.store.get_record(self.ctx.key.run_id, JOURNAL))
        self.books = Books.from_dict(doc["books"])
        self.due = {n: Due(bool(d["due"]), str(d["reason"])) for n, d in doc["due"].items()}
        self.targets = {n: {s: Decimal(v) for s, v in t.items()} for n, t in doc["targets"].items()}
        self.prices = {s: Decimal(p) for s, p in doc["prices"].items()}

    def settle(
        self, status: RunStatus, outcomes: Sequence[OrderOutcome], prices: Mapping[str, Decimal]
    ) -> None:
        """Allocate the fills, mark who rebalanced, save the books and render the report's section.

        The books are valued at the prices they were netted at (journaled: a resumed run no longer
        holds what its crashed attempt sold, so today's positions would price nothing of it)."""
        prices = {**prices, **self.prices}
        books = self.books
        if status in (RunStatus.COMPLETED, RunStatus.PARTIAL):
            # Swaps between books happen only when the rebalance went ahead; a halted run keeps them.
            wanted = wanted_shares(books, self.targets, prices)
            books = allocate_fills(books, wanted, net_fills(outcomes), prices)
            rebalanced = {n for n, d in self.due.items() if d.due}
            books = mark_rebalanced(books, rebalanced, self.ctx.key.session_date)
        previous = {n: b.last_value for n, b in self.books.books.items()}
        books = with_values(books, prices)
        self.ctx.ports.store.save_books(self.ctx.settings.env, books.to_dict())
        self.lines = report_lines(books, previous, self.due, prices, neutral=self.ctx.settings.neutral_report)


def net_fills(outcomes: Sequence[OrderOutcome]) -> dict[str, tuple[Decimal, Decimal]]:
    """symbol -> (net filled qty, + bought / - sold; average fill price)."""
    qty: dict[str, Decimal] = {}
    notional: dict[str, Decimal] = {}
    for o in outcomes:
        filled, price = o.filled_qty, o.fill_price
        if filled <= 0 or price is None:
            continue
        sign = 1 if o.side is OrderSide.BUY else -1
        qty[o.symbol] = qty.get(o.symbol, ZERO) + sign * filled
        notional[o.symbol] = notional.get(o.symbol, ZERO) + filled * price
    gross = {o.symbol: ZERO for o in outcomes}
    for o in outcomes:
        if o.filled_qty > 0 and o.fill_price is not None:
            gross[o.symbol] += o.filled_qty
    return {s: (q, notional[s] / gross[s]) for s, q in qty.items() if gross[s] > 0}


def report_lines(
    books: Books,
    previous: Mapping[str, Decimal | None],
    due: Mapping[str, Due],
    prices: Mapping[str, Decimal],
    *,
    neutral: bool,
) -> list[str]:
    """Per strategy: rebalanced or not (why), value, P&L since inception and today, holdings."""
    lines = []
    for name, book in sorted(books.books.items()):
        value = book.value(prices)
        decided = due.get(name)
        verdict = "rebalanced" if decided and decided.due else "held"
        why = f" ({decided.reason})" if decided else ""
        since = _pnl(value, book.invested, neutral)
        before = previous.get(name)
        today = _pnl(value, before, neutral) if before is not None else "n/a"
        money = "" if neutral else f" value {value:,.2f},"
        lines.append(f"{name}: {verdict}{why};{money} P&L since inception {since}, today {today}")
        holdings = ", ".join(
            s if neutral else f"{s} {q.normalize():f}" for s, q in sorted(book.shares.items()) if q > 0
        )
        lines.append(f"    holdings: {holdings or 'cash only'}")
    return lines


def _pnl(value: Decimal, basis: Decimal | None, neutral: bool) -> str:
    if basis is None or basis <= 0:
        return "n/a"
    change = value - basis
    percent = f"{change / basis:+.2%}"
    return percent if neutral else f"{change:+,.2f} ({percent})"
