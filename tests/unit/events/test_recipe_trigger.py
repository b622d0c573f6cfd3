"""Recipe "add a trigger", followed once with a test-only CloudEvent entry point.

A trigger is an event parser (events/: CloudEvent -> a plain value, or NotAnXEvent for
anything else; no services), and an entry point (functions/main.py) that parses, acks
what is not its event, and calls a use case the services already have (here
ExecutionAdmission.execute, as the Pub/Sub trigger does), raising only a transient
failure so that Eventarc delivers again. The test-only trigger: a Cloud Storage object
finalized in a bucket bound to an org runs the workflow its metadata names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from cloudevents.http import CloudEvent

from tests.support.apps import GOOD, with_demo_workflow
from workflows_api.bootstrap import App
from workflows_api.service.errors import BackendUnavailable, ServiceError
from workflows_api.service.execution_requests import ExecuteRequest

FINALIZED = "google.cloud.storage.object.v1.finalized"
BUCKET_ORGS = {"demo-drops": "demo"}

# 1. The parser (in production: events/<source>.py).


class NotAnObjectEvent(ValueError):
    pass


@dataclass(frozen=True)
class ObjectFinalized:
    bucket: str
    generation: str
    workflow_id: str
    parameters: dict[str, Any]


def object_finalized(event_type: str, data: Any) -> ObjectFinalized:
    if event_type != FINALIZED or not isinstance(data, dict):
        raise NotAnObjectEvent(f"not an object-finalized event: {event_type!r}")
    metadata = data.get("metadata") or {}
    try:
        parameters = json.loads(metadata.get("wfapi-parameters", "{}"))
    except json.JSONDecodeError:
        raise NotAnObjectEvent("wfapi-parameters is not JSON") from None
    return ObjectFinalized(
        str(data.get("bucket")),
        str(data.get("generation")),
        str(metadata.get("wfapi-workflow", "")),
        parameters,
    )


# 2. The entry point (in production: a @functions_framework.cloud_event function in
#    functions/main.py, calling this with get_app()).


def on_object_finalized(cloud_event: CloudEvent, app: App) -> str | None:
    """The execution started, or None for an event that is not for us (acknowledged)."""
    try:
        event = object_finalized(cloud_event["type"], cloud_event.data)
    except NotAnObjectEvent:
        return None
    org = BUCKET_ORGS.get(event.bucket)
    if org is None:
        return None
    # The object's generation makes a redelivered event find its first execution.
    request = ExecuteRequest(event.parameters, idempotency_key=f"gcs:{event.generation}")
    try:
        return app.admission.execute(org, event.workflow_id, request).execution.id
    except ServiceError:
        return None  # a refused request: retrying cannot help (logged by a real one)


def event(bucket: str = "demo-drops", parameters: Any = GOOD, generation: str = "17") -> CloudEvent:
    metadata = {"wfapi-workflow": "clusters", "wfapi-parameters": json.dumps(parameters)}
    return CloudEvent(
        {"type": FINALIZED, "source": f"//storage.googleapis.com/projects/_/buckets/{bucket}"},
        {"bucket": bucket, "name": "drop.csv", "generation": generation, "metadata": metadata},
    )


def test_an_object_runs_its_workflow_once_even_when_redelivered() -> None:
    world = with_demo_workflow()
    first = on_object_finalized(event(), world.app)
    assert first is not None and on_object_finalized(event(), world.app) == first
    assert len(world.warehouse.jobs) == 1
    assert world.store.executions[("demo", first)].parameters["store_type"] == "Supermarket"


def test_other_events_and_refused_requests_are_acknowledged() -> None:
    world = with_demo_workflow()
    assert on_object_finalized(event(bucket="unbound"), world.app) is None
    assert on_object_finalized(event(parameters={"number_of_clusters": "x"}), world.app) is None
    other = CloudEvent({"type": "google.cloud.pubsub.topic.v1.messagePublished", "source": "x"}, {})
    assert on_object_finalized(other, world.app) is None
    assert world.store.executions == {}


def test_a_transient_failure_raises_for_redelivery() -> None:
    world = with_demo_workflow()

    def down(*args: Any, **kwargs: Any) -> Any:
        raise BackendUnavailable("firestore", "deadline exceeded")

    world.store.create_execution = down  # type: ignore[method-assign]

    world.store.admit_execution = down  # type: ignore[method-assign]
    with pytest.raises(BackendUnavailable):
        on_object_finalized(event(), world.app)
