"""Concurrency limits on fakes: slots, the queue, promotion, cancel, the queue's bound,
fairness across workflows, leaked slots, and the limit held under concurrent admissions."""

from __future__ import annotations

import copy
import json
import random
import threading
from typing import Any

import pytest

from tests.support.apps import DEMO, GOOD, OnFakes, with_demo_workflow
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.limits import Slot
from workflows_api.domain.execution.states import Execution, JobStatus, State
from workflows_api.service.errors import ServiceError
from workflows_api.service.execution_requests import ExecuteRequest

ORG = "demo"


def _world(limit: int, **options: Any) -> tuple[OnFakes, set[str]]:
    """The demo workflow with org limit `limit`; BigQuery runs every job until its id is
    put in the returned set (then DONE, succeeded)."""
    world = with_demo_workflow(**options)
    world.app.lifecycle.limits.set_limits(ORG, max_concurrent=limit)
    done: set[str] = set()

    def get_job(connection: Connection, job_id: str) -> JobStatus | None:
        if job_id not in world.warehouse.jobs:
            return None
        return JobStatus(job_id, "DONE" if job_id in done else "RUNNING")

    world.warehouse.get_job = get_job  # type: ignore[method-assign]
    return world, done


def _execute(world: OnFakes, i: int, workflow_id: str = "clusters") -> Execution:
    """The execution as a status read right after its admission records it (the insert's
    answer is recorded by that first read: ExecutionLifecycle.start)."""
    world.clock.advance(0.01)
    params = {**GOOD, "buffer_radius": 500 + i}  # distinct: no cache key shared
    admitted = world.app.admission.execute(ORG, workflow_id, ExecuteRequest(params)).execution
    return world.app.queries.get(ORG, admitted.id)


def _states(world: OnFakes) -> dict[State, int]:
    found: dict[State, int] = {}
    for e in world.store.executions.values():
        found[e.state] = found.get(e.state, 0) + 1
    return found


def _finish(world: OnFakes, done: set[str], execution: Execution) -> Execution:
    done.add(execution.bigquery_job_id)
    world.clock.advance(2)  # past the status read's reconcile interval
    return world.app.queries.get(ORG, execution.id)  # a status read ends it


def test_over_the_limit_executions_are_queued_with_position_and_reason() -> None:
    world, _ = _world(3)
    runs = [_execute(world, i) for i in range(8)]
    assert [r.state for r in runs[:3]] == [State.RUNNING] * 3
    assert [r.state for r in runs[3:]] == [State.QUEUED] * 5
    assert [r.queue_position for r in runs[3:]] == [1, 2, 3, 4, 5]
    assert {r.queue_reason for r in runs[3:]} == {"org_limit"}
    assert len(world.warehouse.jobs) == 3
    assert len(world.store.list_slots(ORG)) == 3
    # Read back: the position is computed on every read.
    assert world.app.queries.get(ORG, runs[5].id).queue_position == 3


def test_a_freed_slot_goes_to_the_oldest_queued_execution() -> None:
    world, done = _world(2)
    runs = [_execute(world, i) for i in range(5)]
    assert _finish(world, done, runs[0]).state == State.SUCCEEDED
    assert world.app.queries.get(ORG, runs[2].id).state == State.RUNNING
    assert world.app.queries.get(ORG, runs[3].id).queue_position == 1
    assert len(world.warehouse.jobs) == 3
    for run in runs:
        _finish(world, done, run)
    assert _states(world) == {State.SUCCEEDED: 5}
    assert world.store.list_slots(ORG) == []


def test_a_completion_event_frees_the_slot() -> None:
    world, done = _world(1)
    first, second = _execute(world, 1), _execute(world, 2)
    done.add(first.bigquery_job_id)
    status = JobStatus(first.bigquery_job_id, "DONE")
    world.app.lifecycle.record_job_status(ORG, first.id, status)
    promoted = world.store.get_execution(ORG, second.id)
    assert promoted is not None and promoted.state == State.RUNNING


def test_a_queued_execution_can_be_cancelled_and_is_never_submitted() -> None:
    world, done = _world(1)
    first, queued = _execute(world, 1), _execute(world, 2)
    cancelled = world.app.queries.cancel(ORG, queued.id)
    assert cancelled.state == State.CANCELLED
    assert cancelled.started_at is None and cancelled.queue_reason is None
    assert world.warehouse.cancelled == []  # it had no job
    _finish(world, done, first)
    assert queued.bigquery_job_id not in world.warehouse.jobs
    assert world.store.list_slots(ORG) == []


def test_an_identical_request_joins_the_queued_holder() -> None:
    world, _ = _world(1)
    _execute(world, 1)
    queued = _execute(world, 2)
    params = {**GOOD, "buffer_radius": 502}
    again = world.app.admission.execute(ORG, "clusters", ExecuteRequest(params))
    assert again.execution.id == queued.id and again.reused
    assert again.execution.queue_position == 1


def test_the_workflow_limit_holds_its_workflow_back_but_not_the_org() -> None:
    world, done = _world(5)
    limited = copy.deepcopy(DEMO)
    limited.setdefault("settings", {})["max_concurrent_executions"] = 1
    world.app.workflows.put(ORG, "limited", limited)
    world.app.workflows.enable_api(ORG, "limited")
    a, b = _execute(world, 1, "limited"), _execute(world, 2, "limited")
    other = _execute(world, 3)
    assert (a.state, b.state, other.state) == (State.RUNNING, State.QUEUED, State.RUNNING)
    assert b.queue_reason == "workflow_limit"
    _finish(world, done, a)
    assert world.app.queries.get(ORG, b.id).state == State.RUNNING


