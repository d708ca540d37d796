"""The leases a trading run holds: its own run lease and the account-wide lock, bound to the time left.

- One trader per account: every slot's run first takes the account lock, a lease on the key
  (env, session date, ACCOUNT_SLOT) in the same store as the run lease. A run of another slot that finds
  it held does nothing (`account-busy`, alert, nothing recorded against the lease: invoke it again later).
- Both leases last as long as the function can still run (the Lambda context's remaining time) plus a
  margin, so a crashed run is resumed soon after the function died and never while it may still be
  alive; without a context they last `schedule.lease_ttl`.
- Before each submission phase both are renewed (`renew`); a run that cannot renew them, or has too little
  time left for the phase's fill wait, stops before submitting (StateError `lease-lost`/`time-short`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rebalancer.errors import StateError
from rebalancer.run.context import RunContext
from rebalancer.state.base import LeaseOutcome, RunKey

ACCOUNT_SLOT = "account-lock"
# The function may still be writing records this long after its remaining time reads zero.
LEASE_MARGIN_S = 30.0
# A released lock expired long ago: whatever clock the next run reads (an emulator's may lag), it is free.
RELEASED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
# A submission phase needs its fill wait plus this long for submits, cancels and records.
PHASE_OVERHEAD_S = 20.0


def account_key(key: RunKey) -> RunKey:
    return RunKey(key.env, key.session_date, ACCOUNT_SLOT)


@dataclass
class Holds:
    ctx: RunContext
    account_held: bool = False

    @property
    def lock_owner(self) -> str:
        """Distinct per run key: two slots never share the lock even under one process owner."""
        return f"{self.ctx.key.slot}:{self.ctx.ports.owner}"

    def ttl(self) -> dt.timedelta:
        remaining = self.ctx.ports.remaining_s
        if remaining is None:
            return self.ctx.settings.schedule.lease_ttl
        return dt.timedelta(seconds=max(0.0, remaining()) + LEASE_MARGIN_S)

    def take_account(self) -> LeaseOutcome:
        ctx = self.ctx
        now = ctx.ports.clock.now()
        outcome = ctx.ports.store.acquire_lease(account_key(ctx.key), self.lock_owner, now, self.ttl())
        self.account_held = outcome.may_run
        return outcome

    def release_account(self) -> None:
        if not self.account_held:
            return
        ctx = self.ctx
        try:
            ctx.ports.store.extend_lease(account_key(ctx.key), self.lock_owner, RELEASED)
        except StateError as err:  # already taken over after expiry: nothing left to release
            ctx.warn(f"the account lock was not released: {err}")
        self.account_held = False

    def renew(self, phase: str) -> None:
        """Before a submission phase: enough time left, and both leases still ours for that long."""
        ctx = self.ctx
        remaining = ctx.ports.remaining_s
        needed = ctx.settings.execution.fill_timeout_s + PHASE_OVERHEAD_S
        if remaining is not None and remaining() < needed:
            raise StateError(
                f"only {remaining():.0f} s left before the function's timeout; the {phase} phase needs "
                f"{needed:.0f} s: nothing more was submitted",
                code="time-short",
                hint="invoke again after the lease expires: the run resumes and reconciles its orders",
            )
        expires = ctx.ports.clock.now() + self.ttl()
        store = ctx.ports.store
        try:
            store.extend_lease(ctx.key, ctx.ports.owner, expires)
        except StateError:
            ctx.lease_held = False  # the new holder completes it; this attempt must not
            raise
        if self.account_held:
            try:
                store.extend_lease(account_key(ctx.key), self.lock_owner, expires)
            except StateError:
                self.account_held = False
                raise
