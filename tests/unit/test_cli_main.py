"""The CLI's entry point: only the chosen command is imported, and no failure reaches the user as a
traceback (tools/rebalancer_tools/cli/main.py, guard.py)."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rebalancer.errors import DataError
from rebalancer_tools.cli.guard import guarded
from rebalancer_tools.cli.main import COMMAND_MODULES, COMMANDS, main

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "rebalancer_tools.cli.main", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=ENV, check=False)


def test_the_command_table_lists_exactly_what_each_module_registers() -> None:
    registered = []
    for module in COMMAND_MODULES:
        subparsers = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"rebalancer_tools.cli.{module}").register(subparsers)
        registered += [(action.dest, module, action.help) for action in subparsers._choices_actions]
    assert registered == list(COMMANDS)


def test_help_imports_no_command_module() -> None:
    probe = (
        "import sys\n"
        "from rebalancer_tools.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'numpy', 'exchange_calendars', 'pydantic', 'matplotlib',"
        " 'rebalancer_emulator', 'rebalancer_tools.cli.signals_cmd') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "HEAVY []" in result.stdout
    assert "signals" in result.stdout
    assert "backtest" in result.stdout


def test_a_command_still_has_its_own_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["signals", "--help"])
    assert "--as-of" in capsys.readouterr().out


def test_a_typed_error_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    def fail() -> int:
        raise DataError("no price", code="data-missing", hint="load more")

    assert guarded(fail) == 2
    assert capsys.readouterr().err == "error: no price (data-missing). Hint: load more\n"


def test_an_unexpected_error_is_one_line_exit_70_and_debug_shows_the_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def bug() -> int:
        raise KeyError("oops")

    assert guarded(bug) == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unexpected KeyError" in err
    assert "--debug" in err
    assert guarded(bug, debug=True) == 70
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_an_os_error_names_the_path_without_errno_noise(capsys: pytest.CaptureFixture[str]) -> None:
    def unwritable() -> int:
        raise PermissionError(13, "Permission denied", "/proc/nope")

    assert guarded(unwritable) == 2
    assert capsys.readouterr().err == "error: /proc/nope: Permission denied\n"


def test_debug_is_accepted_after_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["signals", "--as-of", "yesterday", "--debug"]) == 2
    assert "cannot read date 'yesterday'" in capsys.readouterr().err


def test_a_closed_pipe_exits_quietly() -> None:
    # 300 KB of JSON: far more than a pipe holds, so the writer must meet the closed end.
    command = f"{sys.executable} -m rebalancer_tools.cli.main symphony show klm --json | head -1"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, env=ENV, check=False
    )
    assert result.stdout == "{\n"
    assert result.stderr == ""
    assert result.returncode == 141


def _interrupt_inside(command: list[str], module: str, delay: float) -> tuple[int, list[str]]:
    """Start the CLI, wait until it imports `module` (one the command's module imports: the command's
    module itself is imported inside the guard, through importlib, which -X importtime does not report),
    wait `delay` more seconds, send SIGINT; (exit code, stderr lines that are not progress or import
    timing)."""
    argv = [sys.executable, "-X", "importtime", "-m", "rebalancer_tools.cli.main", *command]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    assert process.stderr is not None
    for line in process.stderr:
        if line.rstrip().endswith(module):
            break
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    noise = ("import time:", "[")
    return process.returncode, [x for x in err.splitlines() if x.strip() and not x.startswith(noise)]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery differs on Windows")
@pytest.mark.timeout(300)
def test_ctrl_c_during_a_backtest_prints_one_line_and_exits_130() -> None:
    code, lines = _interrupt_inside(["backtest", "--check-bias"], "rebalancer_research.backtest.bias", 0.5)
    assert code == 130
    assert lines == ["interrupted"]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery differs on Windows")
@pytest.mark.timeout(600)
@pytest.mark.parametrize("delay", [0.5, 1.5, 3.0])
def test_ctrl_c_during_a_dask_sweep_is_one_line_too(delay: float) -> None:
    # Early, the local cluster is starting (an interrupted start failed an assertion at exit); later,
    # data is scattered or tasks run (the scheduler logged a traceback per lost worker).
    overbought = ",".join(str(v) for v in range(60, 90))
    symphony = Path(__file__).resolve().parents[1] / "fixtures" / "symphonies" / "parameters.clj"
    command = ["sweep", "--strategy", str(symphony), "--jobs", "2", "--grid", f"overbought={overbought}"]
    command += ["--grid", "bull-window=150,200"]
    code, lines = _interrupt_inside(command, "rebalancer_research.backtest.ranking", delay)
    if code == 0:
        pytest.skip("the sweep finished before the interrupt")
    assert code == 130
    assert lines == ["interrupted"]
