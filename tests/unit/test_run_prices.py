"""Price plausibility: a glitched close never sizes an order; orders are sized from the live price.

Regressions (issue 10): a positive but absurd close (1e-300, 1e308, x100, /100) passed the data gate,
overrode the position's price and sized a whole-share buy 100x too large; and whole-share buys sized at
the previous close were refused all day when the open gapped above it by more than the cash buffer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from run_fakes import FakeBroker, FakeMarketData, et, make_ports, make_settings

from rebalancer.market.history import PriceHistory
from rebalancer.run import RunStatus, run
from rebalancer.run.ports import Ports
from rebalancer.run.prices import check_prices
from rebalancer_research.market.synthetic import synthetic_market

DAY = "2026-01-05"
HISTORY = synthetic_market(["SPY", "TLT", "BIL", "GLD", "XOM"], end=dt.date(2026, 1, 2), sessions=300)


def _prices() -> dict[str, Decimal]:
    return {s: Decimal(repr(float(HISTORY.close[-1, i]))) for i, s in enumerate(HISTORY.symbols)}


def _with_last_close(symbol: str, value: float) -> PriceHistory:
    close = np.array(HISTORY.close)
    close[-1, HISTORY.index_of(symbol)] = value
    return PriceHistory(HISTORY.dates, HISTORY.symbols, close)


@pytest.mark.parametrize("glitch", ["1e-300", "/100", "x100", "1e308"])
def test_a_glitched_close_refuses_the_run_naming_the_symbol_and_both_prices(
    tmp_path: Path, glitch: str
) -> None:
    broker = FakeBroker(_prices())
    broker.non_fractionable = {"GLD"}  # whole shares: the glitch would size the quantity
    broker.positions = {"GLD": Decimal(10)}
    broker.cash -= 10 * broker.prices["GLD"]
    real = float(broker.prices["GLD"])
    glitched = {"/100": real / 100, "x100": real * 100}.get(glitch) or float(glitch)
    now = et(DAY)
    ports, _ = make_ports(broker, HISTORY, now)
    ports.market_data = FakeMarketData(_with_last_close("GLD", glitched), live=lambda: broker.prices)
    result = run(make_settings(tmp_path), ports, now)
    assert result.status is RunStatus.DATA_GATE_FAILED, result.report
    assert broker.submits == []
    assert "price-implausible" in result.message
    assert "GLD" in result.message
    assert str(broker.prices["GLD"]) in result.message
    assert any("ALERT" in subject for subject, _ in ports.notifier.messages)


def test_a_live_price_missing_for_a_traded_symbol_fails_closed(tmp_path: Path) -> None:
    broker = FakeBroker(_prices())
    now = et(DAY)
    ports, _ = make_ports(broker, HISTORY, now)
    ports.market_data = FakeMarketData(
        HISTORY, live=lambda: {s: p for s, p in broker.prices.items() if s != "GLD"}
    )
    result = run(make_settings(tmp_path), ports, now)
    assert result.status is RunStatus.DATA_GATE_FAILED
    assert "price-missing" in result.message
    assert "GLD" in result.message
    assert broker.submits == []


def test_whole_share_buys_are_sized_from_the_live_price_after_a_gap_up(tmp_path: Path) -> None:
    """GLD opens 5% above Friday's close (more than the 2% cash buffer): buys still fit in cash."""
    broker = FakeBroker(_prices())
    broker.non_fractionable = {"GLD", "TLT", "SPY", "BIL"}
    broker.prices["GLD"] = (broker.prices["GLD"] * Decimal("1.05")).quantize(Decimal("0.01"))
    now = et(DAY)
    ports, _ = make_ports(broker, HISTORY, now)
    result = run(make_settings(tmp_path), ports, now)
    assert result.status is RunStatus.COMPLETED, result.report
    assert all(o.is_filled for o in result.outcomes)
    gld = next(o for o in result.outcomes if o.symbol == "GLD")
    assert gld.decision_price == broker.prices["GLD"]


def test_the_band_admits_real_leveraged_etf_moves_and_refuses_glitches() -> None:
    close = {"SOXS": Decimal("10"), "SVXY": Decimal("100")}
    real = {"SOXS": Decimal("22.7"), "SVXY": Decimal("100")}  # SOXS 2025-04-09: x2.27 in a day
    assert check_prices(close, {}, real, Decimal(3)) == []
    tenfold = {"SOXS": Decimal("100"), "SVXY": Decimal("100")}
    [problem] = check_prices(close, {}, tenfold, Decimal(3))
    assert problem.symbol == "SOXS"
    assert problem.code == "price-implausible"


def test_a_position_price_far_from_the_live_price_is_refused() -> None:
    close = {"SPY": Decimal("500")}
    live = {"SPY": Decimal("501")}
    [problem] = check_prices(close, {"SPY": Decimal("5")}, live, Decimal(3))
    assert "position" in problem.detail
    assert "501" in problem.detail


def _whole_shares_jumping_6_percent_after_the_quote() -> tuple[FakeBroker, Ports, dt.datetime]:
    broker = FakeBroker(_prices())
    broker.non_fractionable = {"GLD", "TLT", "SPY", "BIL"}
    now = et(DAY)
    ports, _ = make_ports(broker, HISTORY, now)

    def gap_after_the_quote(step: str) -> None:
        if step == "stale-canceled":
            for symbol in broker.prices:
                broker.prices[symbol] = (broker.prices[symbol] * Decimal("1.06")).quantize(Decimal("0.01"))

    ports.on_step = gap_after_the_quote
    return broker, ports, now


def test_a_whole_share_buy_refused_for_buying_power_is_re_sized_smaller(tmp_path: Path) -> None:
    """The price jumps 6% between the quote and the buy: the refused quantity is re-sized, not retried."""
    broker, ports, now = _whole_shares_jumping_6_percent_after_the_quote()
    result = run(make_settings(tmp_path), ports, now)
    assert [o for o in result.outcomes if o.order is None] == [], result.report
    assert all(o.is_filled for o in result.outcomes), result.report
    assert any("re-sized" in w for w in result.warnings)
    assert broker.cash >= 0


def test_a_collared_buy_refused_for_buying_power_is_re_sized_at_the_new_price_and_limit(
    tmp_path: Path,
) -> None:
    """With price collars the re-sized buy is a limit order too, collared around the price after the jump,
    and sized so its limit (where Alpaca reserves buying power) fits the cash."""
    broker, ports, now = _whole_shares_jumping_6_percent_after_the_quote()
    settings = make_settings(tmp_path)
    collared = replace(settings, execution=replace(settings.execution, price_collar=Decimal("0.01")))
    result = run(collared, ports, now)
    assert any("re-sized" in w for w in result.warnings), result.report
    resent = [r for r in broker.requests if r.client_order_id.endswith("b2")]
    assert resent, [r.client_order_id for r in broker.requests]
    for request in broker.requests:
        assert request.limit_price is not None
        assert request.notional is None
    for request in resent:
        jumped = broker.prices[request.symbol]
        assert jumped <= request.limit_price <= jumped * Decimal("1.01")
    assert broker.cash >= 0
