"""Load the configuration (I/O at the edge): defaults < config file < environment variables.

Environment variables are `REBALANCER_<FIELD>`, nested with `__` (`REBALANCER_RISK__MAX_DRAWDOWN=0.3`,
`REBALANCER_STRATEGIES__TECL__ALLOCATION=0.5`); `LIVE_TRADING_CONFIRMED=yes` (the stack's variable:
exactly `yes` or `no`) is accepted as well. Confirmations are strict booleans: `true`/`false` in the file
(YAML 1.1's yes/no/on/off are plain text here) and in REBALANCER_LIVE_TRADING_CONFIRMED.
Every problem is collected (unknown keys, bad values, cross-field checks, unreadable strategies) and raised
together as one ConfigProblems error.

>>> config = load_config("config/paper.yaml", env={"REBALANCER_RISK__MAX_DRAWDOWN": "0.3"})
>>> loaded = load_config_with_sources("config/paper.yaml", env={})
>>> loaded.sources["risk.max_drawdown"]
'file'
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_settings import EnvSettingsSource, SettingsError
from pydantic_settings.sources.utils import parse_env_vars

from rebalancer.config.checks import cross_field_problems
from rebalancer.config.models import ENV_NESTED_DELIMITER, ENV_PREFIX, RebalancerConfig, default_strategies
from rebalancer.config.problems import ConfigProblem, ConfigProblems
from rebalancer.config.strategy_files import read_strategies
from rebalancer.errors import ConfigError

CONFIRMATION_ENV = "LIVE_TRADING_CONFIRMED"


@dataclass(frozen=True)
class LoadedConfig:
    """The effective config and where each leaf value came from: "default", "file" or "env:NAME"."""

    config: RebalancerConfig
    sources: dict[str, str]
    path: Path | None

    @property
    def base_dir(self) -> Path | None:
        """Relative strategy paths are relative to this folder (the config file's)."""
        return None if self.path is None else self.path.parent


def load_config(
    path: str | Path | None, *, env: Mapping[str, str] | None = None, verify_strategies: bool = True
) -> RebalancerConfig:
    """The validated config; ConfigProblems (a ConfigError) listing every problem otherwise.

    `env` defaults to os.environ; `path` None means defaults + env only.
    """
    return load_config_with_sources(path, env=env, verify_strategies=verify_strategies).config


def load_config_with_sources(
    path: str | Path | None, *, env: Mapping[str, str] | None = None, verify_strategies: bool = True
) -> LoadedConfig:
    loaded, problems = inspect_config(path, env=env, verify_strategies=verify_strategies)
    if problems or loaded is None:
        raise ConfigProblems(problems, source=str(path or "configuration"))
    return loaded


def check_config(
    path: str | Path | None, *, env: Mapping[str, str] | None = None, verify_strategies: bool = True
) -> list[ConfigProblem]:
    """Every problem in the configuration (empty when it is usable)."""
    return inspect_config(path, env=env, verify_strategies=verify_strategies)[1]


def inspect_config(
    path: str | Path | None, *, env: Mapping[str, str] | None = None, verify_strategies: bool = True
) -> tuple[LoadedConfig | None, list[ConfigProblem]]:
    """The config (None when it cannot be built) and every problem found."""
    environ = os.environ if env is None else env
    file_path = None if path is None else Path(path)
    problems: list[ConfigProblem] = []
    file_data: dict[str, Any] = {}
    if file_path is not None:
        try:
            file_data = read_config_file(file_path)
        except ConfigError as err:
            return None, [ConfigProblem(err.where or str(file_path), err.message, err.code)]
    env_data, env_names, env_problems = env_layer(environ)
    problems.extend(env_problems)
    merged = deep_merge(_with_default_strategies(file_data, env_data), env_data)
    config, field_problems = _validate(merged, env_names)
    problems.extend(field_problems)
    if config is None:
        return None, problems
    failed_roots = {p.path.split(".")[0] for p in field_problems}
    problems.extend(p for p in cross_field_problems(config) if p.path.split(".")[0] not in failed_roots)
    base_dir = None if file_path is None else file_path.parent
    if verify_strategies and "strategies" not in failed_roots:
        problems.extend(read_strategies(config, base_dir=base_dir, env=environ)[1])
    sources = value_sources(config, file_data, env_names)
    return (None if field_problems else LoadedConfig(config, sources, file_path)), problems


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML silently keeps the last one) and reads only
    true/false as booleans (YAML 1.2): `live_trading_confirmed: yes` is text, and refused."""


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Hashable] = set()
    for key_node, _ in node.value:
        if key_node.tag == MERGE_TAG:  # `<<: *anchor` merge keys: explicit keys override merged ones
            continue
        key = loader.construct_object(key_node)
        if isinstance(key, Hashable):
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
    loader.flatten_mapping(node)
    return loader.construct_mapping(node)


MERGE_TAG = "tag:yaml.org,2002:merge"
# A config is a few levels deep; these bound what a hostile or broken file can cost.
MAX_CONFIG_BYTES = 1_000_000
MAX_CONFIG_DEPTH = 32

_StrictLoader.yaml_constructors = {
    **yaml.SafeLoader.yaml_constructors,
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG: _construct_mapping,
}


def read_config_file(path: Path) -> dict[str, Any]:
    """The YAML file as a mapping; ConfigError naming file:line:col for a syntax error."""
    text = _read_config_text(path)
    try:
        _check_depth(text, path)
        # _StrictLoader is a SafeLoader subclass (bandit B506 cannot see through the subclass)
        data = yaml.load(text, Loader=_StrictLoader)  # nosec B506
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(f"invalid YAML: {err.problem}", code="yaml-invalid", where=where) from None
    if data is None:
        raise ConfigError(
            "the config file is empty",
            code="config-empty",
            where=str(path),
            hint="copy config/paper.yaml as a start, or give no --config to use the defaults",
        )
    if not isinstance(data, dict):
        raise ConfigError(
            "the config file must be a mapping of settings", code="config-not-mapping", where=str(path)
        )
    return data


def _read_config_text(path: Path) -> str:
    """The file's text (a UTF-8 byte-order mark is dropped); ConfigError when it cannot be read."""
    try:
        if path.is_dir():
            raise ConfigError(
                "is a folder, not a config file",
                code="config-unreadable",
                where=str(path),
                hint="pass the YAML file itself, e.g. config/paper.yaml",
            )
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"the config file is larger than {MAX_CONFIG_BYTES // 1_000_000} MB",
                code="config-too-large",
                where=str(path),
                hint="check that this is the config file",
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            "config file not found", code="config-not-found", where=str(path), hint="check the path"
        ) from None
    except OSError as err:
        raise ConfigError(
            f"cannot read the config file: {err.strerror}",
            code="config-unreadable",
            where=str(path),
            hint="check the path and its permissions",
        ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        raise ConfigError(
            f"not UTF-8 text (byte 0x{raw[err.start]:02x})",
            code="config-not-utf8",
            where=f"{path}:{line}:{column}",
            hint="save the file as UTF-8",
        ) from None


def _check_depth(text: str, path: Path) -> None:
    """Refuse nesting deeper than MAX_CONFIG_DEPTH before building it (deep nesting exhausts the stack).

    The event stream is parsed without recursion, so this holds for any depth.
    """
    depth = 0
    for event in yaml.parse(text, Loader=_StrictLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_CONFIG_DEPTH:
                mark = event.start_mark
                raise ConfigError(
                    f"nested more than {MAX_CONFIG_DEPTH} levels deep",
                    code="config-too-deep",
                    where=f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path),
                    hint="a config is a few levels deep: check the indentation and brackets here",
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


class _MappingEnvSource(EnvSettingsSource):
    """pydantic-settings' env parsing, reading a given mapping instead of os.environ."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(RebalancerConfig)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


def env_layer(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str], list[ConfigProblem]]:
    """(nested settings from env, dotted path -> env var name, problems such as unknown nested vars)."""
    fields = set(RebalancerConfig.model_fields)
    names: dict[str, str] = {}
    problems: list[ConfigProblem] = []
    for name in environ:
        if not name.upper().startswith(ENV_PREFIX):
            continue
        parts = name[len(ENV_PREFIX) :].lower().split(ENV_NESTED_DELIMITER)
        if parts[0] in fields:
            names[".".join(parts)] = name
        elif len(parts) > 1:  # other REBALANCER_* variables (e.g. _MARKET_DATA) are not settings
            problems.append(ConfigProblem(f"env:{name}", f"unknown setting {parts[0]!r}", "unknown-key"))
    try:
        data = _MappingEnvSource(environ)()
    except SettingsError as err:
        return {}, names, [*problems, _env_parse_problem(err, names)]
    if "live_trading_confirmed" in data:
        data["live_trading_confirmed"] = _strict_bool(data["live_trading_confirmed"], "true", "false")
    elif CONFIRMATION_ENV in environ:
        data["live_trading_confirmed"] = _strict_bool(environ[CONFIRMATION_ENV], "yes", "no")
        names["live_trading_confirmed"] = CONFIRMATION_ENV
    return data, names, problems


def _env_parse_problem(err: SettingsError, names: Mapping[str, str]) -> ConfigProblem:
    """Name the environment variable pydantic-settings could not parse (its message names its own class)."""
    found = re.search(r'field "([^"]+)"', str(err))
    field = found.group(1) if found else ""
    culprits = sorted(name for path, name in names.items() if path.split(".")[0] == field)
    where = f"env:{culprits[0]}" if len(culprits) == 1 else "env"
    variables = ", ".join(culprits) or f"{ENV_PREFIX}{field.upper()}"
    message = (
        f"cannot parse {variables}: a section's value must be JSON, e.g. "
        f"{ENV_PREFIX}{field.upper()}='{{\"key\": 1}}', or set one field with "
        f"{ENV_PREFIX}{field.upper()}{ENV_NESTED_DELIMITER}KEY=VALUE"
    )
    return ConfigProblem(where, message, "env-invalid")


def _strict_bool(text: Any, yes: str, no: str) -> Any:
    """Exactly `yes` -> True and `no` -> False; anything else stays text, which validation refuses."""
    return {yes: True, no: False}.get(text, text) if isinstance(text, str) else text


def _with_default_strategies(file_data: dict[str, Any], env_data: Mapping[str, Any]) -> dict[str, Any]:
    """Env settings of one strategy amend the file's strategies, or the default ones when the file has none
    (a strategies mapping is otherwise replaced whole: a file listing one strategy means only that one)."""
    if "strategies" in env_data and "strategies" not in file_data:
        defaults = {name: s.model_dump() for name, s in default_strategies().items()}
        return {**file_data, "strategies": defaults}
    return file_data


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`base` updated by `override`, merging nested mappings key by key."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _validate(
    data: dict[str, Any], env_names: Mapping[str, str]
) -> tuple[RebalancerConfig | None, list[ConfigProblem]]:
    """Validate; on field errors, also validate without the failing sections so later checks still run."""
    try:
        return RebalancerConfig.model_validate(data), []
    except ValidationError as err:
        problems = [_problem(error, env_names) for error in err.errors()]
    failed = {p.path.split(".")[0] for p in problems}
    trimmed = {key: value for key, value in data.items() if key not in failed}
    try:
        return RebalancerConfig.model_validate(trimmed), problems
    except ValidationError:
        return None, problems


def _problem(error: Mapping[str, Any], env_names: Mapping[str, str]) -> ConfigProblem:
    path = ".".join(str(part) for part in error["loc"]) or "(root)"
    code, message = str(error["type"]), str(error["msg"]).removeprefix("Value error, ")  # pydantic's
    if code == "extra_forbidden":
        code, message = "unknown-key", "unknown key (see docs/configuration.md for the settings)"
    elif path == "live_trading_confirmed" and code == "bool_type":
        shown = repr(error.get("input"))[:40]
        code = "confirmation-invalid"
        message = f"must be the boolean true or false, not {shown} (LIVE_TRADING_CONFIRMED: yes or no)"
    origin = _env_origin(path, env_names)
    if origin:
        message = f"{message} (from env {origin})"
    return ConfigProblem(path, message, code)


def _env_origin(path: str, env_names: Mapping[str, str]) -> str | None:
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        name = env_names.get(".".join(parts[:end]))
        if name:
            return name
    return None


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted leaf paths of a nested mapping (an empty mapping is a leaf)."""
    leaves: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            leaves.update(flatten(value, f"{path}."))
        else:
            leaves[path] = value
    return leaves


def value_sources(
    config: RebalancerConfig, file_data: Mapping[str, Any], env_names: Mapping[str, str]
) -> dict[str, str]:
    """Leaf path of the effective config -> "env:NAME", "file" or "default"."""
    file_leaves = set(flatten(file_data))
    sources: dict[str, str] = {}
    for path in flatten(config.model_dump(mode="json")):
        origin = _env_origin(path, env_names)
        if origin:
            sources[path] = f"env:{origin}"
        elif path in file_leaves:
            sources[path] = "file"
        else:
            sources[path] = "default"
    return sources
