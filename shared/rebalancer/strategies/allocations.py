"""Allocations: each > 0 and finite; all fractions summing to 1, or all percentages summing to 100,
within `ALLOCATION_TOLERANCE` (x 100 for percentages); one per strategy, none for an unknown one.

    >>> normalize_allocations({"tecl": 60, "klm": 40}, ["tecl", "klm"], where="--allocation")
    {'tecl': 0.6, 'klm': 0.4}
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from rebalancer.errors import ConfigError

# Allocations sum to 1 within this tolerance (100 within 100x it for percentages).
ALLOCATION_TOLERANCE = 1e-9
FLAG = "--allocation"


def normalize_allocations(
    values: Mapping[str, float], names: Sequence[str], *, where: str
) -> dict[str, float]:
    """name -> fraction (in `names` order, rescaled to sum to 1); ConfigError for any allocation that
    cannot be used."""
    unknown = [name for name in values if name not in names]
    if unknown:
        raise ConfigError(
            f"allocation for {', '.join(unknown)}, which is not one of the strategies ({', '.join(names)})",
            code="allocation-unknown-strategy",
            hint="allocate only to the strategies you run (a strategy's name is its file's stem)",
            where=where,
        )
    missing = [name for name in names if name not in values]
    if missing:
        raise ConfigError(
            f"no allocation for {', '.join(missing)}",
            code="allocation-missing",
            hint="give every strategy an allocation, or leave the strategy out",
            where=where,
        )
    for name in names:
        value = values[name]
        if not math.isfinite(value) or value <= 0:
            raise ConfigError(
                f"allocation of {name} is {value!r}",
                code="allocation-not-positive",
                hint="an allocation is a fraction in (0, 1] or a percentage in (0, 100]; "
                "leave a strategy out instead of giving it 0",
                where=where,
            )
    total = math.fsum(values.values())
    if abs(total - 1.0) > ALLOCATION_TOLERANCE and abs(total - 100.0) > 100 * ALLOCATION_TOLERANCE:
        raise ConfigError(
            f"allocations sum to {total!r}, not 1 (or 100) within {ALLOCATION_TOLERANCE}",
            code="allocations-sum",
            hint="make the allocations add up to 1 (e.g. 0.3, 0.5, 0.2) or to 100 (30, 50, 20)",
            where=where,
        )
    # Rescaled by the total: a sum within the tolerance of 1 becomes 1 up to rounding.
    return {name: values[name] / total for name in names}


def parse_allocation_items(items: Iterable[str]) -> dict[str, float]:
    """`NAME=WEIGHT` flags -> {name: weight} as written (not yet checked against the strategies)."""
    parsed: dict[str, float] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        try:
            value = float(raw) if sep else math.nan
        except ValueError:
            value = math.nan
        name = name.strip()
        if not name or math.isnan(value):
            raise ConfigError(
                f"cannot read allocation {item!r}",
                code="bad-allocation",
                hint="write --allocation NAME=WEIGHT, e.g. --allocation tecl=0.5",
                where=FLAG,
            )
        if name in parsed:
            raise ConfigError(
                f"two allocations for {name}",
                code="allocation-duplicate",
                hint="give each strategy one --allocation",
                where=FLAG,
            )
        parsed[name] = value
    return parsed
