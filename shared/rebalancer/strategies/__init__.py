"""Strategies and their allocations: the one set of rules every command uses.

`rebalancer signals`, `backtest`, `walkforward` (flags), `config check`, `plan` and `run` (a config
file) all turn their input into `StrategySpec`s here, read them with `load_strategies`, and check the
symbols with `check_symbols_known`, so they accept and refuse the same strategies, allocations and
tickers with the same error codes.

allocations.py: the allocation rules; loading.py: specs and strategies read from files; symbols.py:
unknown symbols refused.
"""

from rebalancer.strategies.allocations import (
    ALLOCATION_TOLERANCE,
    normalize_allocations,
    parse_allocation_items,
)
from rebalancer.strategies.loading import (
    LoadedStrategy,
    StrategySpec,
    load_strategies,
    lookback_sessions,
    needed_symbols,
    read_strategy,
    specs_from_arguments,
    strategies_from_record,
)
from rebalancer.strategies.symbols import check_symbols_known, known_in

__all__ = [
    "ALLOCATION_TOLERANCE",
    "LoadedStrategy",
    "StrategySpec",
    "check_symbols_known",
    "known_in",
    "load_strategies",
    "lookback_sessions",
    "needed_symbols",
    "normalize_allocations",
    "parse_allocation_items",
    "read_strategy",
    "specs_from_arguments",
    "strategies_from_record",
]
