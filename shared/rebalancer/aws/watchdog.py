"""The watchdog: after the run's window, alert when the session has no completed run (never silent).

A holiday is fine when the run recorded it (`no-session`); no ledger entry at all means the scheduled
invocation never ran or died before recording, which is exactly what must not go unnoticed.

    >>> verdict = check_session(store, "paper", now)   # doctest: +SKIP
    >>> verdict.ok, verdict.message                      # doctest: +SKIP
    (False, 'no run was recorded for 2026-11-23 ...')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rebalancer.state.base import Ledger

RAN_STATUSES = frozenset({"completed", "partial", "no-session"})


@dataclass(frozen=True)
class Verdict:
    ok: bool
    session_date: dt.date
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "session_date": self.session_date.isoformat(), "message": self.message}


def check_session(ledger: Ledger, env: str, now: dt.datetime) -> Verdict:
    from rebalancer.run.settings import NEW_YORK

    today = now.astimezone(NEW_YORK).date()
    runs = [
        r
        for r in ledger.recent_runs(env, limit=20)
        if r.session_date == today and not r.slot.endswith("-plan")
    ]
    done = [r for r in runs if r.status in RAN_STATUSES]
    if done:
        return Verdict(True, today, f"run {done[0].run_id} {done[0].status}")
    if runs:
        last = runs[0]
        return Verdict(
            False,
            today,
            f"no completed run for {today}: run {last.run_id} ended {last.status}: {last.message}",
        )
    return Verdict(
        False,
        today,
        f"no run was recorded for {today}: the scheduled invocation never ran or died before recording "
        "(check the schedule, the dead-letter queue and the function's errors)",
    )
