"""Settings of the emulated paper account and its fill model.

>>> cfg = EmulatorConfig(slippage_bps=Decimal("5"), non_fractionable=frozenset({"BRK.A"}))
>>> cfg.is_fractionable("BRK.A"), cfg.is_fractionable("SPY")
(False, True)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

FillModel = Literal["current", "next_open"]

# A few leveraged/volatility products the built-in strategies trade, marked non-fractionable so a local
# run exercises the whole-share path (on Alpaca, check each asset's `fractionable` flag).
DEFAULT_NON_FRACTIONABLE = frozenset({"FNGU", "SVIX", "UVIX"})


@dataclass(frozen=True)
class EmulatorConfig:
    """How the paper broker behaves. Every field has the default a user's bot would expect.

    - `fill_model`: "current" fills a market order at the current price (see docs/emulator.md) as soon as
      the market is open; "next_open" always waits for the next session's open and fills at that open.
    - `slippage_bps`: added to buys and taken from sells, in basis points of the price.
    - `fill_parts`: fill every order in this many parts, one part per poll of the order (1 = all at once).
    - `fill_delay`: simulated time between an order becoming fillable and its fill.
    - `buying_power_multiplier`: 1 models a cash account (buying power = cash minus open buy orders).
    - `rate_limit_per_minute`: when set, answer 429 once more requests than this arrive in one real minute.
    """

    initial_cash: Decimal = Decimal("100000")
    fill_model: FillModel = "current"
    slippage_bps: Decimal = Decimal(0)
    fill_parts: int = 1
    fill_delay: dt.timedelta = dt.timedelta(0)
    buying_power_multiplier: Decimal = Decimal(1)
    non_fractionable: frozenset[str] = DEFAULT_NON_FRACTIONABLE
    untradable: frozenset[str] = frozenset()
    exchange: str = "ARCA"
    exchanges: Mapping[str, str] = field(default_factory=dict)
    rate_limit_per_minute: int | None = None
    advertised_rate_limit: int = 200
    freeze_clock: bool = False
    account_number: str = "PA3EMULATOR1"
    quote_spread: Decimal = Decimal("0.02")

    def __post_init__(self) -> None:
        if self.fill_parts < 1:
            raise ValueError("fill_parts must be at least 1")
        if self.initial_cash < 0:
            raise ValueError("initial_cash must not be negative")

    def is_fractionable(self, symbol: str) -> bool:
        return symbol not in self.non_fractionable

    def is_tradable(self, symbol: str) -> bool:
        return symbol not in self.untradable

    def exchange_of(self, symbol: str) -> str:
        return self.exchanges.get(symbol, self.exchange)
