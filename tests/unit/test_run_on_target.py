"""A run ends `completed` only on target; exits are never blocked by the order notional cap.

Regressions (issue 10): a position worth more than max_order_notional could not be sold at all, and the
run reported it as "portfolio already on target" (completed, exit 0, no alert).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from run_fakes import FakeBroker, et, make_ports, make_settings

from rebalancer.portfolio.risk_limits import RiskLimits
from rebalancer.run import RunStatus, run
from rebalancer.run.on_target import off_target
from rebalancer_research.market.synthetic import synthetic_market

DAY = "2026-01-05"
HISTORY = synthetic_market(["SPY", "TLT", "BIL", "GLD", "XOM"], end=dt.date(2026, 1, 2), sessions=300)


def _all_in_xom() -> FakeBroker:
    prices = {s: Decimal(repr(float(HISTORY.close[-1, i]))) for i, s in enumerate(HISTORY.symbols)}
    broker = FakeBroker(prices)
    shares = (broker.cash / prices["XOM"]).to_integral_value()
    broker.positions = {"XOM": shares}
    broker.cash -= shares * prices["XOM"]
    return broker


def test_a_position_larger_than_the_order_cap_is_still_exited(tmp_path: Path) -> None:
    broker = _all_in_xom()
    now = et(DAY)
    ports, _ = make_ports(broker, HISTORY, now)
    limits = RiskLimits(max_order_notional=Decimal(60_000))
    result = run(make_settings(tmp_path, risk_limits=limits), ports, now)
    assert "XOM" not in broker.holdings_value()
    assert result.status is RunStatus.COMPLETED, result.report
    assert "already on target" not in result.message


def test_a_run_left_off_target_by_a_denial_is_partial_and_alerts(tmp_path: Path) -> None:
    broker = _all_in_xom()
    now = et(DAY)
    ports, _ = make_ports(broker, HISTORY, now)
    limits = RiskLimits(max_orders_per_run=1)  # the exit goes, every buy is denied: all cash
    result = run(make_settings(tmp_path, risk_limits=limits), ports, now)
    assert result.status is RunStatus.PARTIAL, result.report
    assert "off target" in result.message
    assert "GLD" in result.report
    assert any("ALERT" in subject for subject, _ in ports.notifier.messages)


def test_within_tolerance_is_on_target_and_one_whole_share_is_tolerated() -> None:
    weights = {"A": Decimal("0.5"), "B": Decimal("0.5")}
    held = {"A": Decimal("495"), "B": Decimal("300")}
    gaps = off_target(weights, Decimal(1000), held, {"B": Decimal(250)}, tolerance=Decimal("0.01"))
    assert gaps == []
    gaps = off_target(weights, Decimal(1000), held, {}, tolerance=Decimal("0.01"))
    assert [g.symbol for g in gaps] == ["B"]


def test_when_reducing_only_positions_above_target_count() -> None:
    weights = {"A": Decimal("0.5")}
    held = {"A": Decimal(0), "B": Decimal(100)}
    gaps = off_target(weights, Decimal(1000), held, {}, tolerance=Decimal("0.01"), buys_allowed=False)
    assert [g.symbol for g in gaps] == ["B"]


def test_the_tolerance_and_the_price_band_come_from_the_config(tmp_path: Path) -> None:
    from rebalancer.config import load_config
    from rebalancer.run.config_bridge import settings_from_config

    path = tmp_path / "c.yaml"
    path.write_text("env: paper\nexecution:\n  target_tolerance: 0.02\n  max_price_ratio: 1.5\n")
    settings = settings_from_config(load_config(path, env={}))
    assert settings.execution.target_tolerance == Decimal("0.02")
    assert settings.execution.max_price_ratio == Decimal("1.5")
