"""Risk limits, reason codes, denials, and the target-level limits (pure).

`limit_targets` applies the limits that act on weights: symbols outside the universe and weight above the
per-symbol cap go to cash (never redistributed to other symbols), then the gross exposure cap scales every
weight down pro rata. The run plans orders from the limited targets; `assess` (risk.py) checks the orders.

>>> limited = limit_targets({"TQQQ": 0.7, "XYZ": 0.3}, RiskLimits(max_symbol_weight=Decimal("0.5")), {"TQQQ"})
>>> limited.weights, [str(d.code) for d in limited.denials]
({'TQQQ': Decimal('0.5')}, ['max-weight-clipped', 'symbol-not-in-universe'])
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Any

from rebalancer.errors import ConfigError
from rebalancer.portfolio.plan import Weight, to_weight
from rebalancer.portfolio.risk_state import TradingState

# Scaled weights are rounded down to this step so that a scaled sum never exceeds its cap.
WEIGHT_QUANTUM = Decimal("1e-12")


class RiskCode(StrEnum):
    """Stable reason codes for every clip, denial and trip (records and reports use them verbatim)."""

    MAX_WEIGHT_CLIPPED = "max-weight-clipped"
    GROSS_EXPOSURE_CLIPPED = "gross-exposure-clipped"
    GROSS_EXPOSURE_EXCEEDED = "gross-exposure-exceeded"
    TURNOVER_EXCEEDED = "turnover-exceeded"
    ORDER_NOTIONAL_EXCEEDED = "order-notional-exceeded"
    MAX_ORDERS_EXCEEDED = "max-orders-exceeded"
    NOT_IN_UNIVERSE = "symbol-not-in-universe"
    DAILY_LOSS_TRIPPED = "daily-loss-tripped"
    DRAWDOWN_TRIPPED = "drawdown-tripped"
    CIRCUIT_BREAKER_OPEN = "circuit-breaker-open"
    REDUCING_NO_BUYS = "reducing-no-buys"
    HALTED = "halted"
    HALT_FLAG = "halt-flag"
    ACCOUNT_BLOCKED = "account-blocked"
    EQUITY_NONPOSITIVE = "equity-nonpositive"


@dataclass(frozen=True)
class RiskLimits:
    """Every limit the risk engine enforces (fractions are of equity). Defaults: docs/configuration.md.

    max_turnover counts sells plus buys: a full rotation from one portfolio into another is 2.0.
    A daily loss is equity against last_equity (the previous close), realized plus unrealized.
    A drawdown is equity against the persisted high-water mark.
    """

    max_symbol_weight: Decimal = Decimal(1)
    max_gross_exposure: Decimal = Decimal(1)
    max_turnover: Decimal = Decimal(2)
    max_order_notional: Decimal = Decimal(100_000)
    max_orders_per_run: int = 40
    max_daily_loss: Decimal = Decimal("0.15")
    daily_loss_action: TradingState = TradingState.REDUCING
    max_drawdown: Decimal = Decimal("0.5")
    drawdown_action: TradingState = TradingState.HALTED
    circuit_breaker_failures: int = 3

    def __post_init__(self) -> None:
        fractions = {
            "max_symbol_weight": self.max_symbol_weight,
            "max_gross_exposure": self.max_gross_exposure,
            "max_daily_loss": self.max_daily_loss,
            "max_drawdown": self.max_drawdown,
        }
        for name, value in fractions.items():
            if not Decimal(0) < value <= Decimal(1):
                raise ConfigError(f"{value} not in (0, 1]", code="limit-out-of-range", where=f"risk.{name}")
        if not Decimal(0) < self.max_turnover <= Decimal(2):
            raise ConfigError("outside (0, 2]", code="limit-out-of-range", where="risk.max_turnover")
        if self.max_order_notional <= 0:
            raise ConfigError("must be positive", code="limit-out-of-range", where="risk.max_order_notional")
        if self.max_orders_per_run < 1 or self.circuit_breaker_failures < 1:
            raise ConfigError("counts must be at least 1", code="limit-out-of-range", where="risk")
        for name in ("daily_loss_action", "drawdown_action"):
            if getattr(self, name) is TradingState.ACTIVE:
                raise ConfigError("must be reducing or halted", code="limit-out-of-range", where=name)


@dataclass(frozen=True)
class Denial:
    """One clip, denial or trip: a stable `code`, the symbol it concerns (None: the whole run), and detail."""

    code: str
    symbol: str | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "symbol": self.symbol, "detail": self.detail}


@dataclass(frozen=True)
class LimitedTargets:
    """Target weights after the weight limits (zero weights dropped), with a denial for each change."""

    weights: dict[str, Decimal]
    denials: tuple[Denial, ...]

    @property
    def gross(self) -> Decimal:
        return sum(self.weights.values(), Decimal(0))


def limit_targets(
    targets: Mapping[str, Weight], limits: RiskLimits, universe: Collection[str]
) -> LimitedTargets:
    """Apply the universe, the per-symbol cap and the gross exposure cap to target weights."""
    allowed = set(universe)
    weights: dict[str, Decimal] = {}
    denials: list[Denial] = []
    for symbol in sorted(targets):
        weight = to_weight(symbol, targets[symbol])
        if weight == 0:
            continue
        if symbol not in allowed:
            denials.append(Denial(RiskCode.NOT_IN_UNIVERSE, symbol, f"weight {weight} moved to cash"))
            continue
        if weight > limits.max_symbol_weight:
            denials.append(
                Denial(
                    RiskCode.MAX_WEIGHT_CLIPPED,
                    symbol,
                    f"weight {weight} clipped to {limits.max_symbol_weight}; the rest stays in cash",
                )
            )
            weight = limits.max_symbol_weight
        weights[symbol] = weight
    gross = sum(weights.values(), Decimal(0))
    if gross > limits.max_gross_exposure:
        factor = limits.max_gross_exposure / gross
        scaled = {s: (w * factor).quantize(WEIGHT_QUANTUM, ROUND_FLOOR) for s, w in weights.items()}
        weights = {s: w for s, w in scaled.items() if w > 0}
        denials.append(
            Denial(
                RiskCode.GROSS_EXPOSURE_CLIPPED,
                None,
                f"gross exposure {gross} scaled down to {limits.max_gross_exposure}",
            )
        )
    return LimitedTargets(weights, tuple(denials))
