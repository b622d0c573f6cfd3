"""The webhook delivery queue contract: DeliveryQueue (service/ports.py), written once.

Run on the in-memory queue the unit tests use (tests/unit/adapters/
test_delivery_queue_contract.py) and on PubSubDeliveryQueue against the Pub/Sub emulator
(tests/integration/test_pubsub_queue.py): subclass DeliveryQueueContract and give it a
`kit`, a `QueueKit` on a fresh, empty queue.
"""

from __future__ import annotations

from typing import Protocol

import pytest

from workflows_api.domain.execution.webhook_deliveries import WebhookDelivery, event_id
from workflows_api.service.errors import BackendUnavailable
from workflows_api.service.ports import DeliveryQueue


class QueueKit(Protocol):
    queue: DeliveryQueue

    def received(self, count: int) -> list[WebhookDelivery]:
        """The next `count` deliveries the delivery function is handed, each acknowledged
        (fewer only if no more come)."""
        ...

    def refusing(self) -> DeliveryQueue:
        """A queue that cannot take deliveries (Pub/Sub: a missing topic)."""
        ...


def delivery(url: str, execution: str = "e1", state: str = "succeeded") -> WebhookDelivery:
    return WebhookDelivery(
        org="acme",
        workflow_id="w1",
        execution_id=execution,
        url=url,
        event_id=event_id("acme", execution, url),
        state=state,
        body=b'{"id":"%s","state":"%s"}' % (execution.encode(), state.encode()),
    )


def by_url(deliveries: list[WebhookDelivery]) -> list[WebhookDelivery]:
    return sorted(deliveries, key=lambda d: (d.url, d.execution_id))


class DeliveryQueueContract:
    def test_each_delivery_is_one_message_read_back_whole(self, kit: QueueKit) -> None:
        sent = [delivery("https://a.example/hook"), delivery("https://b.example/hook")]
        kit.queue.enqueue(sent)
        assert by_url(kit.received(3)) == by_url(sent)  # no third

    def test_nothing_to_deliver_queues_nothing(self, kit: QueueKit) -> None:
        kit.queue.enqueue([])
        later = delivery("https://a.example/hook", execution="e2")
        kit.queue.enqueue([later])
        assert kit.received(2) == [later]

    def test_a_delivery_queued_twice_is_delivered_twice(self, kit: QueueKit) -> None:
        # At least once: the receiver tells them apart by the event id, the same in both.
        again = delivery("https://a.example/hook", state="failed")
        kit.queue.enqueue([again])
        kit.queue.enqueue([again])
        assert kit.received(3) == [again, again]

    def test_a_queue_that_cannot_take_them_raises_backend_unavailable(self, kit: QueueKit) -> None:
        with pytest.raises(BackendUnavailable):
            kit.refusing().enqueue([delivery("https://a.example/hook")])
