"""The asynchronous paths end to end, over HTTP, on a local BigQuery whose jobs run in
the background as BigQuery's do (devstack/bq_async.py): execute answers at once,
status shows `running` before `succeeded`, cancel stops the running job, completion
events and status reads end running executions, the dialects show the job running.

A job is made observably long by its SQL (a custom_sql over a generated series whose
size is a parameter), never by sleeping in production code.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from google.cloud import bigquery

from devstack.emulators import Emulators, free_port, start_cloudevent_function
from tests.e2e.helpers import Stack, execute, new_workflow, poll, wait_for_job
from tests.support.bigquery_audit_events import binary_request, job_change_entry
from workflows_api.bootstrap import App
from workflows_api.service.lifecycle import RECONCILE_INTERVAL

pytestmark = pytest.mark.e2e

# A few seconds of DuckDB work at size 30000; minutes at 200000.
LONG = 30000
ENDLESS = 200000
WORK_SQL = (
    "SELECT @tag AS tag, (SELECT COUNT(*) FROM $a) AS stores, SUM(MOD(a * b, 7)) AS work "
    "FROM UNNEST(GENERATE_ARRAY(1, @size)) AS a CROSS JOIN UNNEST(GENERATE_ARRAY(1, @size)) AS b"
)
SLOW_DEFINITION: dict[str, Any] = {
    "parameters": [{"name": "size", "type": "INT64"}, {"name": "tag", "type": "STRING"}],
    "nodes": [
        {"id": "stores", "type": "read_table", "settings": {"table": "retail.stores"}},
        {"id": "work", "type": "custom_sql", "inputs": ["stores"], "settings": {"sql": WORK_SQL}},
        {"id": "out", "type": "output", "inputs": ["work"]},
    ],
}


@pytest.fixture(scope="module")
def slow_workflow(http: requests.Session, stack: Stack) -> str:
    return new_workflow(http, stack, SLOW_DEFINITION)


@pytest.fixture(scope="module")
def function_url(emulators_running: Emulators, stack_log_dir: Path) -> Iterator[str]:
    port = free_port()
    function = start_cloudevent_function(
        "bigquery_job_completed", port, emulators_running.env(), stack_log_dir
    )
    yield f"http://127.0.0.1:{port}/"
    function.stop()


def values(size: int) -> dict[str, Any]:
    """A parameter set never executed before (so it runs a job of its own)."""
    return {"size": size, "tag": uuid.uuid4().hex}


def status(http: requests.Session, stack: Stack, execution_id: str) -> dict[str, Any]:
    response = http.get(
        stack.url(f"/v1/executions/{execution_id}"), headers=stack.headers(), timeout=60
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def states_until_terminal(
    read: Callable[[], str], terminal: set[str], timeout: float = 180
) -> list[str]:
    """Every state read, polling quickly, until a terminal one (deduplicated in order)."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = read()
        if not seen or seen[-1] != state:
            seen.append(state)
        if state in terminal:
            break
        time.sleep(0.1)
    return seen


def states_of(http: requests.Session, stack: Stack, execution_id: str) -> list[str]:
    return states_until_terminal(
        lambda: str(status(http, stack, execution_id)["state"]),
        {"succeeded", "failed", "cancelled"},
    )


def until_running(http: requests.Session, stack: Stack, execution_id: str) -> None:
    seen = states_until_terminal(
        lambda: str(status(http, stack, execution_id)["state"]), {"running", "succeeded"}
    )
    assert seen[-1] == "running", seen


def bigquery_job(bq_client: bigquery.Client, job_id: str) -> Any:
    return bq_client.get_job(job_id)


def stored_state(stack: Stack, execution_id: str) -> str:
    stored = stack.app.store.get_execution("demo", execution_id)
    assert stored is not None
    return stored.state.value


def test_execute_answers_at_once_and_status_shows_running_before_succeeded(
    http: requests.Session, stack: Stack, slow_workflow: str
) -> None:
    timings = []
    answers = []
    for _ in range(3):
        started = time.perf_counter()
        response = execute(http, stack, slow_workflow, values(LONG))
        timings.append(time.perf_counter() - started)
        assert response.status_code in (200, 202), response.text
        answers.append(response.json())

    assert all(answer["state"] in ("created", "running") for answer in answers), answers
    # The bound: execute of new parameters answers within 300 ms (median of 3).
    assert statistics.median(timings) < 0.3, timings
    seen = [states_of(http, stack, str(answer["id"])) for answer in answers]
    assert [states[-1] for states in seen] == ["succeeded"] * 3, seen
    # The first was polled from its start: running, then succeeded.
    assert seen[0][-2:] == ["running", "succeeded"], seen


def test_cancel_of_a_running_execution_stops_its_job(
    http: requests.Session, stack: Stack, bq_client: bigquery.Client, slow_workflow: str
) -> None:
    started = execute(http, stack, slow_workflow, values(ENDLESS)).json()
    until_running(http, stack, started["id"])

    cancelled = http.post(
        stack.url(f"/v1/executions/{started['id']}/cancel"), headers=stack.headers(), timeout=60
    )

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    job = wait_for_job(bigquery_job(bq_client, started["bigquery_job_id"]), timeout=60)
    assert job.state == "DONE" and job.error_result["reason"] == "stopped"
    assert poll(http, stack, started["id"])["state"] == "cancelled"


