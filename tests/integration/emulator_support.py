"""Shared fixtures for the emulator tests: a small deterministic history on real XNYS sessions."""

from __future__ import annotations

import datetime as dt
import functools

import exchange_calendars
import numpy as np

from rebalancer.market.history import PriceHistory

KEY, SECRET = "emulator-key", "emulator-secret"  # pragma: allowlist secret (the emulator's fake)


@functools.cache
def sessions(start: str = "2024-09-03", end: str = "2024-12-31") -> tuple[dt.date, ...]:
    cal = exchange_calendars.get_calendar("XNYS", start=start, end=end)
    return tuple(d.date() for d in cal.sessions)


@functools.cache
def small_history() -> PriceHistory:
    """SPY rises 1.0 a session (open = previous close + 0.5), BIL flat, FNGU (non-fractionable) flat."""
    days = sessions()
    n = len(days)
    spy_close = 500.0 + np.arange(n, dtype=float)
    spy_open = spy_close - 0.5
    return PriceHistory.from_columns(
        days,
        {"SPY": list(spy_close), "BIL": [91.5] * n, "FNGU": [250.0] * n},
        opens={"SPY": list(spy_open), "BIL": [91.5] * n, "FNGU": [250.0] * n},
    )


def spy_close(day: dt.date) -> float:
    return 500.0 + sessions().index(day)
