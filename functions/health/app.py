"""Placeholder: the handler is wired to the library once the run lands (see docs/architecture.md)."""

from typing import Any


def handler(_event: dict[str, Any], _context: object) -> dict[str, Any]:
    raise NotImplementedError("not wired yet")
