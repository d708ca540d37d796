"""Typed errors. Every error carries a reason code and a hint a user can act on.

>>> err = RebalancerError("window must be a positive integer", code="bad-window",
...                       hint="write {:window 10}", where="nuclear.clj:12:5")
>>> str(err)
'nuclear.clj:12:5: window must be a positive integer (bad-window). Hint: write {:window 10}'
"""

from __future__ import annotations

from collections.abc import Sequence


class RebalancerError(Exception):
    """Base of every error the product raises on purpose."""

    default_code = "error"

    def __init__(self, message: str, *, code: str | None = None, hint: str = "", where: str = "") -> None:
        self.message = message
        self.code = code or self.default_code
        self.hint = hint
        self.where = where
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        text = f"{text} ({self.code})"
        return f"{text}. Hint: {self.hint}" if self.hint else text

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "hint": self.hint, "where": self.where}


class StrategyError(RebalancerError):
    """A symphony file is malformed or invalid; `where` names file:line:col."""

    default_code = "strategy-invalid"


class DataError(RebalancerError):
    """Market data is missing, short, stale or corrupt; `symbols`: the symbols it is about, if any."""

    default_code = "data-invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        hint: str = "",
        where: str = "",
        symbols: Sequence[str] = (),
    ) -> None:
        self.symbols = tuple(symbols)
        super().__init__(message, code=code, hint=hint, where=where)


class ConfigError(RebalancerError):
    """The configuration is invalid; `where` names the field path."""

    default_code = "config-invalid"


class BrokerError(RebalancerError):
    """The broker refused or failed a request; keeps the broker's own code and message."""

    default_code = "broker-error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        hint: str = "",
        where: str = "",
        status: int | None = None,
        broker_code: int | None = None,
    ) -> None:
        self.status = status
        self.broker_code = broker_code
        super().__init__(message, code=code, hint=hint, where=where)


class StateError(RebalancerError):
    """A state store (ledger, lease, records, halt flag) failed or disagreed."""

    default_code = "state-error"
