"""run() end to end through the real Alpaca adapters against the in-process emulator."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.config.loader import load_config_with_sources
from rebalancer.run import RunSettings, RunStatus, run
from rebalancer.run.config_bridge import settings_from_config
from rebalancer.run.holds import account_key
from rebalancer.state.base import RunKey
from rebalancer_emulator import EmulatorConfig
from rebalancer_tools.local.disk import DiskHaltFlag, DiskNotifier, DiskStore
from rebalancer_tools.local.emulator_session import BrokerSession, emulator_session
from rebalancer_tools.local.memory import MemoryHaltFlag, MemoryNotifier, MemoryStore

pytestmark = pytest.mark.integration

AT = dt.datetime(2026, 11, 2, 14, 35, tzinfo=dt.UTC)  # Monday 09:35 ET
SYMBOLS = {"SPY", "QQQ", "TLT", "BIL", "GLD", "SQQQ", "TQQQ", "UVXY", "XLK", "AAPL"}


def _settings(
    tmp_path: Path, allocations: str = "nuclear: {allocation: 0.6}\n  tecl: {allocation: 0.4}"
) -> RunSettings:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"env: paper\nstrategies:\n  {allocations}\ndata:\n  lookback_sessions: 250\n"
        "execution:\n  fill_timeout_seconds: 20\n"
    )
    return settings_from_config(load_config_with_sources(path))


def _symbols(settings: RunSettings) -> set[str]:
    from rebalancer.strategies import load_strategies, needed_symbols

    return needed_symbols(load_strategies(settings.strategies)) | {"AAPL"}


def _ports(session: BrokerSession, store: object = None):
    return session.ports(store or MemoryStore(), MemoryHaltFlag(), MemoryNotifier())  # type: ignore[arg-type]


def _weights_held(session: BrokerSession) -> dict[str, float]:
    account = session.broker.get_account()
    return {p.symbol: float(p.market_value / account.equity) for p in session.broker.get_positions()}


def test_a_multi_strategy_run_reaches_its_targets(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with emulator_session(at=AT, symbols=_symbols(settings), sessions=400) as session:
        session.emulator.state.seed_position("AAPL", Decimal(30), Decimal(100))
        store = DiskStore(tmp_path / "store")
        ports = session.ports(store, DiskHaltFlag(tmp_path / "store"), DiskNotifier(tmp_path / "store"))
        result = run(settings, ports, session.now())
        assert result.status is RunStatus.COMPLETED, result.report
        held = _weights_held(session)
        assert "AAPL" not in held
        for symbol, weight in result.targets.items():
            assert held[symbol] == pytest.approx(weight * 0.98, abs=0.01), symbol
        assert set(held) == set(result.targets)
        assert store.recent_runs("paper")[0].status == "completed"
        assert (tmp_path / "store" / "outbox").is_dir()


def test_faults_on_order_submission_never_duplicate_an_order(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with emulator_session(at=AT, symbols=_symbols(settings), sessions=400) as session:
        session.emulator.state.seed_position("AAPL", Decimal(30), Decimal(100))
        faults = session.emulator.faults
        faults.rate_limit("submit_order", times=2, reset_in=0.2)
        faults.server_error("submit_order", status=502, times=1)
        faults.lose_response("submit_order", how="504", times=1)
        faults.lose_response("submit_order", how="reset", times=1)
        faults.server_error("orders", status=500, times=1)
        result = run(settings, _ports(session), session.now())
        assert result.status is RunStatus.COMPLETED, result.report
        per_id = Counter(o.client_order_id for o in session.emulator.state.orders)
        assert per_id
        assert max(per_id.values()) == 1
        per_leg = Counter((o.symbol, o.side) for o in session.emulator.state.orders)
        assert max(per_leg.values()) == 1


def test_non_fractionable_assets_trade_whole_shares_and_a_buying_power_refusal_is_re_sized(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    config = EmulatorConfig(non_fractionable=frozenset(_symbols(settings)))
    with emulator_session(at=AT, symbols=_symbols(settings), sessions=400, config=config) as session:
        session.emulator.faults.reject_orders(1, message="insufficient buying power", status=403)
        result = run(settings, _ports(session), session.now())
        assert [o for o in result.outcomes if o.order is None] == []
        [note] = [w for w in result.warnings if "refused for buying power" in w]
        assert "re-sized" in note
        placed = [o for o in result.outcomes if o.order is not None]
        assert placed
        assert all(o.qty is not None and o.qty == o.qty.to_integral_value() for o in placed)
        ids = [o.client_order_id for o in session.emulator.state.orders]
        assert len(ids) == len(set(ids))


def test_a_refusal_that_persists_is_reported_partial(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    config = EmulatorConfig(non_fractionable=frozenset(_symbols(settings)))
    with emulator_session(at=AT, symbols=_symbols(settings), sessions=400, config=config) as session:
        session.emulator.faults.reject_orders(20, message="account is restricted", status=403)
        result = run(settings, _ports(session), session.now())
        assert result.status is RunStatus.PARTIAL
        refused = [o for o in result.outcomes if o.order is None]
        assert refused
        assert all("account is restricted" in o.error for o in refused)


@pytest.mark.parametrize("fault", ["missing", "stale"])
def test_missing_or_stale_bars_place_no_orders_and_alert(tmp_path: Path, fault: str) -> None:
    settings = _settings(tmp_path)
    with emulator_session(at=AT, symbols=_symbols(settings), sessions=400) as session:
        if fault == "missing":
            session.emulator.faults.missing_bars("SPY")
        else:
            session.emulator.faults.stale_bars("SPY", sessions=2)
        ports = _ports(session)
        result = run(settings, ports, session.now())
        assert result.status is RunStatus.DATA_GATE_FAILED, result.message
        assert session.emulator.state.orders == []
        assert any("ALERT" in subject for subject, _ in ports.notifier.messages)  # type: ignore[attr-defined]


class Crash(Exception):
    pass


def test_a_killed_run_resumes_through_the_adapters_without_duplicates(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    store = MemoryStore()
    with emulator_session(at=AT, symbols=_symbols(settings), sessions=400) as session:
        session.emulator.state.seed_position("AAPL", Decimal(30), Decimal(100))
        ports = _ports(session, store)

        def crash(step: str) -> None:
            if step == "sells-filled":
                raise Crash(step)

        ports.on_step = crash
        with pytest.raises(Crash):
            run(settings, ports, session.now())
        key = RunKey("paper", dt.date(2026, 11, 2), "market-open")
        store.expire_lease(key)
        store.expire_lease(account_key(key))  # the account lock runs out with the run's lease
        result = run(settings, _ports(session, store), session.now())
        assert result.status is RunStatus.COMPLETED, result.report
        assert result.attempt == 2
        per_leg = Counter((o.symbol, o.side) for o in session.emulator.state.orders)
        assert max(per_leg.values()) == 1


def test_a_halted_account_places_nothing(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with emulator_session(at=AT, symbols=_symbols(settings), sessions=400) as session:
        ports = _ports(session)
        ports.halt_flag.write(ports.halt_flag.read().__class__("halt"))
        result = run(settings, ports, session.now())
        assert result.status is RunStatus.HALTED
        assert session.emulator.request_log.count("submit_order") == 0
