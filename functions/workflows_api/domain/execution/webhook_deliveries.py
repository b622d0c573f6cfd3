"""One queued webhook delivery: an execution's end, to one URL.

Ending an execution queues one delivery per URL of its workflow (service/webhooks.py);
a delivery function sends it, one attempt per queue delivery. The message carries what
every attempt needs and no secret: the body (rendered once, when the execution ended,
so every attempt sends the same bytes) and the event id receivers deduplicate on; and
the execution's trace id, so each attempt logs in that trace and sends it on.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

EVENT_ID_PREFIX = "evt_"
_FIELDS = ("org", "workflow_id", "execution_id", "url", "event_id", "state")


@dataclass(frozen=True)
class WebhookDelivery:
    org: str
    workflow_id: str
    execution_id: str
    url: str
    event_id: str
    state: str  # the terminal state announced
    body: bytes  # the JSON sent (carries `event_id` too)
    trace_id: str | None = None  # the execution's (tracing.py)

    @property
    def event(self) -> str:
        """The `Workflows-Event` header value."""
        return f"execution.{self.state}"


class NotADelivery(ValueError):
    """A queue message that is not a delivery: nothing a redelivery could fix."""


def event_id(org: str, execution_id: str, url: str) -> str:
    """The same for every attempt and every queuing of one (execution, URL) delivery, so
    a receiver deduplicates on it; distinct across executions and URLs (NUL occurs in
    none of the three)."""
    digest = hashlib.sha256(f"{org}\0{execution_id}\0{url}".encode()).hexdigest()
    return EVENT_ID_PREFIX + digest[:32]


def delivery_message(delivery: WebhookDelivery) -> bytes:
    """The queue message of `delivery` (JSON; the body base64, as sent)."""
    fields: dict[str, Any] = {name: getattr(delivery, name) for name in _FIELDS}
    fields["body"] = base64.b64encode(delivery.body).decode("ascii")
    if delivery.trace_id:
        fields["trace_id"] = delivery.trace_id
    return json.dumps(fields, separators=(",", ":")).encode("utf-8")


def parse_delivery_message(data: bytes) -> WebhookDelivery:
    """The delivery a queue message carries; NotADelivery when it is not one."""
    try:
        fields = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise NotADelivery("the message is not JSON") from None
    if not isinstance(fields, dict):
        raise NotADelivery("the message is not a JSON object")
    missing = [name for name in (*_FIELDS, "body") if not isinstance(fields.get(name), str)]
    if missing:
        raise NotADelivery(f"the message lacks {', '.join(missing)}")
    try:
        body = base64.b64decode(fields["body"], validate=True)
    except (binascii.Error, ValueError):
        raise NotADelivery("the message's body is not base64") from None
    trace_id = fields.get("trace_id")  # absent from messages queued before traces
    return WebhookDelivery(
        **{name: fields[name] for name in _FIELDS},
        body=body,
        trace_id=trace_id if isinstance(trace_id, str) else None,
    )
