"""JSON forms of the broker types for records and replay (Decimal as strings, times as ISO 8601).

>>> from decimal import Decimal
>>> from rebalancer.broker.models import AssetInfo
>>> from_json(AssetInfo, to_json(AssetInfo("SPY", True, True)))
AssetInfo(symbol='SPY', tradable=True, fractionable=True, status='active')
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

T = TypeVar("T")


def to_json(value: Any) -> Any:
    """Dataclasses, Decimals, dates, enums, mappings and sequences -> JSON-able values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    return value


def from_json(cls: type[T], data: dict[str, Any]) -> T:
    """Inverse of to_json for flat dataclasses whose fields are str/bool/int/Decimal/datetime/enums."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name in data:
            values[field.name] = _decode(str(field.type), data[field.name])
    return cls(**values)


def _decode(annotation: str, raw: Any) -> Any:
    if raw is None:
        return None
    base = annotation.replace(" | None", "")
    if base == "Decimal":
        return Decimal(str(raw))
    if base == "dt.datetime":
        return dt.datetime.fromisoformat(str(raw))
    if base == "dt.date":
        return dt.date.fromisoformat(str(raw))
    if base in ("OrderSide", "OrderStatus"):
        from rebalancer.broker import models

        enum_type: type[Enum] = getattr(models, base)
        return enum_type(raw)
    if base == "TradingState":
        from rebalancer.portfolio.risk_state import TradingState

        return TradingState(raw)
    return raw
