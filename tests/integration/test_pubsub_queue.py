"""The webhook delivery queue adapter against the Pub/Sub emulator: the delivery queue
contract (tests/contract/delivery_queue_contract.py, which the in-memory queue of the unit
tests runs too), then what only Pub/Sub carries: the event id as a message attribute."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass

import pytest
import requests

from devstack import emulators, pubsub
from devstack.emulators import Emulators
from tests.contract.delivery_queue_contract import DeliveryQueueContract
from workflows_api.adapters.pubsub_queue import PubSubDeliveryQueue, delivery_queue
from workflows_api.domain.execution.webhook_deliveries import (
    WebhookDelivery,
    event_id,
    parse_delivery_message,
)
from workflows_api.service.errors import BackendUnavailable

pytestmark = pytest.mark.integration


def delivery(url: str) -> WebhookDelivery:
    return WebhookDelivery(
        org="acme",
        workflow_id="w1",
        execution_id="e1",
        url=url,
        event_id=event_id("acme", "e1", url),
        state="succeeded",
        body=b'{"id":"e1","state":"succeeded"}',
    )


def pull(host: str, subscription: str, at_least: int) -> list[dict[str, object]]:
    messages: list[dict[str, object]] = []
    for _ in range(20):
        answer = requests.post(
            f"http://{host}/v1/{subscription}:pull", json={"maxMessages": 10}, timeout=10
        )
        answer.raise_for_status()
        messages += [m["message"] for m in answer.json().get("receivedMessages", [])]
        if len(messages) >= at_least:
            break
    return messages


EMPTY_PULLS = 3  # pulls answering nothing before a kit says no more message comes


@dataclass
class PubSubKit:
    host: str
    project: str
    topic: str
    subscription: str

    @property
    def queue(self) -> PubSubDeliveryQueue:
        return delivery_queue(self.topic, self.host)

    def received(self, count: int) -> list[WebhookDelivery]:
        handed: list[WebhookDelivery] = []
        empty = 0
        while len(handed) < count and empty < EMPTY_PULLS:
            answer = requests.post(
                f"http://{self.host}/v1/{self.subscription}:pull",
                json={"maxMessages": count - len(handed), "returnImmediately": True},
                timeout=30,
            )
            answer.raise_for_status()
            got = answer.json().get("receivedMessages", [])
            empty = 0 if got else empty + 1
            if got:
                acks = {"ackIds": [m["ackId"] for m in got]}
                ack = requests.post(
                    f"http://{self.host}/v1/{self.subscription}:acknowledge", json=acks, timeout=30
                )
                ack.raise_for_status()
            handed += [parse_delivery_message(base64.b64decode(m["message"]["data"])) for m in got]
        return handed

    def refusing(self) -> PubSubDeliveryQueue:
        missing = f"projects/{self.project}/topics/missing-{uuid.uuid4().hex[:8]}"
        return delivery_queue(missing, self.host)


class TestPubSubDeliveryQueue(DeliveryQueueContract):
    @pytest.fixture
    def kit(self, emulators_running: Emulators) -> PubSubKit:
        host, project = emulators_running.pubsub_host, emulators_running.project
        name = f"deliveries-{uuid.uuid4().hex[:8]}"
        topic = pubsub.create_topic(host, project, name)
        subscription = f"projects/{project}/subscriptions/{name}"
        created = requests.put(
            f"http://{host}/v1/{subscription}", json={"topic": topic}, timeout=10
        )
        created.raise_for_status()
        return PubSubKit(host, project, topic, subscription)


def test_each_delivery_is_one_message_the_delivery_function_reads(
    emulators_running: Emulators,
) -> None:
    host, project = emulators_running.pubsub_host, emulators_running.project
    name = f"deliveries-{uuid.uuid4().hex[:8]}"
    topic = pubsub.create_topic(host, project, name)
    subscription = f"projects/{project}/subscriptions/{name}"
    requests.put(f"http://{host}/v1/{subscription}", json={"topic": topic}, timeout=10)
    sent = [delivery("https://a.example/hook"), delivery("https://b.example/hook")]
    delivery_queue(topic, host).enqueue(sent)
    messages = pull(host, subscription, 2)
    received = [parse_delivery_message(base64.b64decode(str(m["data"]))) for m in messages]
    assert sorted(received, key=lambda d: d.url) == sent
    attributes = [m["attributes"] for m in messages]
    assert sorted(a["event_id"] for a in attributes) == sorted(d.event_id for d in sent)  # type: ignore[index]


def test_a_pubsub_nobody_answers_raises_backend_unavailable(
    emulators_running: Emulators,
) -> None:
    # A missing topic: the contract's refusing queue.
    missing = f"projects/{emulators_running.project}/topics/missing-{uuid.uuid4().hex[:8]}"
    nobody = f"127.0.0.1:{emulators.free_port()}"
    with pytest.raises(BackendUnavailable):
        delivery_queue(missing, nobody).enqueue([delivery("https://x")])
