"""Backtest speed and accounting against backtrader and bt, on the TECL strategy and real data.

    REBALANCER_MARKET_DATA=../shared/data/market .venv/bin/python bench/backtest_bench.py [--repeat 20]

What is compared: every session where all TECL symbols have data (up to 2026-07-31; the last CSV row is a
mid-session snapshot). Our time is the engine evaluation of the tree plus the simulation. The peers get
the target weights from our engine (so they test the simulation and accounting under the same trading
rule), the same adjusted prices, the same costs, and the same cash buffer (targets x (1 - buffer)):
- close mode (trade at the decision day's close): rebalancer, backtrader (cheat-on-close), bt;
- open mode (trade at the next open, the previous close where no open exists): rebalancer and backtrader
  (bt has one price per day, so it takes no part).
Fractional shares everywhere; sells are placed before buys. Slippage is a price adjustment in ours and
backtrader's, and folded into bt's commission (bt has no slippage model).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from rebalancer.market.history import PriceHistory
from rebalancer.symphony.evaluator import evaluate
from rebalancer.symphony.library import resolve_strategy
from rebalancer.symphony.reader import load_symphony
from rebalancer.symphony.weights import WeightHistory
from rebalancer_research.backtest.options import BacktestOptions
from rebalancer_research.backtest.simulate import simulate
from rebalancer_research.market.csv_source import load_csv_dir

LAST_COMPLETE_DAY = "2026-07-31"
SLIPPAGE_BPS = 5.0
FEE_BPS = 1.0


def _load(data: Path) -> tuple[object, PriceHistory]:
    symphony = load_symphony(resolve_strategy("tecl"))
    history = load_csv_dir(data, symphony.symbols).until(LAST_COMPLETE_DAY).from_first_complete_row()
    return symphony, history


def _ours(symphony, history, options: BacktestOptions, repeat: int) -> tuple[float, float, float, object]:
    """Median seconds of (evaluation, simulation), the final equity and the result."""
    evals, sims = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        weights = evaluate(symphony, history)
        middle = time.perf_counter()
        result = simulate(weights, history, options)
        sims.append(time.perf_counter() - middle)
        evals.append(middle - start)
    return statistics.median(evals), statistics.median(sims), float(result.equity[-1]), result


def _frames(history: PriceHistory, weights: WeightHistory, result, buffer: float):
    """Prices and targets over the simulated sessions, for the peers."""
    first = int(np.searchsorted(history.dates, result.dates[0]))
    last = int(np.searchsorted(history.dates, result.dates[-1]))
    prices = history.select(weights.symbols).rows(first, last + 1)
    close = prices.to_frame()
    opens = pd.DataFrame(prices.open, index=close.index, columns=close.columns)
    opens = opens.where(np.isfinite(opens), close.shift(1)).fillna(close)  # our open-mode fallback
    targets = pd.DataFrame(
        weights.weights[first : last + 1] * (1 - buffer), index=close.index, columns=close.columns
    )
    return close, opens, targets.fillna(0.0)


def _backtrader(close, opens, targets, options: BacktestOptions, execution: str) -> tuple[float, float]:
    import backtrader as btr

    class Fractional(btr.CommInfoBase):
        params = (("stocklike", True), ("commtype", btr.CommInfoBase.COMM_PERC), ("percabs", True))

        def getsize(self, price, cash):
            return self.p.leverage * (cash / price)

    class Targets(btr.Strategy):
        """Close mode: trade in next() at this bar's close (cheat-on-close). Open mode: trade in
        next_open() at this bar's open (cheat-on-open) to the previous bar's decision, the equity
        valued at the open, as our simulator does."""

        def _rebalance(self, row: pd.Series, price: str) -> None:
            marks = {data: getattr(data, price)[0] for data in self.datas}
            value = self.broker.getcash() + sum(self.getposition(d).size * p for d, p in marks.items())
            orders = []
            for data, mark in marks.items():
                have = self.getposition(data).size * mark
                want = row[data._name] * value
                if abs(want - have) >= options.min_order_notional or (want == 0 and have > 0):
                    orders.append((want - have, data, want))
            for delta, data, _ in sorted(orders, key=lambda o: o[0]):  # sells first
                size = delta / marks[data]
                (self.buy if size > 0 else self.sell)(data=data, size=abs(size))

        def next(self) -> None:
            if execution == "close":
                self._rebalance(targets.iloc[len(self) - 1], "close")

        def next_open(self) -> None:
            # Called at the open of bar len(self) (0-based), before that bar's next().
            if execution == "open":
                self._rebalance(targets.iloc[len(self) - 1], "open")

    cerebro = btr.Cerebro(stdstats=False, cheat_on_open=execution == "open")
    for symbol in close.columns:
        # High/low far outside the prices: backtrader caps a slipped price at the bar's high/low (and,
        # with cheat-on-close, at the NEXT bar's), which would leak future prices into the fills.
        frame = pd.DataFrame({"open": opens[symbol], "high": 1e12, "low": 1e-12}, index=close.index)
        frame["close"], frame["volume"] = close[symbol], 1e12
        cerebro.adddata(btr.feeds.PandasData(dataname=frame), name=symbol)
    cerebro.addstrategy(Targets)
    cerebro.broker.setcash(options.initial_equity)
    cerebro.broker.addcommissioninfo(Fractional(commission=options.fee_bps * 1e-4))
    cerebro.broker.set_slippage_perc(
        options.slippage_bps * 1e-4, slip_open=True, slip_limit=True, slip_match=True
    )
    cerebro.broker.set_checksubmit(False)
    if execution == "close":
        cerebro.broker.set_coc(True)
    else:
        cerebro.broker.set_coo(True)
    start = time.perf_counter()
    strategy = cerebro.run()[0]
    elapsed = time.perf_counter() - start
    return elapsed, float(strategy.broker.getvalue())


def _bt(close, targets, options: BacktestOptions) -> tuple[float, float]:
    import bt

    rate = (options.slippage_bps + options.fee_bps) * 1e-4
    strategy = bt.Strategy("tecl", [bt.algos.WeighTarget(targets), bt.algos.Rebalance()])
    test = bt.Backtest(
        strategy,
        close,
        initial_capital=options.initial_equity,
        commissions=lambda quantity, price: abs(quantity) * price * rate,
        integer_positions=False,
        progress_bar=False,
    )
    start = time.perf_counter()
    result = bt.run(test)
    elapsed = time.perf_counter() - start
    return elapsed, float(result.backtests["tecl"].strategy.values.iloc[-1])


def _line(name: str, seconds: float, equity: float, ours_s: float, ours_eq: float) -> str:
    ratio = seconds / ours_s
    diff = (equity / ours_eq - 1) * 100
    return f"{name:<24}{seconds * 1000:>11.1f} ms{ratio:>10.0f}x{equity:>16,.2f}{diff:>+10.3f}%"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timing repeats for rebalancer (median)")
    args = parser.parse_args()
    data = os.environ.get("REBALANCER_MARKET_DATA")
    if not data:
        print("REBALANCER_MARKET_DATA is not set (point it at ../shared/data/market)", file=sys.stderr)
        return 2
    symphony, history = _load(Path(data))
    print(f"TECL: {len(history)} sessions {history.dates[0]}..{history.dates[-1]}, symbols {history.symbols}")
    print(f"costs: slippage {SLIPPAGE_BPS} bps, fees {FEE_BPS} bps; {args.repeat} timing repeats for ours")
    header = f"{'':<24}{'time':>14}{'ratio':>11}{'final equity':>16}{'vs ours':>11}"
    for execution in ("close", "open"):
        options = BacktestOptions(execution=execution, slippage_bps=SLIPPAGE_BPS, fee_bps=FEE_BPS)
        eval_s, sim_s, ours_eq, result = _ours(symphony, history, options, args.repeat)
        ours_s = eval_s + sim_s
        weights = evaluate(symphony, history)
        close, opens, targets = _frames(history, weights, result, options.cash_buffer)
        print(f"\n[{execution} mode] {len(result.dates)} simulated sessions from {result.dates[0]}")
        print(header)
        print(f"{'rebalancer (eval+sim)':<24}{ours_s * 1000:>11.1f} ms{'1':>10}x{ours_eq:>16,.2f}{'':>11}")
        print(f"{'  engine evaluation':<24}{eval_s * 1000:>11.1f} ms")
        print(f"{'  simulation':<24}{sim_s * 1000:>11.1f} ms")
        print(_line("backtrader", *_backtrader(close, opens, targets, options, execution), ours_s, ours_eq))
        if execution == "close":
            print(_line("bt", *_bt(close, targets, options), ours_s, ours_eq))
    return 0


if __name__ == "__main__":
    sys.exit(main())
