"""SNS backend of the Notifier: one plain-text message per report or alert on the stack's topic.

SNS limits subjects to 100 printable ASCII characters on one line and messages to 256 KB; longer text is
cut with a note (the full report is in the run's records).

    >>> clean_subject("Rebalance — paper:\\n3 orders")
    'Rebalance - paper: 3 orders'
"""

from __future__ import annotations

from typing import Any

from rebalancer.state.aws_clients import AwsClients, aws_errors

SUBJECT_LIMIT = 100
MESSAGE_LIMIT = 256 * 1024
_CUT_NOTE = "\n\n[message cut at the SNS size limit; the full report is in the run's records]"


def clean_subject(subject: str) -> str:
    text = subject.replace("\u2014", "-").replace("\u2013", "-")
    text = " ".join(text.split())
    text = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)
    return (text[: SUBJECT_LIMIT - 3] + "...") if len(text) > SUBJECT_LIMIT else (text or "rebalancer")


def clip_message(body: str) -> str:
    data = body.encode("utf-8")
    if len(data) <= MESSAGE_LIMIT:
        return body
    room = MESSAGE_LIMIT - len(_CUT_NOTE.encode("utf-8"))
    return data[:room].decode("utf-8", errors="ignore") + _CUT_NOTE


class SnsNotifier:
    def __init__(self, topic_arn: str, *, clients: AwsClients) -> None:
        self.topic_arn = topic_arn
        self._clients = clients

    @property
    def _sns(self) -> Any:
        return self._clients.client("sns")

    def send(self, subject: str, body: str) -> None:
        with aws_errors(
            f"publish to {self.topic_arn}",
            code="notify-failed",
            hint="check the topic exists and the role may publish to it",
        ):
            self._sns.publish(
                TopicArn=self.topic_arn, Subject=clean_subject(subject), Message=clip_message(body)
            )

    def subscriptions(self) -> tuple[int, int]:
        """(confirmed, pending confirmation) subscriptions of the topic (every page)."""
        confirmed = pending = 0
        token = ""
        with aws_errors(f"list the subscriptions of {self.topic_arn}", code="notify-failed"):
            while True:
                page = self._sns.list_subscriptions_by_topic(
                    TopicArn=self.topic_arn, **({"NextToken": token} if token else {})
                )
                for subscription in page.get("Subscriptions", []):
                    arn = str(subscription.get("SubscriptionArn", ""))
                    confirmed += arn.startswith("arn:")
                    pending += arn == "PendingConfirmation"
                token = str(page.get("NextToken") or "")
                if not token:
                    return confirmed, pending

    def check_reachable(self) -> None:
        """GetTopicAttributes (for `rebalancer health`)."""
        with aws_errors(f"reach topic {self.topic_arn}", code="notify-failed"):
            self._sns.get_topic_attributes(TopicArn=self.topic_arn)
