"""An execution accepted before its workflow moved to another connection is never
submitted afterwards on the new one (issue 23, finding 4; lifecycle._resubmit): its
procedure and connection are no longer what the API runs, so it ends workflowChanged."""

from __future__ import annotations

from tests.support.apps import DEMO, GOOD, on_fakes
from tests.unit.http.test_connection_change import FINANCE, SANDBOX
from workflows_api.domain.execution.states import State
from workflows_api.service.execution_requests import ExecuteRequest


def test_an_unsubmitted_execution_ends_workflow_changed_after_a_move() -> None:
    world = on_fakes(outcome="running", connections=(FINANCE, SANDBOX))
    world.app.workflows.put("demo", "clusters", DEMO, "finance")
    world.app.workflows.enable_api("demo", "clusters")
    world.warehouse.fail_submits = 1  # accepted and recorded, never submitted
    execution = world.app.admission.execute("demo", "clusters", ExecuteRequest(GOOD)).execution
    assert world.warehouse.jobs == {}
    world.app.workflows.put("demo", "clusters", DEMO, "sandbox")
    world.app.workflows.update_api("demo", "clusters")
    world.clock.advance(5)
    read = world.app.queries.get("demo", execution.id)
    assert read.state == State.FAILED
    assert read.error is not None and read.error.reason == "workflowChanged"
    assert world.warehouse.jobs == {}
