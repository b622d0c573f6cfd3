"""One trace id finds a run (tracing.py): the request's trace is kept on its execution
and its job's labels, and what happens to the execution later (its webhook
deliveries, its completion event, the sweep) logs and calls out in that trace."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.apps import DEMO_CONNECTION, GOOD, OnFakes, with_demo_workflow
from tests.support.bigquery_audit_events import job_change_entry
from tests.support.fake_queue import InMemoryDeliveryQueue
from tests.support.http_client import HttpClient
from workflows_api import logs, tracing
from workflows_api.adapters.firestore.executions import (
    _execution_to_doc,
    execution_from_document,
)
from workflows_api.domain.execution import states as ex
from workflows_api.domain.execution.states import Execution, State
from workflows_api.domain.execution.webhook_deliveries import (
    delivery_message,
    parse_delivery_message,
)
from workflows_api.events.bigquery_audit import AUDIT_LOG_WRITTEN, parse_job_event
from workflows_api.http.tables import all_routes
from workflows_api.service.execution_requests import ExecuteRequest
from workflows_api.service.sweep import SWEEP_MIN_AGE

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE}-00f067aa0ba902b7-01"
TRACE_FIELD = "logging.googleapis.com/trace"


class Lines(logging.Handler):
    """Every log line as Cloud Logging would get it, formatted when written."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logs.CloudLoggingFormatter())
        self.entries: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.entries.append(json.loads(self.format(record)))

    def traces(self, message_start: str) -> set[str | None]:
        found = [e for e in self.entries if e["message"].startswith(message_start)]
        assert found, f"no log line starts with {message_start!r}"
        return {e.get(TRACE_FIELD) for e in found}


