"""Executions started by Pub/Sub messages: parsing, org binding, redelivery, poison."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.unit.apps import GOOD, OnFakes, with_demo_workflow
from workflows_api.config import Settings
from workflows_api.events.pubsub import NotAPubSubEvent, pubsub_message
from workflows_api.service.errors import BackendUnavailable
from workflows_api.service.triggers import PubSubTriggers

TOPIC = "projects/demo-project/topics/workflows-demo"


def bound_to(org: str) -> OnFakes:
    """The demo workflow, with TOPIC bound to `org`."""
    return with_demo_workflow(
        settings=Settings(webhook_secrets="firestore", pubsub_topic_orgs={TOPIC: org})
    )


def triggers(world: OnFakes) -> PubSubTriggers:
    return world.app.pubsub_triggers


def data(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def test_a_message_starts_an_execution_and_a_redelivery_finds_it_again() -> None:
    world = bound_to("demo")
    handle = triggers(world).handle
    message = data({"workflow": "clusters", "parameters": GOOD, "cache": False})
    first = handle(TOPIC, "m-1", message)
    again = handle(TOPIC, "m-1", message)
    assert first.status == again.status == "executed"
    assert first.execution_id == again.execution_id
    assert len(world.warehouse.jobs) == 1
    other = handle(TOPIC, "m-2", message)  # a new message, cache off: a new run
    assert other.execution_id != first.execution_id


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"{not json", "invalid_message"),
        (data([1, 2]), "invalid_message"),
        (data({"workflow": "clusters", "parameters": GOOD, "colour": "red"}), "invalid_message"),
        (data({"workflow": "nope", "parameters": GOOD}), "workflow_not_found"),
        (
            data({"workflow": "clusters", "parameters": {**GOOD, "number_of_clusters": "two"}}),
            "invalid_parameters",
        ),
    ],
)
def test_poison_messages_are_acknowledged_with_a_record(payload: bytes, code: str) -> None:
    world = bound_to("demo")
    outcome = triggers(world).handle(TOPIC, "m-9", payload)
    assert outcome.status == "rejected"
    rejection = world.store.get_trigger_rejection("demo", "m-9")
    assert rejection is not None and rejection.code == code and rejection.topic == TOPIC
    assert world.store.executions == {}


def test_a_topic_runs_only_its_orgs_workflows() -> None:
    world = bound_to("demo")
    other = bound_to("other")
    outcome = triggers(other).handle(
        TOPIC, "m-3", data({"workflow": "clusters", "parameters": GOOD})
    )
    assert outcome.status == "rejected" and "workflow_not_found" in (outcome.reason or "")
    unbound = triggers(world).handle("projects/p/topics/unknown", "m-4", b"{}")
    assert unbound.status == "ignored"
    assert world.store.executions == {} and other.store.executions == {}


def test_transient_failures_raise_so_pubsub_retries() -> None:
    world = bound_to("demo")

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise BackendUnavailable("firestore", "down")

    world.store.create_execution = unavailable  # type: ignore[method-assign]
    with pytest.raises(BackendUnavailable):
        triggers(world).handle(TOPIC, "m-5", data({"workflow": "clusters", "parameters": GOOD}))


def test_pubsub_cloud_event_parsing() -> None:
    body = {"message": {"data": base64.b64encode(b'{"a":1}').decode(), "messageId": "42"}}
    message = pubsub_message(f"//pubsub.googleapis.com/{TOPIC}", body)
    assert (message.topic, message.message_id, message.data) == (TOPIC, "42", b'{"a":1}')
    with pytest.raises(NotAPubSubEvent):
        pubsub_message("//storage.googleapis.com/b", body)
    with pytest.raises(NotAPubSubEvent):
        pubsub_message(f"//pubsub.googleapis.com/{TOPIC}", {"message": {"data": ""}})
