"""The emulator's simulated clock and its NYSE calendar.

The clock runs forward in real time from the instant it was set, unless frozen; tests freeze it and move it
by hand. Naive datetimes and strings are read as America/New_York wall-clock time ("it is 09:35 ET").

    >>> clock = SimClock("2024-11-29 09:35", frozen=True)
    >>> clock.advance(dt.timedelta(seconds=30)).isoformat()
    '2024-11-29T14:35:30+00:00'
    >>> cal = MarketCalendar(dt.date(2024, 11, 1), dt.date(2024, 12, 31))
    >>> cal.session(dt.date(2024, 11, 29)).close.hour   # early close: 13:00 ET is 18:00 UTC
    18
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import warnings
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from rebalancer.errors import ConfigError

NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC

_CALENDAR_MARGIN = dt.timedelta(days=400)


def parse_instant(value: dt.datetime | str) -> dt.datetime:
    """An aware UTC datetime from a datetime or ISO string; naive values are New York wall-clock time."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(
                f"not an ISO date-time: {value!r}",
                code="emulator-bad-time",
                hint="write e.g. 2024-11-29T09:35 (New York time) or 2024-11-29T14:35:00Z",
            ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=NEW_YORK)
    return value.astimezone(UTC)


class SimClock:
    """A settable clock: real time flows from an anchor unless frozen. Thread-safe."""

    def __init__(self, start: dt.datetime | str | None = None, *, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._anchor = parse_instant(start) if start is not None else dt.datetime.now(UTC)
        self._anchor_real = time.monotonic()
        self._frozen = frozen

    @property
    def frozen(self) -> bool:
        return self._frozen

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now_locked()

    def _now_locked(self) -> dt.datetime:
        if self._frozen:
            return self._anchor
        return self._anchor + dt.timedelta(seconds=time.monotonic() - self._anchor_real)

    def set(self, instant: dt.datetime | str) -> dt.datetime:
        """Jump to `instant` (naive or string: New York time); returns the new now."""
        with self._lock:
            self._anchor = parse_instant(instant)
            self._anchor_real = time.monotonic()
            return self._anchor

    def advance(self, delta: dt.timedelta | float) -> dt.datetime:
        """Move forward by a timedelta or a number of seconds; returns the new now."""
        step = delta if isinstance(delta, dt.timedelta) else dt.timedelta(seconds=delta)
        with self._lock:
            self._anchor = self._now_locked() + step
            self._anchor_real = time.monotonic()
            return self._anchor

    def freeze(self) -> dt.datetime:
        with self._lock:
            self._anchor = self._now_locked()
            self._frozen = True
            return self._anchor

    def unfreeze(self) -> dt.datetime:
        with self._lock:
            self._anchor = self._now_locked()
            self._anchor_real = time.monotonic()
            self._frozen = False
            return self._anchor


@dataclass(frozen=True)
class Session:
    """One regular trading session; open and close are aware UTC datetimes."""

    date: dt.date
    open: dt.datetime
    close: dt.datetime


class MarketCalendar:
    """XNYS sessions (holidays, early closes) from exchange_calendars, widened on demand. Thread-safe."""

    def __init__(self, start: dt.date, end: dt.date) -> None:
        self._lock = threading.Lock()
        self._build(start, end)

    def _build(self, start: dt.date, end: dt.date) -> None:
        import exchange_calendars

        with warnings.catch_warnings():
            # exchange_calendars 4.13 trips a pandas 3.1 deprecation inside its own constructor.
            warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
            cal = exchange_calendars.get_calendar("XNYS", start=start.isoformat(), end=end.isoformat())
        schedule = cal.schedule
        self._start, self._end = start, end
        self._days: npt.NDArray[np.datetime64] = schedule.index.values.astype("datetime64[D]")
        self._opens = _utc_nanos(schedule["open"])
        self._closes = _utc_nanos(schedule["close"])

    def _cover(self, day: dt.date) -> None:
        if self._start <= day <= self._end:
            return
        self._build(min(self._start, day - _CALENDAR_MARGIN), max(self._end, day + _CALENDAR_MARGIN))

    def _session_at(self, index: int) -> Session:
        return Session(
            date=dt.date.fromisoformat(str(self._days[index])),
            open=_from_ns(int(self._opens[index])),
            close=_from_ns(int(self._closes[index])),
        )

    def session(self, day: dt.date) -> Session | None:
        """The session on `day`, or None when the exchange is closed that day."""
        with self._lock:
            self._cover(day)
            pos = int(np.searchsorted(self._days, np.datetime64(day, "D")))
            if pos < len(self._days) and self._days[pos] == np.datetime64(day, "D"):
                return self._session_at(pos)
            return None

    def sessions(self, start: dt.date, end: dt.date) -> list[Session]:
        with self._lock:
            self._cover(start)
            self._cover(end)
            lo = int(np.searchsorted(self._days, np.datetime64(start, "D"), side="left"))
            hi = int(np.searchsorted(self._days, np.datetime64(end, "D"), side="right"))
            return [self._session_at(i) for i in range(lo, hi)]

    def current_or_next(self, instant: dt.datetime) -> Session:
        """The session open at `instant`, else the next one to open."""
        with self._lock:
            ns = _to_ns(instant)
            self._cover(instant.astimezone(NEW_YORK).date() + dt.timedelta(days=15))
            pos = int(np.searchsorted(self._closes, ns, side="right"))
            return self._session_at(pos)

    def next_after(self, session: Session) -> Session:
        return self.current_or_next(session.close)

    def last_closed(self, instant: dt.datetime) -> Session | None:
        """The latest session whose close is at or before `instant` (None before the calendar starts)."""
        with self._lock:
            self._cover(instant.astimezone(NEW_YORK).date())
            pos = int(np.searchsorted(self._closes, _to_ns(instant), side="right")) - 1
            return self._session_at(pos) if pos >= 0 else None

    def is_open(self, instant: dt.datetime) -> bool:
        session = self.current_or_next(instant)
        return session.open <= instant < session.close


def _utc_nanos(column: pd.Series) -> npt.NDArray[np.int64]:
    naive = column.dt.tz_convert("UTC").dt.tz_localize(None)
    return np.asarray(naive.to_numpy().astype("datetime64[ns]").astype(np.int64))


def _to_ns(instant: dt.datetime) -> int:
    delta = instant.astimezone(UTC) - dt.datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def _from_ns(ns: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=ns // 1000)
