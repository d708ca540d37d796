"""Guards: may this invocation trade at all? Halt flag, trading session, time window, run lease.

>>> from rebalancer_tools.local.memory import MemoryHaltFlag
>>> read_flag(MemoryHaltFlag(TradingFlag.REDUCE))
(<TradingFlag.REDUCE: 'reduce'>, '')
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from rebalancer.broker.base import Broker
from rebalancer.broker.models import TradingDay
from rebalancer.errors import StateError
from rebalancer.run.settings import NEW_YORK, ScheduleSettings
from rebalancer.state.base import HaltFlag, TradingFlag


def read_flag(flag: HaltFlag) -> tuple[TradingFlag, str]:
    """The trading flag and a warning; an unreadable flag means HALT (fail closed)."""
    try:
        return flag.read(), ""
    except StateError as err:
        return TradingFlag.HALT, f"halt flag unreadable, treated as halt: {err}"


@dataclass(frozen=True)
class SessionCalendar:
    """The broker's calendar from the start of the lookback to today."""

    today: dt.date
    sessions: tuple[TradingDay, ...]

    @property
    def session(self) -> TradingDay | None:
        """Today's session, or None on weekends and holidays."""
        last = self.sessions[-1] if self.sessions else None
        return last if last is not None and last.date == self.today else None

    @property
    def previous_sessions(self) -> list[dt.date]:
        return [day.date for day in self.sessions if day.date < self.today]

    @property
    def decision_date(self) -> dt.date:
        """The last complete session: the run decides on its close."""
        days = self.previous_sessions
        if not days:
            raise StateError(
                "the broker's calendar has no session before today",
                code="calendar-empty",
                hint="no orders were placed; check the broker's calendar endpoint, then re-run",
            )
        return days[-1]


def fetch_calendar(broker: Broker, today: dt.date, lookback_sessions: int) -> SessionCalendar:
    """One calendar request that covers today and `lookback_sessions` sessions before it."""
    days = math.ceil(lookback_sessions * 7 / 5 * 1.1) + 15
    start = today - dt.timedelta(days=days)
    sessions: Sequence[TradingDay] = broker.get_calendar(start, today)
    ordered = tuple(sorted((d for d in sessions if d.date <= today), key=lambda d: d.date))
    return SessionCalendar(today, ordered)


@dataclass(frozen=True)
class Window:
    ok: bool
    reason: str = ""


def check_window(
    now: dt.datetime,
    session: TradingDay,
    schedule: ScheduleSettings,
    scheduled_at: dt.datetime | None,
    *,
    rerun: bool = False,
) -> Window:
    """Too late after the scheduled time, or after today's (possibly early) close: skip.

    An operator's rerun is deliberate: only the close bounds it."""
    due = scheduled_at or schedule.scheduled_at(session.date)
    late_by = now - due
    if late_by > schedule.max_delay and not rerun:
        return Window(
            False,
            f"invoked {_minutes(late_by)} min after the scheduled {due.astimezone(NEW_YORK):%H:%M} ET "
            f"(allowed {_minutes(schedule.max_delay)} min)",
        )
    if now >= session.close:
        early = " (early close)" if session.is_early_close else ""
        return Window(False, f"the market closed at {session.close.astimezone(NEW_YORK):%H:%M} ET{early}")
    return Window(True)


def _minutes(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 60)
