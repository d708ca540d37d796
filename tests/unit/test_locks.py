"""One lock for everything: what ships and what builds is pinned, hashed, and generated from uv.lock.

A layer that drifts from the lock ships code the tests never ran; an unhashed line installs whatever the
index serves that day. `make lock` regenerates every file checked here.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
# The Lambda python3.13 arm64 runtime, as markers see it.
LAMBDA_ENV = {
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "platform_machine": "aarch64",
    "python_version": "3.13",
    "python_full_version": "3.13.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}
# The Lambda runtime provides boto3 and the packages only it needs.
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer"}
REQUIREMENT_LINE = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)(?: ; (.+))? \\$")
HASH_LINE = re.compile(r"^\s+--hash=(sha256:[0-9a-f]{64})(?: \\)?$")


@pytest.fixture(scope="module")
def lock() -> dict[str, dict[str, Any]]:
    data = tomllib.loads((ROOT / "uv.lock").read_text())
    return {package["name"]: package for package in data["package"]}


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _hashed_requirements(path: Path) -> dict[str, tuple[str, set[str], str]]:
    """name -> (version, hashes, marker) of a hashed requirements file; fails on an unhashed line."""
    found: dict[str, tuple[str, set[str], str]] = {}
    current = ""
    for raw in path.read_text().splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if match := REQUIREMENT_LINE.match(raw):
            current = canonicalize_name(match.group(1))
            found[current] = (match.group(2), set(), match.group(3) or "python_version >= '3'")
        elif match := HASH_LINE.match(raw):
            found[current][1].add(match.group(1))
        else:
            pytest.fail(f"{path.name}: not a pinned, hashed requirement line: {raw!r}")
    assert found, f"{path.name} lists nothing"
    unhashed = [name for name, (_, hashes, _) in found.items() if not hashes]
    assert not unhashed, f"{path.name}: no --hash for {unhashed}"
    return found


def _lock_hashes(package: dict[str, Any]) -> set[str]:
    files = [*package.get("wheels", []), *([package["sdist"]] if "sdist" in package else [])]
    return {file["hash"] for file in files}


def _lambda_closure(lock: dict[str, dict[str, Any]]) -> set[str]:
    """The runtime dependencies the layer must hold: the project's, transitively, on the Lambda."""
    todo = [dep for dep in lock["rebalancer"]["dependencies"] if dep["name"] not in RUNTIME_PROVIDED]
    seen: set[str] = set()
    while todo:
        dep = todo.pop()
        if dep["name"] in seen or not Marker(dep.get("marker", "python_version >= '3'")).evaluate(LAMBDA_ENV):
            continue
        seen.add(dep["name"])
        todo.extend(lock[dep["name"]].get("dependencies", []))
    return seen


def test_the_layer_holds_exactly_the_locked_runtime_set_with_the_locks_versions_and_hashes(
    lock: dict[str, dict[str, Any]],
) -> None:
    layer = _hashed_requirements(ROOT / "layers/deps/requirements.txt")
    on_lambda = {name for name, (_, _, marker) in layer.items() if Marker(marker).evaluate(LAMBDA_ENV)}
    assert on_lambda == _lambda_closure(lock), "run `make lock`: the layer no longer matches uv.lock"
    for name, (version, hashes, _) in layer.items():
        assert version == lock[name]["version"], f"{name}: layer {version}, uv.lock {lock[name]['version']}"
        assert hashes <= _lock_hashes(lock[name]), f"{name}: the layer trusts a file uv.lock does not"


def test_every_direct_dependency_and_the_build_backend_are_pinned_exactly(pyproject: dict[str, Any]) -> None:
    project = pyproject["project"]
    declared = [*project["dependencies"], *pyproject["build-system"]["requires"]]
    declared += [dep for extra in project["optional-dependencies"].values() for dep in extra]
    loose = [dep for dep in declared if not str(Requirement(dep).specifier).startswith("==")]
    assert not loose, f"not pinned with ==: {loose}"


def test_the_lock_matches_pyproject(lock: dict[str, dict[str, Any]], pyproject: dict[str, Any]) -> None:
    requires = lock["rebalancer"]["metadata"]["requires-dist"]
    locked = {(canonicalize_name(dep["name"]), dep["specifier"]) for dep in requires}
    project = pyproject["project"]
    extras = project["optional-dependencies"].values()
    declared = [*project["dependencies"], *(dep for extra in extras for dep in extra)]
    wanted = {(canonicalize_name(Requirement(dep).name), str(Requirement(dep).specifier)) for dep in declared}
    assert locked == wanted, "run `make lock`: uv.lock was made from another pyproject.toml"


@pytest.mark.parametrize("tool_set", ["uv", "sam", "checkov"])
def test_the_separate_tool_sets_are_hashed_and_pin_what_they_declare(tool_set: str) -> None:
    compiled = _hashed_requirements(ROOT / f"requirements/{tool_set}.txt")
    for line in (ROOT / f"requirements/{tool_set}.in").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            wanted = Requirement(line)
            name = canonicalize_name(wanted.name)
            assert name in compiled, f"requirements/{tool_set}.txt lacks {name}: run `make lock`"
            assert wanted.specifier.contains(compiled[name][0])


def test_the_bootstrapped_uv_is_the_uv_the_lock_pins(lock: dict[str, dict[str, Any]]) -> None:
    bootstrap = _hashed_requirements(ROOT / "requirements/uv.txt")
    assert bootstrap["uv"][0] == lock["uv"]["version"]


def test_the_build_backend_constraint_matches_build_system(pyproject: dict[str, Any]) -> None:
    constraints = pyproject["tool"]["uv"]["build-constraint-dependencies"]
    assert sorted(constraints) == sorted(pyproject["build-system"]["requires"])
