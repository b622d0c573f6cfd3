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


TYPED = {
    "name": "Typed parameters",
    "parameters": [
        {"name": "amount", "type": "NUMERIC", "required": False},
        {"name": "ratio", "type": "FLOAT64", "required": False},
        {"name": "moment", "type": "TIMESTAMP", "required": False},
        {"name": "area", "type": "GEOGRAPHY", "required": False},
        {"name": "code", "type": "STRING", "required": False, "pattern": "(a+)+b"},
    ],
    "nodes": [
        {"id": "src", "type": "read_table", "settings": {"table": "retail.stores"}},
        {"id": "out", "type": "output", "inputs": ["src"]},
    ],
}


def publish_raw(topic: Topic, data: bytes) -> str:
    """Publish bytes as they are (not JSON-encoded by the helper)."""
    message = {"data": base64.b64encode(data).decode("ascii"), "attributes": {}}
    response = requests.post(
        f"http://{topic.host}/v1/{topic.name}:publish", json={"messages": [message]}, timeout=10
    )
    response.raise_for_status()
    return str(response.json()["messageIds"][0])


def hostile_messages(workflow_id: str) -> list[tuple[bytes, str]]:
    def values(text: str) -> bytes:
        return ('{"workflow": "' + workflow_id + '", "parameters": {' + text + "}}").encode()

    nested = "[" * 3000 + "0" + "]" * 3000
    return [
        (b"[" * 50_000 + b"]" * 50_000, "invalid_message"),
        (b'{"workflow": "\\ud800", "parameters": {}}', "workflow_not_found"),
        (b'{"workflow": "x", "parameters": {}, "\\udc00": 1}', "invalid_message"),
        (values('"amount": "1e40"'), "invalid_parameters"),
        (values('"amount": 1e30'), "invalid_parameters"),
        (values('"amount": "1e999999999"'), "invalid_parameters"),
        (values('"ratio": ' + "9" * 400), "invalid_parameters"),
        (values('"moment": "9999-12-31T23:59:59-23:59"'), "invalid_parameters"),
        (
            values('"area": {"type": "Point", "coordinates": [1' + "0" * 400 + ", 1]}"),
            "invalid_parameters",
        ),
        (
            values('"area": ' + json.dumps('{"type": "Point", "coordinates": ' + nested + "}")),
            "invalid_parameters",
        ),
        (values('"code": "\\ud800"'), "invalid_parameters"),
        (values('"\\udc00": 1'), "invalid_parameters"),
        (values('"code": "' + "a" * 40 + '!"'), "invalid_parameters"),
    ]


def test_hostile_messages_are_each_rejected_once_and_acknowledged(
    http: requests.Session, stack: Stack, topic: Topic
) -> None:
    workflow_id = new_workflow(http, stack, TYPED)
    published = [(publish_raw(topic, data), code) for data, code in hostile_messages(workflow_id)]
    rejections = {message_id: wait_for_rejection(stack, message_id) for message_id, _ in published}
    for message_id, code in published:
        assert rejections[message_id].code == code, rejections[message_id]
    # Acknowledged: none is delivered again (each record is written once), none ran.
    time.sleep(3)
    for message_id, _ in published:
        later = stack.app.store.get_trigger_rejection("demo", message_id)
        assert later is not None and later.received_at == rejections[message_id].received_at
    page, _ = stack.app.queries.list_executions("demo", workflow_id, page_size=10)
    assert page == []
