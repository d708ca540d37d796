"""Crafted price histories that force a chosen branch of a built-in strategy (test helper).

Every symbol starts from the same calm default: a gentle uptrend (so price > SMA200 and moving
averages of returns are positive) with a small up/down alternation (so every RSI sits near 55,
far from the 30/79 thresholds). A scenario then reshapes the last sessions of a few symbols:

    craft = Craft(symphony.symbols)
    craft.level("SPY", rsi=0.35, days=40)    # steady state near RSI 35 over the last 40 sessions
    craft.trend("QQQ", daily=-0.004, days=60)  # a 60-session decline
    craft.rsi("SPY", 80)                      # then set the last close so RSI10(SPY) is exactly 80
    history = craft.history()

Prices are built in log space; `rsi()` targets are applied last, by solving Wilder's recursion for
the final close (the same RSI as TA-Lib), so a crafted RSI is exact, not hoped for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from rebalancer.market.history import PriceHistory

SESSIONS = 320
DEFAULT_AMP = 0.003
DEFAULT_RSI = 0.55


def wilder_state(prices: np.ndarray, window: int) -> tuple[float, float]:
    """Wilder's average gain and loss after the last price (seeded by the first `window` changes)."""
    changes = np.diff(prices)
    gains, losses = np.maximum(changes, 0.0), np.maximum(-changes, 0.0)
    gain, loss = gains[:window].mean(), losses[:window].mean()
    for g, lo in zip(gains[window:], losses[window:], strict=True):
        gain = (gain * (window - 1) + g) / window
        loss = (loss * (window - 1) + lo) / window
    return float(gain), float(loss)


def wilder_rsi(prices: np.ndarray, window: int) -> float:
    gain, loss = wilder_state(prices, window)
    return 100.0 * gain / (gain + loss)


def final_close_for_rsi(prices: np.ndarray, window: int, target: float) -> float:
    """The close after `prices` that makes RSI(window) equal `target` (0 < target < 100)."""
    gain, loss = wilder_state(prices, window)
    ratio = target / (100.0 - target)
    up_gain = ratio * loss * (window - 1) / window
    move = window * up_gain - gain * (window - 1)
    if move < 0:  # the target needs a down day: solve for the loss side instead
        down_loss = gain * (window - 1) / window / ratio
        move = loss * (window - 1) - window * down_loss
    close = float(prices[-1] + move)
    assert close > 0, f"RSI {target} is out of reach from {prices[-1]}"
    return close


def stdev_return(prices: np.ndarray, window: int) -> float:
    """Population standard deviation of the last `window` daily returns, in percent."""
    returns = prices[1:] / prices[:-1] - 1
    return float(np.std(returns[-window:], ddof=1) * 100)  # sample stdev, as Composer


def moving_average_return(prices: np.ndarray, window: int) -> float:
    returns = prices[1:] / prices[:-1] - 1
    return float(np.mean(returns[-window:]) * 100)


class Craft:
    """Per-symbol log-price paths over `sessions` business days, reshaped by scenario calls."""

    def __init__(self, symbols: Iterable[str], sessions: int = SESSIONS) -> None:
        self.sessions = sessions
        self.t = np.arange(sessions, dtype=np.float64)
        self.logs: dict[str, np.ndarray] = {s: self._steady(DEFAULT_RSI, DEFAULT_AMP) for s in symbols}
        self.targets: dict[str, tuple[int, float]] = {}

    def _steady(self, rsi: float, amp: float) -> np.ndarray:
        # Alternating changes drift +/- 2*amp: ups/(ups+downs) = rsi when drift = amp * (4 rsi - 2).
        drift = amp * (4 * rsi - 2)
        return np.log(50.0) + drift * self.t + amp * (-1.0) ** self.t

    def _tail(self, symbol: str, steps: np.ndarray) -> None:
        """Replace the last len(steps) log changes of `symbol` (earlier prices untouched)."""
        path = self.logs[symbol]
        days = len(steps)
        start = self.sessions - days - 1
        path[start + 1 :] = path[start] + np.cumsum(steps)

    def level(self, symbol: str, rsi: float, days: int = 60, amp: float = DEFAULT_AMP) -> Craft:
        """Over the last `days`, alternate so RSI hovers near `rsi` (a fraction, e.g. 0.35)."""
        drift = amp * (4 * rsi - 2)
        steps = drift + 2 * amp * (-1.0) ** np.arange(days)
        self._tail(symbol, steps[::-1])  # the last step is an up step
        return self

    def trend(self, symbol: str, daily: float, days: int) -> Craft:
        """Add a steady log drift of `daily` per session over the last `days` (keeps the wiggle)."""
        self.logs[symbol][self.sessions - days :] += daily * np.arange(1, days + 1)
        return self

    def returns(self, symbol: str, daily: Iterable[float]) -> Craft:
        """Set the last daily simple returns of `symbol` exactly (oldest first)."""
        steps = np.log1p(np.asarray(list(daily), dtype=np.float64))
        self._tail(symbol, steps)
        return self

    def same_as(self, symbol: str, other: str) -> Craft:
        """Make `symbol` follow exactly the same path as `other` (to force ties)."""
        self.logs[symbol] = self.logs[other].copy()
        return self

    def rsi(self, symbol: str, target: float, window: int = 10) -> Craft:
        """After all shaping, set the last close so RSI(window) of `symbol` is exactly `target`."""
        assert symbol not in self.targets, f"{symbol} already has an RSI target"
        self.targets[symbol] = (window, target)
        return self

    def prices(self, symbol: str) -> np.ndarray:
        closes = np.exp(self.logs[symbol])
        if symbol in self.targets:
            window, target = self.targets[symbol]
            closes[-1] = final_close_for_rsi(closes[:-1], window, target)
        return closes

    def history(self) -> PriceHistory:
        dates = np.busday_offset("2021-01-04", np.arange(self.sessions), roll="forward")
        closes: Mapping[str, np.ndarray] = {s: self.prices(s) for s in self.logs}
        return PriceHistory.from_columns(list(dates), closes)
