"""Handler wiring: build the AWS adapters and the run's ports from a function's environment, lazily.

One StackRuntime per warm container: clients, the halt flag's and the secret's caches, and the loaded
configuration live as long as the container does. Nothing is created before first use.

Environment (template.yaml sets all but the local-only ones):
  STACK_ENV, STACK_TABLE, STACK_BUCKET, STACK_HALT_PARAMETER, STACK_SECRET_ID, STACK_TOPIC_ARN
  LIVE_TRADING_CONFIRMED   yes/no (the config loader refuses a live config without yes)
  REBALANCER_CONFIG_FILE   the config file (default config/<env>.yaml); REBALANCER_* overrides apply
  STACK_CLOCK              system (default) or broker: take "now" from the broker's clock (local emulators)
  STACK_HALT_MAX_AGE, STACK_SECRET_MAX_AGE   cache ages in seconds (defaults 5 and 300)

    >>> runtime = StackRuntime.from_environ({"STACK_ENV": "paper"})  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rebalancer.aws.resources import StackResources
from rebalancer.errors import ConfigError
from rebalancer.state.aws_clients import AwsClients
from rebalancer.state.base import BrokerClock, Clock, SystemClock
from rebalancer.state.dynamodb import DynamoDBStore
from rebalancer.state.s3 import S3RunRecords
from rebalancer.state.secrets import SecretsManagerCredentials
from rebalancer.state.sns import SnsNotifier
from rebalancer.state.ssm import SsmHaltFlag

if TYPE_CHECKING:  # imported lazily at run time: a cold start pays only for what the invocation uses
    from rebalancer.alpaca.broker import AlpacaBroker
    from rebalancer.alpaca.market_data import AlpacaMarketData
    from rebalancer.config.loader import LoadedConfig
    from rebalancer.run.ports import Ports
    from rebalancer.run.settings import RunSettings


def _int_env(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name, "")
    try:
        return int(text) if text else default
    except ValueError:
        raise ConfigError(
            f"{name}={text!r} is not a number of seconds", code="env-invalid", where=name
        ) from None


@dataclass
class StackRuntime:
    names: StackResources
    clients: AwsClients
    environ: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> StackRuntime:
        env = dict(os.environ if environ is None else environ)
        names = StackResources.from_environ(env)
        return cls(names, AwsClients(region=names.region), env)

    # -- state adapters -----------------------------------------------------------------------

    @functools.cached_property
    def halt_flag(self) -> SsmHaltFlag:
        max_age = _int_env(self.environ, "STACK_HALT_MAX_AGE", 5)
        return SsmHaltFlag(self.names.halt_parameter, clients=self.clients, max_age=max_age)

    @functools.cached_property
    def records(self) -> S3RunRecords:
        return S3RunRecords(self.names.bucket, clients=self.clients)

    @functools.cached_property
    def store(self) -> DynamoDBStore:
        return DynamoDBStore(self.names.table, records=self.records, clients=self.clients)

    @functools.cached_property
    def notifier(self) -> SnsNotifier:
        return SnsNotifier(self.names.topic_arn, clients=self.clients)

    @functools.cached_property
    def credentials(self) -> SecretsManagerCredentials:
        max_age = _int_env(self.environ, "STACK_SECRET_MAX_AGE", 300)
        return SecretsManagerCredentials(self.names.secret, clients=self.clients, max_age=max_age)

    # -- configuration ------------------------------------------------------------------------

    @property
    def config_path(self) -> str:
        return self.environ.get("REBALANCER_CONFIG_FILE") or f"config/{self.names.env}.yaml"

    @functools.cached_property
    def loaded_config(self) -> LoadedConfig:
        """The validated configuration (LoadedConfig); its env must be the stack's."""
        from rebalancer.config.loader import load_config_with_sources

        loaded = load_config_with_sources(self.config_path, env=self.environ)
        if loaded.config.env != self.names.env:
            raise ConfigError(
                f"{self.config_path} is for env {loaded.config.env!r} but this stack is {self.names.env!r}",
                code="config-env-mismatch",
                hint="deploy the paper config to the paper stack and the live config to the live stack",
                where=f"{self.config_path}:env",
            )
        return loaded

    def settings(self) -> RunSettings:
        """The run's RunSettings."""
        from rebalancer.run.config_bridge import settings_from_config

        return settings_from_config(self.loaded_config, env=self.environ)

    # -- broker -------------------------------------------------------------------------------

    def broker_and_data(self) -> tuple[AlpacaBroker, AlpacaMarketData]:
        """Alpaca adapters with the secret's keys (read now, cached with a TTL), sharing one rate limiter."""
        from rebalancer.alpaca.broker import AlpacaBroker
        from rebalancer.alpaca.market_data import AlpacaMarketData
        from rebalancer.alpaca.ratelimit import RateLimiter

        config = self.loaded_config.config
        credentials = self.credentials.get()
        limiter = RateLimiter()
        broker = AlpacaBroker(
            credentials, base_url=config.broker.base_url, paper=config.broker_mode == "paper", limiter=limiter
        )
        data = AlpacaMarketData(
            credentials, base_url=config.broker.data_base_url, feed=config.data.feed, limiter=limiter
        )
        return broker, data

    def clock(self, broker: AlpacaBroker) -> Clock:
        mode = self.environ.get("STACK_CLOCK", "system")
        if mode == "broker":
            return BrokerClock(broker)
        if mode != "system":
            raise ConfigError(f"STACK_CLOCK={mode!r} is not system or broker", code="env-invalid")
        return SystemClock()

    def ports(self, owner: str = "") -> Ports:
        """Everything the run touches, for one invocation."""
        from rebalancer.run.ports import Ports

        broker, data = self.broker_and_data()
        owner = owner or f"{socket.gethostname()}-{os.getpid()}"
        return Ports(broker, data, self.store, self.halt_flag, self.notifier, self.clock(broker), owner=owner)

    @classmethod
    def for_env(cls, env: str, clients: AwsClients | None = None, **overrides: str) -> StackRuntime:
        """From an operator's machine: the names of the `env` stack in the caller's account and region."""
        clients = clients or AwsClients()
        names = StackResources.derive(env, account_id=clients.account_id(), region=clients.region_name)
        environ = {**os.environ, **names.to_environ(), **overrides}
        return cls(names, clients, environ)
