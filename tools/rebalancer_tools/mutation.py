"""`make mutation`: mutation testing of the money path with mutmut, and the score per module.

    $ python -m rebalancer_tools.mutation            # prints the table; exit 1 if a module is under 90%

mutmut 3 imports the mutated code from `mutants/`, `mutants/src` or `mutants/source` only, so the
runtime (`shared/`) is staged as `src/` in a scratch folder (`.mutation/`, git-ignored) with the tests,
the strategy files and this project's pytest settings. Only the modules below are mutated, against the
unit tests that cover them. Slow (minutes on two cores): never part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import shutil

# subprocess: mutmut from this venv, a fixed argv and no shell.
import subprocess  # nosec B404
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = (
    "rebalancer/portfolio/*",
    "rebalancer/run/client_ids.py",
    "rebalancer/symphony/weights.py",
)
TESTS = (
    "tests/unit/test_plan_orders.py",
    "tests/unit/test_plan_exact.py",
    "tests/unit/test_risk_engine.py",
    "tests/unit/test_risk_limits_exact.py",
    "tests/unit/test_risk_state.py",
    "tests/unit/test_evaluator_combine.py",
    "tests/unit/test_money_path.py",
    "tests/unit/test_money_path_records.py",
    "tests/unit/test_strategy_books.py",
    "tests/unit/test_run_books_resume.py",
    "tests/unit/test_books_exact.py",
)
TARGET = 0.90
KILLED = {1, 3, 36, 37, -24, 24, 152, 255}  # failed tests, pytest error, timeouts, type check
SKIPPED = {34}


def stage(scratch: Path) -> None:
    """shared/ as src/, plus the tests, strategies and pytest settings, and mutmut's configuration."""
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir()
    shutil.copytree(
        ROOT / "shared", scratch / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__")
    )
    shutil.copytree(ROOT / "tests", scratch / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "strategies", scratch / "strategies")
    settings = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    only = ", ".join(json.dumps(f"src/{m}") for m in MODULES)
    tests = ", ".join(json.dumps(t) for t in TESTS if (ROOT / t).is_file())
    settings += (
        "\n[tool.mutmut]\n"
        'source_paths = ["src"]\n'
        f"only_mutate = [{only}]\n"
        'also_copy = ["tests", "strategies"]\n'
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-o", "addopts=--strict-markers"]\n'
        f"pytest_add_cli_args_test_selection = [{tests}]\n"
    )
    (scratch / "pyproject.toml").write_text(settings, encoding="utf-8")


def scores(scratch: Path) -> dict[str, Counter[str]]:
    """module -> counts of killed / survived / skipped, read from mutmut's per-file results."""
    out: dict[str, Counter[str]] = {}
    for meta in sorted((scratch / "mutants" / "src").rglob("*.py.meta")):
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        if not codes:
            continue
        module = str(meta.relative_to(scratch / "mutants" / "src")).removesuffix(".meta")
        counts: Counter[str] = Counter()
        for code in codes.values():
            counts["skipped" if code in SKIPPED else "killed" if code in KILLED else "survived"] += 1
        out[module] = counts
    return out


def report(by_module: dict[str, Counter[str]]) -> float:
    """Print one line per module and the total; return the total score."""
    total: Counter[str] = Counter()
    print(f"{'module':42} {'killed':>7} {'survived':>9} {'score':>7}")
    for module, counts in by_module.items():
        total += counts
        print(f"{module:42} {counts['killed']:7} {counts['survived']:9} {_score(counts):7.1%}")
    score = _score(total)
    print(f"{'total':42} {total['killed']:7} {total['survived']:9} {score:7.1%}")
    return score


def below_target(by_module: dict[str, Counter[str]], target: float = TARGET) -> list[str]:
    """The modules scoring under the target: each module must reach it, not only the total."""
    return [module for module, counts in by_module.items() if _score(counts) < target]


def _score(counts: Counter[str]) -> float:
    checked = counts["killed"] + counts["survived"]
    return counts["killed"] / checked if checked else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--scratch", default=str(ROOT / ".mutation"), help="staging folder")
    args = parser.parse_args(argv)
    scratch = Path(args.scratch)
    stage(scratch)
    started = time.monotonic()
    mutmut = Path(sys.executable).with_name("mutmut")
    run = subprocess.run(  # nosec B603
        [str(mutmut), "run", "--max-children", str(args.jobs)],
        cwd=scratch,
        stdout=subprocess.DEVNULL,
        check=False,
    )
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        print(f"mutmut failed (exit {run.returncode}); see `cd {scratch} && mutmut run`", file=sys.stderr)
        return 2
    by_module = scores(scratch)
    score = report(by_module)
    print(
        f"mutation score {score:.1%} (target {TARGET:.0%} for every module); "
        f"mutmut ran {elapsed:.0f} s with {args.jobs} jobs"
    )
    short = below_target(by_module)
    if short:
        print(f"under the target: {', '.join(short)}")
    print(f"survivors: cd {scratch} && {mutmut} results")
    return 0 if score >= TARGET and not short else 1


if __name__ == "__main__":
    sys.exit(main())
