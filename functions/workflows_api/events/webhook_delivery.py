"""A queued webhook delivery as pushed to `deliver_webhook`: a Pub/Sub
messagePublished CloudEvent whose message is domain.webhook_deliveries' format."""

from __future__ import annotations

from typing import Any

from workflows_api.domain.execution.webhook_deliveries import (
    NotADelivery,
    WebhookDelivery,
    parse_delivery_message,
)
from workflows_api.events.pubsub import NotAPubSubEvent, pubsub_message


def delivery_event(source: str, data: Any) -> tuple[WebhookDelivery, int | None]:
    """The delivery, and Pub/Sub's delivery attempt when the event carries it (a
    subscription with a dead-letter policy counts them; functions-framework's push
    conversion drops the count, so the service also counts recorded attempts).
    NotADelivery when the event is not a delivery."""
    try:
        message = pubsub_message(source, data)
    except NotAPubSubEvent as error:
        raise NotADelivery(str(error)) from None
    attempt = data.get("deliveryAttempt") if isinstance(data, dict) else None
    counted = attempt if isinstance(attempt, int) and not isinstance(attempt, bool) else None
    return parse_delivery_message(message.data), counted
