"""The run's lease must outlive its longest possible run, and that run must fit in the Lambda timeout.

Regression: the lease was a fixed 20 minutes while fill waits could last 2 x 840 s, so a slow run could
lose its lease mid-run and a retried invocation could start a second run over it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rebalancer.config import check_config, load_config
from rebalancer.run.config_bridge import settings_from_config
from rebalancer.run.settings import RUN_OVERHEAD

REPO = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, fill_timeout: float) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(f"env: paper\nexecution:\n  fill_timeout_seconds: {fill_timeout}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("fill_timeout", "lease_s"), [(20, 210), (120, 410), (240, 650)])
def test_the_lease_is_two_fill_waits_plus_170_seconds(
    tmp_path: Path, fill_timeout: float, lease_s: int
) -> None:
    # Written out (docs/runbook.md): 2 x fill timeout + 110 s for the rest of the run + 60 s of margin.
    settings = settings_from_config(load_config(_config(tmp_path, fill_timeout), env={}))
    assert settings.schedule.lease_ttl == dt.timedelta(seconds=lease_s)


@pytest.mark.parametrize("fill_timeout", [20, 120, 240])
def test_lease_covers_both_fill_phases_and_the_rest_of_the_run(tmp_path: Path, fill_timeout: float) -> None:
    settings = settings_from_config(load_config(_config(tmp_path, fill_timeout), env={}))
    longest_run = dt.timedelta(seconds=2 * fill_timeout) + RUN_OVERHEAD
    assert settings.schedule.lease_ttl > longest_run


def test_fill_timeout_that_cannot_fit_in_the_function_timeout_is_refused(tmp_path: Path) -> None:
    problems = {p.path: p.code for p in check_config(_config(tmp_path, 600), env={})}
    assert "execution.fill_timeout_seconds" in problems


def test_longest_run_fits_in_the_rebalance_function_timeout() -> None:
    template = (REPO / "template.yaml").read_text(encoding="utf-8")
    block = template.split("RebalanceFunction:", 1)[1]
    timeout = int(block.split("Timeout:", 1)[1].split()[0])
    limit = 240  # the config's ceiling on fill_timeout_seconds
    assert dt.timedelta(seconds=2 * limit) + RUN_OVERHEAD <= dt.timedelta(seconds=timeout)
    assert 2 * limit + 110 <= timeout  # the same budget written out: two fill waits and 110 s for the rest
