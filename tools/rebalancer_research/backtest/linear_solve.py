"""The trades of one stretch solved together (the model is in kernel_linear.py's docstring).

Work is on the (trade, symbol) pairs that can hold or trade anything: a symbol targeted at this trade or
the previous one, or held at the start (anything else was sold at the previous trade), so a strategy
holding one or two of its symbols costs about one pair per trade whatever the universe.

Equity before trade k+1 over equity before trade k is 1 - cost_k/E_k + sum_i (H_k,i/E_k)(growth_i - 1):
every term but the 1 is small (costs, and skipped holdings are below the minimum order), so iterating
that map from the cost-free path converges in a few vectorized steps (each step shrinks the error by
about the cost rate). Which orders are skipped is decided exactly for a given equity path by following
each symbol's chain of skipped orders (only orders near the minimum take a Python step); sides and
equity are re-derived until they agree, and a final check applies the trading rules to the solved
book. A trade where anything disagrees, or where buys would need scaling (all the positive deltas,
those under the minimum included, exceed the cash: rules.Trader scales them all, then skips), is
marked bad.

    >>> import numpy as np
    >>> from rebalancer_research.backtest.options import BacktestOptions
    >>> trader = Trader(BacktestOptions(cash_buffer=0.5))
    >>> solved = solve(np.ones((1, 1)), np.zeros(1), np.ones((2, 1)), 1000.0, trader)
    >>> solved.holdings.tolist(), solved.cash.tolist()
    ([[500.0]], [500.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rebalancer_research.backtest.rules import Trader

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]

# Cash left after a trade and the skipped buys, relative to the equity, below which buys might have been
# scaled.
CASH_MARGIN = 1e-12
# Rounds of re-deciding skipped orders, and steps of the equity iteration per round.
SIDE_ROUNDS = 4
EQUITY_STEPS = 30
EQUITY_TOLERANCE = 1e-12
# The path with every order executed only has to place orders against the minimum.
GUESS_TOLERANCE = 1e-10


@dataclass(frozen=True, eq=False)
class Solved:
    """Per trade: holdings (trades x symbols) and cash after it, notional traded, costs, and whether
    the linear model fails there."""

    holdings: FloatArray
    cash: FloatArray
    traded: FloatArray
    costs: FloatArray
    bad: BoolArray


@dataclass(frozen=True, eq=False)
class _Sides:
    """Per pair: the order is skipped (below the minimum), buys, or sells."""

    skipped: BoolArray
    buys: BoolArray
    sells: BoolArray

    def differ(self, other: _Sides) -> BoolArray:
        result: BoolArray = (
            (self.skipped != other.skipped) | (self.buys != other.buys) | (self.sells != other.sells)
        )
        return result


class _Pairs:
    """The active (trade, symbol) pairs of a stretch, and everything about them that does not depend
    on the equity path."""

    def __init__(self, targets: FloatArray, held: FloatArray, anchors: FloatArray, trader: Trader) -> None:
        count, width = targets.shape
        active = targets > 0.0
        active[1:] |= targets[:-1] > 0.0
        active[0] |= held > 0.0
        # Symbol-major order: each symbol's pairs are consecutive, by trade.
        self.cols, self.rows = np.nonzero(active.T)
        self.count, self.width, self.trader = count, width, trader
        at = self.rows * width + self.cols  # flat index into (trades x symbols)
        self.weight = targets.ravel()[at]
        self.wanted = trader.invested * self.weight  # target holding per unit of equity
        # Holdings per unit of each anchor's equity: anchor 0 is the start (in money), anchor k trade k.
        self.base = np.vstack([held[None, :], trader.invested * targets]).ravel()
        self.anchors = anchors.ravel()
        growth = (anchors[1:] / anchors[:-1]).ravel()  # from anchor r to trade r
        self.growth_in = growth[at]
        onward = np.append(growth[width:], np.ones(width))  # to the next trade
        self.growth_out = onward[at] - 1.0
        self.before = self.anchors[at + width]  # growth level just before each pair's trade
        self.recent = self.units(self.rows)
        # Each pair's neighbours in its symbol's chain (-1: none).
        adjacent = (self.cols[1:] == self.cols[:-1]) & (self.rows[1:] == self.rows[:-1] + 1)
        index = np.arange(len(self.rows))
        self.following = np.where(np.append(adjacent, False), index + 1, -1)
        self.preceding = np.where(np.insert(adjacent, 0, False), index - 1, -1)

    def units(self, anchor: IntArray) -> FloatArray:
        """Holding before each pair's trade per unit of the equity at `anchor` (grown since)."""
        at = anchor * self.width + self.cols
        grown: FloatArray = self.base[at] * self.before / self.anchors[at]
        return grown

    def row_sum(self, values: FloatArray) -> FloatArray:
        summed = np.bincount(self.rows, weights=values, minlength=self.count)
        return np.asarray(summed, dtype=np.float64)

    def anchor_of(self, skipped: BoolArray) -> IntArray:
        """The anchor each pair's holding comes from: the previous trade, or further back along a
        chain of skipped orders."""
        inherits = np.zeros(len(skipped), dtype=np.bool_)
        inherits[1:] = skipped[:-1] & (self.preceding[1:] >= 0)
        offset = self.cols * (self.count + 1)  # keeps the running maximum within each symbol
        key = np.where(inherits, -1, offset + self.rows)
        anchor: IntArray = np.maximum.accumulate(key) - offset
        return anchor

    def orders(self, equity: FloatArray, anchor: IntArray, units: FloatArray) -> FloatArray:
        """delta = inv*w*E_k - units*E_anchor (equity[0] = 1: the start's units are money)."""
        with np.errstate(over="ignore", invalid="ignore"):
            orders: FloatArray = self.wanted * equity[self.rows + 1] - units * equity[anchor]
        return orders

    def rule_sides(self, orders: FloatArray, skipped: BoolArray | None = None) -> _Sides:
        if skipped is None:
            skipped = (self.weight > 0.0) & (orders != 0.0) & (np.abs(orders) < self.trader.minimum)
        executed = ~skipped
        return _Sides(skipped, executed & (orders > 0.0), executed & (orders < 0.0))


