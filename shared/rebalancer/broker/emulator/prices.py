"""Prices the emulator quotes, derived from a daily PriceHistory and the simulated clock.

Model (also in docs/emulator.md): during a session the price moves in a straight line from the session's
open (at 09:30 ET) to its close (at the close); outside a session it is the last close. A missing open
falls back to the previous close. After the history ends the last close stays (stale) forever. Daily bars
are served only for sessions that have closed, so a client can never see a future bar.

    >>> import datetime as dt
    >>> h = PriceHistory.from_columns(["2024-01-02"], {"SPY": [110.0]}, opens={"SPY": [100.0]})
    >>> cal = MarketCalendar(dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    >>> noon = dt.datetime(2024, 1, 2, 12, 45, tzinfo=NEW_YORK)   # half-way through the session
    >>> PriceModel(h, cal).price_at("SPY", noon)
    Decimal('105.00')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from rebalancer.broker.emulator.clock import NEW_YORK, UTC, MarketCalendar, Session
from rebalancer.market.history import PriceHistory

_CENT = Decimal("0.01")
_TICK = Decimal("0.0001")


def to_price(value: float) -> Decimal:
    """A float price as Decimal with exchange precision: cents at or above $1, 4 decimals below."""
    price = Decimal(repr(float(value)))
    return price.quantize(_CENT if price >= 1 else _TICK)


def bar_timestamp(day: dt.date) -> dt.datetime:
    """Alpaca stamps a daily bar at New York midnight of the session, expressed in UTC."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=NEW_YORK).astimezone(UTC)


@dataclass(frozen=True)
class DailyBar:
    day: dt.date
    open: float
    close: float

    def to_json(self) -> dict[str, object]:
        high, low = max(self.open, self.close), min(self.open, self.close)
        return {
            "t": bar_timestamp(self.day).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "o": round(self.open, 4),
            "h": round(high, 4),
            "l": round(low, 4),
            "c": round(self.close, 4),
            # The history has no volume: these are fixed placeholders (alpaca-py requires n and vw).
            "v": 1_000_000,
            "n": 10_000,
            "vw": round((high + low + self.close) / 3, 4),
        }


class PriceModel:
    """Answers "what is SYMBOL worth at this instant" and "which daily bars have closed by now"."""

    def __init__(self, history: PriceHistory, calendar: MarketCalendar) -> None:
        self.history = history
        self.calendar = calendar

    def knows(self, symbol: str) -> bool:
        return symbol in self.history.symbols

    def _row_on_or_before(self, day: dt.date) -> int:
        return int(np.searchsorted(self.history.dates, np.datetime64(day, "D"), side="right")) - 1

    def close_on_or_before(self, symbol: str, day: dt.date) -> float | None:
        """The last known close of `symbol` at or before `day` (None before its first price)."""
        if not self.knows(symbol):
            return None
        column = self.history.column(symbol)[: self._row_on_or_before(day) + 1]
        valid = np.flatnonzero(~np.isnan(column))
        return float(column[valid[-1]]) if valid.size else None

    def session_open(self, symbol: str, session: Session) -> float | None:
        """The open of `session` (falling back to the previous close), or the last close when unknown."""
        row = self._row_on_or_before(session.date)
        if row >= 0 and self.history.dates[row] == np.datetime64(session.date, "D"):
            opened = float(self.history.open_column(symbol)[row])
            if not np.isnan(opened):
                return opened
        return self.close_on_or_before(symbol, session.date - dt.timedelta(days=1))

    def _session_close(self, symbol: str, session: Session) -> float | None:
        row = self._row_on_or_before(session.date)
        if row >= 0 and self.history.dates[row] == np.datetime64(session.date, "D"):
            close = float(self.history.column(symbol)[row])
            if not np.isnan(close):
                return close
        return None

    def price_float(self, symbol: str, instant: dt.datetime) -> float | None:
        if not self.knows(symbol):
            return None
        session = self.calendar.current_or_next(instant)
        if session.open <= instant < session.close:
            opened, closed = self.session_open(symbol, session), self._session_close(symbol, session)
            if opened is None or closed is None:
                return opened if closed is None else closed
            fraction = (instant - session.open) / (session.close - session.open)
            return opened + (closed - opened) * fraction
        last = self.calendar.last_closed(instant)
        return None if last is None else self.close_on_or_before(symbol, last.date)

    def price_at(self, symbol: str, instant: dt.datetime) -> Decimal | None:
        value = self.price_float(symbol, instant)
        return None if value is None else to_price(value)

    def previous_close(self, symbol: str, instant: dt.datetime) -> Decimal | None:
        """The close of the session before the one that opened most recently (Alpaca's lastday_price)."""
        session = self.calendar.current_or_next(instant)
        if not session.open <= instant:
            last = self.calendar.last_closed(instant)
            if last is None:
                return None
            session = last
        before = self.calendar.last_closed(session.open)
        value = None if before is None else self.close_on_or_before(symbol, before.date)
        return None if value is None else to_price(value)

    def closed_bars(
        self, symbol: str, now: dt.datetime, start: dt.datetime, end: dt.datetime
    ) -> list[DailyBar]:
        """Daily bars of sessions closed by `now` whose timestamp lies in [start, end], oldest first."""
        if not self.knows(symbol):
            return []
        last = self.calendar.last_closed(now)
        if last is None:
            return []
        dates = self.history.dates
        lo = int(np.searchsorted(dates, np.datetime64(start.astimezone(NEW_YORK).date(), "D"), side="left"))
        hi = self._row_on_or_before(min(last.date, end.astimezone(NEW_YORK).date())) + 1
        closes = self.history.column(symbol)
        opens = self.history.open_column(symbol)
        bars: list[DailyBar] = []
        for row in range(lo, hi):
            day = dt.date.fromisoformat(str(dates[row]))
            stamp = bar_timestamp(day)
            if not start <= stamp <= end or np.isnan(closes[row]):
                continue
            opened = float(opens[row])
            if np.isnan(opened):
                previous = closes[row - 1] if row > 0 else np.nan
                opened = float(closes[row] if np.isnan(previous) else previous)
            bars.append(DailyBar(day, opened, float(closes[row])))
        return bars
