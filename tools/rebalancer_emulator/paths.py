"""Searching the intraday price path for the first instant a condition holds (a limit becoming marketable,
a stop price being reached), so an order resting between two requests fills when the path says it would.

The path is piecewise linear between the session's open, its quarter and three-quarter points and its close
(prices.path_price), so a condition on the price can only start to hold at one of those points or between two
of them; between two points the first such instant is found by bisection, to the second.

    >>> import datetime as dt
    >>> from rebalancer_emulator.clock import MarketCalendar
    >>> cal = MarketCalendar(dt.date(2024, 11, 1), dt.date(2024, 12, 31))
    >>> start = dt.datetime(2024, 11, 26, 14, 30, tzinfo=dt.UTC)
    >>> at = lambda t: t >= dt.datetime(2024, 11, 26, 18, 0, 7, tzinfo=dt.UTC)
    >>> first_instant(cal, at, start, start + dt.timedelta(hours=6))
    (datetime.datetime(2024, 11, 26, 18, 0, 7, ...), False)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from rebalancer_emulator.clock import MarketCalendar

_PATH_POINTS = (0.25, 0.75, 1.0)
Condition = Callable[[dt.datetime], bool]


def first_instant(
    calendar: MarketCalendar, holds: Condition, start: dt.datetime, end: dt.datetime
) -> tuple[dt.datetime, bool] | None:
    """The first instant in [start, end], in market hours, at which `holds`, and whether it already held
    when the search (or a session) began, i.e. a gap rather than a crossing."""
    instant = start
    while instant <= end:
        session = calendar.current_or_next(instant)
        if session.open > end:
            return None
        lo, hi = max(instant, session.open), min(end, session.close)
        span = session.close - session.open
        points = sorted({lo, hi} | {p for f in _PATH_POINTS if lo <= (p := session.open + span * f) <= hi})
        for index, point in enumerate(points):
            if holds(point):
                if index == 0:
                    return point, True
                return _bisect(holds, points[index - 1], point), False
        instant = session.close + dt.timedelta(microseconds=1)
    return None


def _bisect(holds: Condition, before: dt.datetime, after: dt.datetime) -> dt.datetime:
    lo, hi = before, after
    while hi - lo > dt.timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if holds(mid):
            hi = mid
        else:
            lo = mid
    return hi
