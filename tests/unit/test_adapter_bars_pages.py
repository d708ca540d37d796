"""Bars pagination is bounded: a server that keeps paging (or repeats a token) is a typed error, not a
loop until the function times out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from rebalancer.alpaca.credentials import AlpacaCredentials
from rebalancer.alpaca.http import CallPolicy
from rebalancer.alpaca.market_data import AlpacaMarketData, page_cap
from rebalancer.alpaca.ratelimit import RateLimiter
from rebalancer.errors import DataError

START, END = dt.date(2024, 1, 1), dt.date(2024, 3, 29)


class _PagingServer:
    """Answers GET /stocks/bars with one bar per requested symbol and the token `token(page)`."""

    def __init__(self, token: Any, pages: int | None = None) -> None:
        self.token = token
        self.pages = pages
        self.calls = 0

    def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        assert path == "/stocks/bars"
        self.calls += 1
        if self.calls > 10_000:
            raise AssertionError("pagination never stopped")
        bar = {"t": "2024-01-02T05:00:00Z", "o": 1, "c": 1, "h": 1, "l": 1, "v": 1, "n": 1, "vw": 1}
        last = self.pages is not None and self.calls >= self.pages
        symbols = str(params["symbols"]).split(",")
        token = None if last else self.token(self.calls)
        return {"bars": {s: [bar] for s in symbols}, "next_page_token": token}


def _data(server: _PagingServer, page_size: int = 10_000) -> AlpacaMarketData:
    data = AlpacaMarketData(
        AlpacaCredentials("PKTEST", "not-a-secret"),
        policy=CallPolicy(RateLimiter(100_000), sleep=lambda _s: None),
        page_size=page_size,
    )
    data._client = server
    return data


def test_a_repeated_page_token_is_a_typed_error_after_two_pages() -> None:
    server = _PagingServer(lambda _n: "same-token")
    with pytest.raises(DataError) as err:
        _data(server).daily_history(["SPY"], START, END)
    assert err.value.code == "bars-page-token-repeated"
    assert server.calls == 2


def test_endless_fresh_tokens_stop_at_the_page_cap() -> None:
    server = _PagingServer(lambda n: f"token-{n}")
    data = _data(server, page_size=10)
    cap = page_cap(1, START, END, 10)
    with pytest.raises(DataError) as err:
        data.daily_history(["SPY"], START, END)
    assert err.value.code == "bars-too-many-pages"
    assert server.calls == cap
    assert str(cap) in err.value.message


def test_the_cap_leaves_room_for_every_page_a_full_answer_needs() -> None:
    # 3 symbols x ~89 calendar days at 10 bars a page needs at most 27 pages: all are followed.
    needed = -(-3 * ((END - START).days + 1) // 10)
    assert page_cap(3, START, END, 10) > needed
    server = _PagingServer(lambda n: f"token-{n}", pages=needed)
    history = _data(server, page_size=10).daily_history(["QQQ", "SPY", "TLT"], START, END)
    assert server.calls == needed
    assert history.symbols == ("QQQ", "SPY", "TLT")