def test_fairness_the_workflow_holding_fewest_slots_goes_first() -> None:
    world, done = _world(2)
    world.app.workflows.put(ORG, "small", DEMO)
    world.app.workflows.enable_api(ORG, "small")
    flood = [_execute(world, i) for i in range(6)]  # 2 running, 4 queued
    late = _execute(world, 100, "small")  # younger than every queued flood run
    _finish(world, done, flood[0])
    assert world.app.queries.get(ORG, late.id).state == State.RUNNING
    assert world.app.queries.get(ORG, flood[2].id).state == State.QUEUED


def test_past_the_queue_bound_a_request_is_refused_429_and_nothing_is_written() -> None:
    world, _ = _world(1)
    world.app.lifecycle.limits.set_limits(ORG, max_queued=2)
    for i in range(3):
        _execute(world, i)
    before = len(world.store.executions)
    with pytest.raises(ServiceError) as refused:
        _execute(world, 9)
    assert refused.value.kind == "too_many" and refused.value.code == "queue_full"
    assert getattr(refused.value, "retry_after", None) == 30
    assert len(world.store.executions) == before


def test_a_pubsub_message_past_the_queue_bound_is_redelivered_not_rejected() -> None:
    topic = "projects/p/topics/t"
    world, _ = _world(1)
    world.app.lifecycle.limits.set_limits(ORG, max_queued=1)
    _execute(world, 1), _execute(world, 2)
    triggers = world.app.pubsub_triggers
    triggers._topic_orgs = {topic: ORG}  # the deployment's WFAPI_PUBSUB_TOPICS
    message = {"workflow": "clusters", "parameters": {**GOOD, "buffer_radius": 999}}
    data = json.dumps(message).encode()
    with pytest.raises(ServiceError):
        triggers.handle(topic, "m-1", data)
    assert world.store.get_trigger_rejection(ORG, "m-1") is None


def test_the_sweep_frees_leaked_slots_and_moves_the_queue() -> None:
    world, _ = _world(1)
    first, queued = _execute(world, 1), _execute(world, 2)
    # A crash between the terminal write and the release: ended, slot still held.
    ended = first.transition(State.SUCCEEDED, at=world.clock())
    assert world.store.save_execution(ended, expected_state=State.RUNNING)
    world.clock.advance(61)
    report = world.app.sweep.sweep()
    assert (report.freed, report.promoted) == (1, 1)
    promoted = world.store.get_execution(ORG, queued.id)
    assert promoted is not None and promoted.state == State.RUNNING


def test_the_sweep_submits_queued_executions_after_a_restart() -> None:
    world, _ = _world(2)
    runs = [_execute(world, i) for i in range(4)]
    for slot in world.store.list_slots(ORG):  # their holders ended while the stack was down
        world.store.release_slot(ORG, slot.slot_id, slot.execution_id)
    for run in runs[:2]:
        stored = world.store.get_execution(ORG, run.id)
        assert stored is not None
        world.store.save_execution(
            stored.transition(State.SUCCEEDED, at=world.clock()), expected_state=State.RUNNING
        )
    assert world.app.sweep.sweep().promoted == 2
    assert _states(world) == {State.SUCCEEDED: 2, State.RUNNING: 2}


def test_the_limit_holds_under_concurrent_admissions_and_completions() -> None:
    limit = 4
    world, done = _world(limit)
    over: list[int] = []
    submit = world.warehouse.submit_query
    lock = threading.Lock()

    def checked_submit(connection: Connection, **job: Any) -> JobStatus:
        with lock:
            open_jobs = sum(
                1
                for e in world.store.executions.values()
                if e.bigquery_job_id in world.warehouse.jobs
                and e.bigquery_job_id not in done
                and not e.is_terminal
            )
            if open_jobs + 1 > limit:
                over.append(open_jobs + 1)
        return submit(connection, **job)

    world.warehouse.submit_query = checked_submit  # type: ignore[method-assign]
    made: list[Execution] = []

    def admit(worker: int) -> None:
        for i in range(15):
            made.append(_execute(world, worker * 100 + i))

    def complete() -> None:
        rng = random.Random(7)
        for _ in range(400):
            running = [e for e in list(world.store.executions.values()) if e.state == State.RUNNING]
            if running:
                _finish(world, done, rng.choice(running))

    threads = [threading.Thread(target=admit, args=(w,)) for w in range(6)]
    threads.append(threading.Thread(target=complete))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    while running := [e for e in world.store.executions.values() if not e.is_terminal]:
        for run in running:
            if run.state == State.RUNNING:
                _finish(world, done, run)
        world.app.sweep.sweep()
    assert over == []
    assert _states(world) == {State.SUCCEEDED: 90}
    assert world.store.list_slots(ORG) == []


def test_slots_of_a_lowered_limit_drain_first() -> None:
    world, _ = _world(3)
    [_execute(world, i) for i in range(3)]
    world.app.lifecycle.limits.set_limits(ORG, max_concurrent=1)
    assert _execute(world, 9).state == State.QUEUED
    assert all(isinstance(s, Slot) for s in world.store.list_slots(ORG))
