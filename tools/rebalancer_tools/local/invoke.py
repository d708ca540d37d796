"""Run a function's real handler in-process: load functions/<name>/app.py and call it with a Lambda-like
context. `rebalancer invoke` and `make demo` use it; so do the integration tests.

    >>> handler = load_handler("rebalance")                                      # doctest: +SKIP
    >>> event = json.loads(Path("events/scheduled.json").read_text())            # doctest: +SKIP
    >>> handler(event, LocalContext.for_function("rebalance"))                   # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rebalancer.errors import ConfigError

FUNCTIONS = ("rebalance", "health", "watchdog")


def repo_root() -> Path:
    """The checkout this library runs from (shared/rebalancer/aws -> the repository)."""
    return Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class LocalContext:
    """The attributes of a Lambda context that Powertools and the handlers read."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"

    @classmethod
    def for_function(cls, name: str, env: str = "paper") -> LocalContext:
        function = f"rebalancer-{env}-{name}"
        arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function}"
        return cls(function, invoked_function_arn=arn, log_group_name=f"/aws/lambda/{function}")

    def get_remaining_time_in_millis(self) -> int:
        return 600_000


def load_handler(name: str, functions_dir: Path | None = None) -> Callable[[Any, Any], dict[str, Any]]:
    """functions/<name>/app.py's `handler`, imported by path (each function's module is named app)."""
    if name not in FUNCTIONS:
        raise ConfigError(
            f"no function {name!r}", code="function-unknown", hint=f"choose one of {', '.join(FUNCTIONS)}"
        )
    path = (functions_dir or repo_root() / "functions") / name / "app.py"
    if not path.is_file():
        raise ConfigError(
            f"{path} does not exist", code="function-missing", hint="run from a checkout of the repository"
        )
    module_name = f"rebalancer_function_{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot load {path}", code="function-missing")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    handler: Callable[[Any, Any], dict[str, Any]] = module.handler
    return handler
