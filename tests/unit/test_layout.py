"""The package layout keeps the Lambda layer to what the handlers import and imports pointing one way.

Read from the source with `ast` (nothing is imported), so a stray import of a tool from the runtime fails
here before it ships a 3 MB layer or an import error to Lambda.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE_ROOTS = {
    "rebalancer": ROOT / "shared",
    "rebalancer_tools": ROOT / "tools",
    "rebalancer_research": ROOT / "tools",
    "rebalancer_emulator": ROOT / "tools",
}
TOOLS_MAY_IMPORT = {"rebalancer_tools", "rebalancer_research", "rebalancer_emulator", "rebalancer"}
HANDLER_ENTRIES = (
    "rebalancer.aws.rebalance_handler",
    "rebalancer.aws.check_handlers",
    "rebalancer.aws.entry",
)


def module_file(name: str) -> Path | None:
    base = SOURCE_ROOTS.get(name.split(".", maxsplit=1)[0])
    if base is None:
        return None
    path = base.joinpath(*name.split("."))
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return path.with_suffix(".py") if path.with_suffix(".py").is_file() else None


def all_modules(package: str) -> set[str]:
    base = SOURCE_ROOTS[package]
    names = set()
    for path in (base / package).rglob("*.py"):
        parts = path.relative_to(base).with_suffix("").parts
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def imported_names(name: str, *, top_level_only: bool = False) -> Iterator[str]:
    path = module_file(name)
    assert path is not None, name
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    is_package = path.name == "__init__.py"
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = name.split(".")[: len(name.split(".")) - node.level + int(is_package)]
                module = ".".join([*parent, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def project_imports(name: str, *, top_level_only: bool = False) -> set[str]:
    found = set()
    for imported in imported_names(name, top_level_only=top_level_only):
        parts = imported.split(".")
        for end in range(1, len(parts) + 1):
            candidate = ".".join(parts[:end])
            if module_file(candidate) is not None:
                found.add(candidate)
    found.discard(name)
    return found


def closure(entries: tuple[str, ...]) -> set[str]:
    seen: set[str] = set()
    stack = list(entries)
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(project_imports(name) - seen)
    return seen


def test_the_runtime_package_is_exactly_what_the_handlers_import() -> None:
    """Every module of shared/rebalancer is reachable from a handler: the layer carries no tool."""
    assert closure(HANDLER_ENTRIES) == all_modules("rebalancer")


@pytest.mark.parametrize(
    ("package", "may_import"),
    [
        ("rebalancer", {"rebalancer"}),
        ("rebalancer_emulator", {"rebalancer_emulator", "rebalancer"}),
        ("rebalancer_research", {"rebalancer_research", "rebalancer"}),
        (
            "rebalancer_tools",
            {"rebalancer_tools", "rebalancer_research", "rebalancer_emulator", "rebalancer"},
        ),
    ],
)
def test_imports_point_one_way(package: str, may_import: set[str]) -> None:
    wrong = {
        (module, target)
        for module in all_modules(package)
        for target in project_imports(module)
        if target.split(".")[0] not in may_import
    }
    assert wrong == set()


def test_the_emulator_needs_only_errors_and_the_price_matrix_from_the_runtime() -> None:
    used = {
        target
        for module in all_modules("rebalancer_emulator")
        for target in project_imports(module)
        if target.split(".")[0] == "rebalancer"
    }
    assert used <= {"rebalancer", "rebalancer.errors", "rebalancer.market", "rebalancer.market.history"}


def subpackage(name: str) -> str:
    """rebalancer.run.trade -> rebalancer.run; the emulator and top-level modules count as one unit."""
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 or module_file(name).name == "__init__.py" else parts[0]  # type: ignore[union-attr]


def test_no_subpackages_import_each_other_in_a_circle() -> None:
    edges: dict[str, set[str]] = {}
    for package in SOURCE_ROOTS:
        for module in all_modules(package):
            for target in project_imports(module, top_level_only=True):
                a, b = subpackage(module), subpackage(target)
                if a != b:
                    edges.setdefault(a, set()).add(b)
    circles = {(a, b) for a, targets in edges.items() for b in targets if a in closure_of(edges, b)}
    assert circles == set()


def closure_of(edges: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        node = stack.pop()
        for target in edges.get(node, ()):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen
