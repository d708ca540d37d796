"""The Store / HaltFlag contract every backend must satisfy (memory, disk; AWS backends too).

To check another backend, append a `Backend` to BACKENDS: a name and a context-manager factory
taking a temporary directory and yielding (store, halt_flag). For example, the DynamoDB/S3/SSM backends:

    @contextlib.contextmanager
    def _aws(tmp):
        with mock_aws():
            ...create table, bucket, parameter...
            yield AwsStore(...), SsmHaltFlag(...)

    BACKENDS.append(Backend("aws", _aws))

Every test below then runs against it (the ids show the backend name).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rebalancer.errors import StateError
from rebalancer.state.base import (
    HaltFlag,
    LeaseStatus,
    LedgerEntry,
    RunKey,
    Store,
    TradingFlag,
)
from rebalancer_tools.local.disk import DiskHaltFlag, DiskStore
from rebalancer_tools.local.memory import MemoryHaltFlag, MemoryStore


@dataclass(frozen=True)
class Backend:
    name: str
    open: Callable[[Path], contextlib.AbstractContextManager[tuple[Any, Any]]]


@contextlib.contextmanager
def _memory(tmp: Path) -> Iterator[tuple[Any, Any]]:
    yield MemoryStore(), MemoryHaltFlag()


@contextlib.contextmanager
def _disk(tmp: Path) -> Iterator[tuple[Any, Any]]:
    yield DiskStore(tmp / "store"), DiskHaltFlag(tmp / "store", "paper")


BACKENDS: list[Backend] = [Backend("memory", _memory), Backend("disk", _disk)]

KEY = RunKey("paper", dt.date(2026, 1, 5), "open")
T0 = dt.datetime(2026, 1, 5, 14, 35, tzinfo=dt.UTC)
TTL = dt.timedelta(minutes=15)


@pytest.fixture(params=BACKENDS, ids=lambda b: b.name)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    with request.param.open(tmp_path) as pair:
        yield pair


@pytest.fixture
def store(backend: tuple[Any, Any]) -> Store:
    return backend[0]  # type: ignore[no-any-return]


@pytest.fixture
def flag(backend: tuple[Any, Any]) -> HaltFlag:
    return backend[1]  # type: ignore[no-any-return]


def test_backends_satisfy_the_protocols(store: Store, flag: HaltFlag) -> None:
    assert isinstance(store, Store)
    assert isinstance(flag, HaltFlag)


def test_first_invocation_acquires_and_a_second_live_one_is_held(store: Store) -> None:
    first = store.acquire_lease(KEY, "a", T0, TTL)
    second = store.acquire_lease(KEY, "b", T0 + dt.timedelta(minutes=1), TTL)
    assert (first.status, first.attempt, first.may_run) == (LeaseStatus.ACQUIRED, 1, True)
    assert (second.status, second.owner, second.may_run) == (LeaseStatus.HELD, "a", False)


def test_an_expired_unfinished_lease_is_resumed_with_the_next_attempt(store: Store) -> None:
    store.acquire_lease(KEY, "a", T0, TTL)
    resumed = store.acquire_lease(KEY, "b", T0 + TTL, TTL)
    assert (resumed.status, resumed.owner, resumed.attempt) == (LeaseStatus.RESUMED, "b", 2)
    again = store.acquire_lease(KEY, "c", T0 + TTL + dt.timedelta(seconds=1), TTL)
    assert again.status is LeaseStatus.HELD


def test_a_completed_run_is_never_run_again(store: Store) -> None:
    store.acquire_lease(KEY, "a", T0, TTL)
    store.complete_lease(KEY, "a", "completed")
    later = store.acquire_lease(KEY, "b", T0 + dt.timedelta(days=2), TTL)
    assert (later.status, later.final_status, later.may_run) == (LeaseStatus.COMPLETED, "completed", False)


def test_the_old_owner_cannot_complete_after_a_takeover(store: Store) -> None:
    store.acquire_lease(KEY, "a", T0, TTL)
    store.acquire_lease(KEY, "b", T0 + TTL, TTL)
    with pytest.raises(StateError) as err:
        store.complete_lease(KEY, "a", "completed")
    assert err.value.code == "lease-lost"
    store.complete_lease(KEY, "b", "completed")


def test_the_owner_renews_its_lease_and_a_released_lease_is_taken_at_once(store: Store) -> None:
    store.acquire_lease(KEY, "a", T0, TTL)
    store.extend_lease(KEY, "a", T0 + 3 * TTL)
    assert store.acquire_lease(KEY, "b", T0 + 2 * TTL, TTL).status is LeaseStatus.HELD
    store.extend_lease(KEY, "a", T0 + dt.timedelta(minutes=1))  # released
    taken = store.acquire_lease(KEY, "b", T0 + dt.timedelta(minutes=1), TTL)
    assert (taken.status, taken.owner) == (LeaseStatus.RESUMED, "b")
    with pytest.raises(StateError) as err:
        store.extend_lease(KEY, "a", T0 + 3 * TTL)
    assert err.value.code == "lease-lost"


def test_a_rerun_reopens_a_run_that_placed_nothing_but_never_a_completed_one(store: Store) -> None:
    store.acquire_lease(KEY, "a", T0, TTL)
    store.complete_lease(KEY, "a", "data-gate-failed")
    plain = store.acquire_lease(KEY, "b", T0 + dt.timedelta(minutes=5), TTL)
    assert plain.status is LeaseStatus.COMPLETED
    rerun = store.acquire_lease(KEY, "b", T0 + dt.timedelta(minutes=5), TTL, reopen=True)
    assert (rerun.status, rerun.attempt) == (LeaseStatus.RESUMED, 2)
    store.complete_lease(KEY, "b", "completed")
    again = store.acquire_lease(KEY, "c", T0 + dt.timedelta(minutes=9), TTL, reopen=True)
    assert again.status is LeaseStatus.COMPLETED


def test_completing_a_lease_nobody_took_fails(store: Store) -> None:
    with pytest.raises(StateError, match="lease"):
        store.complete_lease(KEY, "a", "completed")


def test_leases_are_per_key(store: Store) -> None:
    store.acquire_lease(KEY, "a", T0, TTL)
    other_slot = RunKey("paper", KEY.session_date, "close")
    other_env = RunKey("live", KEY.session_date, "open")
    assert store.acquire_lease(other_slot, "b", T0, TTL).status is LeaseStatus.ACQUIRED
    assert store.acquire_lease(other_env, "b", T0, TTL).status is LeaseStatus.ACQUIRED


def test_concurrent_acquires_have_exactly_one_winner(store: Store) -> None:
    outcomes: list[LeaseStatus] = []
    start = threading.Barrier(6)

    def take(owner: str) -> None:
        start.wait()
        outcomes.append(store.acquire_lease(KEY, owner, T0, TTL).status)

    threads = [threading.Thread(target=take, args=(f"o{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes).count(LeaseStatus.ACQUIRED) == 1
    assert outcomes.count(LeaseStatus.HELD) == 5


def test_naive_time_is_refused(store: Store) -> None:
    with pytest.raises(StateError, match="timezone"):
        store.acquire_lease(KEY, "a", dt.datetime(2026, 1, 5, 9, 35), TTL)


def _entry(run_id: str, day: int, env: str = "paper", status: str = "completed") -> LedgerEntry:
    return LedgerEntry(
        run_id=run_id,
        env=env,
        session_date=dt.date(2026, 1, day),
        slot="open",
        status=status,
        started_at=dt.datetime(2026, 1, day, 14, 35, tzinfo=dt.UTC),
        finished_at=dt.datetime(2026, 1, day, 14, 36, tzinfo=dt.UTC),
        orders_submitted=3,
        message="ok",
    )


def test_ledger_lists_newest_first_per_env_and_replaces_by_run_id(store: Store) -> None:
    for day in (5, 7, 6):
        store.record_run(_entry(f"paper-{day}", day))
    store.record_run(_entry("live-6", 6, env="live"))
    store.record_run(_entry("paper-6", 6, status="failed"))
    runs = store.recent_runs("paper", limit=10)
    assert [r.run_id for r in runs] == ["paper-7", "paper-6", "paper-5"]
    assert runs[1].status == "failed"
    assert runs[0] == _entry("paper-7", 7)
    assert [r.run_id for r in store.recent_runs("paper", limit=1)] == ["paper-7"]
    assert store.recent_runs("nowhere") == []


def test_risk_state_is_none_until_saved_then_round_trips(store: Store) -> None:
    assert store.load_risk_state("paper") is None
    state = {"high_water_mark": "100123.45", "day_start_equity": "99000", "history": [1, 2]}
    store.save_risk_state("paper", state)
    state["history"].append(3)  # the store keeps its own copy
    assert store.load_risk_state("paper") == {
        "high_water_mark": "100123.45",
        "day_start_equity": "99000",
        "history": [1, 2],
    }
    assert store.load_risk_state("live") is None


def test_books_are_none_until_saved_then_round_trip_per_environment(store: Store) -> None:
    assert store.load_books("paper") is None
    books = {"as_of": "2026-01-05", "books": {"tecl": {"shares": {"TECL": "1.5"}, "cash": "10.25"}}}
    store.save_books("paper", books)
    books["books"]["tecl"]["cash"] = "0"  # the store keeps its own copy
    assert store.load_books("paper") == {
        "as_of": "2026-01-05",
        "books": {"tecl": {"shares": {"TECL": "1.5"}, "cash": "10.25"}},
    }
    assert store.load_books("live") is None
    store.save_books("paper", {"as_of": "2026-01-06", "books": {}})
    assert store.load_books("paper") == {"as_of": "2026-01-06", "books": {}}


def test_records_round_trip_overwrite_and_list(store: Store) -> None:
    run = KEY.run_id
    assert store.list_records(run) == []
    location = store.put_record(run, "plan.json", b'{"a": 1}')
    store.put_record(run, "bars.npz", b"\x00\x01binary")
    store.put_record(run, "plan.json", b'{"a": 2}')
    assert location
    assert store.get_record(run, "plan.json") == b'{"a": 2}'
    assert store.get_record(run, "bars.npz") == b"\x00\x01binary"
    assert store.list_records(run) == ["bars.npz", "plan.json"]


def test_a_missing_record_is_a_typed_error(store: Store) -> None:
    with pytest.raises(StateError) as err:
        store.get_record(KEY.run_id, "nothing.json")
    assert err.value.code == "record-missing"


@pytest.mark.parametrize("name", ["../escape", "a/b", "", ".hidden"])
def test_record_names_are_plain_file_names(store: Store, name: str) -> None:
    with pytest.raises(StateError):
        store.put_record(KEY.run_id, name, b"x")


def test_halt_flag_defaults_off_and_round_trips(flag: HaltFlag) -> None:
    assert flag.read() is TradingFlag.OFF
    for value in (TradingFlag.HALT, TradingFlag.REDUCE, TradingFlag.OFF):
        flag.write(value)
        assert flag.read() is value


def test_flag_text_is_parsed_strictly() -> None:
    assert TradingFlag.parse(" Reduce\n") is TradingFlag.REDUCE
    with pytest.raises(StateError) as err:
        TradingFlag.parse("stop")
    assert err.value.code == "halt-flag-invalid"


def test_run_keys_refuse_unsafe_names() -> None:
    with pytest.raises(StateError):
        RunKey("../etc", KEY.session_date)
    assert KEY.run_id == "paper-2026-01-05-open"
