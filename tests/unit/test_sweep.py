"""Executions whose submission did not happen stay `created` and are submitted later:
by the sweep (service/sweep.py), or by a status read."""

from __future__ import annotations

from tests.unit.apps import GOOD, OnFakes, with_demo_workflow
from tests.unit.http_client import HttpClient
from workflows_api.domain.executions import Execution, State
from workflows_api.http.routes import all_routes
from workflows_api.service.executions import ExecuteRequest
from workflows_api.service.sweep import SWEEP_MIN_AGE


def _accepted_while_bigquery_is_down(world: OnFakes, failures: int = 1) -> Execution:
    world.warehouse.fail_submits = failures
    execution = world.app.admission.execute("demo", "clusters", ExecuteRequest(GOOD)).execution
    assert execution.state == State.CREATED
    assert execution.bigquery_job_id not in world.warehouse.jobs
    return execution


def test_the_sweep_submits_executions_left_created_once_old_enough() -> None:
    world = with_demo_workflow()
    accepted = _accepted_while_bigquery_is_down(world)

    young = world.app.sweep.sweep()
    assert (young.found, young.submitted) == (0, 0)
    assert accepted.bigquery_job_id not in world.warehouse.jobs

    world.clock.advance(SWEEP_MIN_AGE.total_seconds() + 1)
    report = world.app.sweep.sweep()
    assert (report.found, report.submitted, report.left) == (1, 1, 0)
    assert accepted.bigquery_job_id in world.warehouse.jobs
    stored = world.store.get_execution("demo", accepted.id)
    assert stored is not None and stored.state == State.RUNNING

    again = world.app.sweep.sweep()
    assert again.found == 0
    assert len(world.warehouse.jobs) == 1


def test_an_execution_bigquery_still_refuses_stays_created_for_the_next_sweep() -> None:
    world = with_demo_workflow()
    accepted = _accepted_while_bigquery_is_down(world, failures=2)
    world.clock.advance(SWEEP_MIN_AGE.total_seconds() + 1)

    report = world.app.sweep.sweep()
    assert (report.found, report.submitted, report.left) == (1, 0, 1)
    stored = world.store.get_execution("demo", accepted.id)
    assert stored is not None and stored.state == State.CREATED
    assert stored.submit_attempts == 2

    assert world.app.sweep.sweep().submitted == 1
    assert accepted.bigquery_job_id in world.warehouse.jobs


def test_the_sweep_finds_a_submission_that_did_land_without_repeating_it() -> None:
    world = with_demo_workflow()
    accepted = _accepted_while_bigquery_is_down(world)
    # The timed-out insert reached BigQuery after all: the job exists under its id.
    world.warehouse.submit_query(
        world.app.workflows.connection("demo", accepted.connection),
        job_id=accepted.bigquery_job_id,
        sql="CALL p()",
        arguments=[],
        labels={},
    )
    submissions = world.warehouse.submissions
    world.clock.advance(SWEEP_MIN_AGE.total_seconds() + 1)

    assert world.app.sweep.sweep().submitted == 1
    assert world.warehouse.submissions == submissions


def test_over_http_execute_answers_202_created_and_a_read_submits_later() -> None:
    world = with_demo_workflow()
    client = HttpClient(world, all_routes())
    token = client.token()
    world.warehouse.fail_submits = 1

    answer = client.call(
        "POST", "/v1/workflows/clusters/executions", token=token, body={"parameters": GOOD}
    )
    assert answer.status == 202, answer.body
    assert answer.body["state"] == "created"

    world.clock.advance(2)
    read = client.call("GET", f"/v1/executions/{answer.body['id']}", token=token)
    assert read.status == 200
    assert read.body["state"] == "running"
