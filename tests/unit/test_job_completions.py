"""Completion events applied to executions (service/completion.py), over fakes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.bigquery_audit_events import (
    CANCELLED,
    INVALID_QUERY,
    job_change_entry,
    legacy_job_completed_entry,
)
from tests.unit.fakes import FakeWarehouse, InMemoryStore
from workflows_api.domain.executions import Execution, JobError, State
from workflows_api.events.bigquery_audit import AUDIT_LOG_WRITTEN, parse_job_event
from workflows_api.service.completion import CompletionOutcome, JobCompletions
from workflows_api.service.errors import BackendUnavailable
from workflows_api.service.executions import ExecuteRequest, ExecutionService
from workflows_api.service.ports import Connection
from workflows_api.service.workflows import WorkflowService

DEMO = yaml.safe_load(
    (Path(__file__).parents[2] / "examples" / "store_clusters.yaml").read_text(encoding="utf-8")
)
GOOD = {"number_of_clusters": 2, "buffer_radius": 500, "store_type": "Supermarket"}
PROJECT = "demo-project"
SOURCE = f"//cloudaudit.googleapis.com/projects/{PROJECT}/logs/data_access"
EVENT_END = dt.datetime(2026, 3, 1, 12, 0, 7, 251973, tzinfo=dt.UTC)


class World:
    def __init__(self) -> None:
        self.store = InMemoryStore()
        self.warehouse = FakeWarehouse()
        self.now = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
        self.store.put_connection(Connection("demo", "local", PROJECT))
        self.workflows = WorkflowService(self.store, self.store, self.warehouse, self.clock)
        self.executions = ExecutionService(
            self.workflows, self.store, self.warehouse, self.clock, sleep=lambda _: None
        )
        self.completions = JobCompletions(
            self.executions, self.store, self.workflows, self.warehouse
        )
        self.workflows.put("demo", "clusters", DEMO)
        self.workflows.enable_api("demo", "clusters")

    def clock(self) -> dt.datetime:
        return self.now

    def running(self) -> Execution:
        """An execution whose job BigQuery is running."""
        request = ExecuteRequest(GOOD, cache=False)
        return self.executions.execute("demo", "clusters", request).execution

    def never_submitted(self) -> Execution:
        """An execution recorded while BigQuery was unreachable: no job exists."""
        self.warehouse.fail_submits = 1_000
        try:
            execution = self.running()
        finally:
            self.warehouse.fail_submits = 0
        assert execution.state == State.CREATED
        return execution

    def send(self, entry: dict[str, Any]) -> CompletionOutcome:
        return self.completions.handle_job_event(parse_job_event(AUDIT_LOG_WRITTEN, SOURCE, entry))

    def stored(self, execution: Execution) -> Execution:
        found = self.store.get_execution("demo", execution.id)
        assert found is not None
        return found


def done(execution: Execution, **options: Any) -> dict[str, Any]:
    return change(execution, "DONE", **options)


def change(execution: Execution, after: str, **options: Any) -> dict[str, Any]:
    options.setdefault("labels", execution.labels)
    return job_change_entry(PROJECT, execution.bigquery_job_id, after=after, **options)


def test_a_success_event_ends_the_execution_at_the_jobs_end_time() -> None:
    world = World()
    execution = world.running()
    outcome = world.send(done(execution))
    assert outcome == CompletionOutcome(
        "applied", "running -> succeeded", "demo", execution.id, State.SUCCEEDED
    )
    stored = world.stored(execution)
    assert stored.state == State.SUCCEEDED
    assert stored.ended_at == EVENT_END
    assert stored.error is None


def test_duplicated_and_late_events_change_nothing() -> None:
    world = World()
    execution = world.running()
    world.send(done(execution))
    ended = world.stored(execution)
    again = world.send(done(execution))
    late_running = world.send(change(execution, "RUNNING"))
    late_failure = world.send(done(execution, error=INVALID_QUERY))
    assert [o.status for o in (again, late_running, late_failure)] == ["unchanged"] * 3
    assert world.stored(execution) == ended


def test_running_then_done_in_order() -> None:
    world = World()
    execution = world.never_submitted()
    assert world.send(change(execution, "RUNNING")).state == State.RUNNING
    assert world.stored(execution).started_at == dt.datetime(
        2026, 3, 1, 12, 0, 0, 804000, tzinfo=dt.UTC
    )
    assert world.send(done(execution)).state == State.SUCCEEDED


def test_a_failure_carries_bigquerys_exact_error_result_when_the_job_can_be_read() -> None:
    world = World()
    execution = world.running()
    exact = JobError(
        "invalidQuery", "Unrecognized name: stor_type; Did you mean store_type? at [4:9]", "query"
    )
    world.warehouse.outcome = exact  # what jobs.get now answers for the job
    outcome = world.send(done(execution, error=INVALID_QUERY))
    assert outcome.state == State.FAILED
    assert world.stored(execution).error == exact


def test_a_failure_maps_the_events_code_when_bigquery_has_no_such_job() -> None:
    world = World()
    execution = world.never_submitted()
    world.send(done(execution, error=INVALID_QUERY))
    stored = world.stored(execution)
    assert stored.state == State.FAILED
    assert stored.error == JobError("invalidQuery", INVALID_QUERY["message"])
    assert stored.ended_at == EVENT_END


def test_a_failure_maps_the_events_code_while_bigquery_still_says_running() -> None:
    world = World()
    execution = world.running()  # the fake warehouse answers RUNNING
    world.send(done(execution, error={"code": 8, "message": "Quota exceeded: daily bytes"}))
    assert world.stored(execution).error == JobError("quotaExceeded", "Quota exceeded: daily bytes")


def test_a_cancel_event_cancels() -> None:
    world = World()
    execution = world.never_submitted()
    outcome = world.send(done(execution, error=CANCELLED))
    assert outcome.state == State.CANCELLED
    stored = world.stored(execution)
    assert stored.state == State.CANCELLED
    assert stored.ended_at == EVENT_END


def test_the_legacy_format_ends_executions_too() -> None:
    world = World()
    execution = world.never_submitted()
    entry = legacy_job_completed_entry(
        PROJECT, execution.bigquery_job_id, labels=execution.labels, error=INVALID_QUERY
    )
    assert world.send(entry).state == State.FAILED


def test_an_already_ended_execution_is_not_read_from_bigquery_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = World()
    execution = world.running()
    world.send(done(execution))

    def no_reads(*args: Any) -> Any:
        raise AssertionError("read the job of an ended execution")

    monkeypatch.setattr(world.warehouse, "get_job", no_reads)
    assert world.send(done(execution, error=INVALID_QUERY)).status == "unchanged"


@pytest.mark.parametrize(
    "variant",
    ["no labels", "no org label", "other org", "unknown execution", "other job id", "child job"],
)
def test_events_about_jobs_that_are_not_ours_are_ignored(variant: str) -> None:
    world = World()
    execution = world.never_submitted()
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
    outcome = world.send(entry)
    assert outcome.status == "ignored"
    assert world.stored(execution).state == State.CREATED


def test_a_job_in_another_project_than_the_executions_is_ignored() -> None:
    world = World()
    execution = world.never_submitted()
    entry = job_change_entry(
        "someone-else", execution.bigquery_job_id, after="DONE", labels=execution.labels
    )
    assert world.send(entry).status == "ignored"
    assert world.stored(execution).state == State.CREATED


def test_bigquery_unavailable_raises_so_the_event_is_delivered_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = World()
    execution = world.running()

    def unavailable(*args: Any) -> Any:
        raise BackendUnavailable("bigquery", "simulated outage")

    monkeypatch.setattr(world.warehouse, "get_job", unavailable)
    with pytest.raises(BackendUnavailable):
        world.send(done(execution, error=INVALID_QUERY))
    assert world.stored(execution).state == State.RUNNING


def test_firestore_unavailable_raises_so_the_event_is_delivered_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = World()
    execution = world.running()

    def unavailable(*args: Any) -> Any:
        raise BackendUnavailable("firestore", "simulated outage")

    monkeypatch.setattr(world.store, "get_execution", unavailable)
    with pytest.raises(BackendUnavailable):
        world.send(done(execution))
