import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rebalancer.backtest.kernel import run_sessions
from rebalancer.backtest.options import BacktestOptions, parse_rebalance


@st.composite
def sessions(draw):
    n = draw(st.integers(2, 12))
    width = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    raw = rng.random((n, width)) * (rng.random((n, width)) < 0.6)  # some zero weights
    raw[raw.sum(axis=1) == 0, 0] = 1.0
    targets = raw / raw.sum(axis=1, keepdims=True)
    pre = np.exp(rng.normal(0, 0.05, (n, width)))
    post = np.where(rng.random((n, width)) < 0.5, 1.0, np.exp(rng.normal(0, 0.02, (n, width))))
    may_trade = rng.random(n) < 0.8
    options = BacktestOptions(
        slippage_bps=draw(st.sampled_from([0.0, 5.0])),
        fee_bps=draw(st.sampled_from([0.0, 10.0])),
        cash_buffer=draw(st.sampled_from([0.0, 0.02])),
        min_order_notional=draw(st.sampled_from([0.0, 1.0, 3000.0])),
        rebalance=parse_rebalance(draw(st.sampled_from(["daily", "threshold:0.05"]))),
    )
    return targets, may_trade, pre, post, options


@settings(max_examples=150, deadline=None)
@given(sessions())
def test_sparse_and_dense_books_follow_the_same_rules(case):
    targets, may_trade, pre, post, options = case
    sparse = run_sessions(targets, may_trade, pre, post, options, dense=False)
    dense = run_sessions(targets, may_trade, pre, post, options, dense=True)
    np.testing.assert_allclose(sparse.equity, dense.equity, rtol=1e-12)
    np.testing.assert_allclose(sparse.holdings, dense.holdings, rtol=1e-12, atol=1e-7)
    np.testing.assert_allclose(sparse.costs, dense.costs, rtol=1e-9, atol=1e-9)
    assert sparse.traded_today.tolist() == dense.traded_today.tolist()


def test_the_implementation_is_picked_by_width():
    n, width = 3, 80
    targets = np.full((n, width), 1.0 / width)
    ones = np.ones((n, width))
    path = run_sessions(targets, np.ones(n, dtype=bool), ones, ones, BacktestOptions(cash_buffer=0.0))
    np.testing.assert_allclose(path.holdings[0], 100_000 / width)
