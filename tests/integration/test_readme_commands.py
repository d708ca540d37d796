"""Every `rebalancer ...` command the README shows runs as printed (those that need no AWS account, no
Docker and no long-running server), so the README stays true."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
# Commands that need AWS credentials or a deployed stack, or serve until stopped; `demo` has its own test.
NOT_LOCAL = {"halt", "reduce", "resume", "status", "health", "reset-risk", "emulator", "invoke", "demo"}


def readme_commands() -> list[str]:
    """The `rebalancer ...` lines of the README's code blocks (fences may be indented in a list),
    continuations joined, comments kept."""
    commands: list[str] = []
    inside = False
    pending = ""
    for raw in (REPO / "README.md").read_text().splitlines():
        line = raw.strip()
        if line.startswith("```"):
            inside, pending = not inside, ""
            continue
        if not inside:
            continue
        line = pending + line
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        if line.startswith("rebalancer "):
            commands.append(line)
    return commands


def _runnable(command: str) -> bool:
    # `--data alpaca` reads Alpaca's market data with the user's keys.
    return command.split()[1] not in NOT_LOCAL and "--data alpaca" not in command


def test_the_readme_shows_the_commands_this_test_runs() -> None:
    names = {c.split()[1] for c in readme_commands()}
    assert {"signals", "backtest", "symphony", "config", "plan", "run", "replay"} <= names


@pytest.mark.timeout(1800)  # seventeen commands, two of them Dask clusters, on a shared machine
def test_every_local_readme_command_runs_as_printed(tmp_path: Path) -> None:
    data = os.environ.get("REBALANCER_MARKET_DATA")
    if not data:
        pytest.skip("REBALANCER_MARKET_DATA is not set (the Makefile sets it)")
    # The README runs from a checkout beside ../shared/data/market; so does this copy of its layout.
    work = tmp_path / "rebalancer"
    work.mkdir()
    for name in ("config", "tests", "events"):
        (work / name).symlink_to(REPO / name)
    (work / "strategies").mkdir()
    for strategy in (REPO / "strategies").glob("*.clj"):
        (work / "strategies" / strategy.name).symlink_to(strategy)
    (tmp_path / "shared" / "data").mkdir(parents=True)
    (tmp_path / "shared" / "data" / "market").symlink_to(Path(data).resolve())
    # The README's "your own strategy" and "a symphony exported from Composer".
    shutil.copy(REPO / "strategies" / "tecl.clj", work / "my.clj")
    shutil.copy(REPO / "strategies" / "tecl.clj", work / "strategies" / "my-symphony.clj")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    failures = []
    for command in filter(_runnable, readme_commands()):
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            failures.append(f"{command}\n  exit {done.returncode}: {done.stderr.strip()[-400:]}")
    assert not failures, "\n".join(failures)
