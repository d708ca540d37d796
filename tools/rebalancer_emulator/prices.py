"""Prices the emulator quotes, derived from daily series and the simulated clock.

Model (also in docs/emulator.md): during a session the price follows a path from the session's open (09:30
ET) to its close through the day's low and high when the data has them (an up day: open, low at a quarter of
the session, high at three quarters, close; a down day visits the high first), else a straight line. Outside
a session it is the last close. A missing open falls back to the previous close. After a series ends its
last close stays (stale). Daily bars are served only for sessions that have closed, so a client never sees
a future bar.

    >>> import datetime as dt
    >>> h = PriceHistory.from_columns(["2024-01-02"], {"SPY": [110.0]}, opens={"SPY": [100.0]})
    >>> cal = MarketCalendar(dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    >>> noon = dt.datetime(2024, 1, 2, 12, 45, tzinfo=NEW_YORK)   # half-way through the session
    >>> PriceModel(HistorySource(h), cal).price_at("SPY", noon)
    Decimal('105.00')
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from rebalancer.market.history import PriceHistory
from rebalancer_emulator.clock import NEW_YORK, UTC, MarketCalendar, Session
from rebalancer_emulator.series import DailySeries, HistorySource, SeriesSource

_CENT = Decimal("0.01")
_TICK = Decimal("0.0001")
_PATH_TIMES = np.array([0.0, 0.25, 0.75, 1.0])
# The history has no trade count or VWAP; alpaca-py requires n and vw. Volume is the file's when it has one.
_PLACEHOLDER_VOLUME = 1_000_000
DIVIDEND_ADJUSTED = frozenset({"dividend", "all"})


def to_price(value: float) -> Decimal:
    """A float price as Decimal with exchange precision: cents at or above $1, 4 decimals below."""
    price = Decimal(repr(float(value)))
    return price.quantize(_CENT if price >= 1 else _TICK)


def bar_timestamp(day: dt.date) -> dt.datetime:
    """Alpaca stamps a daily bar at New York midnight of the session, expressed in UTC."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=NEW_YORK).astimezone(UTC)


def path_price(opened: float, high: float, low: float, close: float, fraction: float) -> float:
    """The price `fraction` (0..1) through a session that opened, closed and ranged as given."""
    if np.isnan(high) or np.isnan(low):
        return opened + (close - opened) * fraction
    top, bottom = max(high, opened, close), min(low, opened, close)
    first, second = (bottom, top) if close >= opened else (top, bottom)
    return float(np.interp(fraction, _PATH_TIMES, [opened, first, second, close]))


def bar_json(stamp: str, ohlc: tuple[float, float, float, float], volume: float) -> dict[str, object]:
    o, h, lo, c = ohlc
    high = max(o, c) if np.isnan(h) else max(h, o, c)
    low = min(o, c) if np.isnan(lo) else min(lo, o, c)
    return {
        "t": stamp,
        "o": round(o, 4),
        "h": round(high, 4),
        "l": round(low, 4),
        "c": round(c, 4),
        "v": _PLACEHOLDER_VOLUME if np.isnan(volume) else int(volume),
        "n": 10_000,
        "vw": round((high + low + c) / 3, 4),
    }


