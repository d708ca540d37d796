"""Read CloudFormation/SAM YAML, whose short-form tags (!Ref, !Sub, !GetAtt, ...) plain YAML rejects.

Each tag becomes its long form: `!Ref X` -> {"Ref": "X"}, `!GetAtt A.B` -> {"Fn::GetAtt": ["A", "B"]},
`!Sub s` -> {"Fn::Sub": "s"}.

    >>> load_template_text("A: !GetAtt Bucket.Arn")
    {'A': {'Fn::GetAtt': ['Bucket', 'Arn']}}
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from rebalancer.errors import ConfigError


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


@functools.cache
def _loader() -> type[yaml.SafeLoader]:
    class CfnLoader(yaml.SafeLoader):
        pass

    CfnLoader.add_multi_constructor("!", _construct_tag)
    return CfnLoader


def load_template_text(text: str, *, where: str = "<template>") -> dict[str, Any]:
    loader = _loader()
    try:
        # a SafeLoader subclass: no arbitrary objects (bandit B506 cannot see through the subclass)
        data = yaml.load(text, Loader=loader)  # nosec B506
    except yaml.YAMLError as err:
        raise ConfigError(f"cannot parse the template: {err}", code="template-invalid", where=where) from err
    if not isinstance(data, dict):
        raise ConfigError("the template is not a YAML mapping", code="template-invalid", where=where)
    return data


def load_template(path: str | Path) -> dict[str, Any]:
    return load_template_text(Path(path).read_text(encoding="utf-8"), where=str(path))
