"""The Pub/Sub delivery queue finds its credentials on the first publish, so a
deployment without them refuses enqueues (recorded as enqueue_failed) instead of
failing whoever built the queue (the request that ended an execution)."""

from __future__ import annotations

import pytest
import requests
from google.auth.exceptions import DefaultCredentialsError

from workflows_api.adapters.pubsub_queue import PubSubDeliveryQueue
from workflows_api.domain.execution.webhook_deliveries import WebhookDelivery
from workflows_api.service.errors import BackendUnavailable


def test_credentials_are_looked_up_on_the_first_publish_and_a_failure_is_a_refusal() -> None:
    calls: list[str] = []

    def no_credentials() -> requests.Session:
        calls.append("session")
        raise DefaultCredentialsError("no credentials (test)")

    queue = PubSubDeliveryQueue("projects/p/topics/t", no_credentials)
    assert calls == []
    delivery = WebhookDelivery("o", "w", "e", "https://x", "evt_1", "succeeded", b"{}")
    with pytest.raises(BackendUnavailable):
        queue.enqueue([delivery])
    assert calls == ["session"]
