"""In-memory backends for tests and `rebalancer plan`: a Store, a HaltFlag, a Notifier and a fixed Clock.

>>> store = MemoryStore()
>>> store.put_record("paper-2026-01-05-open", "report.txt", b"ok")
'memory://paper-2026-01-05-open/report.txt'
>>> MemoryNotifier().send("subject", "body")
"""

from __future__ import annotations

import copy
import datetime as dt
import threading

from rebalancer.errors import StateError
from rebalancer.state.base import (
    JsonDict,
    LeaseOutcome,
    LedgerEntry,
    RunKey,
    TradingFlag,
    check_aware,
    check_record_name,
)
from rebalancer.state.lease import LeaseRecord, complete, decide_lease, extend


class MemoryStore:
    """A Store in process memory; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._leases: dict[RunKey, LeaseRecord] = {}
        self._ledger: dict[str, LedgerEntry] = {}
        self._risk: dict[str, JsonDict] = {}
        self._books: dict[str, JsonDict] = {}
        self._records: dict[str, dict[str, bytes]] = {}

    # -- lease --------------------------------------------------------------------------------

    def acquire_lease(
        self, key: RunKey, owner: str, now: dt.datetime, ttl: dt.timedelta, *, reopen: bool = False
    ) -> LeaseOutcome:
        with self._lock:
            outcome, record = decide_lease(self._leases.get(key), key, owner, now, ttl, reopen=reopen)
            if record is not None:
                self._leases[key] = record
            return outcome

    def extend_lease(self, key: RunKey, owner: str, expires_at: dt.datetime) -> None:
        with self._lock:
            self._leases[key] = extend(self._leases.get(key), key, owner, expires_at)

    def complete_lease(self, key: RunKey, owner: str, status: str) -> None:
        with self._lock:
            self._leases[key] = complete(self._leases.get(key), key, owner, status)

    def expire_lease(self, key: RunKey) -> None:
        """Test helper: make a held lease look crashed (expired long ago)."""
        with self._lock:
            current = self._leases[key]
            past = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
            self._leases[key] = LeaseRecord(current.owner, current.attempt, past, current.final_status)

    # -- ledger -------------------------------------------------------------------------------

    def record_run(self, entry: LedgerEntry) -> None:
        with self._lock:
            self._ledger[entry.run_id] = entry

    def recent_runs(self, env: str, limit: int = 20) -> list[LedgerEntry]:
        with self._lock:
            mine = [e for e in self._ledger.values() if e.env == env]
        return sorted(mine, key=lambda e: e.started_at, reverse=True)[:limit]

    # -- risk state ---------------------------------------------------------------------------

    def load_risk_state(self, env: str) -> JsonDict | None:
        with self._lock:
            state = self._risk.get(env)
            return None if state is None else copy.deepcopy(state)

    def save_risk_state(self, env: str, state: JsonDict) -> None:
        with self._lock:
            self._risk[env] = copy.deepcopy(state)

    def load_books(self, env: str) -> JsonDict | None:
        with self._lock:
            books = self._books.get(env)
            return None if books is None else copy.deepcopy(books)

    def save_books(self, env: str, books: JsonDict) -> None:
        with self._lock:
            self._books[env] = copy.deepcopy(books)

    # -- records ------------------------------------------------------------------------------

    def put_record(self, run_id: str, name: str, data: bytes) -> str:
        check_record_name(name)
        with self._lock:
            self._records.setdefault(run_id, {})[name] = bytes(data)
        return f"memory://{run_id}/{name}"

    def get_record(self, run_id: str, name: str) -> bytes:
        with self._lock:
            data = self._records.get(run_id, {}).get(name)
        if data is None:
            raise StateError(
                f"run {run_id} has no record {name!r}",
                code="record-missing",
                hint="list the run's records; the run may have stopped before writing it",
            )
        return data

    def list_records(self, run_id: str) -> list[str]:
        with self._lock:
            return sorted(self._records.get(run_id, {}))


class MemoryHaltFlag:
    """A halt flag in memory; `broken=True` makes read() fail like an unreachable SSM."""

    def __init__(self, flag: TradingFlag = TradingFlag.OFF, *, broken: bool = False) -> None:
        self.flag = flag
        self.broken = broken

    def read(self) -> TradingFlag:
        if self.broken:
            raise StateError("halt flag unreadable", code="halt-flag-unreadable", hint="check the store")
        return self.flag

    def write(self, flag: TradingFlag) -> None:
        self.flag = flag


class MemoryNotifier:
    """Keeps every message; tests assert on `messages`."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def send(self, subject: str, body: str) -> None:
        self.messages.append((subject, body))


class FixedClock:
    """A clock that returns a set time until moved."""

    def __init__(self, now: dt.datetime) -> None:
        self._now = check_aware(now)

    def now(self) -> dt.datetime:
        return self._now

    def set(self, now: dt.datetime) -> None:
        self._now = check_aware(now)

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta
