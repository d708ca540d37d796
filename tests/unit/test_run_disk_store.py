"""Disk-specific behaviour of the local store: corruption, stale locks, the outbox."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from rebalancer.errors import StateError
from rebalancer.state.base import LeaseStatus, RunKey, TradingFlag
from rebalancer_tools.local.disk import DiskHaltFlag, DiskNotifier, DiskStore
from rebalancer_tools.local.memory import FixedClock, MemoryHaltFlag, MemoryNotifier

KEY = RunKey("paper", dt.date(2026, 1, 5))
T0 = dt.datetime(2026, 1, 5, 14, 35, tzinfo=dt.UTC)


def test_a_corrupt_lease_file_is_a_state_error_not_a_free_lease(tmp_path: Path) -> None:
    store = DiskStore(tmp_path)
    store.acquire_lease(KEY, "a", T0, dt.timedelta(minutes=5))
    (tmp_path / "leases" / f"{KEY.run_id}.json").write_text("{half")
    with pytest.raises(StateError) as err:
        store.acquire_lease(KEY, "b", T0, dt.timedelta(minutes=5))
    assert err.value.code == "disk-corrupt"


def test_a_stale_mutex_left_by_a_dead_process_is_broken(tmp_path: Path) -> None:
    store = DiskStore(tmp_path)
    lock = tmp_path / "leases" / f"{KEY.run_id}.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("")
    old = time.time() - 3600
    os.utime(lock, (old, old))
    assert store.acquire_lease(KEY, "a", T0, dt.timedelta(minutes=5)).status is LeaseStatus.ACQUIRED
    assert not lock.exists()


def test_expire_lease_lets_the_next_invocation_resume(tmp_path: Path) -> None:
    store = DiskStore(tmp_path)
    store.acquire_lease(KEY, "a", T0, dt.timedelta(minutes=5))
    store.expire_lease(KEY)
    assert store.acquire_lease(KEY, "b", T0, dt.timedelta(minutes=5)).status is LeaseStatus.RESUMED
    with pytest.raises(StateError):
        DiskStore(tmp_path / "empty").expire_lease(KEY)


def test_records_are_files_in_the_run_folder(tmp_path: Path) -> None:
    store = DiskStore(tmp_path)
    location = store.put_record(KEY.run_id, "report.txt", b"hello")
    assert Path(location) == tmp_path / "runs" / KEY.run_id / "report.txt"
    assert not [p for p in Path(location).parent.iterdir() if p.name.endswith(".tmp")]


def test_a_garbled_halt_flag_file_raises_so_the_run_halts(tmp_path: Path) -> None:
    flag = DiskHaltFlag(tmp_path, "paper")
    flag.path.parent.mkdir(parents=True)
    flag.path.write_text("maybe")
    with pytest.raises(StateError):
        flag.read()
    with pytest.raises(StateError):
        MemoryHaltFlag(TradingFlag.OFF, broken=True).read()


def test_notifiers_keep_every_message(tmp_path: Path) -> None:
    disk = DiskNotifier(tmp_path)
    disk.send("[paper] 2026-01-05 completed", "body one")
    disk.send("[paper] 2026-01-05 alert", "body two")
    files = sorted((tmp_path / "outbox").glob("*.txt"))
    assert len(files) == 2
    assert files[1].read_text().startswith("Subject: [paper] 2026-01-05 alert")
    memory = MemoryNotifier()
    memory.send("s", "b")
    assert memory.messages == [("s", "b")]


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(T0)
    clock.advance(dt.timedelta(seconds=5))
    assert clock.now() == T0 + dt.timedelta(seconds=5)
    with pytest.raises(StateError):
        clock.set(dt.datetime(2026, 1, 5))
