"""A cancel whose job's completion event lands between BigQuery's cancel and the record's
write still answers `cancelled` (not 409), and the execution ends once."""

from __future__ import annotations

import pytest

from tests.support.apps import DEMO_CONNECTION, GOOD, with_demo_workflow
from workflows_api.domain.execution.states import State
from workflows_api.service.errors import ServiceError
from workflows_api.service.execution_requests import ExecuteRequest


def test_the_cancelled_jobs_event_landing_first_still_answers_cancelled() -> None:
    world = with_demo_workflow()
    execution = world.app.admission.execute("demo", "clusters", ExecuteRequest(GOOD)).execution
    real_cancel = world.warehouse.cancel_job

    def cancel_then_event(connection: object, job_id: str) -> None:
        real_cancel(DEMO_CONNECTION, job_id)
        # The completion event of the cancelled job, applied before our write.
        status = world.warehouse.get_job(DEMO_CONNECTION, job_id)
        assert status is not None
        world.app.lifecycle.record_job_status("demo", execution.id, status)

    world.warehouse.cancel_job = cancel_then_event  # type: ignore[method-assign]
    stored = lambda: world.app.queries.get("demo", execution.id)  # noqa: E731
    cancelled = world.app.lifecycle.cancel(stored)

    assert cancelled.state == State.CANCELLED
    assert world.store.get_execution("demo", execution.id).state == State.CANCELLED  # type: ignore[union-attr]


def test_a_job_that_ended_before_the_cancel_is_still_409() -> None:
    world = with_demo_workflow("succeeded")
    execution = world.app.admission.execute("demo", "clusters", ExecuteRequest(GOOD)).execution
    assert execution.state == State.SUCCEEDED
    with pytest.raises(ServiceError) as refused:
        world.app.lifecycle.cancel(lambda: world.app.queries.get("demo", execution.id))
    assert refused.value.code == "execution_finished"
