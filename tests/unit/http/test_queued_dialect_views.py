"""Executions waiting behind a concurrency limit, as CARTO's and Nexadata's callers see
them, through the real dispatcher on fakes (each answer held to its route's model).

CARTO: a queued run is a PENDING job with `queueReason` and `queuePosition` in its
status; a cancelled queued run is DONE `stopped` and never reached BigQuery. Nexadata:
a queued run reads `created` with no start, and a warning saying why and where it waits;
both drop the queue fields once the run leaves the queue."""

from __future__ import annotations

from typing import Any

from tests.support.apps import GOOD, with_demo_workflow
from tests.support.http_client import HttpClient
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.calls import format_call
from workflows_api.domain.execution.numbers import execution_number
from workflows_api.domain.execution.states import JobStatus, job_id
from workflows_api.http.tables import all_routes

LIMIT = 1


def limited() -> tuple[HttpClient, set[str]]:
    """Org demo limited to one execution at once; BigQuery runs each job until its id is
    in `client.done` (then DONE, succeeded)."""
    world = with_demo_workflow()
    world.app.lifecycle.limits.set_limits("demo", max_concurrent=LIMIT)
    done: set[str] = set()

    def get_job(connection: Connection, job_id: str) -> JobStatus | None:
        if job_id not in world.warehouse.jobs:
            return None
        return JobStatus(job_id, "DONE" if job_id in done else "RUNNING")

    world.warehouse.get_job = get_job  # type: ignore[method-assign]
    return HttpClient(world, all_routes()), done


def _parameters(client: HttpClient, i: int) -> dict[str, Any]:
    client.world.clock.advance(0.01)  # one after the other: the queue is in created_at order
    return {**GOOD, "buffer_radius": 500 + i}  # distinct: no cache key shared


def _carto_post(client: HttpClient, token: str, i: int) -> dict[str, Any]:
    api = client.world.app.workflows.get("demo", "clusters").api
    assert api is not None
    body = {
        "query": format_call(api.procedure, list(GOOD)),
        "queryParameters": _parameters(client, i),
    }
    answer = client.call("POST", "/v3/sql/local/job", token=token, body=body)
    assert answer.status == 200, answer.body
    return dict(answer.body)


def _end(client: HttpClient, done: set[str], execution_id: str) -> None:
    """The job ends in BigQuery, and a status read records it (freeing its slot)."""
    done.add(job_id(execution_id))
    client.world.clock.advance(2)  # past the reconcile interval
    client.world.app.queries.get("demo", execution_id)


def test_carto_shows_a_queued_run_as_pending_with_its_reason_and_place() -> None:
    client, done = limited()
    token = client.token()
    running, first, second = (_carto_post(client, token, i) for i in range(3))
    assert running["status"] == {"state": "RUNNING"}
    assert first["status"] == {"state": "PENDING", "queueReason": "org_limit", "queuePosition": 1}
    assert second["status"]["queuePosition"] == 2

    read = client.call("GET", f"/v3/sql/local/job/{second['externalId']}", token=token)
    assert read.status == 200
    assert read.body["status"] == {
        "state": "PENDING",
        "queueReason": "org_limit",
        "queuePosition": 2,
    }
    # A listing shows what is recorded: the running job's state once a read recorded it.
    client.call("GET", f"/v3/sql/local/job/{running['externalId']}", token=token)
    listed = client.call("GET", "/v3/sql/jobs", token=token)
    assert listed.status == 200
    states = {j["externalId"]: j["status"] for j in listed.body["jobs"]}
    assert states[running["externalId"]]["state"] == "RUNNING"
    assert {states[j["externalId"]]["state"] for j in (first, second)} == {"PENDING"}
    assert {states[j["externalId"]]["queueReason"] for j in (first, second)} == {"org_limit"}

    # The running one ends: the oldest queued one runs, the other moves up.
    _end(client, done, running["externalId"].removeprefix("job_"))
    now_running = client.call("GET", f"/v3/sql/local/job/{first['externalId']}", token=token)
    assert now_running.body["status"] == {"state": "RUNNING"}
    moved_up = client.call("GET", f"/v3/sql/local/job/{second['externalId']}", token=token)
    assert moved_up.body["status"]["queuePosition"] == 1


def test_carto_cancels_a_queued_run_without_a_job() -> None:
    client, _ = limited()
    token = client.token()
    _carto_post(client, token, 0)
    queued = _carto_post(client, token, 1)
    answer = client.call("DELETE", f"/v3/sql/local/job/{queued['externalId']}", token=token)
    assert answer.status == 200
    assert answer.body["status"]["state"] == "DONE"
    assert answer.body["status"]["errorResult"]["reason"] == "stopped"
    assert "queueReason" not in answer.body["status"]
    assert queued["externalId"] not in client.world.warehouse.jobs
    assert client.world.warehouse.cancelled == []  # nothing was asked of BigQuery


def test_nexadata_shows_a_queued_run_as_created_with_a_warning() -> None:
    client, done = limited()
    token = client.token()

    def execute(i: int) -> dict[str, Any]:
        answer = client.call(
            "POST",
            "/api/v1/workflows/clusters/execute",
            token=token,
            body={"parameters": _parameters(client, i)},
        )
        assert answer.status == 200, answer.body
        return dict(answer.body)

    running, queued = execute(0), execute(1)
    assert (running["state"], running["warnings"]) == ("created", [])
    assert queued["state"] == "created" and queued["start_at"] is None
    assert queued["warnings"] == ["queued (org_limit, position 1): waiting for a concurrency slot"]
    read = client.call("GET", f"/api/v1/workflows/executions/{queued['id']}", token=token)
    assert read.status == 200
    assert (read.body["state"], read.body["start_at"], read.body["errors"]) == (
        "created",
        None,
        [],
    )
    assert read.body["warnings"] == [
        "queued (org_limit, position 1): waiting for a concurrency slot"
    ]

    # Out of the queue once the running one ends: running, no warning.
    first = _execution_id(client, running["id"])
    _end(client, done, first)
    moved = client.call("GET", f"/api/v1/workflows/executions/{queued['id']}", token=token)
    assert (moved.body["state"], moved.body["warnings"]) == ("running", [])
    assert moved.body["id"] == queued["id"] == execution_number(_execution_id(client, queued["id"]))


def _execution_id(client: HttpClient, number: int) -> str:
    (found,) = [e for e in client.world.store.executions.values() if e.number == number]
    return found.id
