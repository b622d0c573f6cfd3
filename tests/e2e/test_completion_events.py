"""BigQuery job-completion audit-log events, delivered to the `bigquery_job_completed`
CloudEvent function as Eventarc delivers them and as the deployed log sink does (a
Pub/Sub message pushed by the emulator), end executions: success, failure and cancel,
duplicated, reordered and concurrent.

The executions are recorded while BigQuery is unreachable, so they stay `created`
until an event arrives (a status read would submit them: states are read from Firestore
until an event has made them terminal). Each test then runs a job under the execution's
job id in the local BigQuery, with the outcome it needs and without the execution's
labels (so the local stack's own completion events for it are not ours and are ignored),
and delivers events by hand. An event is only a hint: the function reads the job back,
so what is recorded is BigQuery's (its end time, its errorResult), and an event that
BigQuery does not bear out changes nothing.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from google.cloud import bigquery

from devstack import pubsub
from devstack.emulators import Emulators, free_port, start_cloudevent_function
from tests.e2e.helpers import SEED_VALUES, Stack, new_workflow, wait_for_job
from tests.support.bigquery_audit_events import (
    CANCELLED,
    INVALID_QUERY,
    binary_request,
    job_change_entry,
    legacy_job_completed_entry,
    structured_request,
)
from workflows_api.bootstrap import App
from workflows_api.domain.execution.states import Execution, State
from workflows_api.service.errors import BackendUnavailable
from workflows_api.service.execution_requests import ExecuteRequest

pytestmark = pytest.mark.e2e

SUCCESS_SQL = "SELECT 1 AS x"
FAILURE_SQL = "SELECT ERROR('stores: no rows for store_type Hypermarket')"
# Minutes of DuckDB work: long enough to be seen running, then cancelled.
ENDLESS_SQL = (
    "SELECT SUM(MOD(a * b, 7)) AS work FROM UNNEST(GENERATE_ARRAY(1, 200000)) AS a "
    "CROSS JOIN UNNEST(GENERATE_ARRAY(1, 200000)) AS b"
)
Request = Callable[[dict[str, Any]], tuple[dict[str, str], bytes]]


@pytest.fixture(scope="module")
def function_url(emulators_running: Emulators, stack_log_dir: Path) -> Iterator[str]:
    port = free_port()
    function = start_cloudevent_function(
        "bigquery_job_completed", port, emulators_running.env(), stack_log_dir
    )
    yield f"http://127.0.0.1:{port}/"
    function.stop()


@pytest.fixture(scope="module")
def workflow_id(http: requests.Session, stack: Stack) -> str:
    return new_workflow(http, stack)


@pytest.fixture(scope="module")
def offline(stack: Stack) -> App:
    """Services on the same emulators whose BigQuery cannot be reached for jobs."""
    app = App(stack.settings)

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise BackendUnavailable("bigquery", "unreachable (test)")

    app.warehouse.submit_query = unreachable  # type: ignore[method-assign]
    return app


@pytest.fixture
def new_execution(offline: App, workflow_id: str) -> Callable[[], Execution]:
    def make() -> Execution:
        request = ExecuteRequest(SEED_VALUES, cache=False)
        execution = offline.admission.execute("demo", workflow_id, request).execution
        assert execution.state == State.CREATED
        return execution

    return make


def run_job_of(
    bq_client: bigquery.Client, stack: Stack, execution: Execution, sql: str, wait: bool = True
) -> bigquery.QueryJob:
    """Run `sql` as the execution's job (its id, no labels) in the local BigQuery."""
    connection = stack.app.workflows.connection("demo", str(stack.info["connection"]))
    job = bq_client.query(
        sql,
        job_id=execution.bigquery_job_id,
        project=connection.project,
        location=connection.location,
        job_retry=None,
    )
    return wait_for_job(job) if wait else job


def cancelled_job_of(
    bq_client: bigquery.Client, stack: Stack, execution: Execution
) -> bigquery.QueryJob:
    job = run_job_of(bq_client, stack, execution, ENDLESS_SQL, wait=False)
    job.cancel()
    return wait_for_job(job)


def bigquery_error(job: bigquery.QueryJob) -> dict[str, Any]:
    error = job.error_result
    assert error is not None
    return {
        "reason": error["reason"],
        "location": error.get("location"),
        "message": error["message"],
    }


def project(stack: Stack) -> str:
    return stack.app.workflows.connection("demo", str(stack.info["connection"])).project


def deliver(
    http: requests.Session, url: str, entry: dict[str, Any], request: Request = binary_request
) -> None:
    headers, body = request(entry)
    response = http.post(url, data=body, headers=headers, timeout=60)
    assert 200 <= response.status_code < 300, response.text


def stored_state(stack: Stack, execution: Execution) -> State:
    stored = stack.app.store.get_execution("demo", execution.id)
    assert stored is not None
    return stored.state


