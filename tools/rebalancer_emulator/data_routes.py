"""Market Data API v2 routes: multi-symbol daily bars (paged), latest bars, trades and quotes.

Bars exist only for sessions closed by the simulated clock. `limit` counts bars across all symbols and
`next_page_token` continues where a page stopped, possibly in the middle of a symbol (TECH-NOTES A4).
`adjustment` defaults to raw, as Alpaca's does; `dividend`/`all` scale by the file's adj_close/close.
The latest bar is the minute bar in progress (or the session's last minute), the latest trade the model
price and the latest quote the spread around it, all as of the simulated clock.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from rebalancer_emulator.clock import NEW_YORK, UTC
from rebalancer_emulator.faults import FaultInjector
from rebalancer_emulator.prices import PriceModel, bar_json
from rebalancer_emulator.quotes import Quote
from rebalancer_emulator.routing import RequestContext, Response, Route
from rebalancer_emulator.wire import ApiError, utc_stamp

DAILY_TIMEFRAMES = frozenset({"1Day", "1D", "1day"})
ADJUSTMENTS = frozenset({"raw", "split", "dividend", "spin-off", "all"})
HISTORICAL_FEEDS = frozenset({"iex", "sip", "otc", "boats"})
LATEST_FEEDS = HISTORICAL_FEEDS | {"delayed_sip", "overnight"}


def _invalid(message: str) -> ApiError:
    return ApiError(400, 40010001, message)


class DataRoutes:
    def __init__(
        self,
        prices: PriceModel,
        faults: FaultInjector,
        quote: Callable[[str, dt.datetime], Quote | None],
    ) -> None:
        self.prices = prices
        self.quote = quote
        self.calendar = prices.calendar
        self.faults = faults

    def routes(self) -> list[Route]:
        spec = [
            ("/v2/stocks/bars", "bars", self.bars),
            ("/v2/stocks/bars/latest", "latest_bars", self.latest_bars),
            ("/v2/stocks/trades/latest", "latest_trades", self.latest_trades),
            ("/v2/stocks/quotes/latest", "latest_quotes", self.latest_quotes),
        ]
        return [Route("GET", path, name, "data", handler, locked=False) for path, name, handler in spec]

    # -- helpers ------------------------------------------------------------------------------

    def _symbols(self, ctx: RequestContext) -> list[str]:
        symbols = sorted({s.strip().upper() for s in ctx.query.get("symbols", "").split(",") if s.strip()})
        if not symbols:
            raise _invalid("missing symbols")
        return symbols

    def _served(self, symbol: str) -> bool:
        return self.prices.knows(symbol) and symbol not in self.faults.missing_bar_symbols

    # -- bars ---------------------------------------------------------------------------------

    def bars(self, ctx: RequestContext) -> Response:
        symbols = self._symbols(ctx)
        timeframe = ctx.query.get("timeframe", "")
        if timeframe not in DAILY_TIMEFRAMES:
            raise _invalid(f"the emulator serves daily bars only (timeframe=1Day), got {timeframe!r}")
        _check_choices(ctx, "adjustment", ADJUSTMENTS, comma=True)
        adjustments = set(ctx.query.get("adjustment", "raw").split(","))
        adjustment = "all" if adjustments & {"dividend", "all"} else "raw"
        _check_choices(ctx, "feed", HISTORICAL_FEEDS)
        sort = ctx.query.get("sort", "asc")
        if sort not in {"asc", "desc"}:
            raise _invalid(f"invalid sort: {sort!r}")
        day_start = dt.datetime.combine(ctx.now.astimezone(NEW_YORK).date(), dt.time(), NEW_YORK)
        start = _instant(ctx, "start") or day_start.astimezone(UTC)
        end = _instant(ctx, "end") or ctx.now
        limit = ctx.int_param("limit", 1000, low=1, high=10_000)
        plan: list[tuple[str, npt.NDArray[np.intp]]] = []
        for symbol in symbols:
            rows = self._rows(symbol, ctx.now, start, end)
            if rows.size:
                plan.append((symbol, rows[::-1] if sort == "desc" else rows))
        # Only the page's bars are built; the token names the first bar of the next page.
        grouped: dict[str, list[dict[str, object]]] = {}
        room, token = limit, None
        index, offset = self._page_start(plan, ctx.query.get("page_token"))
        for symbol, rows in plan[index:]:
            chunk = rows[offset : offset + room]
            if chunk.size:
                grouped[symbol] = self.prices.bars_json(symbol, chunk, adjustment=adjustment, as_of=ctx.now)
                room -= chunk.size
            if room == 0 and offset + chunk.size < len(rows):
                token = _encode_token(symbol, self.prices.day_of(symbol, int(rows[offset + chunk.size])))
            if room == 0:
                break
            offset = 0
        if token is None and room == 0:
            token = self._token_after(plan, symbol)
        return Response(200, {"bars": grouped, "next_page_token": token, "currency": "USD"})

    def _rows(
        self, symbol: str, now: dt.datetime, start: dt.datetime, end: dt.datetime
    ) -> npt.NDArray[np.intp]:
        if not self._served(symbol):
            return np.empty(0, dtype=np.intp)
        stale = self.faults.stale_bar_sessions.get(symbol, 0)
        return self.prices.closed_bar_rows(symbol, now, start, end, hold_back=stale)

    def _token_after(self, plan: list[tuple[str, npt.NDArray[np.intp]]], symbol: str) -> str | None:
        """The token of the first bar after `symbol`'s last one (a page that ends exactly at a symbol)."""
        names = [name for name, _ in plan]
        following = names.index(symbol) + 1
        if following >= len(plan):
            return None
        name, rows = plan[following]
        return _encode_token(name, self.prices.day_of(name, int(rows[0])))

    def _page_start(self, plan: list[tuple[str, npt.NDArray[np.intp]]], token: str | None) -> tuple[int, int]:
        if not token:
            return 0, 0
        try:
            symbol, day = base64.urlsafe_b64decode(token.encode()).decode().split("|")
            wanted = np.datetime64(dt.date.fromisoformat(day), "D")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise _invalid("invalid page token") from None
        for index, (name, rows) in enumerate(plan):
            series = self.prices.series(name)
            if name == symbol and series is not None:
                found = np.flatnonzero(series.dates[rows] == wanted)
                if found.size:
                    return index, int(found[0])
        raise _invalid("invalid page token")

    def latest_bars(self, ctx: RequestContext) -> Response:
        _check_choices(ctx, "feed", LATEST_FEEDS)
        latest: dict[str, object] = {}
        for symbol in self._symbols(ctx):
            bar = self._minute_bar(symbol, ctx.now) if self._served(symbol) else None
            if bar is not None:
                latest[symbol] = bar
        return Response(200, {"bars": latest, "currency": "USD"})

    def _minute_bar(self, symbol: str, now: dt.datetime) -> dict[str, object] | None:
        """The one-minute bar in progress during a session, else the last minute of the last session."""
        session = self.calendar.current_or_next(now)
        end = now
        if not session.open <= now < session.close:
            last = self.calendar.last_closed(now)
            if last is None:
                return None
            session, end = last, last.close
        start = max(session.open, (end - dt.timedelta(microseconds=1)).replace(second=0, microsecond=0))
        opened = self.prices.price_float(symbol, start)
        closed = self.prices.price_float(symbol, min(end, session.close - dt.timedelta(microseconds=1)))
        if opened is None or closed is None:
            return None
        stamp = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return bar_json(stamp, (opened, float("nan"), float("nan"), closed), float("nan"))

    # -- latest trade and quote -----------------------------------------------------------------

    def _quote_time(self, now: dt.datetime) -> dt.datetime:
        if self.calendar.is_open(now):
            return now
        last = self.calendar.last_closed(now)
        return now if last is None else last.close

    def latest_trades(self, ctx: RequestContext) -> Response:
        _check_choices(ctx, "feed", LATEST_FEEDS)
        stamp = utc_stamp(self._quote_time(ctx.now))
        trades: dict[str, object] = {}
        for symbol in self._symbols(ctx):
            price = self.prices.price_at(symbol, ctx.now) if self._served(symbol) else None
            if price is not None:
                trades[symbol] = {
                    "t": stamp,
                    "x": "V",
                    "p": float(price),
                    "s": 100,
                    "c": ["@"],
                    "i": 1,
                    "z": "B",
                }
        return Response(200, {"trades": trades, "currency": "USD"})

    def latest_quotes(self, ctx: RequestContext) -> Response:
        _check_choices(ctx, "feed", LATEST_FEEDS)
        stamp = utc_stamp(self._quote_time(ctx.now))
        quotes: dict[str, object] = {}
        for symbol in self._symbols(ctx):
            quote = self.quote(symbol, ctx.now) if self._served(symbol) else None
            if quote is not None:
                quotes[symbol] = {
                    "t": stamp,
                    "ax": "V",
                    "ap": float(quote.ask),
                    "as": 1,
                    "bx": "V",
                    "bp": float(quote.bid),
                    "bs": 1,
                    "c": ["R"],
                    "z": "B",
                }
        return Response(200, {"quotes": quotes, "currency": "USD"})


def _check_choices(ctx: RequestContext, name: str, allowed: frozenset[str], *, comma: bool = False) -> None:
    value = ctx.query.get(name)
    if value is None:
        return
    parts = value.split(",") if comma else [value]
    if not all(p in allowed for p in parts):
        raise _invalid(f"invalid {name}: {value!r}")


def _instant(ctx: RequestContext, name: str) -> dt.datetime | None:
    text = ctx.query.get(name)
    if not text:
        return None
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time(), NEW_YORK).astimezone(UTC)
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"invalid {name}: {text!r}") from None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _encode_token(symbol: str, day: dt.date) -> str:
    return base64.urlsafe_b64encode(f"{symbol}|{day.isoformat()}".encode()).decode()
