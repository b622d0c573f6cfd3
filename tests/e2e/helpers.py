"""Small HTTP helpers shared by the e2e tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from devstack import pubsub
from devstack.completion_events import COMPLETION_TOPIC
from workflows_api.bootstrap import App
from workflows_api.config import Settings

DEMO_DEFINITION: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[2] / "examples" / "store_clusters.yaml").read_text(encoding="utf-8")
)
# Valid, but fails in BigQuery: the table it reads does not exist.
BROKEN_DEFINITION: dict[str, Any] = {
    "nodes": [
        {"id": "src", "type": "read_table", "settings": {"table": "retail.no_such_table"}},
        {"id": "out", "type": "output", "inputs": ["src"]},
    ]
}
SEED_VALUES = {"number_of_clusters": 2, "buffer_radius": 500, "store_type": "Supermarket"}
TERMINAL = {"succeeded", "failed", "cancelled"}


@dataclass(frozen=True)
class Stack:
    base_url: str
    settings: Settings
    info: dict[str, Any]  # the keys make run writes to .local/stack.json
    app: App  # in-process services on the same emulators, for setting up and checking

    @property
    def token(self) -> str:
        return str(self.info["token"])

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


def execute(
    http: requests.Session,
    stack: Stack,
    workflow_id: str,
    parameters: dict[str, Any],
    **options: Any,
) -> requests.Response:
    return http.post(
        stack.url(f"/v1/workflows/{workflow_id}/executions"),
        json={"parameters": parameters, **options},
        headers=stack.headers(),
        timeout=120,
    )


def poll(
    http: requests.Session, stack: Stack, execution_id: str, timeout: float = 180
) -> dict[str, Any]:
    """Read the status until it is terminal (as a caller would)."""
    deadline = time.monotonic() + timeout
    while True:
        response = http.get(
            stack.url(f"/v1/executions/{execution_id}"), headers=stack.headers(), timeout=120
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["state"] in TERMINAL or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


def new_workflow(
    http: requests.Session,
    stack: Stack,
    definition: dict[str, Any] | None = None,
    enable: bool = True,
) -> str:
    """A fresh workflow (a copy of the demo by default), created and enabled over HTTP."""
    workflow_id = f"wf_{uuid.uuid4().hex[:10]}"
    response = http.put(
        stack.url(f"/v1/workflows/{workflow_id}"),
        json=definition or DEMO_DEFINITION,
        headers=stack.headers(),
        timeout=60,
    )
    assert response.status_code == 201, response.text
    if enable:
        enabled = http.post(
            stack.url(f"/v1/workflows/{workflow_id}/api"), headers=stack.headers(), timeout=120
        )
        assert enabled.status_code == 200, enabled.text
    return workflow_id


def execution_ids(stack: Stack, org: str = "demo") -> set[str]:
    """Every execution record the org has in Firestore."""
    return {doc.id for doc in stack.app.firestore.collection(f"orgs/{org}/executions").stream()}


def wait_for_job(job: Any, timeout: float = 120) -> Any:
    """Reload a BigQuery job until it is DONE: jobs run in the background, as on BigQuery."""
    deadline = time.monotonic() + timeout
    while job.state != "DONE" and time.monotonic() < deadline:
        time.sleep(0.05)
        job.reload()
    return job


@contextmanager
def completion_events_lost(pubsub_host: str, project: str) -> Iterator[None]:
    """While inside, the local stack's completion events reach nobody (as when a project
    has no log sink): the completion topic's push subscription is deleted, then made
    again with the same endpoint."""
    subscription = f"{COMPLETION_TOPIC}-push"
    endpoint = pubsub.push_endpoint(pubsub_host, project, subscription)
    pubsub.delete_subscription(pubsub_host, project, subscription)
    try:
        yield
    finally:
        topic = pubsub.topic_name(project, COMPLETION_TOPIC)
        pubsub.create_push_subscription(pubsub_host, project, subscription, topic, endpoint)
