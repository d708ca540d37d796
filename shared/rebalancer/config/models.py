"""The configuration models (pure pydantic-settings models: no I/O; loader.py reads files and env).

Every setting, its default and its env var: docs/configuration.md. Unknown keys are errors everywhere.

>>> config = RebalancerConfig(env="paper", risk={"max_drawdown": "0.3"})
>>> config.allocations, config.risk.to_limits().max_drawdown
({'nuclear': 0.3, 'tecl': 0.5, 'klm': 0.2}, Decimal('0.3'))
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from rebalancer.errors import StrategyError
from rebalancer.portfolio.plan_model import PlanOptions
from rebalancer.portfolio.risk_limits import RiskLimits
from rebalancer.portfolio.risk_state import TradingState
from rebalancer.strategies.schedule import parse_schedule
from rebalancer.symphony.library import BUILTIN_ALLOCATIONS

ENV_PREFIX = "REBALANCER_"
ENV_NESTED_DELIMITER = "__"
STRATEGY_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_ACTIONS = {"reduce": TradingState.REDUCING, "halt": TradingState.HALTED}

Mode = Literal["paper", "live"]
Action = Literal["reduce", "halt"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StrategyConfig(_Section):
    """One strategy: a built-in name or a .clj path (relative paths: relative to the config file's folder)."""

    source: str | None = Field(default=None, min_length=1, description="default: the strategy's own key")
    # A fraction or a percentage: checked with every other command's allocations (rebalancer.strategies).
    allocation: float
    parameters: dict[str, float] = Field(default_factory=dict)
    rebalance: str | None = Field(
        default=None,
        description="override the file's :rebalance-frequency / :rebalance-threshold "
        "(none, daily, weekly, monthly, quarterly, yearly or threshold:X); default: the file's setting",
    )

    @field_validator("rebalance")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_schedule(value)
            except StrategyError as err:
                raise ValueError(f"{err.message}: {err.hint}") from None
        return value


def default_strategies() -> dict[str, StrategyConfig]:
    return {name: StrategyConfig(allocation=share) for name, share in BUILTIN_ALLOCATIONS.items()}


class RiskConfig(_Section):
    max_symbol_weight: Decimal = Field(default=Decimal(1), gt=0, le=1)
    max_gross_exposure: Decimal = Field(default=Decimal(1), gt=0, le=1)
    max_turnover: Decimal = Field(default=Decimal(2), gt=0, le=2)
    max_order_notional: Decimal = Field(default=Decimal(100_000), gt=0, le=Decimal(100_000_000))
    max_orders_per_run: int = Field(default=40, ge=1, le=500)
    max_daily_loss: Decimal = Field(default=Decimal("0.15"), gt=0, le=1)
    daily_loss_action: Action = "reduce"
    max_drawdown: Decimal = Field(default=Decimal("0.5"), gt=0, le=1)
    drawdown_action: Action = "halt"
    circuit_breaker_failures: int = Field(default=3, ge=1, le=100)

    def to_limits(self) -> RiskLimits:
        return RiskLimits(
            max_symbol_weight=self.max_symbol_weight,
            max_gross_exposure=self.max_gross_exposure,
            max_turnover=self.max_turnover,
            max_order_notional=self.max_order_notional,
            max_orders_per_run=self.max_orders_per_run,
            max_daily_loss=self.max_daily_loss,
            daily_loss_action=_ACTIONS[self.daily_loss_action],
            max_drawdown=self.max_drawdown,
            drawdown_action=_ACTIONS[self.drawdown_action],
            circuit_breaker_failures=self.circuit_breaker_failures,
        )


class ExecutionConfig(_Section):
    # Alpaca's smallest fractional order is $1, so a lower minimum would only produce rejected orders.
    min_order_notional: Decimal = Field(default=Decimal(1), ge=1, le=Decimal(100_000))
    cash_buffer: Decimal = Field(default=Decimal("0.02"), ge=0, le=Decimal("0.5"))
    # Two fill waits (sells, then buys) plus the rest of the run must fit in the RebalanceFunction's
    # 600 s timeout (template.yaml): 2 x 240 s + the run's overhead.
    fill_timeout_seconds: float = Field(default=120.0, gt=0, le=240)
    max_delay_minutes: int = Field(default=30, ge=0, le=390)
    slot: str = Field(default="market-open", pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")
    # Live vs decision/position price: refuse the run beyond this factor (run/prices.py justifies 3).
    max_price_ratio: Decimal = Field(default=Decimal(3), ge=Decimal("1.05"), le=Decimal(100))
    # A run is `completed` only within this fraction of equity of every target (run/on_target.py).
    target_tolerance: Decimal = Field(default=Decimal("0.01"), ge=Decimal("0.001"), le=Decimal("0.1"))
    # Marketable limit orders this fraction beyond the live price (run/collars.py); unset: market orders.
    price_collar: Decimal | None = Field(default=None, ge=Decimal("0.001"), le=Decimal("0.1"))

    @field_validator("price_collar")
    @classmethod
    def _collar_within_buffer(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        # A collared buy reserves buying power at its limit: the buffer must pay for the collar.
        buffer = info.data.get("cash_buffer")
        if value is not None and buffer is not None and value > buffer:
            raise ValueError(
                f"{value} is larger than cash_buffer {buffer}: buys limited above the live price would "
                "exceed the buying power; lower the collar or raise cash_buffer"
            )
        return value

    def to_plan_options(self) -> PlanOptions:
        return PlanOptions(cash_buffer=self.cash_buffer, min_order_notional=self.min_order_notional)


class DataConfig(_Section):
    lookback_sessions: int = Field(default=1260, ge=50, le=10_000)
    feed: Literal["iex", "sip"] = "iex"


class NotificationsConfig(_Section):
    neutral: bool = Field(default=False, description="redact amounts (money, quantities) from reports")


class BrokerConfig(_Section):
    mode: Mode | None = Field(default=None, description="paper or live; default: the same as env")
    base_url: str | None = Field(default=None, pattern=r"^https?://[^\s/?#]+/?$")
    data_base_url: str | None = Field(default=None, pattern=r"^https?://[^\s/?#]+/?$")
    unsafe_allow_non_alpaca_hosts: StrictBool = Field(
        default=False,
        description="let a live config use https hosts other than Alpaca's (a proxy): the keys go there",
    )


class RebalancerConfig(BaseSettings):
    """The whole configuration. Build it with `load_config` (file + env + cross-field checks)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        case_sensitive=False,
        extra="forbid",
        frozen=True,
    )

    env: Mode = "paper"
    live_trading_confirmed: StrictBool = False  # true or false only: "yes", 1 or "on" confirm nothing
    strategies: dict[str, StrategyConfig] = Field(default_factory=default_strategies)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    notifications: NotificationsConfig = Field(default_factory=NotificationsConfig)
    broker: BrokerConfig = Field(default_factory=BrokerConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],  # noqa: ARG003
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,  # noqa: ARG003
        dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003
        file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Constructing the model reads nothing implicitly: loader.py layers file and env explicitly, so a
        # caller's env mapping (tests, the CLI) is the only environment that counts.
        return (init_settings,)

    @field_validator("strategies")
    @classmethod
    def _strategy_names(cls, value: dict[str, StrategyConfig]) -> dict[str, StrategyConfig]:
        bad = [name for name in value if not STRATEGY_NAME.match(name)]
        if bad:
            raise ValueError(f"strategy names must be lowercase letters, digits, - or _ (got {bad})")
        return value

    @property
    def allocations(self) -> dict[str, float]:
        return {name: strategy.allocation for name, strategy in self.strategies.items()}

    @property
    def broker_mode(self) -> Mode:
        """The broker endpoint to use: broker.mode, else the same as env."""
        return self.broker.mode or self.env

    @property
    def is_live(self) -> bool:
        return self.env == "live" or self.broker_mode == "live"

    def strategy_source(self, name: str) -> str:
        return self.strategies[name].source or name
