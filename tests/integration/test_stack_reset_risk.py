"""`rebalancer reset-risk`: the operator's way back from a drawdown, daily-loss or circuit-breaker trip."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from rebalancer.portfolio.risk_state import RiskState, TradingState
from rebalancer.state.dynamodb import DynamoDBStore
from rebalancer_tools.cli.main import main as cli_main
from rebalancer_tools.local.moto import LocalStack, local_environ, moto_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with moto_server() as url, pytest.MonkeyPatch.context() as patch:
        for key, value in local_environ(url).items():
            patch.setenv(key, value)
        running = LocalStack.at(url)
        running.reset()
        yield running


def _store(stack: LocalStack) -> DynamoDBStore:
    return DynamoDBStore(stack.names.table, records=None, clients=stack.clients)


def test_reset_clears_a_drawdown_trip_and_rebases_the_mark(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    tripped = RiskState.from_dict(
        {
            "high_water_mark": "120000",
            "consecutive_failures": 2,
            "tripped": "halted",
            "trip_reason": "drawdown-tripped",
        }
    )
    _store(stack).save_risk_state("paper", tripped.to_dict())

    assert cli_main(["reset-risk", "--env", "paper", "--high-water-mark", "95000"]) == 0
    assert "halted -> active" in capsys.readouterr().out

    saved = _store(stack).load_risk_state("paper")
    assert saved is not None
    state = RiskState.from_dict(saved)
    assert state.tripped is TradingState.ACTIVE
    assert state.consecutive_failures == 0
    assert state.high_water_mark == Decimal("95000")


def test_a_bad_amount_is_refused_before_anything_is_written(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _store(stack).load_risk_state("paper")
    assert cli_main(["reset-risk", "--env", "paper", "--high-water-mark", "-5"]) == 2
    assert "not a positive amount" in capsys.readouterr().err
    assert _store(stack).load_risk_state("paper") == before
