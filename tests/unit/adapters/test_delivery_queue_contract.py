"""The delivery queue contract on the in-memory queue the unit tests use (the Pub/Sub
adapter runs the same contract on the emulator in tests/integration/test_pubsub_queue.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.contract.delivery_queue_contract import DeliveryQueueContract
from tests.support.fake_queue import InMemoryDeliveryQueue
from workflows_api.domain.execution.webhook_deliveries import WebhookDelivery


@dataclass
class InMemoryKit:
    queue: InMemoryDeliveryQueue = field(default_factory=InMemoryDeliveryQueue)

    def received(self, count: int) -> list[WebhookDelivery]:
        handed: list[WebhookDelivery] = []
        self.queue.drain(lambda delivery, attempt: handed.append(delivery), count)
        return handed

    def refusing(self) -> InMemoryDeliveryQueue:
        refusing = InMemoryDeliveryQueue()
        refusing.refuse = True
        return refusing


class TestInMemoryDeliveryQueue(DeliveryQueueContract):
    @pytest.fixture
    def kit(self) -> InMemoryKit:
        return InMemoryKit()