def status(http: requests.Session, stack: Stack, execution: Execution) -> dict[str, Any]:
    """The status as a caller reads it (only once terminal: no reconciling then)."""
    assert stored_state(stack, execution).is_terminal
    response = http.get(
        stack.url(f"/v1/executions/{execution.id}"), headers=stack.headers(), timeout=60
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ended_at(body: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(str(body["ended_at"]))


def job_event(stack: Stack, execution: Execution, after: str, **options: Any) -> dict[str, Any]:
    options.setdefault("labels", execution.labels)
    return job_change_entry(project(stack), execution.bigquery_job_id, after=after, **options)


Deliveries = Callable[[Stack, Execution], list[tuple[dict[str, Any], Request]]]


def success_duplicated_then_a_late_running_event(
    stack: Stack, execution: Execution
) -> list[tuple[dict[str, Any], Request]]:
    success = job_event(stack, execution, "DONE")
    running = job_event(stack, execution, "RUNNING")
    return [(success, binary_request), (success, binary_request), (running, binary_request)]


def failure_reordered_and_duplicated(
    stack: Stack, execution: Execution
) -> list[tuple[dict[str, Any], Request]]:
    failure = job_event(stack, execution, "DONE", error=INVALID_QUERY)
    # Reordered and duplicated: an older RUNNING, the failure again, a contradicting
    # success. The first terminal state stands.
    return [
        (failure, binary_request),
        (job_event(stack, execution, "RUNNING"), binary_request),
        (failure, binary_request),
        (job_event(stack, execution, "DONE"), binary_request),
    ]


def cancel_in_structured_mode_and_twice(
    stack: Stack, execution: Execution
) -> list[tuple[dict[str, Any], Request]]:
    cancel = job_event(stack, execution, "DONE", error=CANCELLED)
    return [(cancel, structured_request), (cancel, structured_request)]


def legacy_job_completed_event(
    stack: Stack, execution: Execution
) -> list[tuple[dict[str, Any], Request]]:
    entry = legacy_job_completed_entry(
        project(stack), execution.bigquery_job_id, labels=execution.labels
    )
    return [(entry, binary_request)]


@pytest.mark.parametrize(
    ("deliveries", "outcome", "state"),
    [
        pytest.param(
            success_duplicated_then_a_late_running_event,
            "success",
            "succeeded",
            id="success_duplicated_then_a_late_running_event",
        ),
        pytest.param(
            failure_reordered_and_duplicated,
            "failure",
            "failed",
            id="failure_carries_bigquerys_error_result_reordered_and_duplicated",
        ),
        pytest.param(
            cancel_in_structured_mode_and_twice,
            "cancel",
            "cancelled",
            id="cancel_in_structured_mode_and_twice",
        ),
        pytest.param(
            legacy_job_completed_event, "success", "succeeded", id="the_legacy_job_completed_event"
        ),
    ],
)
def test_delivered_events_end_the_execution_as_bigquery_reports_its_job(
    http: requests.Session,
    stack: Stack,
    bq_client: bigquery.Client,
    function_url: str,
    new_execution: Callable[[], Execution],
    deliveries: Deliveries,
    outcome: str,
    state: str,
) -> None:
    execution = new_execution()
    if outcome == "cancel":
        job = cancelled_job_of(bq_client, stack, execution)
    else:
        sql = SUCCESS_SQL if outcome == "success" else FAILURE_SQL
        job = run_job_of(bq_client, stack, execution, sql)
    for entry, request in deliveries(stack, execution):
        deliver(http, function_url, entry, request)
    body = status(http, stack, execution)
    assert body["state"] == state
    if outcome == "failure":
        assert body["error"] == bigquery_error(job)
    elif outcome == "success":
        assert body.get("error") is None
    assert ended_at(body) == job.ended  # BigQuery's end, not the event's
    assert body["bigquery_job_id"] == execution.bigquery_job_id


def test_a_forged_done_event_for_a_running_job_changes_nothing(
    http: requests.Session,
    stack: Stack,
    bq_client: bigquery.Client,
    function_url: str,
    new_execution: Callable[[], Execution],
) -> None:
    execution = new_execution()
    job = run_job_of(bq_client, stack, execution, ENDLESS_SQL, wait=False)
    try:
        deliver(http, function_url, job_event(stack, execution, "DONE"))
        deliver(http, function_url, job_event(stack, execution, "DONE", error=INVALID_QUERY))
        stored = stack.app.store.get_execution("demo", execution.id)
        assert stored is not None
        assert not stored.state.is_terminal and stored.ended_at is None
    finally:
        job.cancel()
        wait_for_job(job)


def test_an_event_for_a_job_bigquery_does_not_have_changes_nothing(
    http: requests.Session,
    stack: Stack,
    function_url: str,
    new_execution: Callable[[], Execution],
) -> None:
    execution = new_execution()  # recorded, never submitted: BigQuery has no such job
    deliver(http, function_url, job_event(stack, execution, "DONE", error=INVALID_QUERY))
    assert stored_state(stack, execution) == State.CREATED


def test_running_then_done_in_order(
    http: requests.Session,
    stack: Stack,
    bq_client: bigquery.Client,
    function_url: str,
    new_execution: Callable[[], Execution],
) -> None:
    execution = new_execution()
    job = run_job_of(bq_client, stack, execution, ENDLESS_SQL, wait=False)
    deadline = time.monotonic() + 60
    while job.state != "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.05)
        job.reload()
    deliver(http, function_url, job_event(stack, execution, "RUNNING"))
    assert stored_state(stack, execution) == State.RUNNING
    job.cancel()
    wait_for_job(job)
    deliver(http, function_url, job_event(stack, execution, "DONE", error=CANCELLED))
    assert status(http, stack, execution)["state"] == "cancelled"


def test_failure_carries_bigquerys_exact_error_result_when_the_job_exists(
    http: requests.Session,
    stack: Stack,
    bq_client: bigquery.Client,
    function_url: str,
    new_execution: Callable[[], Execution],
) -> None:
    execution = new_execution()
    job = run_job_of(bq_client, stack, execution, FAILURE_SQL)
    assert job.state == "DONE" and job.error_result, job.error_result
    # The event's google.rpc code says invalidQuery; BigQuery's own errorResult wins.
    deliver(http, function_url, job_event(stack, execution, "DONE", error=INVALID_QUERY))
    body = status(http, stack, execution)
    assert body["state"] == "failed"
    assert body["error"] == bigquery_error(job)
    assert "no rows for store_type Hypermarket" in body["error"]["message"]


def test_concurrent_duplicates_end_it_once(
    http: requests.Session,
    stack: Stack,
    bq_client: bigquery.Client,
    function_url: str,
    new_execution: Callable[[], Execution],
) -> None:
    execution = new_execution()
    job = run_job_of(bq_client, stack, execution, FAILURE_SQL)
    events = [job_event(stack, execution, "DONE", error=INVALID_QUERY) for _ in range(4)]
    events += [job_event(stack, execution, "RUNNING") for _ in range(2)]

    def send(entry: dict[str, Any]) -> int:
        headers, body = binary_request(entry)
        return requests.post(function_url, data=body, headers=headers, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=len(events)) as pool:
        codes = list(pool.map(send, events))
    assert all(200 <= code < 300 for code in codes), codes
    body = status(http, stack, execution)
    assert body["state"] == "failed"
    assert body["error"] == bigquery_error(job)


def test_events_that_are_not_ours_are_acknowledged_and_change_nothing(
    http: requests.Session,
    stack: Stack,
    function_url: str,
    new_execution: Callable[[], Execution],
) -> None:
    execution = new_execution()
    job = execution.bigquery_job_id
    other_org = {**execution.labels, "wfapi_org": "other"}
    unknown = {**execution.labels, "wfapi_execution": "0" * 32}
    storage = job_event(stack, execution, "DONE")
    storage["protoPayload"].update(
        serviceName="storage.googleapis.com",
        methodName="storage.objects.create",
        resourceName="projects/_/buckets/acme-drop/objects/stores.csv",
    )
    for entry in (
        job_change_entry(project(stack), job, after="DONE", labels={}),  # our job id, no labels
        job_change_entry(project(stack), "bquxjob_1a2b3c_19c5", after="DONE"),  # someone's query
        job_change_entry(project(stack), job, after="DONE", labels=other_org),
        job_change_entry(project(stack), "wfapi_exec_" + "0" * 32, after="DONE", labels=unknown),
        job_change_entry(  # a statement of our CALL
            project(stack),
            "script_job_5c1d_0",
            after="DONE",
            labels=execution.labels,
            error=INVALID_QUERY,
            parent_job=f"projects/{project(stack)}/jobs/{job}",
        ),
        job_change_entry("another-project", job, after="DONE", labels=execution.labels),
        storage,
    ):
        deliver(http, function_url, entry)
    stored = stack.app.store.get_execution("demo", execution.id)
    assert stored is not None
    assert stored.state == State.CREATED
    assert stored.ended_at is None


def test_an_entry_published_by_the_log_sink_ends_the_execution(
    stack: Stack,
    http: requests.Session,
    bq_client: bigquery.Client,
    function_url: str,
    emulators_running: Emulators,
    new_execution: Callable[[], Execution],
) -> None:
    # As deployed: the sink publishes the LogEntry's JSON to a topic whose push
    # subscription calls the function with a messagePublished CloudEvent.
    host, project = emulators_running.pubsub_host, emulators_running.project
    name = f"bigquery-jobs-{uuid.uuid4().hex[:8]}"
    topic = pubsub.create_topic(host, project, name)
    pubsub.create_push_subscription(host, project, f"{name}-push", topic, function_url + topic)
    execution = new_execution()
    job = run_job_of(bq_client, stack, execution, FAILURE_SQL)
    pubsub.publish(host, topic, job_event(stack, execution, "DONE", error=INVALID_QUERY))
    deadline = time.monotonic() + 60
    while not stored_state(stack, execution).is_terminal and time.monotonic() < deadline:
        time.sleep(0.3)
    body = status(http, stack, execution)
    assert body["state"] == "failed"
    assert body["error"] == bigquery_error(job)
    assert ended_at(body) == job.ended
