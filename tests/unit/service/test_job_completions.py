"""Completion events applied to executions (service/completion.py), over fakes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.support.apps import GOOD, OnFakes, with_demo_workflow
from tests.support.bigquery_audit_events import (
    CANCELLED,
    INVALID_QUERY,
    job_change_entry,
    legacy_job_completed_entry,
)
from workflows_api.domain.execution.states import Execution, JobError, State
from workflows_api.events.bigquery_audit import AUDIT_LOG_WRITTEN, parse_job_event
from workflows_api.service.completion import CompletionOutcome
from workflows_api.service.errors import BackendUnavailable
from workflows_api.service.executions import ExecuteRequest

PROJECT = "demo-project"
SOURCE = f"//cloudaudit.googleapis.com/projects/{PROJECT}/logs/data_access"
EVENT_END = dt.datetime(2026, 3, 1, 12, 0, 7, 251973, tzinfo=dt.UTC)


def running(world: OnFakes) -> Execution:
    """An execution whose job BigQuery is running."""
    request = ExecuteRequest(GOOD, cache=False)
    return world.app.admission.execute("demo", "clusters", request).execution


def never_submitted(world: OnFakes) -> Execution:
    """An execution recorded while BigQuery was unreachable: no job exists."""
    world.warehouse.fail_submits = 1_000
    try:
        execution = running(world)
    finally:
        world.warehouse.fail_submits = 0
    assert execution.state == State.CREATED
    return execution


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


def test_a_success_event_ends_the_execution_at_the_jobs_end_time() -> None:
    world = with_demo_workflow()
    execution = running(world)
    outcome = send(world, done(execution))
    assert outcome == CompletionOutcome(
        "applied", "running -> succeeded", "demo", execution.id, State.SUCCEEDED
    )
    stored = stored_of(world, execution)
    assert stored.state == State.SUCCEEDED
    assert stored.ended_at == EVENT_END
    assert stored.error is None


def test_duplicated_and_late_events_change_nothing() -> None:
    world = with_demo_workflow()
    execution = running(world)
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
    assert send(world, change(execution, "RUNNING")).state == State.RUNNING
    assert stored_of(world, execution).started_at == dt.datetime(
        2026, 3, 1, 12, 0, 0, 804000, tzinfo=dt.UTC
    )
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


def test_a_failure_maps_the_events_code_when_bigquery_has_no_such_job() -> None:
    world = with_demo_workflow()
    execution = never_submitted(world)
    send(world, done(execution, error=INVALID_QUERY))
    stored = stored_of(world, execution)
    assert stored.state == State.FAILED
    assert stored.error == JobError("invalidQuery", INVALID_QUERY["message"])
    assert stored.ended_at == EVENT_END


def test_a_failure_maps_the_events_code_while_bigquery_still_says_running() -> None:
    world = with_demo_workflow()
    execution = running(world)  # the fake warehouse answers RUNNING
    send(world, done(execution, error={"code": 8, "message": "Quota exceeded: daily bytes"}))
    assert stored_of(world, execution).error == JobError(
        "quotaExceeded", "Quota exceeded: daily bytes"
    )


def test_a_cancel_event_cancels() -> None:
    world = with_demo_workflow()
    execution = never_submitted(world)
    outcome = send(world, done(execution, error=CANCELLED))
    assert outcome.state == State.CANCELLED
    stored = stored_of(world, execution)
    assert stored.state == State.CANCELLED
    assert stored.ended_at == EVENT_END


def test_the_legacy_format_ends_executions_too() -> None:
    world = with_demo_workflow()
    execution = never_submitted(world)
    entry = legacy_job_completed_entry(
        PROJECT, execution.bigquery_job_id, labels=execution.labels, error=INVALID_QUERY
    )
    assert send(world, entry).state == State.FAILED


def test_an_already_ended_execution_is_not_read_from_bigquery_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = with_demo_workflow()
    execution = running(world)
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
