"""Report the unzipped size of each built function plus its layers, against Lambda's 250 MB limit.

`make sam-check` runs it after `sam build`:

    python -m rebalancer_tools.local.package_size template.yaml .aws-sam/build

It exits non-zero when a function would exceed the budget (default 200 MB, well under the hard limit), and
lists what the library layer holds: only the runtime package `rebalancer` may be there (the tools, research
and emulator packages never ship to Lambda); anything else in it also fails the check.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rebalancer_tools.local.cfn_yaml import load_template

LAMBDA_UNZIPPED_LIMIT = 262_144_000  # bytes: function code + all layers (Lambda quotas)
DEFAULT_BUDGET = 200 * 1024 * 1024
_MB = 1024 * 1024


def tree_size(path: Path) -> int:
    """Bytes of every regular file under `path` (what Lambda unpacks)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            file = Path(root) / name
            if not file.is_symlink():
                total += file.stat().st_size
    return total


@dataclass(frozen=True)
class FunctionSize:
    function: str
    code: int
    layers: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return self.code + sum(size for _name, size in self.layers)


def _layer_refs(properties: dict[str, Any], globals_: dict[str, Any]) -> list[str]:
    layers = properties.get("Layers", globals_.get("Layers", []))
    return [ref["Ref"] for ref in layers if isinstance(ref, dict) and "Ref" in ref]


def measure(template: dict[str, Any], build_dir: Path) -> list[FunctionSize]:
    """Each function's built code and the built layers it references (by logical id)."""
    globals_ = template.get("Globals", {}).get("Function", {})
    sizes = []
    for logical_id, resource in sorted(template.get("Resources", {}).items()):
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        layers = tuple(
            (layer, tree_size(build_dir / layer)) for layer in _layer_refs(resource["Properties"], globals_)
        )
        sizes.append(FunctionSize(logical_id, tree_size(build_dir / logical_id), layers))
    return sizes


RUNTIME_PACKAGE = "rebalancer"


@dataclass(frozen=True)
class LibraryLayer:
    """The packages of a built layer that carries our library (the runtime package among them)."""

    layer: str
    packages: dict[str, tuple[str, ...]]  # top-level package -> its subpackages
    modules: int

    @property
    def only_runtime(self) -> bool:
        return set(self.packages) == {RUNTIME_PACKAGE}


def library_layers(build_dir: Path) -> list[LibraryLayer]:
    """Built layers holding the `rebalancer` package (under python/, as sam build lays a Python layer out)."""
    found = []
    for layer_dir in sorted(path for path in build_dir.iterdir() if path.is_dir()):
        root = layer_dir / "python" if (layer_dir / "python").is_dir() else layer_dir
        if not (root / RUNTIME_PACKAGE / "__init__.py").is_file():
            continue
        packages = {
            pkg.name: tuple(sorted(sub.name for sub in pkg.iterdir() if (sub / "__init__.py").is_file()))
            for pkg in sorted(root.iterdir())
            if (pkg / "__init__.py").is_file()
        }
        modules = sum(1 for _ in root.rglob("*.py"))
        found.append(LibraryLayer(layer_dir.name, packages, modules))
    return found


def library_report(layers: Sequence[LibraryLayer]) -> tuple[str, bool]:
    lines = []
    for layer in layers:
        listing = "; ".join(f"{name} ({', '.join(subs)})" for name, subs in layer.packages.items())
        verdict = "ok" if layer.only_runtime else f"NOT ONLY THE RUNTIME: expected only {RUNTIME_PACKAGE}"
        lines.append(f"  {layer.layer} holds {layer.modules} modules: {listing} {verdict}")
    return "\n".join(["library layer contents:", *lines]), all(layer.only_runtime for layer in layers)


def report(sizes: Sequence[FunctionSize], budget: int) -> tuple[str, bool]:
    limit_mb, budget_mb = LAMBDA_UNZIPPED_LIMIT / _MB, budget / _MB
    lines = [f"unzipped package size (Lambda limit {limit_mb:.0f} MB; budget {budget_mb:.0f} MB):"]
    ok = True
    for size in sizes:
        parts = " + ".join(f"{name} {value / _MB:.1f} MB" for name, value in size.layers)
        share = 100 * size.total / LAMBDA_UNZIPPED_LIMIT
        verdict = "ok" if size.total <= budget else "OVER BUDGET"
        ok = ok and size.total <= budget
        lines.append(
            f"  {size.function}: code {size.code / _MB:.2f} MB + {parts} = {size.total / _MB:.1f} MB "
            f"({share:.0f}% of the limit) {verdict}"
        )
    return "\n".join(lines), ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", type=Path)
    parser.add_argument("build_dir", type=Path)
    parser.add_argument("--budget-mb", type=int, default=DEFAULT_BUDGET // _MB)
    args = parser.parse_args(argv)
    text, ok = report(measure(load_template(args.template), args.build_dir), args.budget_mb * _MB)
    library_text, library_ok = library_report(library_layers(args.build_dir))
    print(text)
    print(library_text)
    return 0 if ok and library_ok else 1


if __name__ == "__main__":
    sys.exit(main())
