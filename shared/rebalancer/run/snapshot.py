"""The run's reads: one concurrent round trip for the account, positions, open orders, bars and the
strategies' latest trades, then the live prices that size the orders, checked for plausibility."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.broker.models import Account, Order, Position
from rebalancer.errors import DataError
from rebalancer.market.history import PriceHistory
from rebalancer.run.context import RunContext
from rebalancer.run.guards import SessionCalendar
from rebalancer.run.prices import check_prices, decision_prices, live_prices, refuse
from rebalancer.strategies import LoadedStrategy
from rebalancer.strategies.symbols import naming_files


@dataclass(frozen=True)
class Snapshot:
    account: Account
    positions: list[Position]
    open_orders: list[Order]
    history: PriceHistory
    live: dict[str, Decimal]  # latest trades of the strategies' symbols, read with the rest


def read_snapshot(
    ctx: RunContext,
    calendar: SessionCalendar,
    lookback: int,
    needed: set[str],
    strategies: Sequence[LoadedStrategy],
) -> Snapshot:
    """One round trip; live prices of the strategies' symbols (they cover the targets) come with it,
    held extras are fetched after the decision."""
    end = calendar.decision_date  # StateError when the calendar has no earlier session
    start = calendar.previous_sessions[-lookback:][0]
    broker, market_data = ctx.ports.broker, ctx.ports.market_data
    with ThreadPoolExecutor(max_workers=5) as pool:
        account = pool.submit(broker.get_account)
        positions = pool.submit(broker.get_positions)
        orders = pool.submit(broker.list_open_orders)
        bars = pool.submit(market_data.daily_history, sorted(needed), start, end)
        live = pool.submit(live_prices, market_data, needed)
        try:
            history = bars.result()
        except DataError as err:  # a typo ticker: say which strategy file asks for it
            raise naming_files(err, strategies) from err
        return Snapshot(account.result(), positions.result(), orders.result(), history, live.result())


def checked_live_prices(ctx: RunContext, snap: Snapshot, symbols: set[str]) -> dict[str, Decimal]:
    """The live price of every symbol the run may trade, checked against the decision close and the
    position's price (run/prices.py); orders are sized from it. DataError when implausible."""
    closes = {s: p for s, p in decision_prices(snap.history, []).items() if s in symbols}
    held = {p.symbol: p.current_price for p in snap.positions if p.qty > 0}
    missing = symbols - set(snap.live)
    live = {**snap.live, **(live_prices(ctx.ports.market_data, missing) if missing else {})}
    live = {s: p for s, p in live.items() if s in symbols}
    ctx.recorder.put_json(
        "prices.json", {"close": closes, "position": held, "live": live, "symbols": sorted(symbols)}
    )
    problems = check_prices(closes, held, live, ctx.settings.execution.max_price_ratio, symbols)
    if problems:
        raise refuse(problems)
    return {s: live[s] for s in symbols}
