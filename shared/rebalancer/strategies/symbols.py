"""Symbols a data source or broker does not know are refused, naming the symbol and its file."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from rebalancer.errors import DataError
from rebalancer.strategies.loading import LoadedStrategy


def check_symbols_known(
    strategies: Sequence[LoadedStrategy],
    is_known: Callable[[str], bool],
    *,
    source: str,
    extra: Mapping[str, str] | None = None,
    remedy: str = "",
) -> None:
    """DataError `symbol-unknown` naming each symbol the data source or broker does not know and the
    file (or flag, via `extra`: symbol -> where) that asks for it; nothing is made up for it."""
    wanted = files_asking_for(strategies)
    for symbol, where in (extra or {}).items():
        wanted.setdefault(symbol, []).append(where)
    unknown = {symbol: where for symbol, where in sorted(wanted.items()) if not is_known(symbol)}
    if unknown:
        listed = "; ".join(f"{symbol} (in {', '.join(where)})" for symbol, where in unknown.items())
        raise DataError(
            f"unknown symbol: {listed}: {source} has no such asset",
            code="symbol-unknown",
            hint=f"check the ticker {', '.join(unknown)} in {next(iter(unknown.values()))[0]}{remedy}",
            where=next(iter(unknown.values()))[0],
        )


def files_asking_for(
    strategies: Sequence[LoadedStrategy], symbols: Iterable[str] | None = None
) -> dict[str, list[str]]:
    """symbol -> the strategy files that reference it, for `symbols` (default: every symbol), sorted."""
    only = None if symbols is None else frozenset(symbols)
    wanted: dict[str, list[str]] = {}
    for item in strategies:
        for symbol in sorted(item.symphony.symbols):
            if only is None or symbol in only:
                wanted.setdefault(symbol, []).append(item.filename)
    return dict(sorted(wanted.items()))


def naming_files(err: DataError, strategies: Sequence[LoadedStrategy]) -> DataError:
    """The data error again, naming the strategy file that asks for each symbol it is about (a typo ticker
    in a deployed strategy then says where to fix it); unchanged when no file asks for them."""
    asked = files_asking_for(strategies, err.symbols)
    if not asked:
        return err
    listed = "; ".join(f"{symbol} (in {', '.join(files)})" for symbol, files in asked.items())
    first = next(iter(asked.values()))[0]
    hint = f"check the ticker {', '.join(asked)} in {first}" + (f"; {err.hint}" if err.hint else "")
    return DataError(f"{err.message}: {listed}", code=err.code, hint=hint, where=first, symbols=err.symbols)


def known_in(symbols: Iterable[str]) -> Callable[[str], bool]:
    """`is_known` for a fixed asset list."""
    universe = frozenset(symbols)
    return universe.__contains__
