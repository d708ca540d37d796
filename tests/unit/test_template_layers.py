"""The code that reaches Lambda: layers built for python3.13 arm64, strategies and config in the functions."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from rebalancer_tools.local.cfn_yaml import load_template
from rebalancer_tools.local.package_size import (
    FunctionSize,
    library_layers,
    library_report,
    main,
    measure,
    report,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def test_both_layers_build_for_python313_arm64(template: dict[str, Any]) -> None:
    # DepsLayer: layers/deps/Makefile installs the hashed arm64 wheels with uv (tests/unit/test_locks.py)
    for logical_id, uri, method in (
        ("DepsLayer", "layers/deps/", "makefile"),
        ("SharedLayer", "shared/", "python3.13"),
    ):
        layer = template["Resources"][logical_id]
        assert layer["Metadata"] == {"BuildMethod": method, "BuildArchitecture": "arm64"}
        assert layer["Properties"]["ContentUri"] == uri
        assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert template["Globals"]["Function"]["Layers"] == [{"Ref": "DepsLayer"}, {"Ref": "SharedLayer"}]


@pytest.mark.parametrize("function", ["RebalanceFunction", "HealthCheckFunction"])
def test_strategies_and_config_ship_inside_the_function(template: dict[str, Any], function: str) -> None:
    props = template["Resources"][function]["Properties"]
    code = ROOT / props["CodeUri"]
    assert (code / "app.py").is_file()
    for folder in ("strategies", "config"):
        assert (code / folder).resolve() == (ROOT / folder).resolve(), (
            f"{code / folder} must link to {folder}/"
        )
    variables = props["Environment"]["Variables"]
    assert variables["REBALANCER_STRATEGIES_DIR"] == "/var/task/strategies"
    assert variables["REBALANCER_CONFIG_FILE"] == {"Fn::Sub": "/var/task/config/${Env}.yaml"}


def test_samconfig_has_paper_and_live_stacks() -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    assert config["paper"]["global"]["parameters"]["stack_name"] == "rebalancer-paper"
    assert 'Env="paper"' in config["paper"]["deploy"]["parameters"]["parameter_overrides"]
    live = config["live"]["deploy"]["parameters"]
    assert 'Env="live"' in live["parameter_overrides"]
    assert 'LiveTradingConfirmed="no"' in live["parameter_overrides"]
    assert config["live"]["global"]["parameters"]["stack_name"] == "rebalancer-live"
    assert "deploy" not in config["default"], "a deploy must name its stack: --config-env paper|live"


def test_package_size_adds_each_functions_layers(tmp_path: Path, template: dict[str, Any]) -> None:
    for name, size in (("RebalanceFunction", 1000), ("DepsLayer", 5000), ("SharedLayer", 300)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "blob").write_bytes(b"x" * size)
    sizes = {s.function: s for s in measure(template, tmp_path)}
    assert sizes["RebalanceFunction"].total == 6300
    assert sizes["WatchdogFunction"].total == 5300  # not built here: code 0, layers still count
    text, ok = report(list(sizes.values()), budget=6000)
    assert not ok
    assert "RebalanceFunction" in text
    assert "OVER BUDGET" in text


def test_package_size_command_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(ROOT / "template.yaml"), str(tmp_path)]) == 0
    assert "HealthCheckFunction" in capsys.readouterr().out
    assert report([FunctionSize("F", 10, (("L", 10),))], budget=25)[1]


def _layer(tmp_path: Path, name: str, *packages: str) -> None:
    for package in packages:
        folder = tmp_path / name / "python" / package / "run"
        folder.mkdir(parents=True)
        (folder.parent / "__init__.py").write_text("")
        (folder / "__init__.py").write_text("")


def test_package_size_lists_the_library_layer_and_accepts_only_the_runtime(tmp_path: Path) -> None:
    _layer(tmp_path, "SharedLayer", "rebalancer")
    (tmp_path / "DepsLayer" / "python" / "numpy").mkdir(parents=True)
    text, ok = library_report(library_layers(tmp_path))
    assert ok
    assert "SharedLayer holds 2 modules: rebalancer (run) ok" in text
    assert "DepsLayer" not in text


def test_package_size_fails_when_a_tool_package_reaches_the_layer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _layer(tmp_path, "SharedLayer", "rebalancer", "rebalancer_tools")
    assert main([str(ROOT / "template.yaml"), str(tmp_path)]) == 1
    assert "NOT ONLY THE RUNTIME" in capsys.readouterr().out
