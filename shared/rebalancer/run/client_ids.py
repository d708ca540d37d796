"""client_order_id: a pure function of (env, session date, slot, symbol, side, attempt).

Because the id depends only on the run and the leg, a duplicated or resumed invocation asks the broker
for the same id and finds the order instead of placing it twice.

    >>> import datetime as dt
    >>> from rebalancer.broker.models import OrderSide
    >>> key = RunKey("paper", dt.date(2026, 1, 5), "open")
    >>> client_order_id(key, "SPY", OrderSide.BUY, 1)
    'rb-paper-20260105-open-a41f5e-SPY-b1'
    >>> belongs_to_run("rb-paper-20260105-open-a41f5e-SPY-b1", key)
    True
"""

from __future__ import annotations

import hashlib

from rebalancer.broker.models import OrderSide
from rebalancer.state.base import RunKey

PREFIX = "rb-"
MAX_LENGTH = 128
_MAX_SYMBOL_CHARS = 24


def _digest(text: str, chars: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:chars]


def run_prefix(key: RunKey) -> str:
    """The part every order of this run shares (at most 85 characters)."""
    day = key.session_date.strftime("%Y%m%d")
    tag = _digest(f"{key.env}|{key.session_date.isoformat()}|{key.slot}", 6)
    return f"{PREFIX}{key.env}-{day}-{key.slot}-{tag}-"


def client_order_id(key: RunKey, symbol: str, side: OrderSide, attempt: int = 1) -> str:
    """The id of one leg. Symbols longer than 24 characters are replaced by a digest (still unique)."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    leg = symbol if len(symbol) <= _MAX_SYMBOL_CHARS and symbol.isprintable() else _digest(symbol, 16)
    return f"{run_prefix(key)}{leg}-{side.value[0]}{attempt}"


def belongs_to_run(client_id: str, key: RunKey) -> bool:
    return client_id.startswith(run_prefix(key))


def made_by_rebalancer(client_id: str) -> bool:
    """Orders any run of this product placed (as opposed to orders a person placed by hand)."""
    return client_id.startswith(PREFIX)
