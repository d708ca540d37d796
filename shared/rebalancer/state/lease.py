"""The run lease: its stored record and the rule every Store backend applies (memory, disk, DynamoDB).

A backend reads the current record, asks `decide_lease` (to take it), `extend` (to renew or release it)
or `complete` (to mark it done)
and writes the result atomically (a lock, a mutex file, or a conditional write): the decision itself is
written once, here.

    >>> key = RunKey("paper", dt.date(2026, 1, 5), "open")
    >>> now = dt.datetime(2026, 1, 5, 14, 35, tzinfo=dt.UTC)
    >>> outcome, record = decide_lease(None, key, "a", now, dt.timedelta(minutes=7))
    >>> outcome.status.value, record.attempt
    ('acquired', 1)
    >>> decide_lease(record, key, "b", now, dt.timedelta(minutes=7))[0].status.value
    'held'
    >>> complete(record, key, "a", "completed").final_status
    'completed'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rebalancer.errors import StateError
from rebalancer.state.base import JsonDict, LeaseOutcome, LeaseStatus, RunKey, check_aware


@dataclass(frozen=True)
class LeaseRecord:
    """The stored lease: shared by the memory and disk backends."""

    owner: str
    attempt: int
    expires_at: dt.datetime
    final_status: str | None = None

    def to_dict(self) -> JsonDict:
        return {
            "owner": self.owner,
            "attempt": self.attempt,
            "expires_at": self.expires_at.isoformat(),
            "final_status": self.final_status,
        }

    @classmethod
    def from_dict(cls, data: JsonDict) -> LeaseRecord:
        return cls(
            owner=str(data["owner"]),
            attempt=int(data["attempt"]),
            expires_at=dt.datetime.fromisoformat(str(data["expires_at"])),
            final_status=None if data.get("final_status") is None else str(data["final_status"]),
        )


# Final statuses that placed no order: a rerun (acquire_lease(reopen=True)) may take the day's run again.
REOPENABLE = frozenset({"failed", "data-gate-failed", "halted", "skipped-late", "account-busy"})


def decide_lease(
    current: LeaseRecord | None,
    key: RunKey,
    owner: str,
    now: dt.datetime,
    ttl: dt.timedelta,
    *,
    reopen: bool = False,
) -> tuple[LeaseOutcome, LeaseRecord | None]:
    """The lease rule, shared by backends: the outcome and the record to store (None = keep current).

    `reopen` (an operator's rerun): a run that finished with a status in REOPENABLE is taken again as
    RESUMED (attempt + 1), so its journals are settled and no leg is ever placed twice.
    """
    check_aware(now)
    expires = now + ttl
    if current is None:
        return LeaseOutcome(LeaseStatus.ACQUIRED, key, owner, 1, expires), LeaseRecord(owner, 1, expires)
    if reopen and current.final_status in REOPENABLE:
        attempt = current.attempt + 1
        return LeaseOutcome(LeaseStatus.RESUMED, key, owner, attempt, expires), LeaseRecord(
            owner, attempt, expires
        )
    if current.final_status is not None:
        outcome = LeaseOutcome(
            LeaseStatus.COMPLETED, key, current.owner, current.attempt, None, current.final_status
        )
        return outcome, None
    if now < current.expires_at:
        return LeaseOutcome(LeaseStatus.HELD, key, current.owner, current.attempt, current.expires_at), None
    attempt = current.attempt + 1
    return LeaseOutcome(LeaseStatus.RESUMED, key, owner, attempt, expires), LeaseRecord(
        owner, attempt, expires
    )


def extend(current: LeaseRecord | None, key: RunKey, owner: str, expires_at: dt.datetime) -> LeaseRecord:
    """The owner's unfinished lease with a new expiry (later: renew; long ago: release); else lease-lost."""
    check_aware(expires_at)
    if current is None or current.owner != owner or current.final_status is not None:
        raise lease_lost(key, owner, current)
    return LeaseRecord(owner, current.attempt, expires_at)


def complete(current: LeaseRecord | None, key: RunKey, owner: str, status: str) -> LeaseRecord:
    """The completed record to store; StateError `lease-lost` unless `owner` holds an open lease."""
    if current is None or current.owner != owner or current.final_status is not None:
        raise lease_lost(key, owner, current)
    return LeaseRecord(owner, current.attempt, current.expires_at, status)


def lease_lost(key: RunKey, owner: str, current: LeaseRecord | None) -> StateError:
    holder = "nobody" if current is None else current.owner
    return StateError(
        f"run {key.run_id}: lease is held by {holder}, not {owner}",
        code="lease-lost",
        hint="another invocation took over this run after the lease expired; check the ledger",
    )
