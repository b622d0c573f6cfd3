"""Executions started by Pub/Sub messages: parsing, org binding, redelivery, poison."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.support.apps import GOOD, OnFakes, with_demo_workflow
from workflows_api.config import Settings
from workflows_api.events.pubsub import NotAPubSubEvent, pubsub_message
from workflows_api.service.errors import BackendUnavailable, ServiceError
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

    world.store.admit_execution = unavailable  # type: ignore[method-assign]
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


HOSTILE_MESSAGES = [
    (b"[" * 50_000 + b"]" * 50_000, "invalid_message"),
    (b'{"workflow": "clusters", "parameters": {"store_type": "\\ud800"}}', "invalid_parameters"),
    (b'{"workflow": "\\ud800", "parameters": {}}', "workflow_not_found"),
    (b'{"workflow": "clusters", "parameters": {"\\udc00": 1}}', "invalid_parameters"),
    (b'{"workflow": "clusters", "\\ud800": 1}', "invalid_message"),
    (data({"workflow": "clusters", "parameters": {**GOOD, "buffer_radius": 10**400}}), None),
    (b"\xff\xfe", "invalid_message"),
]


@pytest.mark.parametrize(("payload", "code"), HOSTILE_MESSAGES)
def test_hostile_messages_are_recorded_as_text_and_acknowledged(
    payload: bytes, code: str | None
) -> None:
    world = bound_to("demo")
    outcome = triggers(world).handle(TOPIC, "m-h", payload)
    assert outcome.status == "rejected"
    rejection = world.store.get_trigger_rejection("demo", "m-h")
    assert rejection is not None and (code is None or rejection.code == code)
    for text in (rejection.message, rejection.workflow_id or ""):
        text.encode("utf-8")  # storable: Firestore refuses lone surrogates
    assert world.store.executions == {}


def test_an_unexpected_error_is_recorded_not_redelivered_forever() -> None:
    world = bound_to("demo")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("a bug")

    world.store.create_execution = broken  # type: ignore[method-assign]

    world.store.admit_execution = broken  # type: ignore[method-assign]
    outcome = triggers(world).handle(
        TOPIC, "m-6", data({"workflow": "clusters", "parameters": GOOD})
    )
    assert outcome.status == "rejected"
    rejection = world.store.get_trigger_rejection("demo", "m-6")
    assert rejection is not None and rejection.code == "internal_error"


def test_a_refusal_of_kind_unavailable_raises_so_pubsub_retries() -> None:
    world = bound_to("demo")

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise ServiceError("unavailable", "backend_unavailable", "try later")

    world.store.create_execution = unavailable  # type: ignore[method-assign]

    world.store.admit_execution = unavailable  # type: ignore[method-assign]
    with pytest.raises(ServiceError):
        triggers(world).handle(TOPIC, "m-7", data({"workflow": "clusters", "parameters": GOOD}))
    assert world.store.get_trigger_rejection("demo", "m-7") is None
