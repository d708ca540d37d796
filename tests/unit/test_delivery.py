"""The delivery path as a person follows it: the docs' `sam` commands, bounded roles, pinned CI."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from rebalancer_tools.local.cfn_yaml import load_template

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["README.md", "infra/README.md", "docs/runbook.md", "docs/architecture.md"]
# `sam` and its subcommand, then its arguments up to the end of the inline code, the line or a `&&`.
SAM_COMMAND = re.compile(r"(?<![\w-])sam ((?:remote |local )?[a-z]+)([^`\n&]*)")
SAMCONFIG_COMMANDS = {"build", "deploy", "validate", "sync", "delete"}


def _sam_commands() -> list[tuple[str, str, list[str]]]:
    found = []
    for doc in DOCS:
        path = ROOT / doc
        if path.exists():
            for match in SAM_COMMAND.finditer(path.read_text()):
                # whitespace is enough for the options read here (a quoted value may run onto the next line)
                args = match.group(2).replace("\\", " ").split()
                found.append((doc, match.group(1), args))
    return found


def _option(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
    return None


@pytest.fixture(scope="module")
def samconfig() -> dict[str, Any]:
    return tomllib.loads((ROOT / "samconfig.toml").read_text())


def test_the_docs_show_sam_deploys_for_both_environments() -> None:
    deploys = {_option(args, "--config-env") for _, command, args in _sam_commands() if command == "deploy"}
    assert {"paper", "live"} <= deploys


@pytest.mark.parametrize(("doc", "command", "args"), _sam_commands())
def test_every_sam_command_in_the_docs_names_an_environment_that_exists(
    samconfig: dict[str, Any], doc: str, command: str, args: list[str]
) -> None:
    env = _option(args, "--config-env")
    if command == "deploy":
        assert env, f"{doc}: `sam deploy` without --config-env would not know which stack"
    if env is not None or command in SAMCONFIG_COMMANDS:
        env = env or "default"
        assert env in samconfig, f"{doc}: sam {command} --config-env {env}: samconfig.toml has no [{env}]"
        if command in {"build", "deploy"}:
            assert command in samconfig[env], f"{doc}: samconfig.toml has no [{env}.{command}.parameters]"
    stacks = {
        section["global"]["parameters"]["stack_name"]
        for section in samconfig.values()
        if isinstance(section, dict) and "global" in section
    }
    stack = _option(args, "--stack-name")
    if stack is not None:
        assert stack in stacks, f"{doc}: sam {command} --stack-name {stack}: no such stack in samconfig.toml"


def test_every_role_the_stack_creates_carries_the_permissions_boundary() -> None:
    template = load_template(ROOT / "template.yaml")
    boundary = {
        "Fn::If": [
            "HasPermissionsBoundary",
            {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/${PermissionsBoundaryName}"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    roles = checked = 0
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::IAM::Role":
            roles += 1
            assert resource["Properties"].get("PermissionsBoundary") == boundary, logical_id
        # SAM generates a role for each ScheduleV2 event (no RoleArn given): its boundary is set on the event.
        for name, event in resource.get("Properties", {}).get("Events", {}).items():
            assert event["Type"] == "ScheduleV2", f"{logical_id}.{name}: check the role SAM makes for it"
            assert "RoleArn" not in event["Properties"]
            assert event["Properties"].get("PermissionsBoundary") == boundary, f"{logical_id}.{name}"
            checked += 1
    assert roles == 3
    assert checked == 3


def _workflows() -> list[Path]:
    return sorted((ROOT / ".github/workflows").glob("*.yml"))


@pytest.mark.parametrize("workflow", _workflows(), ids=lambda path: path.name)
def test_workflows_pin_actions_to_commits_and_declare_least_permissions(workflow: Path) -> None:
    text = workflow.read_text()
    data = yaml.safe_load(text)
    assert data.get("permissions") == {"contents": "read"}, "the workflow's default token: read only"
    for uses in re.findall(r"uses:\s*(\S+)", text):
        if not uses.startswith(("./", "docker://")):
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), f"not pinned to a commit: {uses}"
    for name, job in data["jobs"].items():
        assert "permissions" in job, f"job {name} must say which token permissions it needs"


def test_aws_credentials_come_only_from_oidc() -> None:
    for workflow in _workflows():
        text = workflow.read_text()
        assert "aws-access-key-id" not in text, workflow.name
        assert "AWS_SECRET_ACCESS_KEY" not in text, workflow.name
