"""The local stack's set-up survives a slow machine: a create that botocore retried after moto had done it
is accepted, while a resource someone else left behind with other contents is still refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rebalancer.errors import StateError
from rebalancer_tools.local.bootstrap import bootstrap_stack
from rebalancer_tools.local.moto import LocalStack, local_environ, moto_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with moto_server() as url, pytest.MonkeyPatch.context() as patch:
        for key, value in local_environ(url).items():
            patch.setenv(key, value)
        yield LocalStack.at(url)


def test_creating_the_stack_twice_is_the_same_stack(stack: LocalStack) -> None:
    stack.reset(secret={"key_id": "k", "secret_key": "s"})
    bootstrap_stack(stack.names, stack.clients, secret={"key_id": "k", "secret_key": "s"})
    ssm = stack.clients.client("ssm")
    assert ssm.get_parameter(Name=stack.names.halt_parameter)["Parameter"]["Value"] == "off"


def test_a_halt_flag_left_on_is_not_taken_for_a_retry(stack: LocalStack) -> None:
    stack.reset()
    ssm = stack.clients.client("ssm")
    ssm.put_parameter(Name=stack.names.halt_parameter, Value="halt", Type="String", Overwrite=True)
    with pytest.raises(StateError) as err:
        bootstrap_stack(stack.names, stack.clients)
    assert err.value.code == "bootstrap-mismatch"
