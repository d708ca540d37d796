"""The Broker port: the only way the run talks to a brokerage. Adapters: alpaca.py (and the emulator)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from rebalancer.broker.models import (
    Account,
    AssetInfo,
    MarketClock,
    Order,
    OrderRequest,
    Position,
    TradingDay,
)


class Broker(Protocol):
    def get_account(self) -> Account: ...

    def get_positions(self) -> list[Position]: ...

    def get_asset(self, symbol: str) -> AssetInfo: ...

    def get_assets(self, symbols: Sequence[str]) -> dict[str, AssetInfo]:
        """Many assets at once (the run reads every target's and holding's asset in one round trip)."""
        ...

    def get_clock(self) -> MarketClock: ...

    def get_calendar(self, start: dt.date, end: dt.date) -> list[TradingDay]: ...

    def submit_order(self, request: OrderRequest) -> Order:
        """Submit once; on an ambiguous outcome resolve by client_order_id, never post blindly again."""
        ...

    def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        """The order with this client_order_id, or None when the broker has none (a fact, not a failure)."""
        ...

    def get_order(self, order_id: str) -> Order: ...

    def list_open_orders(self, symbols: Sequence[str] | None = None) -> list[Order]: ...

    def cancel_order(self, order_id: str) -> None: ...
