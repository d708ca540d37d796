"""The market a command reads for its strategies: a CSV folder or the synthetic market, with every
symbol checked first, so a mistyped ticker is refused (naming the symbol and its file) instead of
being simulated on made-up prices.

    >>> from rebalancer.strategies import load_strategies, specs_from_arguments
    >>> history, source = market_for(load_strategies(specs_from_arguments(["tecl"], [])), None)
    >>> source, "TECL" in history.symbols
    ('synthetic market, seed 7', True)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from rebalancer.market.history import PriceHistory
from rebalancer.strategies import LoadedStrategy, check_symbols_known, known_in, needed_symbols

SYNTHETIC = "synthetic market, seed 7"
ALPACA = "alpaca"  # --data alpaca: Alpaca's market data API, cached on disk


def check_market_symbols(
    strategies: Sequence[LoadedStrategy],
    data_dir: str | Path | None,
    *,
    benchmark: str | None = None,
    benchmark_flag: str = "--benchmark",
) -> None:
    """DataError `symbol-unknown` when the market has no such symbol: no SYMBOL.csv in `data_dir`, or
    (`data_dir` None) a symbol the synthetic market does not model."""
    extra = {benchmark: benchmark_flag} if benchmark else None
    if data_dir is not None:
        folder = Path(data_dir)
        if not folder.is_dir():
            return  # load_csv_dir names the missing folder
        check_symbols_known(
            strategies,
            known_in(p.stem for p in folder.glob("*.csv")),
            source=f"the data folder {folder}",
            extra=extra,
            remedy=", or add its SYMBOL.csv to the data folder",
        )
        return
    from rebalancer_research.market.synthetic_universe import public_symbols

    check_symbols_known(
        strategies,
        known_in(public_symbols()),
        source="the synthetic market",
        extra=extra,
        remedy=", or pass --data DIR with a SYMBOL.csv for it",
    )


def market_for(
    strategies: Sequence[LoadedStrategy],
    data_dir: str | Path | None,
    *,
    benchmark: str | None = None,
    benchmark_flag: str = "--benchmark",
    end: dt.date | None = None,
) -> tuple[PriceHistory, str]:
    """Prices for every symbol the strategies (and the benchmark) need, and where they came from;
    every symbol checked first (check_market_symbols). `alpaca`: Alpaca's market data through the disk
    cache (market/alpaca_cache.py; bars up to `end`, default yesterday), which names any symbol it
    has no bars for."""
    if str(data_dir) == ALPACA:
        from rebalancer_research.market.alpaca_cache import load_alpaca

        last = end or dt.date.today() - dt.timedelta(days=1)  # the CLI's clock: the last closed session
        symbols = sorted(needed_symbols(strategies, benchmark))
        return load_alpaca(symbols, start=None, end=last), "Alpaca market data (disk cache)"
    check_market_symbols(strategies, data_dir, benchmark=benchmark, benchmark_flag=benchmark_flag)
    symbols = sorted(needed_symbols(strategies, benchmark))
    if data_dir is not None:
        from rebalancer_research.market.csv_source import load_csv_dir

        return load_csv_dir(data_dir, symbols), f"data in {Path(data_dir)}"
    from rebalancer_research.market.synthetic import synthetic_market

    return synthetic_market(symbols), SYNTHETIC
