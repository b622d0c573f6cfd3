"""Executions started through the real Pub/Sub emulator, pushing to the CloudEvent function."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack import emulators, pubsub
from devstack.emulators import Emulators
from tests.e2e.helpers import SEED_VALUES, Stack, new_workflow, poll

pytestmark = pytest.mark.e2e


class Topic:
    def __init__(self, host: str, name: str, endpoint: str) -> None:
        self.host, self.name, self.endpoint = host, name, endpoint

    def publish(self, payload: Any) -> str:
        return pubsub.publish(self.host, self.name, payload)


@pytest.fixture(scope="module")
def topic(emulators_running: Emulators, stack: Stack, stack_log_dir: Path) -> Iterator[Topic]:
    host = emulators_running.pubsub_host
    name = pubsub.create_topic(host, emulators_running.project, f"wf-{uuid.uuid4().hex[:8]}")
    port = emulators.free_port()
    env = {**emulators_running.env(), "WFAPI_PUBSUB_TOPICS": json.dumps({name: "demo"})}
    function = emulators.start_cloudevent_function("pubsub_trigger", port, env, stack_log_dir)
    endpoint = f"http://127.0.0.1:{port}/{name}"
    pubsub.create_push_subscription(
        host, emulators_running.project, f"push-{uuid.uuid4().hex[:8]}", name, endpoint
    )
    yield Topic(host, name, endpoint)
    function.stop()


def wait_for_execution(stack: Stack, workflow_id: str, timeout: float = 60) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page, _ = stack.app.queries.list_executions("demo", workflow_id, page_size=10)
        if page:
            return [e.id for e in page]
        time.sleep(0.5)
    raise AssertionError(f"no execution of {workflow_id} appeared")


def wait_for_rejection(stack: Stack, message_id: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rejection = stack.app.store.get_trigger_rejection("demo", message_id)
        if rejection is not None:
            return rejection
        time.sleep(0.5)
    raise AssertionError(f"no rejection recorded for message {message_id}")


def test_a_published_message_runs_to_succeeded(
    http: requests.Session, stack: Stack, topic: Topic
) -> None:
    workflow_id = new_workflow(http, stack)
    topic.publish({"workflow": workflow_id, "parameters": SEED_VALUES})
    [execution_id] = wait_for_execution(stack, workflow_id)
    assert poll(http, stack, execution_id)["state"] == "succeeded"


def test_a_redelivered_message_makes_one_execution(
    http: requests.Session, stack: Stack, topic: Topic
) -> None:
    workflow_id = new_workflow(http, stack)
    payload = {"workflow": workflow_id, "parameters": SEED_VALUES, "cache": False}
    message_id = topic.publish(payload)
    [execution_id] = wait_for_execution(stack, workflow_id)
    # Pub/Sub delivers at least once: push the very same message again, as it would.
    push = {
        "message": {
            "data": base64.b64encode(json.dumps(payload).encode()).decode(),
            "messageId": message_id,
            "attributes": {},
        },
        "subscription": "projects/p/subscriptions/redelivery",
    }
    again = requests.post(topic.endpoint, json=push, timeout=120)
    assert again.status_code < 300, again.text
    time.sleep(1)
    page, _ = stack.app.queries.list_executions("demo", workflow_id, page_size=10)
    assert [e.id for e in page] == [execution_id]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("not json at all", "invalid_message"),
        ({"workflow": "no_such_workflow", "parameters": {}}, "workflow_not_found"),
        (
            {
                "workflow": "store_clusters",
                "parameters": {**SEED_VALUES, "number_of_clusters": "two"},
            },
            "invalid_parameters",
        ),
    ],
)
def test_a_poison_message_is_acknowledged_with_its_reason(
    stack: Stack, topic: Topic, payload: Any, code: str
) -> None:
    message_id = topic.publish(payload)
    rejection = wait_for_rejection(stack, message_id)
    assert rejection.code == code and rejection.message
    # Acknowledged: it is not delivered again and again (the record is written once).
    first_seen = rejection.received_at
    time.sleep(3)
    later = stack.app.store.get_trigger_rejection("demo", message_id)
    assert later is not None and later.received_at == first_seen
