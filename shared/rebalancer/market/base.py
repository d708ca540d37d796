"""The MarketData port: daily adjusted bars for many symbols at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Protocol

from rebalancer.market.history import PriceHistory


class MarketData(Protocol):
    def daily_history(self, symbols: Collection[str], start: dt.date, end: dt.date) -> PriceHistory:
        """Adjusted daily closes (and opens) for every symbol from start to end inclusive.

        Raises DataError naming every symbol that returned no data.
        """
        ...
