"""A run that crashes after its sells and is resumed books the crashed attempt's fills to the strategies
the journal (books.json) recorded, not by reconciling positions its own orders already moved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from run_fakes import FakeBroker, et, expire_leases, make_ports, make_settings

from rebalancer.portfolio.books import Books
from rebalancer.run import RunStatus, run
from rebalancer.run.ports import Ports
from rebalancer.state.base import RunKey
from rebalancer.strategies import StrategySpec
from rebalancer_research.market.synthetic import synthetic_market
from rebalancer_tools.local.memory import MemoryStore

HISTORY = synthetic_market(["SPY", "TLT", "XOM"], end=dt.date(2026, 1, 5), sessions=120)
DAY1, DAY2 = "2026-01-05", "2026-01-06"


class Crash(Exception):
    """Stands for the process dying."""


def _symphony(symbol: str) -> str:
    return f'(defsymphony "s" {{:rebalance-frequency :daily}} (weight-equal [(asset "{symbol}")]))'


def _settings(tmp_path: Path, a_holds: str):  # type: ignore[no-untyped-def]
    (tmp_path / "a.clj").write_text(_symphony(a_holds))
    (tmp_path / "b.clj").write_text(_symphony("SPY"))
    specs = (StrategySpec("a", tmp_path / "a.clj", 0.5), StrategySpec("b", tmp_path / "b.clj", 0.5))
    return make_settings(tmp_path, strategies=specs)


def _ports(broker: FakeBroker, store: MemoryStore, day: str, crash_at: str | None = None) -> Ports:
    ports, _ = make_ports(broker, HISTORY, et(day))
    ports.store = store

    def hook(step: str) -> None:
        if step == crash_at:
            raise Crash(step)

    ports.on_step = hook
    return ports


def _two_days(tmp_path: Path, crash_at: str | None) -> tuple[Books, FakeBroker]:
    prices = {s: Decimal(repr(float(HISTORY.close[-1, i]))) for i, s in enumerate(HISTORY.symbols)}
    broker, store = FakeBroker(prices), MemoryStore()
    first = run(_settings(tmp_path, "XOM"), _ports(broker, store, DAY1), et(DAY1))
    assert first.status is RunStatus.COMPLETED, first.report
    settings = _settings(tmp_path, "TLT")  # strategy a now wants TLT: sells its XOM
    if crash_at:
        with pytest.raises(Crash):
            run(settings, _ports(broker, store, DAY2, crash_at), et(DAY2))
        expire_leases(store, RunKey("paper", dt.date.fromisoformat(DAY2), "open"))  # lease and lock
    second = run(settings, _ports(broker, store, DAY2), et(DAY2, "09:50"))
    assert second.status is RunStatus.COMPLETED, second.report
    return Books.from_dict(store.load_books("paper") or {}), broker


@pytest.mark.parametrize("step", ["sells-filled", "buys-filled"])
def test_a_resumed_run_books_the_fills_as_an_uninterrupted_one(tmp_path: Path, step: str) -> None:
    (tmp_path / "ref").mkdir()
    (tmp_path / "crash").mkdir()
    reference, _ = _two_days(tmp_path / "ref", None)
    resumed, broker = _two_days(tmp_path / "crash", step)
    assert resumed.total_shares() == {s: q for s, q in broker.positions.items() if q}
    for name in ("a", "b"):
        ref, got = reference.books[name], resumed.books[name]
        assert set(got.shares) == set(ref.shares), name
        for symbol, qty in ref.shares.items():
            assert got.shares[symbol] == pytest.approx(qty, rel=1e-6), (name, symbol)
        assert got.cash == pytest.approx(ref.cash, abs=0.05), name
    assert set(resumed.books["a"].shares) == {"TLT"}
    assert set(resumed.books["b"].shares) == {"SPY"}
