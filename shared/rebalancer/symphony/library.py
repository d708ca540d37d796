"""The built-in strategies (strategies/*.clj) and how a strategy name or path becomes a file.

    >>> sorted(BUILTIN_ALLOCATIONS)
    ['klm', 'nuclear', 'tecl']
    >>> resolve_strategy("tecl").name                                  # doctest: +SKIP
    'tecl.clj'

The strategies folder is `$REBALANCER_STRATEGIES_DIR` when set (the Lambda bundles the files beside
its code), else `strategies/` at the root of the checkout this package was installed from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from rebalancer.errors import StrategyError

STRATEGIES_DIR_ENV = "REBALANCER_STRATEGIES_DIR"
BUILTIN_NAMES: tuple[str, ...] = ("nuclear", "tecl", "klm")
# The original account's long-running split (STRATEGIES.md, "Combining strategies").
BUILTIN_ALLOCATIONS: Mapping[str, float] = MappingProxyType({"nuclear": 0.3, "tecl": 0.5, "klm": 0.2})
SUFFIX = ".clj"


def strategies_dir(env: Mapping[str, str] | None = None) -> Path:
    """The folder holding the built-in strategy files."""
    environ = os.environ if env is None else env
    configured = environ.get(STRATEGIES_DIR_ENV)
    if configured:
        return Path(configured)
    # shared/rebalancer/symphony/library.py -> the checkout's root is three folders above the package.
    return Path(__file__).resolve().parents[3] / "strategies"


def builtin_strategy_paths(env: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Built-in name -> its .clj file (in the order nuclear, tecl, klm)."""
    folder = strategies_dir(env)
    return {name: folder / f"{name}{SUFFIX}" for name in BUILTIN_NAMES}


def resolve_strategy(name_or_path: str, env: Mapping[str, str] | None = None) -> Path:
    """A built-in name ("tecl") -> its file; a path to an existing file -> that path."""
    builtins = builtin_strategy_paths(env)
    if name_or_path in builtins:
        path = builtins[name_or_path]
        if not path.is_file():
            raise StrategyError(
                f"built-in strategy {name_or_path!r} not found at {path}",
                code="strategy-not-found",
                hint=f"set {STRATEGIES_DIR_ENV} to the folder holding nuclear.clj, tecl.clj and klm.clj",
                where=str(path),
            )
        return path
    path = Path(name_or_path)
    if path.is_file():
        return path
    raise StrategyError(
        f"unknown strategy {name_or_path!r}: not a built-in and no such file",
        code="strategy-unknown",
        hint=f"use one of {', '.join(BUILTIN_NAMES)} or the path of a .clj symphony file",
        where=name_or_path,
    )


def strategy_name(path: Path) -> str:
    """A strategy's name in reports and allocations: its file's stem ("strategies/tecl.clj" -> "tecl")."""
    return path.stem
