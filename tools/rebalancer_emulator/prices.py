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
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from rebalancer.market.history import PriceHistory
from rebalancer_emulator.clock import NEW_YORK, UTC, MarketCalendar, Session

_CENT = Decimal("0.01")
_TICK = Decimal("0.0001")


def to_price(value: float) -> Decimal:
    """A float price as Decimal with exchange precision: cents at or above $1, 4 decimals below."""
    price = Decimal(repr(float(value)))
    return price.quantize(_CENT if price >= 1 else _TICK)


def bar_timestamp(day: dt.date) -> dt.datetime:
    """Alpaca stamps a daily bar at New York midnight of the session, expressed in UTC."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=NEW_YORK).astimezone(UTC)


def bar_json(stamp: str, opened: float, close: float) -> dict[str, object]:
    high, low = max(opened, close), min(opened, close)
    return {
        "t": stamp,
        "o": round(opened, 4),
        "h": round(high, 4),
        "l": round(low, 4),
        "c": round(close, 4),
        # The history has no volume: these are fixed placeholders (alpaca-py requires n and vw).
        "v": 1_000_000,
        "n": 10_000,
        "vw": round((high + low + close) / 3, 4),
    }


class PriceModel:
    """Answers "what is SYMBOL worth at this instant" and "which daily bars have closed by now"."""

    def __init__(self, history: PriceHistory, calendar: MarketCalendar) -> None:
        self.history = history
        self.calendar = calendar
        self._stamps: dict[int, str] = {}  # bar timestamps by epoch day (zoneinfo is slow per bar)

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

    def closed_bar_rows(
        self, symbol: str, now: dt.datetime, start: dt.datetime, end: dt.datetime, *, hold_back: int = 0
    ) -> npt.NDArray[np.intp]:
        """History rows of the daily bars of sessions closed by `now`, stamped in [start, end], oldest
        first; `hold_back` drops the latest that many closed sessions (stale data)."""
        if not self.knows(symbol):
            return np.empty(0, dtype=np.intp)
        last = self.calendar.last_closed(now)
        if last is None:
            return np.empty(0, dtype=np.intp)
        newest = last.date
        if hold_back:
            recent = self.calendar.sessions(newest - dt.timedelta(days=7 * hold_back + 14), newest)
            newest = recent[-1 - hold_back].date if len(recent) > hold_back else dt.date.min
        first_day, last_day = _first_bar_day(start), min(end.astimezone(NEW_YORK).date(), newest)
        dates = self.history.dates
        lo = int(np.searchsorted(dates, np.datetime64(first_day, "D"), side="left"))
        hi = (
            int(np.searchsorted(dates, np.datetime64(last_day, "D"), side="right"))
            if last_day >= first_day
            else lo
        )
        rows = np.arange(lo, max(lo, hi), dtype=np.intp)
        return rows[~np.isnan(self.history.column(symbol)[rows])]

    def day_of(self, row: int) -> dt.date:
        return dt.date.fromisoformat(str(self.history.dates[row]))

    def _bar_prices(self, symbol: str, rows: npt.NDArray[np.intp]) -> tuple[list[float], list[float]]:
        """Opens and closes of these rows; a missing open falls back to the previous close, then the close."""
        closes = self.history.column(symbol)
        close = closes[rows]
        previous = np.where(rows > 0, closes[np.maximum(rows - 1, 0)], np.nan)
        opened = self.history.open_column(symbol)[rows]
        opened = np.where(np.isnan(opened), np.where(np.isnan(previous), close, previous), opened)
        return [float(x) for x in opened], [float(x) for x in close]

    def bars_json(self, symbol: str, rows: npt.NDArray[np.intp]) -> list[dict[str, object]]:
        """Alpaca bar objects for these history rows, in the order given."""
        opened, close = self._bar_prices(symbol, rows)
        stamps = [self._stamp(int(day)) for day in self.history.dates[rows].astype(np.int64)]
        return [bar_json(t, o, c) for t, o, c in zip(stamps, opened, close, strict=True)]

    def _stamp(self, epoch_day: int) -> str:
        stamp = self._stamps.get(epoch_day)
        if stamp is None:
            day = dt.date(1970, 1, 1) + dt.timedelta(days=epoch_day)
            stamp = bar_timestamp(day).strftime("%Y-%m-%dT%H:%M:%SZ")
            self._stamps[epoch_day] = stamp
        return stamp


def _first_bar_day(start: dt.datetime) -> dt.date:
    """The first session date whose bar stamp (New York midnight) is at or after `start`."""
    local = start.astimezone(NEW_YORK)
    return local.date() if local.time() == dt.time() else local.date() + dt.timedelta(days=1)
