"""The MarketData port on Alpaca's Market Data API: one batched multi-symbol bars request, every page.

    >>> data = AlpacaMarketData(AlpacaCredentials("PK...", "..."), base_url="http://127.0.0.1:8765")
    >>> history = data.daily_history(["SPY", "TLT"], date(2024, 1, 1), date(2024, 6, 28))  # doctest: +SKIP

The request asks for split- and dividend-adjusted bars (adjustment=all) from the configured feed (iex
by default: the free plan refuses recent SIP data). Pages are fetched one after another (each needs the
previous page's token); each page is retried on 429, 5xx and timeouts.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from rebalancer.alpaca.credentials import AlpacaCredentials
from rebalancer.alpaca.http import CallPolicy, Timeouts, harden
from rebalancer.alpaca.ratelimit import RateLimiter
from rebalancer.errors import DataError
from rebalancer.market.history import PriceHistory

NEW_YORK = ZoneInfo("America/New_York")
PAGE_SIZE = 10_000  # Alpaca's maximum; the limit counts bars across all symbols
_PAGING_HINT = "a data API fault: nothing was placed; retry later (docs/runbook.md, 'Failure codes')"
PAGE_MARGIN = 2  # pages beyond the most a complete answer can need (a short page, a split symbol)


def page_cap(symbols: int, start: dt.date, end: dt.date, page_size: int) -> int:
    """The most pages a bars request can honestly need: one bar per symbol per calendar day (an upper
    bound on sessions), `page_size` bars a page, doubled, plus a margin. A server paging past it is broken."""
    days = max((end - start).days + 1, 1)
    needed = -(-symbols * days // max(page_size, 1))
    return 2 * needed + PAGE_MARGIN


class AlpacaMarketData:
    def __init__(
        self,
        credentials: AlpacaCredentials,
        *,
        base_url: str | None = None,
        feed: str = "iex",
        timeouts: Timeouts | None = None,
        limiter: RateLimiter | None = None,
        policy: CallPolicy | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._credentials = credentials
        self._base_url = base_url.rstrip("/") if base_url else None
        self.feed = feed
        self._timeouts = timeouts or Timeouts(read=30.0)
        self.policy = policy or CallPolicy(limiter or RateLimiter())
        self.page_size = page_size
        self.pages_fetched = 0
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from alpaca.data.historical.stock import StockHistoricalDataClient

            client = StockHistoricalDataClient(
                self._credentials.key_id, self._credentials.secret_key, url_override=self._base_url
            )
            harden(client, self._timeouts)
            self._client = client
        return self._client

    def daily_history(self, symbols: Collection[str], start: dt.date, end: dt.date) -> PriceHistory:
        wanted = sorted(set(symbols))
        if not wanted:
            raise DataError("no symbols requested", code="no-symbols")
        bars = self._fetch_all_pages(wanted, start, end)
        missing = [s for s in wanted if not bars.get(s)]
        if missing:
            raise DataError(
                f"Alpaca returned no daily bars for {', '.join(missing)} between {start} and {end}",
                code="symbol-no-data",
                hint=f"check the symbols exist and trade on the '{self.feed}' feed",
                symbols=missing,
            )
        return bars_to_history(wanted, bars)

    def latest_prices(self, symbols: Collection[str]) -> dict[str, Decimal]:
        """The latest trade of each symbol on the feed, one request; symbols without one are left out."""
        wanted = sorted(set(symbols))
        if not wanted:
            return {}
        params = {"symbols": ",".join(wanted), "feed": self.feed}
        response: dict[str, Any] = self.policy.read(
            "fetch latest trades", lambda: self.client.get("/stocks/trades/latest", params)
        )
        prices = {}
        for symbol, trade in (response.get("trades") or {}).items():
            price = trade.get("p") if isinstance(trade, Mapping) else None
            if symbol in wanted and isinstance(price, int | float) and math.isfinite(price) and price > 0:
                prices[symbol] = Decimal(repr(float(price)))
        return prices

    def _fetch_all_pages(self, symbols: Sequence[str], start: dt.date, end: dt.date) -> dict[str, list[Any]]:
        params = self._request_params(symbols, start, end)
        cap = page_cap(len(symbols), start, end, self.page_size)
        merged: dict[str, list[Any]] = {}
        page_token: str | None = None
        seen: set[str] = set()
        for page in range(1, cap + 1):
            page_params = {**params, "page_token": page_token} if page_token else dict(params)
            response = self._fetch_page(page_params)
            self.pages_fetched += 1
            for symbol, symbol_bars in (response.get("bars") or {}).items():
                merged.setdefault(symbol, []).extend(symbol_bars)
            page_token = response.get("next_page_token")
            if not page_token:
                return merged
            if page_token in seen:
                raise DataError(
                    f"Alpaca sent next_page_token {str(page_token)[:40]!r} again on bars page {page} "
                    f"({len(symbols)} symbols, {start} to {end}): the pages would repeat forever",
                    code="bars-page-token-repeated",
                    hint=_PAGING_HINT,
                )
            seen.add(str(page_token))
        raise DataError(
            f"Alpaca still had more bars after {cap} pages for {len(symbols)} symbols from {start} to {end} "
            f"(at most {cap} pages of {self.page_size} can be needed)",
            code="bars-too-many-pages",
            hint=_PAGING_HINT,
        )

    def _fetch_page(self, params: dict[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = self.policy.read("fetch bars", lambda: self.client.get("/stocks/bars", params))
        return page

    def _request_params(self, symbols: Sequence[str], start: dt.date, end: dt.date) -> dict[str, Any]:
        from alpaca.data.enums import Adjustment, DataFeed
        from alpaca.data.requests import StockBarsRequest
        from alpaca.data.timeframe import TimeFrame

        request = StockBarsRequest(
            symbol_or_symbols=list(symbols),
            timeframe=TimeFrame.Day,
            start=dt.datetime.combine(start, dt.time(0), tzinfo=NEW_YORK),
            end=dt.datetime.combine(end, dt.time(23, 59), tzinfo=NEW_YORK),
            adjustment=Adjustment.ALL,
            feed=DataFeed(self.feed),
            limit=None,
        )
        fields: dict[str, Any] = request.to_request_fields()
        fields["limit"] = self.page_size
        return fields


def bars_to_history(symbols: Sequence[str], bars: Mapping[str, Sequence[Mapping[str, Any]]]) -> PriceHistory:
    """Raw Alpaca bars ({"t", "o", "c", ...} per symbol) as a PriceHistory on the union of session dates."""
    day_of: dict[str, np.datetime64] = {}
    for symbol_bars in bars.values():
        for bar in symbol_bars:
            stamp = bar["t"]
            if stamp not in day_of:
                day_of[stamp] = _session_day(stamp)
    dates = np.array(sorted(set(day_of.values())), dtype="datetime64[D]")
    close = np.full((len(dates), len(symbols)), np.nan)
    opened = np.full_like(close, np.nan)
    for col, symbol in enumerate(symbols):
        for bar in bars.get(symbol, ()):
            row = int(np.searchsorted(dates, day_of[bar["t"]]))
            close[row, col] = float(bar["c"])
            opened[row, col] = float(bar["o"]) if bar.get("o") is not None else np.nan
    return PriceHistory(dates, tuple(symbols), close, opened)


def _session_day(stamp: str) -> np.datetime64:
    """A daily bar's timestamp is its session's start; its New York date is the session."""
    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return np.datetime64(moment.astimezone(NEW_YORK).date(), "D")
