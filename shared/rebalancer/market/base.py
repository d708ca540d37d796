"""The MarketData port: daily adjusted bars for many symbols at once, and the latest trade prices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal
from typing import Protocol

from rebalancer.market.history import PriceHistory


class MarketData(Protocol):
    def daily_history(self, symbols: Collection[str], start: dt.date, end: dt.date) -> PriceHistory:
        """Adjusted daily closes (and opens) for every symbol from start to end inclusive.

        Raises DataError naming every symbol that returned no data.
        """
        ...

    def latest_prices(self, symbols: Collection[str]) -> dict[str, Decimal]:
        """The latest trade price of each symbol; a symbol with none is left out (the run refuses it)."""
        ...
