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
AccountType = Literal["cash", "margin"]

# A few leveraged/volatility products the built-in strategies trade, marked non-fractionable so a local
# run exercises the whole-share path (on Alpaca, check each asset's `fractionable` flag).
DEFAULT_NON_FRACTIONABLE = frozenset({"FNGU", "SVIX", "UVIX"})


@dataclass(frozen=True)
class EmulatorConfig:
    """How the paper broker behaves. Every field has the default a user's bot would expect.

    - `fill_model`: "current" fills a market order at the current price (see docs/emulator.md) as soon as
      the market is open; "next_open" always waits for the next session's open and fills at that open.
    - `spread_bps`, `min_spread`: the quoted spread around the model price (bps of the mid, at least
      `min_spread` dollars); market buys fill at the ask, sells at the bid, and buying power is checked
      at the ask (see quotes.py).
    - `slippage_bps`: added to buys and taken from sells on top of the spread, in basis points.
    - `partial_fill_rate`: the share of orders (0..1) that fill in two parts, drawn per order from `seed`.
    - `fill_parts`: fill every order in this many parts, one part per poll of the order (1 = all at once).
    - `fill_delay`: simulated time between an order becoming fillable and its fill.
    - `account_type`: "margin" (Alpaca paper's default: buying power = `margin_multiplier` x equity minus
      the positions' value, short selling allowed, cash may go negative) or "cash" (buying power = cash,
      no shorting, cash never below zero).
    - `rate_limit_per_minute`: when set, answer 429 once more requests than this arrive in one real minute.
    """

    initial_cash: Decimal = Decimal("100000")
    fill_model: FillModel = "current"
    spread_bps: Decimal = Decimal(2)
    min_spread: Decimal = Decimal("0.01")
    slippage_bps: Decimal = Decimal(0)
    partial_fill_rate: float = 0.0
    seed: int = 0
    fill_parts: int = 1
    fill_delay: dt.timedelta = dt.timedelta(0)
    account_type: AccountType = "margin"
    margin_multiplier: Decimal = Decimal(2)
    non_fractionable: frozenset[str] = DEFAULT_NON_FRACTIONABLE
    untradable: frozenset[str] = frozenset()
    exchange: str = "ARCA"
    exchanges: Mapping[str, str] = field(default_factory=dict)
    rate_limit_per_minute: int | None = None
    advertised_rate_limit: int = 200
    freeze_clock: bool = False
    account_number: str = "PA3EMULATOR1"

    def __post_init__(self) -> None:
        if self.fill_parts < 1:
            raise ValueError("fill_parts must be at least 1")
        if self.initial_cash < 0:
            raise ValueError("initial_cash must not be negative")
        if not 0.0 <= self.partial_fill_rate <= 1.0:
            raise ValueError("partial_fill_rate must be between 0 and 1")
        if self.spread_bps < 0 or self.min_spread < 0:
            raise ValueError("spread_bps and min_spread must not be negative")
        if self.account_type not in ("cash", "margin"):
            raise ValueError("account_type must be 'cash' or 'margin'")

    @property
    def is_margin(self) -> bool:
        return self.account_type == "margin"

    @property
    def multiplier(self) -> Decimal:
        return self.margin_multiplier if self.is_margin else Decimal(1)

    def is_fractionable(self, symbol: str) -> bool:
        return symbol not in self.non_fractionable

    def is_tradable(self, symbol: str) -> bool:
        return symbol not in self.untradable

    def exchange_of(self, symbol: str) -> str:
        return self.exchanges.get(symbol, self.exchange)
