"""The webhook delivery queue on Pub/Sub, over its REST API: one message per delivery,
published to the deliveries topic, which a push subscription hands to the
`deliver_webhook` function (infra/modules/workflows_api/events.tf).

REST rather than google-cloud-pubsub: one small synchronous call per ended execution,
with a deadline, needs neither gRPC nor the client's background batching threads. The
event id also travels as the message attribute `event_id`, the execution's trace as
`traceparent`.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable

import google.auth
import google.auth.exceptions
import requests
from google.auth.transport.requests import AuthorizedSession

from workflows_api import tracing
from workflows_api.domain.execution.webhook_deliveries import WebhookDelivery, delivery_message
from workflows_api.service.errors import BackendUnavailable

PUBSUB_API = "https://pubsub.googleapis.com"
PUBSUB_SCOPE = "https://www.googleapis.com/auth/pubsub"
# (connect, read): publishing answers at once; the request that ended an execution
# waits no longer than this for the queue.
TIMEOUT_SECONDS = (3.0, 5.0)
REFRESH_TIMEOUT_SECONDS = 5.0
# Pub/Sub takes up to 1,000 messages per publish call; an execution has at most 10 URLs.
MAX_BATCH = 1000


class PubSubDeliveryQueue:
    """`session` is made on the first publish (finding credentials may fail: that is
    then a refused enqueue, never a failure of whoever built the queue)."""

    def __init__(
        self,
        topic: str,
        session: Callable[[], requests.Session],
        *,
        api_root: str = PUBSUB_API,
        timeout: tuple[float, float] = TIMEOUT_SECONDS,
    ) -> None:
        self._url = f"{api_root.rstrip('/')}/v1/{topic}:publish"
        self._make_session = session
        self._session: requests.Session | None = None
        self._lock = threading.Lock()
        self._timeout = timeout

    def enqueue(self, deliveries: list[WebhookDelivery]) -> None:
        for start in range(0, len(deliveries), MAX_BATCH):
            self._publish(deliveries[start : start + MAX_BATCH])

    def _publish(self, deliveries: list[WebhookDelivery]) -> None:
        messages = [
            {
                "data": base64.b64encode(delivery_message(delivery)).decode("ascii"),
                "attributes": _attributes(delivery),
            }
            for delivery in deliveries
        ]
        try:
            response = self._ready_session().post(
                self._url, json={"messages": messages}, timeout=self._timeout
            )
        except (requests.RequestException, google.auth.exceptions.GoogleAuthError) as error:
            raise BackendUnavailable("pubsub", type(error).__name__) from None
        if response.status_code != 200:
            raise BackendUnavailable("pubsub", f"publish answered {response.status_code}")
        published = response.json().get("messageIds", [])
        if len(published) != len(messages):
            raise BackendUnavailable("pubsub", "publish did not take every message")

    def _ready_session(self) -> requests.Session:
        with self._lock:
            if self._session is None:
                self._session = self._make_session()
            return self._session


def _attributes(delivery: WebhookDelivery) -> dict[str, str]:
    """The event id, and the execution's trace: the delivery function runs in it."""
    traceparent = tracing.traceparent_in(delivery.trace_id)
    attributes = {"event_id": delivery.event_id}
    return attributes | ({tracing.TRACEPARENT: traceparent} if traceparent else {})


def delivery_queue(topic: str, emulator_host: str | None = None) -> PubSubDeliveryQueue:
    """The queue on `topic` (projects/<p>/topics/<t>): on the emulator when
    `emulator_host` is set (no credentials), else on Pub/Sub with the default ones."""
    if emulator_host:
        return PubSubDeliveryQueue(topic, requests.Session, api_root=f"http://{emulator_host}")
    return PubSubDeliveryQueue(topic, _authorized_session)


def _authorized_session() -> requests.Session:
    credentials, _ = google.auth.default(scopes=[PUBSUB_SCOPE])
    # Fetching a token (metadata server) has a deadline too.
    return AuthorizedSession(credentials, refresh_timeout=REFRESH_TIMEOUT_SECONDS)
