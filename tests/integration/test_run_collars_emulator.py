"""Price collars end to end: run() through the real Alpaca adapters against the emulator, which
enforces Alpaca's limit-order rules (tick size, fractional DAY limits, buying power reserved at the limit)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection
from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.config.loader import load_config_with_sources
from rebalancer.market.base import MarketData
from rebalancer.market.history import PriceHistory
from rebalancer.run import RunSettings, RunStatus, run
from rebalancer.run.config_bridge import settings_from_config
from rebalancer.strategies import load_strategies, needed_symbols
from rebalancer_tools.local.emulator_session import BrokerSession, emulator_session
from rebalancer_tools.local.memory import MemoryHaltFlag, MemoryNotifier, MemoryStore

pytestmark = pytest.mark.integration

AT = dt.datetime(2026, 11, 2, 14, 35, tzinfo=dt.UTC)  # Monday 09:35 ET


def _settings(tmp_path: Path, execution: str) -> RunSettings:
    path = tmp_path / "config.yaml"
    path.write_text(
        "env: paper\nstrategies:\n  nuclear: {allocation: 0.6}\n  tecl: {allocation: 0.4}\n"
        f"data:\n  lookback_sessions: 250\nexecution:\n  fill_timeout_seconds: 3\n{execution}"
    )
    return settings_from_config(load_config_with_sources(path))


def _symbols(settings: RunSettings) -> set[str]:
    return needed_symbols(load_strategies(settings.strategies)) | {"AAPL"}


class _QuoteOff:
    """The broker's market data with one symbol's live price scaled: a broken quote the plausibility
    band (3x) lets through."""

    def __init__(self, inner: MarketData, symbol: str, factor: Decimal) -> None:
        self.inner, self.symbol, self.factor = inner, symbol, factor

    def daily_history(self, symbols: Collection[str], start: dt.date, end: dt.date) -> PriceHistory:
        return self.inner.daily_history(symbols, start, end)

    def latest_prices(self, symbols: Collection[str]) -> dict[str, Decimal]:
        prices = self.inner.latest_prices(symbols)
        if self.symbol in prices:
            prices[self.symbol] = (prices[self.symbol] * self.factor).quantize(Decimal("0.01"))
        return prices


def _orders(session: BrokerSession) -> list:  # type: ignore[type-arg]
    return list(session.emulator.state.orders_by_client_id.values())


def test_a_collared_run_places_limit_orders_that_fill_inside_the_collar(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "  price_collar: 0.01\n")
    with emulator_session(at=AT, symbols=_symbols(settings), sessions=400) as session:
        session.emulator.state.seed_position("AAPL", Decimal(30), Decimal(100))
        ports = session.ports(MemoryStore(), MemoryHaltFlag(), MemoryNotifier())
        result = run(settings, ports, session.now())

        assert result.status is RunStatus.COMPLETED, result.report
        orders = _orders(session)
        assert orders
        assert all(o.order_type == "limit" and o.notional is None for o in orders)
        for o in orders:
            assert o.status == "filled", o.symbol
            fill = o.filled_cost / o.filled_qty
            assert (fill <= o.limit_price) if o.side == "buy" else (fill >= o.limit_price), o.symbol
        assert {o.symbol for o in orders if o.side == "sell"} == {"AAPL"}
        assert " limit " in result.report


def test_without_a_collar_the_run_places_market_orders(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "")
    with emulator_session(at=AT, symbols=_symbols(settings), sessions=400) as session:
        ports = session.ports(MemoryStore(), MemoryHaltFlag(), MemoryNotifier())
        result = run(settings, ports, session.now())
        assert result.status is RunStatus.COMPLETED, result.report
        assert {o.order_type for o in _orders(session)} == {"market"}


def test_a_broken_low_quote_leaves_the_collared_buy_unfilled_and_the_run_partial(tmp_path: Path) -> None:
    """The quote says 20% below the market: a market buy would fill at the market, sized for the wrong
    price; the collared buy rests below the ask, is canceled at the fill timeout, and the run alerts."""
    settings = _settings(tmp_path, "  price_collar: 0.01\n")
    with emulator_session(at=AT, symbols=_symbols(settings), sessions=400) as session:
        ports = session.ports(MemoryStore(), MemoryHaltFlag(), notifier := MemoryNotifier())
        planned = run(settings, ports, session.now(), plan_only=True)
        victim = max(planned.targets, key=lambda s: planned.targets[s])
        ports = dataclasses.replace(ports, market_data=_QuoteOff(ports.market_data, victim, Decimal("0.8")))
        result = run(settings, ports, session.now())

        assert result.status is RunStatus.PARTIAL, result.report
        assert result.status.is_alert
        assert notifier.messages
        broken = [o for o in _orders(session) if o.symbol == victim]
        assert len(broken) == 1
        assert broken[0].status == "canceled"
        assert broken[0].filled_qty == 0
        others = [o for o in _orders(session) if o.symbol != victim]
        assert others
        assert all(o.status == "filled" for o in others)
        assert "canceled at fill timeout" in result.report
