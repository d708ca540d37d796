"""State ports: the halt flag, the run store (lease, ledger, risk state, run records), notifier, clock.

A run needs exactly these capabilities from the outside world besides the broker and market data.
Local backends live in memory.py and disk.py; the AWS backends (SSM, DynamoDB, S3, SNS) implement the
same protocols in their own modules. Every backend must pass tests/unit/test_run_store_contract.py.

    >>> import datetime as dt
    >>> from rebalancer_tools.local.memory import MemoryStore
    >>> store = MemoryStore()
    >>> key = RunKey("paper", dt.date(2026, 1, 5), "open")
    >>> now = dt.datetime(2026, 1, 5, 14, 35, tzinfo=dt.UTC)
    >>> store.acquire_lease(key, "lambda-1", now, dt.timedelta(minutes=15)).status
    <LeaseStatus.ACQUIRED: 'acquired'>
    >>> store.acquire_lease(key, "lambda-2", now, dt.timedelta(minutes=15)).status
    <LeaseStatus.HELD: 'held'>

Risk state is persisted as a JSON document (a plain dict) so that state/ does not depend on the
portfolio package: the run converts it to and from the risk engine's RiskState.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from rebalancer.errors import StateError

JsonDict = dict[str, Any]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_RECORD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class TradingFlag(StrEnum):
    """The operator's switch: trade normally, only reduce (sells), or place no orders at all."""

    OFF = "off"
    REDUCE = "reduce"
    HALT = "halt"

    @classmethod
    def parse(cls, text: str) -> TradingFlag:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise StateError(
                f"halt flag value {text!r} is not one of off, reduce, halt",
                code="halt-flag-invalid",
                hint="set the flag to off, reduce or halt",
            ) from None


class LeaseStatus(StrEnum):
    ACQUIRED = "acquired"  # a fresh lease: this invocation runs
    HELD = "held"  # another live invocation holds it: do nothing
    COMPLETED = "completed"  # this key's run already finished: do nothing
    RESUMED = "resumed"  # a crashed run's expired lease was taken over: reconcile, then finish


@dataclass(frozen=True)
class RunKey:
    """One run slot: at most one run per (env, session date, slot)."""

    env: str
    session_date: dt.date
    slot: str = "open"

    def __post_init__(self) -> None:
        for field_name, value in (("env", self.env), ("slot", self.slot)):
            if not _NAME.match(value):
                raise StateError(
                    f"run key {field_name} {value!r} is not a short name",
                    code="run-key-invalid",
                    hint="use 1-32 letters, digits, '-' or '_'",
                    where=field_name,
                )

    @property
    def run_id(self) -> str:
        return f"{self.env}-{self.session_date.isoformat()}-{self.slot}"


@dataclass(frozen=True)
class LeaseOutcome:
    """What acquire_lease decided. `attempt` counts invocations that took the lease (1 = first)."""

    status: LeaseStatus
    key: RunKey
    owner: str
    attempt: int
    expires_at: dt.datetime | None = None
    final_status: str | None = None  # for COMPLETED: the status the finished run recorded

    @property
    def may_run(self) -> bool:
        return self.status in (LeaseStatus.ACQUIRED, LeaseStatus.RESUMED)


@dataclass(frozen=True)
class LedgerEntry:
    """One line of the run ledger: what a run was and how it ended."""

    run_id: str
    env: str
    session_date: dt.date
    slot: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    attempt: int = 1
    orders_submitted: int = 0
    orders_filled: int = 0
    denials: int = 0
    message: str = ""
    records_location: str = ""

    def to_dict(self) -> JsonDict:
        data = asdict(self)
        data["session_date"] = self.session_date.isoformat()
        data["started_at"] = self.started_at.isoformat()
        data["finished_at"] = None if self.finished_at is None else self.finished_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: JsonDict) -> LedgerEntry:
        values = dict(data)
        values["session_date"] = dt.date.fromisoformat(str(values["session_date"]))
        values["started_at"] = dt.datetime.fromisoformat(str(values["started_at"]))
        finished = values.get("finished_at")
        values["finished_at"] = None if finished is None else dt.datetime.fromisoformat(str(finished))
        for int_field in ("attempt", "orders_submitted", "orders_filled", "denials"):
            if int_field in values:
                values[int_field] = int(values[int_field])
        return cls(**values)


