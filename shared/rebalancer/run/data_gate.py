"""The data gate: the bars must be complete and current before anything is decided. It fails closed.

Checks, over the lookback window the strategies need (sessions per the broker's calendar):
- the last bar is the previous session (the run decides on the last complete close);
- no calendar session is missing; no symbol has a gap after its first price;
- every needed symbol has a price on the decision date; no NaN, infinite, zero or negative price.

    >>> quality = check_bars(history, calendar, needed={"SPY", "BIL"}, lookback=250)  # doctest: +SKIP
    >>> quality.ok, quality.to_dict()["sessions_checked"]                              # doctest: +SKIP
    (True, 250)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rebalancer.errors import DataError
from rebalancer.market.history import PriceHistory, day_to_date
from rebalancer.run.guards import SessionCalendar

_SHOW = 5


@dataclass(frozen=True)
class Problem:
    code: str
    detail: str


@dataclass
class DataQuality:
    """The gate's findings: a summary for the record and every problem found."""

    decision_date: dt.date
    sessions_checked: int = 0
    symbols: int = 0
    last_bar: dt.date | None = None
    young_symbols: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, code: str, detail: str) -> None:
        self.problems.append(Problem(code, detail))

    def to_error(self) -> DataError:
        first = self.problems[0]
        others = f" (and {len(self.problems) - 1} more problems)" if len(self.problems) > 1 else ""
        return DataError(
            f"data gate: {first.detail}{others}",
            code=first.code,
            hint="no orders were placed; check the data feed, then re-run (see docs/runbook.md)",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "decision_date": self.decision_date.isoformat(),
            "last_bar": None if self.last_bar is None else self.last_bar.isoformat(),
            "sessions_checked": self.sessions_checked,
            "symbols": self.symbols,
            "young_symbols": self.young_symbols,
            "problems": [{"code": p.code, "detail": p.detail} for p in self.problems],
        }


def check_bars(
    history: PriceHistory, calendar: SessionCalendar, needed: Collection[str], lookback: int
) -> DataQuality:
    quality = DataQuality(decision_date=calendar.decision_date, symbols=len(needed))
    missing_symbols = sorted(set(needed) - set(history.symbols))
    if missing_symbols:
        quality.add("symbol-missing", f"no bars for {_names(missing_symbols)}")
    if len(history) == 0:
        quality.add("bars-empty", "the bar request returned no data")
        return quality
    quality.last_bar = history.last_date
    if history.last_date != quality.decision_date:
        quality.add(
            "data-stale",
            f"last bar is {history.last_date}, expected the previous session {quality.decision_date}",
        )
    expected = calendar.previous_sessions[-lookback:]
    quality.sessions_checked = len(expected)
    have = {day_to_date(d) for d in history.dates}
    absent = [d for d in expected if d not in have]
    if absent:
        quality.add("sessions-missing", f"{len(absent)} sessions missing: {_names([str(d) for d in absent])}")
    if expected:
        window = history.between(expected[0], expected[-1])
        for symbol in sorted(set(needed) & set(history.symbols)):
            _check_symbol(window, symbol, quality)
    return quality


def _check_symbol(window: PriceHistory, symbol: str, quality: DataQuality) -> None:
    prices = window.column(symbol)
    known = np.flatnonzero(~np.isnan(prices))
    if known.size == 0:
        quality.add("symbol-no-prices", f"{symbol} has no price in the lookback window")
        return
    if known[0] > 0:
        quality.young_symbols.append(symbol)  # listed inside the window; the evaluator handles warm-up
    tail = prices[known[0] :]
    gaps = np.flatnonzero(np.isnan(tail))
    if np.isnan(prices[-1]):
        quality.add("symbol-stale", f"{symbol} has no price on the decision date")
    elif gaps.size:
        first_gap = day_to_date(window.dates[known[0] + gaps[0]])
        quality.add("symbol-gap", f"{symbol} is missing {gaps.size} sessions (first {first_gap})")
    bad = tail[~np.isnan(tail)]
    if bad.size and (not np.all(np.isfinite(bad)) or bool(np.any(bad <= 0))):
        quality.add("price-invalid", f"{symbol} has a zero, negative or infinite price")


def _names(items: list[str]) -> str:
    more = f" and {len(items) - _SHOW} more" if len(items) > _SHOW else ""
    return ", ".join(items[:_SHOW]) + more