class PriceModel:
    """Answers "what is SYMBOL worth at this instant" and "which daily bars have closed by now"."""

    def __init__(self, source: SeriesSource | PriceHistory, calendar: MarketCalendar) -> None:
        self.source: SeriesSource = HistorySource(source) if isinstance(source, PriceHistory) else source
        self.calendar = calendar
        self._names = frozenset(self.source.symbols())
        self._stamps: dict[int, str] = {}  # bar timestamps by epoch day (zoneinfo is slow per bar)

    @property
    def symbols(self) -> tuple[str, ...]:
        return self.source.symbols()

    def knows(self, symbol: str) -> bool:
        return symbol in self._names

    def series(self, symbol: str) -> DailySeries | None:
        return self.source.series(symbol) if symbol in self._names else None

    @staticmethod
    def _row_on_or_before(series: DailySeries, day: dt.date) -> int:
        return int(np.searchsorted(series.dates, np.datetime64(day, "D"), side="right")) - 1

    def _row_on(self, series: DailySeries, day: dt.date) -> int | None:
        row = self._row_on_or_before(series, day)
        return row if row >= 0 and series.dates[row] == np.datetime64(day, "D") else None

    def close_on_or_before(self, symbol: str, day: dt.date) -> float | None:
        """The last known close of `symbol` at or before `day` (None before its first price)."""
        series = self.series(symbol)
        if series is None:
            return None
        row = self._row_on_or_before(series, day)
        return float(series.close[row]) if row >= 0 else None

    def session_open(self, symbol: str, session: Session) -> float | None:
        """The open of `session` (falling back to the previous close), or the last close when unknown."""
        series = self.series(symbol)
        row = None if series is None else self._row_on(series, session.date)
        if series is not None and row is not None and not np.isnan(series.open[row]):
            return float(series.open[row])
        return self.close_on_or_before(symbol, session.date - dt.timedelta(days=1))

    def price_float(self, symbol: str, instant: dt.datetime) -> float | None:
        series = self.series(symbol)
        if series is None:
            return None
        session = self.calendar.current_or_next(instant)
        if session.open <= instant < session.close:
            opened, row = self.session_open(symbol, session), self._row_on(series, session.date)
            if opened is None or row is None:
                return opened if row is None else float(series.close[row])
            fraction = (instant - session.open) / (session.close - session.open)
            return path_price(
                opened, float(series.high[row]), float(series.low[row]), float(series.close[row]), fraction
            )
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
        """Rows of `symbol`'s series for the sessions closed by `now`, stamped in [start, end], oldest
        first; `hold_back` drops the latest that many closed sessions (stale data)."""
        series = self.series(symbol)
        last = self.calendar.last_closed(now)
        if series is None or last is None:
            return np.empty(0, dtype=np.intp)
        newest = last.date
        if hold_back:
            recent = self.calendar.sessions(newest - dt.timedelta(days=7 * hold_back + 14), newest)
            newest = recent[-1 - hold_back].date if len(recent) > hold_back else dt.date.min
        first_day, last_day = _first_bar_day(start), min(end.astimezone(NEW_YORK).date(), newest)
        lo = int(np.searchsorted(series.dates, np.datetime64(first_day, "D"), side="left"))
        hi = (
            int(np.searchsorted(series.dates, np.datetime64(last_day, "D"), side="right"))
            if last_day >= first_day
            else lo
        )
        return np.arange(lo, max(lo, hi), dtype=np.intp)

    def day_of(self, symbol: str, row: int) -> dt.date:
        series = self.series(symbol)
        assert series is not None
        return dt.date.fromisoformat(str(series.dates[row]))

    def bars_json(
        self, symbol: str, rows: npt.NDArray[np.intp], *, adjustment: str = "raw", as_of: dt.datetime
    ) -> list[dict[str, object]]:
        """Alpaca bar objects for these rows, in the order given. Dividend-adjusted prices (`dividend`,
        `all`) are scaled so the latest session closed by `as_of` is unchanged, as Alpaca's are today."""
        series = self.series(symbol)
        if series is None or rows.size == 0:
            return []
        scale = np.ones(rows.size)
        if adjustment in DIVIDEND_ADJUSTED:
            last = self.calendar.last_closed(as_of)
            newest = self._row_on_or_before(series, last.date) if last is not None else -1
            scale = series.factor[rows] / (series.factor[newest] if newest >= 0 else 1.0)
        close = series.close[rows] * scale
        previous = np.where(rows > 0, series.close[np.maximum(rows - 1, 0)], np.nan) * scale
        opened = series.open[rows] * scale
        opened = np.where(np.isnan(opened), np.where(np.isnan(previous), close, previous), opened)
        high, low, volume = series.high[rows] * scale, series.low[rows] * scale, series.volume[rows]
        stamps = [self._stamp(int(day)) for day in series.dates[rows].astype(np.int64)]
        return [
            bar_json(t, (float(o), float(h), float(lo), float(c)), float(v))
            for t, o, h, lo, c, v in zip(stamps, opened, high, low, close, volume, strict=True)
        ]

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
