"""The sweep's backstop (service/sweep.py): executions whose job BigQuery confirmed but
whose completion event never came still end, fairly, without anyone reading them."""

from __future__ import annotations

import pytest

from tests.support.apps import GOOD, OnFakes, with_demo_workflow
from tests.support.fake_queue import InMemoryDeliveryQueue
from workflows_api.domain.execution.states import Execution, State
from workflows_api.service.execution_requests import ExecuteRequest
from workflows_api.service.lifecycle import ExecutionLifecycle
from workflows_api.service.sweep import RECHECK_AFTER, SWEEP_MIN_AGE


def _running(world: OnFakes, number: int = 0) -> Execution:
    """A run whose job BigQuery accepted: `running`, confirmed, and no event will come."""
    values = {**GOOD, "number_of_clusters": 2 + number}
    admitted = world.app.admission.execute("demo", "clusters", ExecuteRequest(values)).execution
    execution = world.app.queries.get("demo", admitted.id)  # records the insert's answer
    assert execution.state == State.RUNNING and execution.job_confirmed
    return execution


def _stored(world: OnFakes, execution: Execution) -> Execution:
    stored = world.store.get_execution("demo", execution.id)
    assert stored is not None
    return stored


def test_an_open_execution_whose_event_was_lost_ends_once_due() -> None:
    queue = InMemoryDeliveryQueue()
    world = with_demo_workflow(delivery_queue=queue)
    world.app.webhooks.configure("demo", "clusters", ["https://a.example/hook"])
    execution = _running(world)
    world.warehouse.outcome = "succeeded"  # the job ended; its event was lost

    early = world.app.sweep.sweep()
    assert (early.rechecked, early.settled) == (0, 0)
    assert _stored(world, execution).state == State.RUNNING

    world.clock.advance(RECHECK_AFTER.total_seconds() + 1)
    report = world.app.sweep.sweep()
    assert (report.rechecked, report.settled, report.left) == (1, 1, 0)
    assert _stored(world, execution).state == State.SUCCEEDED
    # Its end is announced as any other: one delivery per webhook URL.
    assert len(queue.messages) == 1 and execution.id in queue.messages[0].data.decode()
    assert world.app.sweep.sweep().rechecked == 0  # terminal: never read again


def test_long_running_jobs_take_turns_and_none_is_starved() -> None:
    world = with_demo_workflow()
    runs = [_running(world, number) for number in range(5)]
    world.clock.advance(RECHECK_AFTER.total_seconds() + 1)

    checked: list[set[str]] = []
    for _ in range(6):
        before = {run.id: _stored(world, run).reconciled_at for run in runs}
        report = world.app.sweep.sweep(limit=2)
        assert report.rechecked == 2 and report.left == 0
        checked.append(
            {run.id for run in runs if _stored(world, run).reconciled_at != before[run.id]}
        )
        world.clock.advance(RECHECK_AFTER.total_seconds() + 1)
    # Least recently checked first: five runs, two a sweep, so every run is re-read in
    # any three sweeps in a row.
    for first in range(len(checked) - 2):
        assert set().union(*checked[first : first + 3]) == {run.id for run in runs}
    assert all(_stored(world, run).state == State.RUNNING for run in runs)


def test_open_executions_do_not_take_the_unconfirmed_ones_turn() -> None:
    world = with_demo_workflow()
    for number in range(3):
        _running(world, number)
    world.warehouse.fail_submits = 1
    request = ExecuteRequest({**GOOD, "number_of_clusters": 9}, cache=False)
    lost = world.app.admission.execute("demo", "clusters", request).execution
    assert lost.state == State.CREATED and not lost.job_confirmed
    world.clock.advance(RECHECK_AFTER.total_seconds() + 1)

    report = world.app.sweep.sweep(limit=1)
    assert (report.found, report.submitted) == (1, 1)
    assert report.rechecked == 1
    assert lost.bigquery_job_id in world.warehouse.jobs


def test_an_execution_bigquery_cannot_be_asked_about_is_left_for_the_next_sweep() -> None:
    world = with_demo_workflow()
    execution = _running(world)
    world.clock.advance(RECHECK_AFTER.total_seconds() + 1)

    def unavailable(*args: object) -> object:
        from workflows_api.service.errors import BackendUnavailable

        raise BackendUnavailable("bigquery", "simulated outage")

    real_get_job = world.warehouse.get_job
    world.warehouse.get_job = unavailable  # type: ignore[method-assign,assignment]
    report = world.app.sweep.sweep()
    assert (report.rechecked, report.settled, report.left) == (1, 0, 1)

    world.warehouse.get_job = real_get_job  # type: ignore[method-assign]
    world.warehouse.outcome = "succeeded"
    assert world.app.sweep.sweep().settled == 1
    assert _stored(world, execution).state == State.SUCCEEDED


def test_an_execution_admitted_at_once_whose_submission_never_happened_is_submitted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Admitted at once, its record says its submission began (no write follows an
    # accepted insert). A process that dies before the insert leaves it so: the sweep's
    # recheck of open executions asks BigQuery, finds no job, and submits it.
    world = with_demo_workflow()

    def dies(*args: object, **kwargs: object) -> Execution:
        raise RuntimeError("the process died before submitting")

    monkeypatch.setattr(ExecutionLifecycle, "start", dies)
    with pytest.raises(RuntimeError):
        world.app.admission.execute("demo", "clusters", ExecuteRequest(GOOD))
    monkeypatch.undo()
    (lost,) = world.store.executions.values()
    assert lost.state == State.CREATED and lost.awaiting_report and not world.warehouse.jobs

    world.clock.advance(RECHECK_AFTER.total_seconds() + 1)
    report = world.app.sweep.sweep()
    assert (report.rechecked, report.left) == (1, 0)
    assert lost.bigquery_job_id in world.warehouse.jobs
    stored = _stored(world, lost)
    assert stored.state == State.RUNNING and not stored.awaiting_report


def test_a_submission_that_does_not_answer_is_left_to_the_unconfirmed_pass() -> None:
    world = with_demo_workflow()
    world.warehouse.fail_submits = 1_000
    admitted = world.app.admission.execute("demo", "clusters", ExecuteRequest(GOOD)).execution
    world.warehouse.fail_submits = 0
    stored = _stored(world, admitted)
    assert not stored.job_confirmed and not stored.awaiting_report
    world.clock.advance(SWEEP_MIN_AGE.total_seconds() + 1)
    report = world.app.sweep.sweep()
    assert (report.found, report.submitted) == (1, 1)
    assert admitted.bigquery_job_id in world.warehouse.jobs