def solve(targets: FloatArray, held: FloatArray, anchors: FloatArray, cash: float, trader: Trader) -> Solved:
    """Solve the trades of a stretch: `targets` (trades x symbols), holdings `held` and `cash` at
    the start, growth levels of the anchors (the start, then each trade)."""
    count, width = targets.shape
    if count == 0:
        return Solved(
            np.zeros((0, width)), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.bool_)
        )
    pairs = _Pairs(targets, held, anchors, trader)
    # The path with every order executed is within a hair of the real one (skipped orders are below
    # the minimum); the sides it implies are then checked against the path they produce.
    anchor, units = pairs.rows, pairs.recent
    executed = np.zeros(len(units), dtype=np.bool_)
    equity = _equity(pairs, executed, anchor, units, _cost_free(pairs, cash), tolerance=GUESS_TOLERANCE)
    sides = _chain_sides(pairs, equity)
    for _ in range(SIDE_ROUNDS):
        anchor = pairs.anchor_of(sides.skipped)
        units = pairs.units(anchor)
        equity = _equity(pairs, sides.skipped, anchor, units, equity)
        derived = _chain_sides(pairs, equity)
        if not derived.differ(sides).any():
            break
        sides = derived
    orders = pairs.orders(equity, anchor, units)
    wrong = pairs.rule_sides(orders).differ(sides)
    return _outcome(pairs, sides, orders=orders, equity=equity, anchor=anchor, units=units, wrong=wrong)


def _cost_free(pairs: _Pairs, cash: float) -> FloatArray:
    """Equity before each trade (equity[0] = 1) if every order executed and cost nothing."""
    first = cash + float(pairs.recent[pairs.rows == 0].sum())
    step = 1.0 + pairs.row_sum(pairs.wanted * pairs.growth_out)
    return np.concatenate([[1.0], first * np.cumprod(np.concatenate([[1.0], step[:-1]]))])


