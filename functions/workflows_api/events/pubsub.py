"""A Pub/Sub message as delivered in a CloudEvent (Eventarc, or functions-framework
converting a push request): its topic, id and data."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

PUBSUB_SOURCE_PREFIX = "//pubsub.googleapis.com/"


@dataclass(frozen=True)
class PubSubMessage:
    topic: str  # projects/<p>/topics/<t>
    message_id: str
    data: bytes


class NotAPubSubEvent(ValueError):
    pass


def pubsub_message(source: str, data: Any) -> PubSubMessage:
    """The message of a `google.cloud.pubsub.topic.v1.messagePublished` CloudEvent."""
    if not source.startswith(PUBSUB_SOURCE_PREFIX):
        raise NotAPubSubEvent(f"not a Pub/Sub event source: {source!r}")
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, dict):
        raise NotAPubSubEvent("the event carries no Pub/Sub message")
    message_id = message.get("messageId") or message.get("message_id")
    if not isinstance(message_id, str) or not message_id:
        raise NotAPubSubEvent("the Pub/Sub message has no id")
    raw = message.get("data") or ""
    try:
        payload = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        # Kept as it came: the service then rejects it as not JSON, with a record.
        payload = str(raw).encode("utf-8")
    return PubSubMessage(source[len(PUBSUB_SOURCE_PREFIX) :], message_id, payload)


def message_attributes(data: Any) -> dict[str, str]:
    """The attributes of the Pub/Sub message an event carries (a `traceparent` among
    them, for one); empty for any other event."""
    message = data.get("message") if isinstance(data, dict) else None
    attributes = message.get("attributes") if isinstance(message, dict) else None
    if not isinstance(attributes, dict):
        return {}
    return {k: v for k, v in attributes.items() if isinstance(k, str) and isinstance(v, str)}
