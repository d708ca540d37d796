"""A typo ticker in a deployed strategy: the live run refuses before any order and names the file to fix.

Regression (issue 15): the run said only "Alpaca returned no daily bars for SPYY", leaving the operator to
search every strategy file for it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rebalancer.config.loader import load_config_with_sources
from rebalancer.run import RunStatus, run
from rebalancer.run.config_bridge import settings_from_config
from rebalancer_tools.local.emulator_session import emulator_session
from rebalancer_tools.local.memory import MemoryHaltFlag, MemoryNotifier, MemoryStore

pytestmark = pytest.mark.integration

AT = dt.datetime(2026, 11, 2, 14, 35, tzinfo=dt.UTC)  # Monday 09:35 ET


def test_a_typo_ticker_fails_the_run_naming_the_symbol_and_its_file(tmp_path: Path) -> None:
    (tmp_path / "good.clj").write_text('(defsymphony "Good" {} (asset "TLT"))\n')
    (tmp_path / "typo.clj").write_text(
        '(defsymphony "Typo" {} (weight-equal [(asset "SPY") (asset "SPYY")]))\n'
    )
    (tmp_path / "config.yaml").write_text(
        "env: paper\nstrategies:\n  good: {allocation: 0.5, source: good.clj}\n"
        "  typo: {allocation: 0.5, source: typo.clj}\ndata:\n  lookback_sessions: 100\n"
    )
    settings = settings_from_config(load_config_with_sources(tmp_path / "config.yaml"))
    with emulator_session(at=AT, symbols={"SPY", "TLT"}, sessions=300) as session:
        notifier = MemoryNotifier()
        result = run(settings, session.ports(MemoryStore(), MemoryHaltFlag(), notifier), session.now())

        assert result.status is RunStatus.DATA_GATE_FAILED
        assert f"SPYY (in {tmp_path / 'typo.clj'})" in result.message
        assert "good.clj" not in result.message
        assert "check the ticker SPYY" in result.message
        assert session.emulator.state.orders_by_client_id == {}
        assert any("SPYY" in body and "typo.clj" in body for _, body in notifier.messages)
