from pathlib import Path

import pytest
from builtin_check import STRATEGIES, builtin

from rebalancer.errors import StrategyError
from rebalancer.symphony.evaluator import evaluate
from rebalancer.symphony.library import (
    BUILTIN_ALLOCATIONS,
    STRATEGIES_DIR_ENV,
    builtin_strategy_paths,
    resolve_strategy,
    strategy_name,
)
from rebalancer_research.market.synthetic import synthetic_market
from rebalancer_research.market.synthetic_universe import UNIVERSE


def test_builtins_resolve_to_the_repository_strategies_folder():
    paths = builtin_strategy_paths(env={})
    assert list(paths) == ["nuclear", "tecl", "klm"]
    assert all(p.parent == STRATEGIES and p.is_file() for p in paths.values())
    assert resolve_strategy("tecl", env={}) == STRATEGIES / "tecl.clj"
    assert strategy_name(paths["klm"]) == "klm"


def test_allocations_sum_to_one():
    assert sum(BUILTIN_ALLOCATIONS.values()) == pytest.approx(1.0, abs=1e-12)
    assert set(BUILTIN_ALLOCATIONS) == set(builtin_strategy_paths(env={}))


def test_strategies_folder_can_be_moved_by_environment(tmp_path: Path):
    (tmp_path / "tecl.clj").write_text("x")
    env = {STRATEGIES_DIR_ENV: str(tmp_path)}
    assert resolve_strategy("tecl", env=env) == tmp_path / "tecl.clj"
    with pytest.raises(StrategyError) as err:
        resolve_strategy("klm", env=env)
    assert err.value.code == "strategy-not-found"
    assert STRATEGIES_DIR_ENV in err.value.hint


def test_a_path_resolves_to_itself_and_unknown_names_are_clear_errors(tmp_path: Path):
    own = tmp_path / "mine.clj"
    own.write_text("x")
    assert resolve_strategy(str(own), env={}) == own
    with pytest.raises(StrategyError) as err:
        resolve_strategy("nuclear2", env={})
    assert err.value.code == "strategy-unknown"
    assert "nuclear, tecl, klm" in err.value.hint


@pytest.mark.parametrize("name", ["nuclear", "tecl", "klm"])
def test_synthetic_market_has_every_symbol_a_builtin_needs(name: str):
    symphony = builtin(name)
    assert symphony.symbols <= set(UNIVERSE), symphony.symbols - set(UNIVERSE)
    market = synthetic_market(symphony.symbols, sessions=1200)
    date, weights = evaluate(symphony, market).last_valid_row()
    assert date == market.last_date
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-9)
    assert set(weights) <= symphony.holdings
