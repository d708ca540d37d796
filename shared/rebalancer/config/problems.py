"""A configuration problem (field path + message + code) and the error that carries all of them.

>>> problem = ConfigProblem("risk.max_drawdown", "must be <= 1", "less_than_equal")
>>> str(problem)
'risk.max_drawdown: must be <= 1 (less_than_equal)'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rebalancer.errors import ConfigError


@dataclass(frozen=True)
class ConfigProblem:
    """One problem; `path` is the dotted field path (`strategies.tecl.allocation`) or `env:NAME` / `file`."""

    path: str
    message: str
    code: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} ({self.code})"

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "code": self.code}


class ConfigProblems(ConfigError):
    """Every problem found in one configuration (never just the first); `where` is the first one's path."""

    def __init__(self, problems: Sequence[ConfigProblem], *, source: str) -> None:
        self.problems = tuple(problems)
        first = self.problems[0]
        if len(self.problems) == 1:
            message, code = f"{source}: {first.message}", first.code
        else:
            lines = "\n".join(f"  {p}" for p in self.problems)
            message, code = f"{source}: {len(self.problems)} problems:\n{lines}", "config-invalid"
        super().__init__(
            message,
            code=code,
            where=first.path,
            hint="run `rebalancer config check FILE` to list every problem; docs/configuration.md",
        )
