"""AWS on loopback: moto in server mode, the environment that points boto3 at it, and an SQS queue
subscribed to the alerts topic so that published messages can be read back (as an email would be).

    >>> with moto_server() as endpoint:  # doctest: +SKIP
    ...     environ = local_environ(endpoint)
"""

from __future__ import annotations

import contextlib
import json
import logging
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from rebalancer.aws.resources import StackResources
from rebalancer.state.aws_clients import AwsClients
from rebalancer_tools.local.bootstrap import bootstrap_stack

LOCAL_ACCOUNT_ID = "123456789012"  # moto's default account
LOCAL_REGION = "us-east-1"


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Start moto on 127.0.0.1 (a free port); yields its endpoint URL; stops it afterwards."""
    from moto.server import ThreadedMotoServer

    access_log = logging.getLogger("werkzeug")  # moto's HTTP server logs every request otherwise
    level = access_log.level
    access_log.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        access_log.setLevel(level)


def local_environ(endpoint: str) -> dict[str, str]:
    """Variables that route every boto3 client (any process) to `endpoint` with fake credentials."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        # moto's fake credentials, not a secret (detect-secrets)
        "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        "AWS_REGION": LOCAL_REGION,
    }


def reset_moto(endpoint: str) -> None:
    """Wipe every resource in the moto server."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    # loopback only: `endpoint` is the local moto server's http URL (bandit B310: no file:/ scheme here)
    with urllib.request.urlopen(request, timeout=10) as response:  # nosec B310
        response.read()


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


class TopicInbox:
    """An SQS queue subscribed to a topic: `messages()` returns (and removes) what was published."""

    def __init__(self, topic_arn: str, clients: AwsClients, *, name: str = "rebalancer-inbox") -> None:
        self._clients = clients
        self.topic_arn = topic_arn
        self.name = name
        self.queue_url = ""
        self.subscribe()

    def subscribe(self) -> None:
        """Create the queue and subscribe it (again, after moto was reset)."""
        sqs = self._clients.client("sqs")
        self.queue_url = sqs.create_queue(QueueName=self.name)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
        queue_arn = attributes["Attributes"]["QueueArn"]
        self._clients.client("sns").subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn)

    def messages(self) -> list[Message]:
        sqs = self._clients.client("sqs")
        out: list[Message] = []
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            received = batch.get("Messages", [])
            if not received:
                return out
            for message in received:
                envelope = json.loads(message["Body"])
                out.append(Message(str(envelope.get("Subject") or ""), str(envelope["Message"])))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@dataclass
class LocalStack:
    """The stack's resources in a running moto server, re-creatable from scratch with `reset()`."""

    endpoint: str
    names: StackResources
    clients: AwsClients

    @classmethod
    def at(cls, endpoint: str, env: str = "paper") -> LocalStack:
        names = StackResources.derive(env, account_id=LOCAL_ACCOUNT_ID, region=LOCAL_REGION)
        return cls(endpoint, names, AwsClients(endpoint_url=endpoint, region=LOCAL_REGION))

    def reset(self, *, secret: Mapping[str, str] | None = None) -> None:
        """Wipe moto and create the stack's resources again (the secret filled with `secret`, if given)."""
        reset_moto(self.endpoint)
        bootstrap_stack(self.names, self.clients, secret=secret)