def test_ten_concurrent_executes_are_answered_quickly_and_all_succeed(
    http: requests.Session, stack: Stack, slow_workflow: str
) -> None:
    def one(size: int) -> tuple[float, dict[str, Any]]:
        with requests.Session() as session:
            started = time.perf_counter()
            response = execute(session, stack, slow_workflow, values(size))
            took = time.perf_counter() - started
            assert response.status_code in (200, 202), response.text
            return took, dict(response.json())

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(one, range(2000, 2010)))

    # The bound: each of 10 concurrent executes answered within 2 s.
    assert max(took for took, _ in answers) < 2.0, [took for took, _ in answers]
    assert len({answer["id"] for _, answer in answers}) == 10
    finals = [poll(http, stack, answer["id"]) for _, answer in answers]
    assert [final["state"] for final in finals] == ["succeeded"] * 10, finals


def test_the_completion_event_ends_a_running_execution(
    http: requests.Session,
    stack: Stack,
    bq_client: bigquery.Client,
    slow_workflow: str,
    function_url: str,
) -> None:
    started = execute(http, stack, slow_workflow, values(LONG)).json()
    until_running(http, stack, started["id"])
    wait_for_job(bigquery_job(bq_client, started["bigquery_job_id"]))
    assert stored_state(stack, started["id"]) == "running"  # nobody read it since

    execution = stack.app.store.get_execution("demo", started["id"])
    assert execution is not None
    entry = job_change_entry(
        stack.settings.project, execution.bigquery_job_id, after="DONE", labels=execution.labels
    )
    headers, body = binary_request(entry)
    delivered = http.post(function_url, data=body, headers=headers, timeout=60)

    assert 200 <= delivered.status_code < 300, delivered.text
    assert stored_state(stack, started["id"]) == "succeeded"
    assert status(http, stack, started["id"])["state"] == "succeeded"


def test_a_lost_completion_event_is_caught_by_the_status_read(
    http: requests.Session, stack: Stack, bq_client: bigquery.Client, slow_workflow: str
) -> None:
    started = execute(http, stack, slow_workflow, values(LONG)).json()
    until_running(http, stack, started["id"])
    job = wait_for_job(bigquery_job(bq_client, started["bigquery_job_id"]))
    assert stored_state(stack, started["id"]) == "running"  # no event came
    time.sleep(RECONCILE_INTERVAL.total_seconds())  # the last read's reconcile is stale

    read = status(http, stack, started["id"])

    assert read["state"] == "succeeded"
    assert read["ended_at"] is not None
    assert stored_state(stack, started["id"]) == "succeeded"
    assert job.error_result is None


def test_a_duplicate_submission_is_treated_as_already_submitted(
    http: requests.Session, stack: Stack, bq_client: bigquery.Client, slow_workflow: str
) -> None:
    started = execute(http, stack, slow_workflow, values(LONG)).json()
    job_id = started["bigquery_job_id"]
    first = bigquery_job(bq_client, job_id)
    # A reader to whom the job is not visible yet submits it again under the same id:
    # BigQuery answers 409, which means the first submission is the run.
    reader = App(stack.settings)
    real_get_job = reader.warehouse.get_job
    hidden: list[str] = []

    def get_job_invisible_once(connection: Any, job: str) -> Any:
        if not hidden:
            hidden.append(job)
            return None
        return real_get_job(connection, job)

    reader.warehouse.get_job = get_job_invisible_once  # type: ignore[method-assign,assignment]
    stored = reader.store.get_execution("demo", started["id"])
    assert stored is not None

    execution = reader.lifecycle.reconcile(stored, force=True)

    assert hidden == [job_id]  # it did look, found nothing, and submitted again

    assert execution.state.value in ("created", "running", "succeeded")
    assert execution.bigquery_job_id == job_id
    assert poll(http, stack, started["id"])["state"] == "succeeded"
    again = bigquery_job(bq_client, job_id)
    assert again.created == first.created  # the one job, not a second run
    rows = list(bq_client.query(f"SELECT tag FROM `{started['output_table']}`").result())
    assert len(rows) == 1


def test_carto_shows_running_while_the_job_runs(
    http: requests.Session, stack: Stack, slow_workflow: str
) -> None:
    procedure = http.get(
        stack.url(f"/v1/workflows/{slow_workflow}/api"), headers=stack.headers(), timeout=30
    ).json()["procedure"]
    job = "/v3/sql/local/job"
    created = http.post(
        stack.url(job),
        json={"query": f"CALL `{procedure}`(@size,@tag)", "queryParameters": values(LONG)},
        headers=stack.headers(),
        timeout=120,
    )
    assert created.status_code == 200, created.text
    assert created.json()["status"]["state"] in ("PENDING", "RUNNING")

    seen = states_until_terminal(
        lambda: str(
            http.get(
                stack.url(f"{job}/{created.json()['externalId']}"),
                headers=stack.headers(),
                timeout=60,
            ).json()["status"]["state"]
        ),
        {"DONE"},
    )

    assert seen[-2:] == ["RUNNING", "DONE"], seen


def test_nexadata_shows_running_while_the_job_runs(
    http: requests.Session, stack: Stack, slow_workflow: str
) -> None:
    created = http.post(
        stack.url(f"/api/v1/workflows/{slow_workflow}/execute"),
        json={"parameters": values(LONG)},
        headers=stack.headers(),
        timeout=120,
    )
    assert created.status_code == 200, created.text

    seen = states_until_terminal(
        lambda: str(
            http.get(
                stack.url(f"/api/v1/workflows/executions/{created.json()['id']}"),
                headers=stack.headers(),
                timeout=60,
            ).json()["state"]
        ),
        {"succeeded", "failed"},
    )

    assert seen[-2:] == ["running", "succeeded"], seen