def check_record_name(name: str) -> str:
    """Record names are flat file names (no directories), e.g. 'inputs.json' or 'bars.npz'."""
    if not _RECORD_NAME.match(name) or ".." in name:
        raise StateError(
            f"record name {name!r} is not a plain file name",
            code="record-name-invalid",
            hint="use letters, digits, '.', '-' or '_'",
        )
    return name


def check_aware(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise StateError("time must be timezone-aware", code="naive-time", hint="pass an aware UTC datetime")
    return now


@runtime_checkable
class HaltFlag(Protocol):
    def read(self) -> TradingFlag:
        """The current flag. Raises StateError when unreadable; the run then treats it as HALT."""
        ...

    def write(self, flag: TradingFlag) -> None: ...


@runtime_checkable
class Lease(Protocol):
    def acquire_lease(
        self, key: RunKey, owner: str, now: dt.datetime, ttl: dt.timedelta, *, reopen: bool = False
    ) -> LeaseOutcome:
        """Take the run lease atomically.

        ACQUIRED when nobody had it; HELD when another owner's lease is live (now < expires_at);
        COMPLETED when the key's run already finished; RESUMED when an expired, unfinished lease was
        taken over (attempt = previous attempt + 1), or with `reopen` when the run finished with a
        status that placed no order (lease.REOPENABLE: an operator's rerun).
        """
        ...

    def extend_lease(self, key: RunKey, owner: str, expires_at: dt.datetime) -> None:
        """Move the expiry of `owner`'s unfinished lease (renew: later; release: now).

        StateError(code='lease-lost') when another owner took it over or it finished.
        """
        ...

    def complete_lease(self, key: RunKey, owner: str, status: str) -> None:
        """Mark the key finished with `status`; StateError(code='lease-lost') if `owner` lost it."""
        ...


@runtime_checkable
class Ledger(Protocol):
    def record_run(self, entry: LedgerEntry) -> None:
        """Insert or replace the entry for entry.run_id."""
        ...

    def recent_runs(self, env: str, limit: int = 20) -> list[LedgerEntry]:
        """This env's entries, newest started_at first."""
        ...


@runtime_checkable
class RiskStateStore(Protocol):
    def load_risk_state(self, env: str) -> JsonDict | None:
        """The saved risk state document; None only when none was ever saved (a fact, not a failure)."""
        ...

    def save_risk_state(self, env: str, state: JsonDict) -> None: ...


@runtime_checkable
class BookStore(Protocol):
    """The per-strategy books (rebalancer.portfolio.books), one document per environment."""

    def load_books(self, env: str) -> JsonDict | None:
        """The saved books document; None only when none was ever saved."""
        ...

    def save_books(self, env: str, books: JsonDict) -> None: ...


@runtime_checkable
class RunRecords(Protocol):
    def put_record(self, run_id: str, name: str, data: bytes) -> str:
        """Store one named record of a run (overwriting); returns its location (path or URL)."""
        ...

    def get_record(self, run_id: str, name: str) -> bytes:
        """The record's bytes. StateError(code='record-missing') when absent."""
        ...

    def list_records(self, run_id: str) -> list[str]:
        """Names of the run's records, sorted; empty when the run has none."""
        ...


@runtime_checkable
class Store(Lease, Ledger, RiskStateStore, BookStore, RunRecords, Protocol):
    """Everything a run persists. A backend may implement it in one class or compose smaller ones."""


@runtime_checkable
class Notifier(Protocol):
    def send(self, subject: str, body: str) -> None:
        """Deliver one plain-text message (report or alert). Raises StateError when it cannot."""
        ...


@runtime_checkable
class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Aware UTC now."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class BrokerClock:
    """The broker's own clock (a local emulator's simulated time): any object with get_clock()."""

    def __init__(self, broker: Any) -> None:
        self._broker = broker

    def now(self) -> dt.datetime:
        stamp: dt.datetime = self._broker.get_clock().timestamp
        return stamp.astimezone(dt.UTC)
