"""An in-memory webhook delivery queue that behaves like the Pub/Sub one.

Messages are kept in the adapter's own wire format (domain.webhook_deliveries), and
`drain` hands them out as the push subscription does: a handler that raises leaves
the message queued for another delivery, whose attempt number is one more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workflows_api.domain.execution.webhook_deliveries import (
    WebhookDelivery,
    delivery_message,
    parse_delivery_message,
)
from workflows_api.service.errors import BackendUnavailable


@dataclass
class Queued:
    data: bytes
    delivery_attempt: int = 1


class InMemoryDeliveryQueue:
    def __init__(self) -> None:
        self.messages: list[Queued] = []
        self.refuse = False  # enqueue raises, as the adapter does when Pub/Sub is down

    def enqueue(self, deliveries: list[WebhookDelivery]) -> None:
        if self.refuse:
            raise BackendUnavailable("pubsub", "refused (test)")
        self.messages.extend(Queued(delivery_message(delivery)) for delivery in deliveries)

    def drain(
        self, handler: Callable[[WebhookDelivery, int], None], max_deliveries: int = 100
    ) -> int:
        """Deliver until the queue is empty (or `max_deliveries`); the number made."""
        made = 0
        while self.messages and made < max_deliveries:
            queued = self.messages.pop(0)
            made += 1
            try:
                handler(parse_delivery_message(queued.data), queued.delivery_attempt)
            except Exception:
                queued.delivery_attempt += 1
                self.messages.append(queued)
        return made
