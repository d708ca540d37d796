"""The health check fails when alerts reach nobody: no subscription, or only unconfirmed ones."""

from __future__ import annotations

from typing import Any

import pytest

from rebalancer.aws.health import alerts_reach_someone
from rebalancer.errors import StateError
from rebalancer.state.aws_clients import AwsClients
from rebalancer.state.sns import SnsNotifier

TOPIC = "arn:aws:sns:us-east-1:123456789012:rebalancer-paper-alerts"


class _Sns:
    """ListSubscriptionsByTopic over pages of (subscription ARN, protocol)."""

    def __init__(self, *pages: list[tuple[str, str]]) -> None:
        self.pages = pages

    def list_subscriptions_by_topic(self, TopicArn: str, NextToken: str = "") -> dict[str, Any]:
        assert TopicArn == TOPIC
        index = int(NextToken or 0)
        subs = [{"SubscriptionArn": arn, "Protocol": protocol} for arn, protocol in self.pages[index]]
        more = {"NextToken": str(index + 1)} if index + 1 < len(self.pages) else {}
        return {"Subscriptions": subs, **more}


def _notifier(sns: _Sns) -> SnsNotifier:
    clients = AwsClients(region="us-east-1")
    clients._clients["sns"] = sns
    return SnsNotifier(TOPIC, clients=clients)


def test_no_subscription_at_all_is_a_failure() -> None:
    with pytest.raises(StateError) as err:
        alerts_reach_someone(_notifier(_Sns([])))
    assert err.value.code == "alerts-unsubscribed"
    assert "AlertEmail" in err.value.hint


def test_an_unconfirmed_email_is_a_failure_that_says_so() -> None:
    with pytest.raises(StateError) as err:
        alerts_reach_someone(_notifier(_Sns([("PendingConfirmation", "email")])))
    assert err.value.code == "alerts-unsubscribed"
    assert "1 pending confirmation" in err.value.message
    assert "confirm" in err.value.hint


def test_a_confirmed_subscription_on_a_later_page_counts() -> None:
    confirmed = f"{TOPIC}:0b6b2a08-ebe3-4049-ae0c-fbdf642df6f7"
    detail = alerts_reach_someone(_notifier(_Sns([("PendingConfirmation", "email")], [(confirmed, "email")])))
    assert "1 confirmed" in detail
