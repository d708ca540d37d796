"""An order POST that outlives the client's read timeout and reaches the broker after the re-post was
refused (issue 10): on the emulator, through the real Alpaca adapter and its real timeouts.

Before the fix the leg was recorded `not placed` while the first POST then filled at the broker; now the
refused re-post leaves the outcome unknown, the run looks the order up once the broker has had time to
process the first POST, and the order is in the record, the report and the books.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rebalancer.alpaca.http import Timeouts
from rebalancer.config.loader import load_config_with_sources
from rebalancer.run import RunStatus, run
from rebalancer.run.config_bridge import settings_from_config
from rebalancer.run.settings import ExecutionSettings
from rebalancer_tools.local.emulator_session import emulator_session
from rebalancer_tools.local.memory import MemoryHaltFlag, MemoryNotifier, MemoryStore

pytestmark = pytest.mark.integration

AT = dt.datetime(2026, 11, 2, 14, 35, tzinfo=dt.UTC)  # Monday 09:35 ET
READ_TIMEOUT_S = Timeouts().read  # the adapter gives up on the POST's answer after this
SETTLE_S = ExecutionSettings().settle_s  # the wait before an unknown order is looked up again


def test_a_post_processed_after_its_refused_re_post_is_found_and_recorded(tmp_path: Path) -> None:
    (tmp_path / "one.clj").write_text('(defsymphony "One" {:rebalance-frequency :daily} (asset "SPY"))\n')
    (tmp_path / "config.yaml").write_text(
        "env: paper\nstrategies:\n  one: {allocation: 1.0, source: one.clj}\n"
        "data:\n  lookback_sessions: 100\nexecution:\n  fill_timeout_seconds: 10\n"
    )
    settings = settings_from_config(load_config_with_sources(tmp_path / "config.yaml"))
    with emulator_session(at=AT, symbols={"SPY"}, sessions=300) as session:
        faults = session.emulator.faults
        # The first POST is held past the read timeout and the adapter's immediate lookup, then
        # processed; the re-post, sent meanwhile, is refused.
        faults.latency("submit_order", seconds=READ_TIMEOUT_S + SETTLE_S / 2, times=1)
        faults.reject_orders(1, message="insufficient buying power", status=403)
        ports = session.ports(MemoryStore(), MemoryHaltFlag(), MemoryNotifier())
        result = run(settings, ports, session.now())

        posts = [r for r in session.emulator.request_log.records if r.endpoint == "submit_order"]
        # Arrival order: the held first POST, then the refused re-post; the first is answered last.
        assert [r.status for r in posts] == [200, 403]
        orders = list(session.emulator.state.orders_by_client_id.values())
        assert len(orders) == 1
        assert orders[0].symbol == "SPY"
        assert orders[0].status == "filled"
        [outcome] = result.outcomes
        assert outcome.order is not None, result.report
        assert outcome.order.order_id == orders[0].id
        assert outcome.is_filled
        assert result.status is RunStatus.COMPLETED, result.report
        assert "not placed" not in result.report
