"""Executions whose submission did not happen stay `created` and are submitted later:
by the sweep (service/sweep.py), or by a status read."""

from __future__ import annotations

import pytest

from tests.support.apps import GOOD, START, OnFakes, with_demo_workflow
from tests.support.http_client import HttpClient
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.states import Execution, JobStatus, State
from workflows_api.http.tables import all_routes
from workflows_api.service.execution_requests import ExecuteRequest
from workflows_api.service.sweep import SWEEP_BATCH, SWEEP_MIN_AGE


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


def _execute_anew(world: OnFakes) -> Execution:
    world.clock.advance(1)  # one after another: the sweep takes the oldest first
    request = ExecuteRequest(GOOD, cache=False)
    return world.app.admission.execute("demo", "clusters", request).execution


def test_only_a_report_of_bigquery_confirms_an_execution() -> None:
    world = with_demo_workflow()
    world.warehouse.fail_submits = 1
    lost = _execute_anew(world)
    assert not lost.job_confirmed and lost.submit_attempts == 1  # tried, no answer
    # BigQuery answering PENDING (queued) confirms it, though it stays `created`.
    pending = lost.with_job_report(JobStatus(lost.bigquery_job_id, "PENDING"), at=START)
    assert pending.state == State.CREATED and pending.job_confirmed
    answered = _execute_anew(world)
    assert answered.job_confirmed and answered.submit_attempts == 1
    # Ended without a report (cancelled): still unconfirmed, but no longer `created`.
    cancelled = world.app.queries.cancel("demo", lost.id)
    assert cancelled.state == State.CANCELLED and not cancelled.job_confirmed


QUEUED = 150  # more than one sweep takes (SWEEP_BATCH)


def _jobs_stay_queued(world: OnFakes, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """BigQuery holds every job PENDING (queued behind others); returns the job ids it is
    asked about, in order."""
    looked_up: list[str] = []

    def pending(connection: Connection, job_id: str) -> JobStatus | None:
        looked_up.append(job_id)
        return JobStatus(job_id, "PENDING") if job_id in world.warehouse.jobs else None

    monkeypatch.setattr(world.warehouse, "get_job", pending)
    return looked_up


def test_queued_executions_do_not_hide_one_never_submitted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = with_demo_workflow()
    looked_up = _jobs_stay_queued(world, monkeypatch)
    queued = [_execute_anew(world) for _ in range(QUEUED)]
    assert {e.state for e in queued} == {State.CREATED}  # PENDING: still `created`
    lost = _accepted_while_bigquery_is_down(world)  # the newest of them all
    world.clock.advance(SWEEP_MIN_AGE.total_seconds() + 1)
    looked_up.clear()

    report = world.app.sweep.sweep()
    assert (report.found, report.submitted, report.ended, report.left) == (1, 1, 0, 0)
    assert set(looked_up) == {lost.bigquery_job_id}  # no queued execution asked about
    assert lost.bigquery_job_id in world.warehouse.jobs
    stored = world.store.get_execution("demo", lost.id)
    assert stored is not None and stored.job_confirmed and stored.state == State.CREATED

    # Still queued, still `created`: no sweep reads them again.
    assert world.app.sweep.sweep().found == 0


def test_queued_executions_whose_answer_was_lost_are_confirmed_a_batch_per_sweep(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = with_demo_workflow()
    looked_up = _jobs_stay_queued(world, monkeypatch)
    connection = world.app.workflows.connection("demo", "local")
    queued = []
    for _ in range(QUEUED):
        # The insert landed, its answer did not: unconfirmed, and queued in BigQuery.
        world.warehouse.fail_submits = 1
        execution = _execute_anew(world)
        world.warehouse.submit_query(
            connection, job_id=execution.bigquery_job_id, sql="CALL p()", arguments=[], labels={}
        )
        queued.append(execution)
    lost = _accepted_while_bigquery_is_down(world)
    world.clock.advance(SWEEP_MIN_AGE.total_seconds() + 1)
    submissions = world.warehouse.submissions
    looked_up.clear()

    first = world.app.sweep.sweep()
    assert (first.found, first.submitted, first.left) == (SWEEP_BATCH, SWEEP_BATCH, 0)
    assert looked_up == [e.bigquery_job_id for e in queued[:SWEEP_BATCH]]
    assert world.warehouse.submissions == submissions  # found, not submitted again

    second = world.app.sweep.sweep()
    rest = QUEUED - SWEEP_BATCH + 1
    assert (second.found, second.submitted, second.left) == (rest, rest, 0)
    assert lost.bigquery_job_id in world.warehouse.jobs
    assert world.warehouse.submissions == submissions + 1  # the lost one's, only
    # Each queued execution asked about once, oldest first, over the two sweeps.
    others = [job_id for job_id in looked_up if job_id != lost.bigquery_job_id]
    assert others == [e.bigquery_job_id for e in queued]

    assert world.app.sweep.sweep().found == 0


def test_an_execution_whose_workflow_was_deleted_ends_instead_of_coming_back() -> None:
    world = with_demo_workflow()
    accepted = _accepted_while_bigquery_is_down(world)
    world.app.workflows.delete("demo", "clusters")
    world.clock.advance(SWEEP_MIN_AGE.total_seconds() + 1)

    report = world.app.sweep.sweep()
    assert (report.found, report.submitted, report.ended, report.left) == (1, 0, 1, 0)
    assert accepted.bigquery_job_id not in world.warehouse.jobs  # nothing ran
    stored = world.store.get_execution("demo", accepted.id)
    assert stored is not None and stored.state == State.FAILED
    assert stored.error is not None and stored.error.reason == "workflowChanged"
    assert world.app.sweep.sweep().found == 0  # it no longer holds a place in the batch
