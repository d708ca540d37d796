"""SSM Parameter Store backend of the HaltFlag: a String parameter holding off, reduce or halt.

Reads go through Powertools' SSMProvider with a short cache (an operator's `rebalancer halt` takes
effect within `max_age` seconds in a warm container). An unreadable or invalid flag raises StateError,
which the run treats as HALT. A missing parameter is unreadable too: the stack creates it as `off`.
`write` never creates it: a flag written where no stack is (another region, a deleted stack) would
halt nothing while claiming to.

    >>> from rebalancer.state.aws_clients import AwsClients
    >>> flag = SsmHaltFlag("/rebalancer/paper/halt", clients=AwsClients())
    >>> flag.max_age
    5
"""

from __future__ import annotations

from typing import Any

from rebalancer.errors import StateError
from rebalancer.state.aws_clients import AwsClients, aws_errors, error_code
from rebalancer.state.base import TradingFlag

DEFAULT_MAX_AGE_S = 5


class SsmHaltFlag:
    def __init__(self, name: str, *, clients: AwsClients, max_age: int = DEFAULT_MAX_AGE_S) -> None:
        self.name = name
        self.max_age = max_age
        self._clients = clients
        self._provider: Any = None

    def _ssm_provider(self) -> Any:
        if self._provider is None:
            from aws_lambda_powertools.utilities.parameters import SSMProvider

            self._provider = SSMProvider(boto3_client=self._clients.client("ssm"))
        return self._provider

    def read(self) -> TradingFlag:
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            value = self._ssm_provider().get(self.name, max_age=self.max_age)
        except GetParameterError as err:
            raise StateError(
                f"halt flag {self.name} is unreadable: {err}",
                code="halt-flag-unreadable",
                hint="treating it as halt; check the parameter exists and the role may read it",
            ) from None
        return TradingFlag.parse(str(value))

    def exists(self) -> bool:
        """Whether the parameter exists (one GetParameter, uncached)."""
        from botocore.exceptions import ClientError

        try:
            with aws_errors(f"look up halt flag {self.name}", code="halt-flag-unreadable"):
                self._clients.client("ssm").get_parameter(Name=self.name)
        except StateError as err:
            if isinstance(err.__cause__, ClientError) and error_code(err.__cause__) == "ParameterNotFound":
                return False
            raise
        return True

    def write(self, flag: TradingFlag) -> None:
        """Overwrite the existing flag; a missing one is an error (the stack creates it, nothing else)."""
        if not self.exists():
            raise StateError(
                f"halt flag {self.name} does not exist: nothing was written",
                code="halt-flag-missing",
                hint=(
                    "runs already treat a missing flag as halt. Check AWS_REGION/AWS_PROFILE point at the"
                    f" stack; to restore it: aws ssm put-parameter --name {self.name} --value off"
                    " --type String"
                ),
            )
        with aws_errors(f"write halt flag {self.name}", code="halt-flag-write-failed"):
            self._clients.client("ssm").put_parameter(
                Name=self.name, Value=flag.value, Type="String", Overwrite=True
            )
        if self._provider is not None:
            self._provider.clear_cache()
