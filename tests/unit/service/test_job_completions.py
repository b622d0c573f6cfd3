"""Completion events applied to executions (service/completion.py), over fakes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.support.apps import DEMO_CONNECTION as CONNECTION
from tests.support.apps import GOOD, OnFakes, with_demo_workflow
from tests.support.bigquery_audit_events import (
    CANCELLED,
    INVALID_QUERY,
    job_change_entry,
    legacy_job_completed_entry,
)
from workflows_api.domain.execution.states import Execution, JobError, JobStatus, State
from workflows_api.events.bigquery_audit import AUDIT_LOG_WRITTEN, parse_job_event
from workflows_api.service.completion import CompletionOutcome
from workflows_api.service.errors import BackendUnavailable
from workflows_api.service.execution_requests import ExecuteRequest

PROJECT = "demo-project"
SOURCE = f"//cloudaudit.googleapis.com/projects/{PROJECT}/logs/data_access"
EVENT_END = dt.datetime(2026, 3, 1, 12, 0, 7, 251973, tzinfo=dt.UTC)


def admitted(world: OnFakes) -> Execution:
    request = ExecuteRequest(GOOD, cache=False)
    return world.app.admission.execute("demo", "clusters", request).execution


def running(world: OnFakes) -> Execution:
    """An execution whose job BigQuery is running, recorded `running` (by a status read:
    admission does not record the insert's answer)."""
    return world.app.queries.get("demo", admitted(world).id)


def never_submitted(world: OnFakes) -> Execution:
    """An execution recorded while BigQuery was unreachable: no job exists."""
    world.warehouse.fail_submits = 1_000
    try:
        execution = admitted(world)
    finally:
        world.warehouse.fail_submits = 0
    assert execution.state == State.CREATED
    return execution


def submitted_late(world: OnFakes, execution: Execution) -> None:
    """BigQuery holds the execution's job although its submission's answer was lost."""
    world.warehouse.submit_query(
        CONNECTION,
        job_id=execution.bigquery_job_id,
        sql="CALL p()",
        arguments=[],
        labels=execution.labels,
    )


def send(world: OnFakes, entry: dict[str, Any]) -> CompletionOutcome:
    event = parse_job_event(AUDIT_LOG_WRITTEN, SOURCE, entry)
    return world.app.job_completions.handle_job_event(event)


def stored_of(world: OnFakes, execution: Execution) -> Execution:
    found = world.store.get_execution("demo", execution.id)
    assert found is not None
    return found


def done(execution: Execution, **options: Any) -> dict[str, Any]:
    return change(execution, "DONE", **options)


def change(execution: Execution, after: str, **options: Any) -> dict[str, Any]:
    options.setdefault("labels", execution.labels)
    return job_change_entry(PROJECT, execution.bigquery_job_id, after=after, **options)


def bigquery_reports(world: OnFakes, execution: Execution) -> JobStatus:
    """What BigQuery answers for the execution's job now (the fake warehouse)."""
    status = world.warehouse.get_job(CONNECTION, execution.bigquery_job_id)
    assert status is not None
    return status


def test_a_success_event_ends_the_execution_as_bigquery_reports_the_job() -> None:
    world = with_demo_workflow()
    execution = running(world)
    world.warehouse.outcome = "succeeded"  # the job ended; the event says so
    outcome = send(world, done(execution))
    assert outcome == CompletionOutcome(
        "applied", "running -> succeeded", "demo", execution.id, State.SUCCEEDED
    )
    stored = stored_of(world, execution)
    assert stored.state == State.SUCCEEDED
    # The job read back is the truth: its end time, not the event's.
    assert stored.ended_at == bigquery_reports(world, execution).ended_at != EVENT_END
    assert stored.error is None


def test_a_forged_done_event_for_a_running_job_changes_nothing() -> None:
    world = with_demo_workflow()
    execution = running(world)  # BigQuery still runs the job
    before = stored_of(world, execution)
    outcome = send(world, done(execution))
    assert outcome.status == "unchanged"
    assert stored_of(world, execution) == before


def test_duplicated_and_late_events_change_nothing() -> None:
    world = with_demo_workflow()
    execution = running(world)
    world.warehouse.outcome = "succeeded"
    send(world, done(execution))
    ended = stored_of(world, execution)
    again = send(world, done(execution))
    late_running = send(world, change(execution, "RUNNING"))
    late_failure = send(world, done(execution, error=INVALID_QUERY))
    assert [o.status for o in (again, late_running, late_failure)] == ["unchanged"] * 3
    assert stored_of(world, execution) == ended


def test_running_then_done_in_order() -> None:
    world = with_demo_workflow()
    execution = never_submitted(world)
    # BigQuery got the job after all (the submission landed, its answer did not).
    submitted_late(world, execution)
    assert send(world, change(execution, "RUNNING")).state == State.RUNNING
    assert stored_of(world, execution).started_at == bigquery_reports(world, execution).started_at
    world.warehouse.outcome = "succeeded"
    assert send(world, done(execution)).state == State.SUCCEEDED


def test_a_failure_carries_bigquerys_exact_error_result_when_the_job_can_be_read() -> None:
    world = with_demo_workflow()
    execution = running(world)
    exact = JobError(
        "invalidQuery", "Unrecognized name: stor_type; Did you mean store_type? at [4:9]", "query"
    )
    world.warehouse.outcome = exact  # what jobs.get now answers for the job
    outcome = send(world, done(execution, error=INVALID_QUERY))
    assert outcome.state == State.FAILED
    assert stored_of(world, execution).error == exact


def test_an_event_about_a_job_bigquery_does_not_have_is_ignored() -> None:
    world = with_demo_workflow()
    execution = never_submitted(world)
    outcome = send(world, done(execution, error=INVALID_QUERY))
    assert (outcome.status, outcome.reason) == ("ignored", "BigQuery has no such job")
    assert stored_of(world, execution).state == State.CREATED


def test_a_failure_event_while_bigquery_still_says_running_changes_nothing() -> None:
    world = with_demo_workflow()
    execution = running(world)  # the fake warehouse answers RUNNING
    quota = {"code": 8, "message": "Quota exceeded: daily bytes"}
    assert send(world, done(execution, error=quota)).status == "unchanged"
    stored = stored_of(world, execution)
    assert (stored.state, stored.error) == (State.RUNNING, None)


def test_a_cancel_event_cancels() -> None:
    world = with_demo_workflow()
    execution = running(world)
    world.warehouse.cancel_job(CONNECTION, execution.bigquery_job_id)  # cancelled in BigQuery
    outcome = send(world, done(execution, error=CANCELLED))
    assert outcome.state == State.CANCELLED
    stored = stored_of(world, execution)
    assert stored.state == State.CANCELLED
    assert stored.ended_at == bigquery_reports(world, execution).ended_at


def test_the_legacy_format_ends_executions_too() -> None:
    world = with_demo_workflow()
    execution = running(world)
    world.warehouse.outcome = JobError("invalidQuery", INVALID_QUERY["message"], "query")
    entry = legacy_job_completed_entry(
        PROJECT, execution.bigquery_job_id, labels=execution.labels, error=INVALID_QUERY
    )
    assert send(world, entry).state == State.FAILED


def test_an_already_ended_execution_is_not_read_from_bigquery_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = with_demo_workflow()
    execution = running(world)
    world.warehouse.outcome = "succeeded"
    send(world, done(execution))

    def no_reads(*args: Any) -> Any:
        raise AssertionError("read the job of an ended execution")

    monkeypatch.setattr(world.warehouse, "get_job", no_reads)
    assert send(world, done(execution, error=INVALID_QUERY)).status == "unchanged"


@pytest.mark.parametrize(
    "variant",
    ["no labels", "no org label", "other org", "unknown execution", "other job id", "child job"],
)
def test_events_about_jobs_that_are_not_ours_are_ignored(variant: str) -> None:
    world = with_demo_workflow()
    execution = never_submitted(world)
    labels = dict(execution.labels)
    job = execution.bigquery_job_id
    parent = None
    if variant == "no labels":
        labels = {}
    elif variant == "no org label":
        del labels["wfapi_org"]
    elif variant == "other org":
        labels["wfapi_org"] = "other"
    elif variant == "unknown execution":
        labels["wfapi_execution"] = "f" * 32
        job = "wfapi_exec_" + "f" * 32
    elif variant == "other job id":
        job = "bquxjob_1a2b3c_19c5"
    else:
        parent, job = f"projects/{PROJECT}/jobs/{job}", "script_job_5c1d_0"
    entry = job_change_entry(PROJECT, job, after="DONE", labels=labels, parent_job=parent)
    outcome = send(world, entry)
    assert outcome.status == "ignored"
    assert stored_of(world, execution).state == State.CREATED


def test_a_job_in_another_project_than_the_executions_is_ignored() -> None:
    world = with_demo_workflow()
    execution = never_submitted(world)
    entry = job_change_entry(
        "someone-else", execution.bigquery_job_id, after="DONE", labels=execution.labels
    )
    assert send(world, entry).status == "ignored"
    assert stored_of(world, execution).state == State.CREATED


def test_bigquery_unavailable_raises_so_the_event_is_delivered_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = with_demo_workflow()
    execution = running(world)

    def unavailable(*args: Any) -> Any:
        raise BackendUnavailable("bigquery", "simulated outage")

    monkeypatch.setattr(world.warehouse, "get_job", unavailable)
    with pytest.raises(BackendUnavailable):
        send(world, done(execution, error=INVALID_QUERY))
    assert stored_of(world, execution).state == State.RUNNING


def test_firestore_unavailable_raises_so_the_event_is_delivered_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = with_demo_workflow()
    execution = running(world)

    def unavailable(*args: Any) -> Any:
        raise BackendUnavailable("firestore", "simulated outage")

    monkeypatch.setattr(world.store, "get_execution", unavailable)
    with pytest.raises(BackendUnavailable):
        send(world, done(execution))
