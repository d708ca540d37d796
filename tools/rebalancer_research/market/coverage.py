"""Which symbols start late or have gaps in a PriceHistory, and which one limits a backtest's start.

>>> import numpy as np
>>> from rebalancer.market.history import PriceHistory
>>> h = PriceHistory.from_columns(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"],
...                               {"SPY": [1.0, 2.0, 3.0, 4.0], "NEW": [np.nan, 2.0, np.nan, 4.0]})
>>> c = data_coverage(h)
>>> c.limited_by, c.late, c.gaps
('NEW', ['NEW from 2024-01-03'], ['NEW: 1 missing sessions from 2024-01-04 to 2024-01-04'])
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rebalancer.market.history import PriceHistory


@dataclass(frozen=True)
class Coverage:
    complete_sessions: int  # sessions from the latest start on where every symbol has a price
    first_complete: str | None
    last: str | None
    limited_by: str | None  # the symbol that starts last (None: all start together)
    late: list[str] = field(default_factory=list)  # "SYM from DATE", latest first
    gaps: list[str] = field(default_factory=list)  # "SYM: N missing sessions from DATE to DATE"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def data_coverage(history: PriceHistory, symbols: Collection[str] | None = None) -> Coverage:
    chosen = history if symbols is None else history.select(sorted(set(symbols)))
    if not len(chosen):
        return Coverage(0, None, None, None)
    finite = np.isfinite(chosen.close)
    starts = {s: chosen.first_valid_row(s) for s in chosen.symbols}
    late: list[tuple[int, str]] = []
    gaps: list[str] = []
    for j, symbol in enumerate(chosen.symbols):
        row = starts[symbol]
        if row is None:
            continue
        if row > 0:
            late.append((row, f"{symbol} from {chosen.dates[row]}"))
        holes = np.flatnonzero(~finite[row:, j]) + row
        if holes.size:
            first, last = chosen.dates[holes[0]], chosen.dates[holes[-1]]
            gaps.append(f"{symbol}: {holes.size} missing sessions from {first} to {last}")
    first_all = max((r for r in starts.values() if r is not None), default=0)
    limiter = max(late)[1].split(" ", 1)[0] if late else None
    complete = int(finite[first_all:].all(axis=1).sum())
    return Coverage(
        complete,
        str(chosen.dates[first_all]),
        str(chosen.dates[-1]),
        limiter,
        [text for _, text in sorted(late, reverse=True)],
        gaps,
    )
