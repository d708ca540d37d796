"""`make demo` as a new user runs it: the default config, then the next steps, and `rebalancer signals`
shows the targets the demo's run traded on."""

from __future__ import annotations

import json
import re

import pytest

from rebalancer_tools.cli.main import COMMANDS, main

pytestmark = pytest.mark.integration


def test_the_demo_ends_with_next_steps_that_agree_with_signals(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    tail = out[out.index("What next") :]
    commands = re.findall(r"^   rebalancer (\S+)", tail, flags=re.MULTILINE)
    assert set(commands) <= {name for name, _, _ in COMMANDS}
    assert len(commands) >= 4
    as_of = re.search(r"rebalancer signals --as-of (\S+)", tail)
    assert as_of is not None
    traded = dict(re.findall(r"(\w+) (\d+\.\d)%", re.search(r"combined: (.*)", out).group(1)))  # type: ignore[union-attr]

    assert main(["signals", "--as-of", as_of.group(1), "--format", "json"]) == 0
    weights = json.loads(capsys.readouterr().out)["portfolio"]["weights"]
    assert {symbol: f"{weight * 100:.1f}" for symbol, weight in weights.items()} == traded
