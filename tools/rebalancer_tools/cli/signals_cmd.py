"""`rebalancer signals`: today's target weights of each strategy, why, and the combined portfolio.

    $ rebalancer signals                                   # the three built-ins on the synthetic market
    $ rebalancer signals --data ../shared/data/market --as-of 2026-07-31 --format json
    $ rebalancer signals --strategy tecl --strategy my.clj --allocation tecl=0.6 --allocation my=0.4

Without --strategy: nuclear, tecl and klm at 0.3 / 0.5 / 0.2. With --strategy and no --allocation, the
strategies share equally. A strategy's name is its file's stem. Every problem (unknown strategy or
symbol, missing data, too little history, a date outside the data, allocations not summing to 1) is a
typed error: one message, exit code 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rebalancer.errors import ConfigError, DataError
from rebalancer.market.history import PriceHistory, day_to_date
from rebalancer.portfolio.combine import combine_weights
from rebalancer.strategies import LoadedStrategy, load_strategies, specs_from_arguments
from rebalancer.symphony.evaluator import required_history
from rebalancer.symphony.nodes import Symphony
from rebalancer.symphony.trace import TraceStep, evaluate_and_explain
from rebalancer_research.json_output import strict_json
from rebalancer_research.market.quality import data_warnings
from rebalancer_research.market.select import market_for
from rebalancer_tools.cli.signals_format import format_table


@dataclass(frozen=True)
class StrategySignal:
    name: str
    title: str
    allocation: float
    weights: dict[str, float]
    trace: list[TraceStep]


@dataclass(frozen=True)
class Signals:
    as_of: dt.date
    source: str
    strategies: list[StrategySignal]
    portfolio: dict[str, float]
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "strategies": {
                s.name: {"weights": s.weights, "trace": [step.to_dict() for step in s.trace]}
                for s in self.strategies
            },
            "portfolio": {"weights": self.portfolio},
        }


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "signals",
        help="today's target weights of each strategy and the combined portfolio",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--strategy",
        action="append",
        default=[],
        metavar="NAME|FILE",
        help="a built-in (nuclear, tecl, klm) or a .clj file; repeatable (default: the three built-ins)",
    )
    parser.add_argument(
        "--allocation",
        action="append",
        default=[],
        metavar="NAME=WEIGHT",
        help="a strategy's share of the portfolio; repeatable; fractions summing to 1 or percentages to 100",
    )
    parser.add_argument(
        "--data",
        metavar="DIR",
        help="a folder of SYMBOL.csv files, or 'alpaca' (Alpaca market data, cached on disk; keys from "
        "APCA_API_KEY_ID/APCA_API_SECRET_KEY or a REBALANCER_PROFILE) (default: synthetic)",
    )
    parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="the session to decide on (default: the last)")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    parser.set_defaults(func=run_signals)


def run_signals(args: argparse.Namespace) -> int:
    strategies = load_strategies(specs_from_arguments(args.strategy, args.allocation))
    as_of = parse_date(args.as_of) if args.as_of else None
    history, source = market_for(strategies, args.data, end=as_of)
    signals = compute_signals(strategies, history, as_of, source=source)
    for note in [*data_warnings(history), *signals.notes]:
        print(note, file=sys.stderr)
    if args.format == "json":
        sys.stdout.write(strict_json(signals.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(format_table(signals))
    return 0


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"cannot read date {text!r}", code="bad-date", hint="write --as-of YYYY-MM-DD", where="--as-of"
        ) from None


def compute_signals(
    strategies: Sequence[LoadedStrategy],
    history: PriceHistory,
    as_of: dt.date | None = None,
    *,
    source: str = "",
) -> Signals:
    """Each strategy's weights and decision trace on `as_of` (default: the last session), combined."""
    row = len(history) - 1 if as_of is None else history.row_of(as_of)
    history = history.rows(0, row + 1)
    day = day_to_date(history.dates[-1])
    results = []
    notes: list[str] = []
    for strategy in strategies:
        name, symphony = strategy.name, strategy.symphony
        check_prices(name, symphony, history)
        weight_history, trace = evaluate_and_explain(symphony, history, day)
        if not weight_history.valid[-1]:
            raise _too_little_history(name, symphony, history)
        weights = weight_history.row(day)
        results.append(StrategySignal(name, symphony.name, strategy.allocation, weights, trace))
        notes.extend(warmup_notes(name, symphony, history))
    portfolio = combine_weights({s.name: s.weights for s in results}, {s.name: s.allocation for s in results})
    return Signals(day, source, results, portfolio, notes)


def check_prices(name: str, symphony: Symphony, history: PriceHistory) -> None:
    """Every symbol the strategy needs has a price on the last session."""
    day = day_to_date(history.dates[-1])
    missing = [s for s in sorted(symphony.symbols) if np.isnan(history.column(s)[-1])]
    if missing:
        raise DataError(
            f"strategy {name} needs {', '.join(missing)}, which have no price on {day}",
            code="data-missing",
            hint="pick an --as-of date where every symbol has data, or complete the data",
        )


def _sessions_by_symbol(symphony: Symphony, history: PriceHistory) -> list[tuple[int, str]]:
    """(sessions of data up to the last row, symbol), shortest first."""
    counts = []
    for symbol in sorted(symphony.symbols):
        first = history.first_valid_row(symbol)
        counts.append((len(history) - (len(history) if first is None else first), symbol))
    return sorted(counts)


def _too_little_history(name: str, symphony: Symphony, history: PriceHistory) -> DataError:
    shortest = ", ".join(f"{symbol} {count}" for count, symbol in _sessions_by_symbol(symphony, history)[:3])
    day = day_to_date(history.dates[-1])
    return DataError(
        f"strategy {name} is undefined on {day}: too little history for its indicators "
        f"(sessions of data: {shortest}; full warm-up needs {required_history(symphony)})",
        code="insufficient-history",
        hint="pick a later --as-of date or load more history",
    )


def warmup_notes(name: str, symphony: Symphony, history: PriceHistory) -> list[str]:
    """Symbols with less history than the strategy's full warm-up (RSI may not have converged)."""
    needed = required_history(symphony)
    short = [
        f"{symbol} ({count})" for count, symbol in _sessions_by_symbol(symphony, history) if count < needed
    ]
    if not short:
        return []
    return [
        f"note: {name} wants {needed} sessions for a fully converged warm-up; "
        f"shorter: {', '.join(short)}; its indicators are defined but may differ slightly "
        "from a longer history"
    ]
