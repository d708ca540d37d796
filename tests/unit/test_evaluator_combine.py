"""Combining strategies by allocation (portfolio/combine.py) and WeightHistory accessors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from rebalancer.errors import ConfigError, DataError
from rebalancer.portfolio.combine import combine_histories, combine_weights
from rebalancer.symphony.weights import WeightHistory

DATES = np.array(["2024-01-02", "2024-01-03", "2024-01-04"], dtype="datetime64[D]")


def _wh(symbols: tuple[str, ...], rows: list[list[float]]) -> WeightHistory:
    return WeightHistory(DATES, symbols, np.array(rows, dtype=float))


def test_combined_weights_are_the_allocation_weighted_sum():
    combined = combine_weights(
        {"nuclear": {"UVXY": 1.0}, "tecl": {"TECL": 0.5, "BIL": 0.5}, "klm": {"UVXY": 0.25, "BIL": 0.75}},
        {"nuclear": 0.3, "tecl": 0.5, "klm": 0.2},
    )
    assert combined == pytest.approx({"BIL": 0.4, "TECL": 0.25, "UVXY": 0.35})
    assert sum(combined.values()) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(
    ("allocations", "code"),
    [
        ({"a": 0.5, "b": 0.4}, "allocations-sum"),
        ({"a": 1.2, "b": -0.2}, "allocation-not-positive"),
        ({"a": 1.0}, "allocation-missing"),
        ({"a": 0.5, "b": 0.25, "c": 0.25}, "allocation-unknown-strategy"),
    ],
)
def test_bad_allocations_are_config_errors(allocations, code):
    with pytest.raises(ConfigError) as err:
        combine_weights({"a": {"SPY": 1.0}, "b": {"BIL": 1.0}}, allocations)
    assert err.value.code == code
    assert err.value.where.startswith("allocations")


def test_allocations_within_tolerance_are_accepted_and_zero_allocation_is_ignored():
    combined = combine_weights({"a": {"SPY": 1.0}, "b": {"BIL": 1.0}}, {"a": 1.0 + 5e-10, "b": 0.0})
    assert combined == {"SPY": pytest.approx(1.0, abs=1e-15)}


def test_a_strategy_whose_weights_do_not_sum_to_one_is_rejected():
    with pytest.raises(DataError, match="strategy a"):
        combine_weights({"a": {"SPY": 0.9}}, {"a": 1.0})


def test_combined_history_is_defined_only_where_every_strategy_is():
    a = _wh(("SPY",), [[np.nan], [1.0], [1.0]])
    b = _wh(("BIL", "SPY"), [[0.5, 0.5], [0.5, 0.5], [np.nan, np.nan]])
    out = combine_histories({"a": a, "b": b}, {"a": 0.25, "b": 0.75})
    assert out.symbols == ("BIL", "SPY")
    assert out.valid.tolist() == [False, True, False]
    assert out.row("2024-01-03") == pytest.approx({"BIL": 0.375, "SPY": 0.625})


def test_combined_history_needs_the_same_dates():
    a = _wh(("SPY",), [[1.0], [1.0], [1.0]])
    b = WeightHistory(DATES[:2], ("SPY",), np.ones((2, 1)))
    with pytest.raises(DataError, match="different dates"):
        combine_histories({"a": a, "b": b}, {"a": 0.5, "b": 0.5})


def test_weight_history_accessors():
    wh = _wh(("BIL", "SPY"), [[np.nan, np.nan], [0.0, 1.0], [np.nan, np.nan]])
    assert wh.first_valid_date == dt.date(2024, 1, 3)
    assert wh.last_valid_row() == (dt.date(2024, 1, 3), {"SPY": 1.0})
    assert list(wh.to_frame().columns) == ["BIL", "SPY"]
    with pytest.raises(DataError, match="undefined"):
        wh.row("2024-01-04")
    with pytest.raises(DataError, match="not a session"):
        wh.row("2024-01-05")
    with pytest.raises(DataError):
        WeightHistory(DATES, ("SPY",), np.ones((2, 1)))
    empty = _wh(("SPY",), [[np.nan]] * 3)
    assert empty.first_valid_date is None
    with pytest.raises(DataError):
        empty.last_valid_row()


@pytest.mark.parametrize(
    ("strategies", "allocations", "shown"),
    [
        (
            ("a", "b"),
            {"a": 0.5, "b": 0.25, "d": 0.125, "c": 0.125},
            "allocations: allocations name strategies that were not evaluated: c, d "
            "(allocation-unknown-strategy). Hint: allocate only to enabled strategies",
        ),
        (
            ("a", "b", "c"),
            {"b": 1.0},
            "allocations: strategies without an allocation: a, c (allocation-missing). "
            "Hint: give every strategy an allocation (0 to disable it)",
        ),
    ],
)
def test_an_allocation_that_names_the_wrong_strategies_says_which_and_what_to_do(
    strategies, allocations, shown
):
    """The operator reads this line: every offending strategy by name, sorted, and the fix."""
    with pytest.raises(ConfigError) as err:
        combine_weights({name: {"SPY": 1.0} for name in strategies}, allocations)
    assert str(err.value) == shown


def test_a_strategy_may_hold_an_explicit_zero_weight_and_the_zero_is_left_out():
    combined = combine_weights(
        {"a": {"SPY": 0.75, "BIL": 0.25, "TLT": 0.0}, "b": {"TLT": 0.0, "SPY": 1.0}}, {"a": 0.5, "b": 0.5}
    )
    assert combined == {"BIL": 0.125, "SPY": 0.875}


def test_a_single_allocated_strategy_passes_its_history_through():
    """One strategy at 100% (the other disabled with 0): the combined history is that strategy's."""
    only = _wh(("BIL", "SPY"), [[np.nan, np.nan], [0.25, 0.75], [1.0, 0.0]])
    off = _wh(("TLT",), [[1.0], [1.0], [1.0]])
    out = combine_histories({"only": only, "off": off}, {"only": 1.0, "off": 0.0})
    assert out.symbols == ("BIL", "SPY")
    assert out.valid.tolist() == [False, True, True]
    assert out.row("2024-01-03") == {"BIL": 0.25, "SPY": 0.75}
    assert out.row("2024-01-04") == {"BIL": 1.0}
