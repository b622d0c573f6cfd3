"""One trace id finds a run (issue 27, traces): a request with a `traceparent` shows
that trace id in its log lines, its BigQuery job's labels and its webhook delivery
(the delivery function's log lines and the POST's own `traceparent`); a Pub/Sub
message with a `traceparent` attribute starts an execution in that trace too."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from google.cloud import bigquery

from devstack import emulators, pubsub
from devstack.emulators import Emulators
from tests.e2e.helpers import SEED_VALUES, Stack, new_workflow, poll
from tests.e2e.test_webhooks import Receiver, configure
from workflows_api import tracing
from workflows_api.domain.execution.states import TRACE_LABEL

pytestmark = pytest.mark.e2e

TRACE_FIELD = "logging.googleapis.com/trace"


def new_traceparent() -> tuple[str, str]:
    trace = secrets.token_hex(16)
    return trace, f"00-{trace}-{secrets.token_hex(8)}-01"


def log_lines(path: Path, trace: str, timeout: float = 30, message: str = "") -> list[dict]:
    """The JSON log lines of `path` in `trace` (waiting for one starting with `message`)."""
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if str(entry.get(TRACE_FIELD, "")).endswith(f"/traces/{trace}"):
                    found.append(entry)
        if any(e["message"].startswith(message) for e in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def job_labels(bq_client: bigquery.Client, job_id: str) -> dict[str, str]:
    return dict(bq_client.get_job(job_id).labels or {})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.stop()


def test_a_traceparent_is_followed_to_the_logs_the_job_and_the_webhook(
    http: requests.Session,
    stack: Stack,
    stack_log_dir: Path,
    bq_client: bigquery.Client,
    receiver: Receiver,
) -> None:
    workflow_id = new_workflow(http, stack)
    configure(http, stack, workflow_id, receiver.url)
    trace, traceparent = new_traceparent()
    created = http.post(
        stack.url(f"/v1/workflows/{workflow_id}/executions"),
        json={"parameters": SEED_VALUES, "cache": False},
        headers={**stack.headers(), "traceparent": traceparent},
        timeout=120,
    )
    assert created.status_code == 202, created.text
    execution_id = created.json()["id"]
    assert poll(http, stack, execution_id)["state"] == "succeeded"

    # Its log lines: the request's, and the submission's.
    router = log_lines(stack_log_dir / "router.log", trace, message="POST ")
    messages = [e["message"] for e in router]
    assert f"POST /v1/workflows/{workflow_id}/executions 202" in messages
    assert "execution submitted" in messages
    assert all(e["logging.googleapis.com/trace"].startswith("projects/") for e in router)
    assert all(len(e["logging.googleapis.com/spanId"]) == 16 for e in router)

    # The record and its BigQuery job.
    stored = stack.app.store.get_execution("demo", execution_id)
    assert stored is not None and stored.trace_id == trace
    assert job_labels(bq_client, stored.bigquery_job_id)[TRACE_LABEL] == trace

    # The webhook: delivered by another process, in the same trace.
    receiver.wait_for(1)
    [(body, headers)] = receiver.received
    assert json.loads(body)["id"] == execution_id
    sent = tracing.parse_traceparent(headers.get("traceparent") or headers.get("Traceparent"))
    assert sent is not None and sent.trace_id == trace
    delivery = log_lines(stack_log_dir / "deliver_webhook.log", trace, message="webhook delivery")
    assert any(e["message"] == "webhook delivery attempt" for e in delivery), delivery


def test_malformed_trace_headers_are_ignored(http: requests.Session, stack: Stack) -> None:
    plain = http.get(stack.url("/healthz"), timeout=30)
    malformed = http.get(
        stack.url("/healthz"),
        headers={"traceparent": "00-xyz\u00e9", "X-Cloud-Trace-Context": "?/;o=1" * 100},
        timeout=30,
    )
    assert malformed.status_code == plain.status_code


@pytest.fixture(scope="module")
def trigger_topic(
    emulators_running: Emulators, stack: Stack, stack_log_dir: Path
) -> Iterator[tuple[str, Path]]:
    """A topic bound to org demo, pushed to `pubsub_trigger`; its name and log."""
    host = emulators_running.pubsub_host
    name = pubsub.create_topic(host, emulators_running.project, f"tr-{uuid.uuid4().hex[:8]}")
    port = emulators.free_port()
    env = {**emulators_running.env(), "WFAPI_PUBSUB_TOPICS": json.dumps({name: "demo"})}
    function = emulators.start_cloudevent_function("pubsub_trigger", port, env, stack_log_dir)
    pubsub.create_push_subscription(
        host,
        emulators_running.project,
        f"push-{uuid.uuid4().hex[:8]}",
        name,
        f"http://127.0.0.1:{port}/{name}",
    )
    yield name, function.log_path
    function.stop()


def test_a_pubsub_message_with_a_traceparent_runs_in_that_trace(
    http: requests.Session,
    stack: Stack,
    emulators_running: Emulators,
    bq_client: bigquery.Client,
    trigger_topic: tuple[str, Path],
) -> None:
    topic, log_path = trigger_topic
    workflow_id = new_workflow(http, stack)
    trace, traceparent = new_traceparent()
    payload: dict[str, Any] = {"workflow": workflow_id, "parameters": SEED_VALUES}
    pubsub.publish(emulators_running.pubsub_host, topic, payload, {"traceparent": traceparent})
    deadline = time.monotonic() + 60
    page: list[Any] = []
    while not page and time.monotonic() < deadline:
        page, _ = stack.app.queries.list_executions("demo", workflow_id, page_size=10)
        time.sleep(0.5)
    [execution] = page
    assert execution.trace_id == trace
    assert poll(http, stack, execution.id)["state"] == "succeeded"
    assert job_labels(bq_client, execution.bigquery_job_id)[TRACE_LABEL] == trace
    assert log_lines(log_path, trace, message="execution submitted")
