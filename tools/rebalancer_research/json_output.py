"""JSON a strict parser accepts: undefined numbers (NaN, +-Infinity) are written as null.

Python's json module writes bare `NaN` and `Infinity` by default, which JavaScript, jq and most parsers
refuse. docs/backtesting.md promises null.

>>> strict_json({"sharpe": float("nan"), "values": [1.5, float("inf")]})
'{"sharpe": null, "values": [1.5, null]}'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def finite(value: Any) -> Any:
    """`value` with every non-finite float inside it (mappings, lists, tuples) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


def strict_json(value: Any, *, indent: int | None = None) -> str:
    """json.dumps that never emits NaN or Infinity (allow_nan=False would then be a bug: it raises)."""
    import json

    return json.dumps(finite(value), indent=indent, allow_nan=False)
