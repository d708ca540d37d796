"""Reading a config file: every way a file can be unusable is one located problem, never a traceback."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.config import check_config, load_config
from rebalancer.config.loader import MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH


def _only_problem(path: Path, env: dict[str, str] | None = None) -> tuple[str, str, str]:
    [problem] = check_config(path, env=env or {})
    return problem.path, problem.code, problem.message


def test_a_non_utf8_file_names_the_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"risk:\n  max_drawdown: \xff\n")
    where, code, message = _only_problem(path)
    assert (where, code) == (f"{path}:2:17", "config-not-utf8")
    assert "0xff" in message


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"\xef\xbb\xbfrisk:\n  max_drawdown: 0.3\n")
    assert load_config(path, env={}).risk.max_drawdown == Decimal("0.3")


def test_a_folder_is_not_a_config_file(tmp_path: Path) -> None:
    assert _only_problem(tmp_path)[:2] == (str(tmp_path), "config-unreadable")


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("# " + "x" * MAX_CONFIG_BYTES + "\n")
    assert _only_problem(path)[1] == "config-too-large"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("risk: " + "[" * 5000 + "]" * 5000 + "\n", f"1:{6 + MAX_CONFIG_DEPTH}"),
        ("".join("  " * i + f"k{i}:\n" for i in range(300)) + "  " * 300 + "1\n", f"{MAX_CONFIG_DEPTH + 1}:"),
    ],
)
def test_deep_nesting_is_refused_with_line_and_column(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    located, code, _ = _only_problem(path)
    assert code == "config-too-deep"
    assert located.startswith(f"{path}:{where}")


def test_merge_keys_are_supported_and_explicit_keys_win(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "execution: &shared\n  min_order_notional: 5\n  cash_buffer: 0.04\n"
        "risk:\n  <<: {max_drawdown: 0.3, max_daily_loss: 0.05}\n  max_daily_loss: 0.07\n"
    )
    config = load_config(path, env={})
    assert config.risk.max_drawdown == Decimal("0.3")
    assert config.risk.max_daily_loss == Decimal("0.07")


def test_an_unparsable_env_var_is_named_not_an_internal_class() -> None:
    where, code, message = _only_problem(Path("config/paper.yaml"), {"REBALANCER_RISK": "{bad"})
    assert (where, code) == ("env:REBALANCER_RISK", "env-invalid")
    assert "MappingEnvSource" not in message
    assert "REBALANCER_RISK__KEY=VALUE" in message