def _equity(
    pairs: _Pairs,
    skipped: BoolArray,
    anchor: IntArray,
    units: FloatArray,
    start: FloatArray,
    *,
    tolerance: float = EQUITY_TOLERANCE,
) -> FloatArray:
    """Iterate E_{k+1}/E_k = 1 - cost_k/E_k + sum_i (H_k,i/E_k)(growth_i - 1) to its fixed point,
    with the skipped orders given (each executed order buys or sells as its size says). Each step
    shrinks the error by about the cost rate, so a last change below `tolerance` leaves an error
    about a thousand times smaller."""
    trader = pairs.trader
    buy_cost, sell_cost = trader.buy_rate - 1.0, 1.0 - trader.sell_rate
    executed = np.where(skipped, 0.0, 1.0)
    # cost = buy_cost*order (order > 0) or -sell_cost*order: (b+s)/2*|order| + (b-s)/2*order.
    cost_abs = executed * (0.5 * (buy_cost + sell_cost))
    cost_signed = executed * (0.5 * (buy_cost - sell_cost))
    target_growth = executed * pairs.wanted * pairs.growth_out
    kept_growth = (1.0 - executed) * pairs.growth_out
    wanted, after = pairs.wanted, pairs.rows + 1
    first = start[1]
    equity = start
    ratio = np.empty(pairs.count)
    ratio[0] = first
    for _ in range(EQUITY_STEPS):
        held = units * (equity[anchor] / equity[after])  # before the trade, per unit of E_k
        order = wanted - held
        step = target_growth + kept_growth * held - cost_abs * np.abs(order) - cost_signed * order
        ratio[1:] = pairs.row_sum(step)[:-1]
        ratio[1:] += 1.0
        updated = np.empty(pairs.count + 1)
        updated[0] = 1.0
        np.cumprod(ratio, out=updated[1:])
        change = float(np.max(np.abs(updated / equity - 1.0)))
        equity = updated
        if not change > tolerance:  # also stops on NaN (a broken path is marked bad later)
            break
    return equity


def _cost_rate(sides: _Sides, trader: Trader) -> FloatArray:
    rate: FloatArray = np.where(
        sides.buys, trader.buy_rate - 1.0, np.where(sides.sells, 1.0 - trader.sell_rate, 0.0)
    )
    return rate


def _chain_sides(pairs: _Pairs, equity: FloatArray) -> _Sides:
    """Each order's side for this equity path, following chains of skipped orders exactly.

    An order skipped at trade k leaves its shortfall D_k in the book, so that symbol's next order is
    d_{k+1} + growth * D_k, where d is the order had the previous one executed. Only orders that may
    be skipped (|d| < minimum * (1 + growth)) and the ones right after a skip take a step here; every
    other order executes with the side of d.
    """
    minimum = pairs.trader.minimum
    recent = pairs.orders(equity, pairs.rows, pairs.recent)
    actual = recent.copy()
    maybe = (pairs.weight > 0.0) & (np.abs(recent) < minimum * (1.0 + pairs.growth_in) * (1.0 + 1e-9))
    skipped = np.zeros(len(recent), dtype=np.bool_)
    candidates = np.flatnonzero(maybe).tolist()  # symbol-major: each chain in order
    if candidates:
        growth, preceding, following = pairs.growth_in, pairs.preceding, pairs.following
        carried_from, carry = -1, 0.0
        for pair in candidates:
            value = float(recent[pair])
            if carried_from >= 0 and preceding[pair] == carried_from:
                value += float(growth[pair]) * carry
            actual[pair] = value
            if value != 0.0 and abs(value) < minimum:
                skipped[pair] = True
                carried_from, carry = pair, value
                after = int(following[pair])
                if after >= 0 and not maybe[after]:  # certain to execute: settle its size now
                    actual[after] = recent[after] + growth[after] * value
    return pairs.rule_sides(actual, skipped)


def _outcome(
    pairs: _Pairs,
    sides: _Sides,
    *,
    orders: FloatArray,
    equity: FloatArray,
    anchor: IntArray,
    units: FloatArray,
    wrong: BoolArray,
) -> Solved:
    executed = np.where(sides.skipped, 0.0, np.abs(orders))
    costs = pairs.row_sum(_cost_rate(sides, pairs.trader) * executed)
    before = equity[pairs.rows + 1]
    kept = np.where(sides.skipped, units * equity[anchor], pairs.wanted * before)
    holdings = np.zeros((pairs.count, pairs.width))
    holdings[pairs.rows, pairs.cols] = kept
    cash = equity[1:] - costs - pairs.row_sum(kept)
    # The buys are scaled (rules.Trader) when all the positive deltas, the skipped ones under the minimum
    # included, cost more than the cash: then the cash left would not cover the skipped buys.
    skipped_buys = pairs.row_sum(np.where(sides.skipped & (orders > 0.0), orders, 0.0))
    spare = cash - pairs.trader.buy_rate * skipped_buys
    with np.errstate(invalid="ignore"):
        bad = (pairs.row_sum(wrong.astype(np.float64)) > 0.0) | ~(spare > CASH_MARGIN * equity[1:])
        bad |= ~(equity[1:] > 0.0)
    return Solved(holdings, cash, pairs.row_sum(executed), costs, np.asarray(bad, dtype=np.bool_))
