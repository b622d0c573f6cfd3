"""The Pub/Sub emulator over its REST API: topics, push subscriptions, publishing.

Local tooling only (make run and the tests): the service itself never calls Pub/Sub,
it only receives pushed messages as CloudEvents.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import requests


def topic_name(project: str, topic: str) -> str:
    return f"projects/{project}/topics/{topic}"


def create_topic(host: str, project: str, topic: str) -> str:
    name = topic_name(project, topic)
    response = requests.put(f"http://{host}/v1/{name}", json={}, timeout=10)
    if response.status_code not in (200, 409):
        response.raise_for_status()
    return name


def create_push_subscription(
    host: str, project: str, subscription: str, topic: str, endpoint: str
) -> str:
    """A push subscription; the endpoint's path names the topic, so functions-framework
    can give the CloudEvent its `source` (as Eventarc does in production)."""
    name = f"projects/{project}/subscriptions/{subscription}"
    body = {
        "topic": topic,
        "pushConfig": {"pushEndpoint": endpoint},
        "ackDeadlineSeconds": 30,
        # Redeliveries after a failure wait a little longer each time.
        "retryPolicy": {"minimumBackoff": "1s", "maximumBackoff": "10s"},
    }
    response = requests.put(f"http://{host}/v1/{name}", json=body, timeout=10)
    if response.status_code == 409:
        # It exists (an earlier stack of this session made it): it must push to this
        # endpoint now, not to a function that has stopped.
        response = requests.post(
            f"http://{host}/v1/{name}:modifyPushConfig",
            json={"pushConfig": body["pushConfig"]},
            timeout=10,
        )
    response.raise_for_status()
    return name


def push_endpoint(host: str, project: str, subscription: str) -> str:
    """Where a push subscription delivers."""
    name = f"projects/{project}/subscriptions/{subscription}"
    response = requests.get(f"http://{host}/v1/{name}", timeout=10)
    response.raise_for_status()
    return str(response.json()["pushConfig"]["pushEndpoint"])


def delete_subscription(host: str, project: str, subscription: str) -> None:
    """Delete a subscription: what its topic receives meanwhile reaches nobody."""
    name = f"projects/{project}/subscriptions/{subscription}"
    response = requests.delete(f"http://{host}/v1/{name}", timeout=10)
    if response.status_code not in (200, 404):
        response.raise_for_status()


def publish(
    host: str,
    topic: str,
    payload: Any,
    attributes: dict[str, str] | None = None,
    timeout: float = 10,
) -> str:
    """Publish one JSON message; returns its message id."""
    data = base64.b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")
    message: dict[str, Any] = {"data": data, "attributes": attributes or {}}
    response = requests.post(
        f"http://{host}/v1/{topic}:publish", json={"messages": [message]}, timeout=timeout
    )
    response.raise_for_status()
    return str(response.json()["messageIds"][0])


def publish_command(host: str, topic: str, payload: Any) -> str:
    """A curl line that publishes `payload` to the emulator."""
    data = base64.b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")
    body = json.dumps({"messages": [{"data": data}]})
    return (
        f"curl -sS -X POST http://{host}/v1/{topic}:publish "
        f"-H 'Content-Type: application/json' -d '{body}'"
    )
