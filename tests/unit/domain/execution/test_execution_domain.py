"""The execution state machine, cache keys, output table names and job ids."""

from __future__ import annotations

import datetime as dt

import pytest

from workflows_api.domain.execution import states as ex
from workflows_api.domain.execution.states import Execution, InvalidTransition, JobError, State
from workflows_api.domain.workflow.sql_render import OUTPUT_TABLE_PATTERN

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
PROC = "p-project.workflows_temp.wfproc_demo_0123456789abcdef"


def execution(state: State = State.CREATED) -> Execution:
    return Execution(
        id="e" * 32,
        org="demo",
        workflow_id="demo",
        version="v1",
        parameters={"k": 2},
        cache_key="0" * 64,
        output_table="p-project.workflows_temp.t",
        procedure=PROC,
        connection="local",
        created_at=T0,
        state=state,
        output_expires_at=T0 + dt.timedelta(days=1),
    )


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (State.CREATED, State.RUNNING, True),
        (State.CREATED, State.SUCCEEDED, True),
        (State.RUNNING, State.FAILED, True),
        (State.RUNNING, State.CANCELLED, True),
        (State.RUNNING, State.CREATED, False),
        (State.SUCCEEDED, State.FAILED, False),
        (State.FAILED, State.RUNNING, False),
        (State.CANCELLED, State.SUCCEEDED, False),
    ],
)
def test_transitions(current: State, target: State, allowed: bool) -> None:
    assert ex.can_transition(current, target) is allowed
    if not allowed:
        with pytest.raises(InvalidTransition):
            execution(current).transition(target, at=T0)


def test_terminal_transition_sets_times_and_keeps_error_only_when_failed() -> None:
    at = T0 + dt.timedelta(seconds=5)
    error = JobError("invalidQuery", "bad", "query")
    failed = execution().transition(State.FAILED, at=at, error=error)
    assert (failed.started_at, failed.ended_at, failed.error) == (at, at, error)
    done = execution(State.RUNNING).transition(State.SUCCEEDED, at=at, error=error)
    assert done.error is None and done.ended_at == at


def test_reuse_rules() -> None:
    assert execution(State.CREATED).reusable_at(T0)
    assert execution(State.RUNNING).reusable_at(T0)
    assert execution(State.SUCCEEDED).reusable_at(T0)
    assert not execution(State.SUCCEEDED).reusable_at(T0 + dt.timedelta(days=2))
    assert not execution(State.FAILED).reusable_at(T0)
    assert not execution(State.CANCELLED).reusable_at(T0)


def test_cache_key_depends_on_procedure_version_and_values_only() -> None:
    key = ex.cache_key(PROC, "v1", {"a": 1, "b": "x"})
    assert key == ex.cache_key(PROC, "v1", {"b": "x", "a": 1})  # key order is not meaning
    others = {
        ex.cache_key(PROC, "v2", {"a": 1, "b": "x"}),
        ex.cache_key(PROC + "x", "v1", {"a": 1, "b": "x"}),
        ex.cache_key(PROC, "v1", {"a": 2, "b": "x"}),
        ex.cache_key(PROC, "v1", {"a": "1", "b": "x"}),
    }
    assert key not in others and len(others) == 4


def test_output_table_names() -> None:
    key = ex.cache_key(PROC, "v1", {})
    shared = ex.output_table("p-project", "workflows_temp", "wfproc_demo_0123456789abcdef", key)
    assert shared == f"p-project.workflows_temp.wfproc_demo_0123456789abcdef_out_{key[:16]}"
    own = ex.output_table(
        "p-project", "workflows_temp", "wfproc_demo_0123456789abcdef", key, "ab" * 16
    )
    assert own.startswith(shared + "_") and own != shared
    assert OUTPUT_TABLE_PATTERN.match(shared) and OUTPUT_TABLE_PATTERN.match(own)


def test_job_ids_and_labels() -> None:
    job = ex.job_id("abc123")
    assert ex.execution_id_from_job(job) == "abc123"
    assert ex.execution_id_from_job("someone_elses_job") is None
    labels = ex.job_labels("Demo Org", "Store-Clusters", "x" * 80)
    assert labels["wfapi_org"] == "demo_org"
    assert labels["wfapi_workflow"] == "store-clusters"
    assert len(labels["wfapi_execution"]) == 63


@pytest.mark.parametrize(
    ("job_state", "error", "state"),
    [
        ("PENDING", None, State.CREATED),
        ("RUNNING", None, State.RUNNING),
        ("DONE", None, State.SUCCEEDED),
        ("DONE", JobError("invalidQuery", "boom"), State.FAILED),
        ("DONE", JobError(ex.CANCELLED_REASON, "stopped"), State.CANCELLED),
    ],
)
def test_state_of_a_job(job_state: ex.JobState, error: JobError | None, state: State) -> None:
    assert ex.JobStatus("j", job_state, error).execution_state == state


def test_only_a_run_that_has_not_ended_may_be_cancelled() -> None:
    assert execution(State.CREATED).may_be_cancelled and execution(State.RUNNING).may_be_cancelled
    for state in ex.TERMINAL_STATES:
        assert execution(state).is_terminal and not execution(state).may_be_cancelled


def test_a_job_report_moves_an_execution_only_forward() -> None:
    running = execution(State.RUNNING)
    assert running.advances_to(State.SUCCEEDED) and not running.advances_to(State.RUNNING)
    assert not running.advances_to(State.CREATED)  # an older report
    assert not execution(State.FAILED).advances_to(State.SUCCEEDED)  # terminal never moves
    at = T0 + dt.timedelta(minutes=2)
    ended = at - dt.timedelta(seconds=30)
    done = running.with_job_report(ex.JobStatus("j", "DONE", ended_at=ended), at=at)
    assert (done.state, done.ended_at, done.reconciled_at) == (State.SUCCEEDED, ended, at)
    same = running.with_job_report(ex.JobStatus("j", "RUNNING"), at=at)
    assert (same.state, same.reconciled_at) == (State.RUNNING, at)  # only marked reconciled
    with pytest.raises(InvalidTransition):
        done.with_job_report(ex.JobStatus("j", "DONE", JobError("invalidQuery", "x")), at=at)


def test_the_report_that_ends_an_execution_records_what_it_cost() -> None:
    cost = ex.JobStatistics(bytes_processed=188416, bytes_billed=10485760, slot_ms=41, child_jobs=9)
    at = T0 + dt.timedelta(minutes=2)
    done = execution(State.RUNNING).with_job_report(
        ex.JobStatus("j", "DONE", statistics=cost), at=at
    )
    assert (done.state, done.statistics) == (State.SUCCEEDED, cost)
    failed = execution(State.RUNNING).with_job_report(
        ex.JobStatus("j", "DONE", JobError("bytesBilledLimitExceeded", "x"), statistics=cost), at=at
    )
    assert (failed.state, failed.statistics) == (State.FAILED, cost)
