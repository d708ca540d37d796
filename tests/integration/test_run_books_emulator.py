"""Two symphonies in one emulator account, one daily and one monthly, over sessions across a month end:
the per-strategy books add up to the broker's positions and the monthly one trades only at its boundary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.alpaca.credentials import AlpacaCredentials
from rebalancer.broker.models import OrderRequest, OrderSide
from rebalancer.config.loader import load_config_with_sources
from rebalancer.portfolio.books import Books
from rebalancer.run import RunStatus, run
from rebalancer.run.config_bridge import settings_from_config
from rebalancer.run.settings import NEW_YORK
from rebalancer_emulator import EmulatorServer
from rebalancer_research.market.synthetic import synthetic_market
from rebalancer_tools.local.disk import DiskHaltFlag, DiskNotifier, DiskStore
from rebalancer_tools.local.emulator_session import EMULATOR_KEY, EMULATOR_SECRET, BrokerSession, adapters

pytestmark = pytest.mark.integration

DAYS = ["2026-01-27", "2026-01-28", "2026-01-29", "2026-01-30", "2026-02-02", "2026-02-03", "2026-02-04"]
DAILY = (
    '(defsymphony "Daily" {:rebalance-frequency :daily}'
    ' (weight-specified [60 40] [(asset "SPY") (asset "TLT")]))'
)
MONTHLY = (
    '(defsymphony "Monthly" {:asset-class "EQUITIES", :rebalance-frequency :monthly}'
    ' (weight-equal [(asset "GLD") (asset "SPY")]))'
)


def _settings(tmp_path: Path, override: str = ""):  # type: ignore[no-untyped-def]
    (tmp_path / "daily.clj").write_text(DAILY)
    (tmp_path / "monthly.clj").write_text(MONTHLY)
    config = tmp_path / "config.yaml"
    config.write_text(
        "env: paper\nstrategies:\n"
        "  daily: {source: daily.clj, allocation: 0.5}\n"
        f"  monthly: {{source: monthly.clj, allocation: 0.5{override}}}\n"
        "data:\n  lookback_sessions: 60\nexecution:\n  fill_timeout_seconds: 20\n"
    )
    return settings_from_config(load_config_with_sources(config))


def _at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(9, 35), tzinfo=NEW_YORK)


def _sessions(
    tmp_path: Path, override: str = "", hand_trade_on: str = ""
) -> tuple[dict[str, list[str]], list[str]]:
    """Run every day of DAYS; per strategy the days it rebalanced, and the days GLD traded.
    `hand_trade_on`: that morning someone sells 10 SPY by hand before the run."""
    settings = _settings(tmp_path, override)
    history = synthetic_market(["SPY", "TLT", "GLD"], end=dt.date(2026, 2, 27), sessions=300)
    store = DiskStore(tmp_path / "store")
    rebalanced: dict[str, list[str]] = {"daily": [], "monthly": []}
    gld_traded: list[str] = []
    with EmulatorServer(history, start_at=_at(DAYS[0])) as emulator:
        broker, data = adapters(emulator.url, AlpacaCredentials(EMULATOR_KEY, EMULATOR_SECRET))
        session = BrokerSession(broker, data, emulator.clock, emulator)
        ports = session.ports(store, DiskHaltFlag(tmp_path / "store"), DiskNotifier(tmp_path / "store"))
        for day in DAYS:
            emulator.clock.set(_at(day).replace(tzinfo=None))
            if day == hand_trade_on:
                broker.submit_order(OrderRequest("SPY", OrderSide.SELL, "by-hand-1", qty=Decimal(10)))
            result = run(settings, ports, session.now())
            assert result.status is RunStatus.COMPLETED, result.report
            if day == hand_trade_on:
                assert any(w.startswith("books: SPY: the books held") for w in result.warnings), result.report
            assert "Strategy books:" in result.report
            books = Books.from_dict(store.load_books("paper") or {})
            positions = {p.symbol: p.qty for p in broker.get_positions()}
            assert books.total_shares() == positions, day  # the books add up to the broker, exactly
            for name, book in books.books.items():
                if book.last_rebalanced == dt.date.fromisoformat(day):
                    rebalanced[name].append(day)
            if any(o.symbol == "GLD" and o.filled_qty > 0 for o in result.outcomes):
                gld_traded.append(day)
        cash = broker.get_account().cash
        booked_cash = sum((b.cash for b in books.books.values()), Decimal(0))
        assert abs(booked_cash - cash) < Decimal("0.01")
    return rebalanced, gld_traded


def test_books_add_up_to_the_broker_and_the_monthly_strategy_trades_only_at_its_boundary(
    tmp_path: Path,
) -> None:
    rebalanced, gld_traded = _sessions(tmp_path)
    assert rebalanced["daily"] == DAYS
    assert rebalanced["monthly"] == ["2026-01-27", "2026-02-02"]  # its first run, then February's first
    assert gld_traded == ["2026-01-27", "2026-02-02"]  # only the monthly strategy holds GLD


def test_a_corridor_set_in_the_config_holds_the_strategy_while_its_band_is_not_crossed(
    tmp_path: Path,
) -> None:
    rebalanced, gld_traded = _sessions(tmp_path, ", rebalance: 'threshold:0.3'")
    assert rebalanced["daily"] == DAYS
    assert rebalanced["monthly"] == ["2026-01-27"]  # the initial investment; a week never drifts 30 points
    assert gld_traded == ["2026-01-27"]


def test_a_hand_trade_is_reconciled_into_the_books_and_reported(tmp_path: Path) -> None:
    rebalanced, _ = _sessions(tmp_path, hand_trade_on="2026-01-29")  # books == broker asserted every day
    assert rebalanced["monthly"] == ["2026-01-27", "2026-02-02"]  # the hand trade does not make it trade