class Receiver:
    """Takes every webhook POST (200)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes, dict[str, str]]] = []

    def send(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        self.received.append((url, body, headers))
        return 200


@pytest.fixture
def lines() -> Iterator[Lines]:
    tracing.configure("workflows-api-local")
    handler = Lines()
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def traced(project: str = "workflows-api-local") -> str:
    return f"projects/{project}/traces/{TRACE}"


def test_job_labels_carry_the_trace_id() -> None:
    labels = ex.job_labels("Acme", "wf", "e1", TRACE)
    assert labels[ex.TRACE_LABEL] == TRACE
    assert all(len(v) <= 63 for v in labels.values())
    assert ex.TRACE_LABEL not in ex.job_labels("acme", "wf", "e1")


def test_a_request_with_a_traceparent_runs_its_job_in_that_trace(lines: Lines) -> None:
    world = with_demo_workflow()
    client = HttpClient(world, all_routes())
    answer = client.call(
        "POST",
        "/v1/workflows/clusters/executions",
        token=client.token(),
        body={"parameters": GOOD},
        headers={"traceparent": TRACEPARENT},
    )
    assert answer.status == 202, answer.body
    stored = world.store.get_execution("demo", answer.body["id"])
    assert stored is not None and stored.trace_id == TRACE
    [job] = world.warehouse.jobs.values()
    assert job.labels[ex.TRACE_LABEL] == TRACE
    assert lines.traces("execution submitted") == {traced()}
    assert lines.traces("POST /v1/workflows/clusters/executions 202") == {traced()}
    request_line = next(e for e in lines.entries if e["message"].startswith("POST"))
    assert request_line["logging.googleapis.com/spanId"] != "00f067aa0ba902b7"


def test_malformed_trace_headers_are_ignored_and_a_trace_started(lines: Lines) -> None:
    world = with_demo_workflow()
    client = HttpClient(world, all_routes())
    headers = {"traceparent": "00-zz-1", "X-Cloud-Trace-Context": "not/a;trace"}
    answer = client.call(
        "POST",
        "/v1/workflows/clusters/executions",
        token=client.token(),
        body={"parameters": GOOD},
        headers=headers,
    )
    assert answer.status == 202
    stored = world.store.get_execution("demo", answer.body["id"])
    assert stored is not None and tracing.is_trace_id(stored.trace_id)
    [job] = world.warehouse.jobs.values()
    assert job.labels[ex.TRACE_LABEL] == stored.trace_id


def test_the_trace_id_is_kept_in_the_same_write_as_the_record() -> None:
    world = with_demo_workflow()
    with tracing.request_span("test", tracing.parse_traceparent(TRACEPARENT)):
        execution = world.app.admission.execute("demo", "clusters", ExecuteRequest(GOOD)).execution
    document = _execution_to_doc(execution)
    assert document["trace_id"] == TRACE
    assert execution_from_document(document).trace_id == TRACE
    del document["trace_id"]  # a record written before traces
    assert execution_from_document(document).trace_id is None


def _ended_with_a_webhook(receiver: Receiver) -> tuple[OnFakes, Execution]:
    world = with_demo_workflow("succeeded", webhook_sender=receiver)
    world.app.webhooks.configure("demo", "clusters", ["https://a.example/hook"])
    with tracing.request_span("POST /x", tracing.parse_traceparent(TRACEPARENT)):
        done = world.app.admission.execute("demo", "clusters", ExecuteRequest(GOOD)).execution
    assert done.state == State.SUCCEEDED
    return world, done


def test_a_webhook_delivery_carries_the_executions_trace(lines: Lines) -> None:
    receiver = Receiver()
    world, _ = _ended_with_a_webhook(receiver)
    queue = world.app.delivery_queue
    assert isinstance(queue, InMemoryDeliveryQueue)
    [queued] = queue.messages
    delivery = parse_delivery_message(queued.data)
    assert delivery.trace_id == TRACE
    # Delivered later, in another process: a span of its own trace.
    with tracing.request_span("deliver_webhook", None):
        assert queue.drain(world.app.webhooks.deliver) == 1
    [(_, _, headers)] = receiver.received
    sent = tracing.parse_traceparent(headers["traceparent"])
    assert sent is not None and sent.trace_id == TRACE
    assert lines.traces("webhook delivery attempt") == {traced()}


def test_a_delivery_message_without_a_trace_still_parses() -> None:
    receiver = Receiver()
    world, _ = _ended_with_a_webhook(receiver)
    queue = world.app.delivery_queue
    assert isinstance(queue, InMemoryDeliveryQueue)
    fields = json.loads(queue.messages[0].data)
    del fields["trace_id"]
    old = parse_delivery_message(json.dumps(fields).encode())
    assert old.trace_id is None
    assert "trace_id" not in json.loads(delivery_message(old))


def test_a_completion_event_is_applied_in_the_executions_trace(lines: Lines) -> None:
    world = with_demo_workflow()
    with tracing.request_span("POST /x", tracing.parse_traceparent(TRACEPARENT)):
        request = ExecuteRequest(GOOD, cache=False)
        running = world.app.admission.execute("demo", "clusters", request).execution
    world.warehouse.outcome = "succeeded"
    entry = job_change_entry(
        DEMO_CONNECTION.project, running.bigquery_job_id, after="DONE", labels=running.labels
    )
    source = f"//cloudaudit.googleapis.com/projects/{DEMO_CONNECTION.project}/logs/data_access"
    event = parse_job_event(AUDIT_LOG_WRITTEN, source, entry)
    with tracing.request_span("bigquery_job_completed", None):
        outcome = world.app.job_completions.handle_job_event(event)
    assert outcome.status == "applied"
    assert lines.traces("BigQuery job event applied") == {traced()}


def test_the_sweep_submits_each_execution_in_its_own_trace(lines: Lines) -> None:
    world = with_demo_workflow()
    world.warehouse.fail_submits = 1
    with tracing.request_span("POST /x", tracing.parse_traceparent(TRACEPARENT)):
        accepted = world.app.admission.execute("demo", "clusters", ExecuteRequest(GOOD)).execution
    assert accepted.state == State.CREATED
    world.clock.advance(SWEEP_MIN_AGE.total_seconds() + 1)
    lines.entries.clear()
    with tracing.request_span("sweep_executions", None) as sweep:
        assert world.app.sweep.sweep().submitted == 1
    assert lines.traces("execution submitted") == {traced()}
    # The sweep's own report is in the sweep's trace.
    assert lines.traces("sweep of executions") == {traced().replace(TRACE, sweep.trace_id)}
