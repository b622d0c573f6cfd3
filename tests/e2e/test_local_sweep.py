"""The local stack sweeps as the deployment does: a stand-in for Cloud Scheduler publishes
ticks to the sweep topic, the Pub/Sub emulator pushes each to `sweep_executions`, and the
sweep submits an execution left `created` without anybody reading its status."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.emulators import Emulators
from devstack.scheduler_standin import LocalSweep, start_local_sweep
from tests.e2e.helpers import Stack, new_workflow, poll
from workflows_api.bootstrap import App
from workflows_api.domain.executions import Execution, State
from workflows_api.service.executions import ExecuteRequest
from workflows_api.service.sweep import SWEEP_MIN_AGE

pytestmark = pytest.mark.e2e

# Short, so the test waits for moments; `make run` ticks every 60 s by default.
INTERVAL_SECONDS = 1.0
# One read, no parameters: the local BigQuery runs it in moments.
LIGHT_DEFINITION: dict[str, Any] = {
    "nodes": [
        {"id": "src", "type": "read_table", "settings": {"table": "retail.stores"}},
        {"id": "out", "type": "output", "inputs": ["src"]},
    ]
}


class ProcessDied(BaseException):
    """Stands for the process being killed: nothing after it runs."""


@pytest.fixture(scope="module")
def local_sweep(
    emulators_running: Emulators, stack_log_dir: Path, stack: Stack
) -> Iterator[LocalSweep]:
    """The sweep function and its schedule on the session's emulators, for this module
    only (the other tests keep a stack without a timer)."""
    sweep = start_local_sweep(
        emulators_running.pubsub_host,
        emulators_running.project,
        emulators_running.env(),
        stack_log_dir,
        INTERVAL_SECONDS,
    )
    yield sweep
    sweep.stop()


def _orphan(stack: Stack, workflow_id: str, monkeypatch: pytest.MonkeyPatch) -> Execution:
    """An execution recorded `created` whose job was never submitted: the process that
    admitted it died in between (as in test_recovery)."""
    dying = App(stack.settings)

    def die(*args: Any, **kwargs: Any) -> Any:
        raise ProcessDied

    monkeypatch.setattr(dying.warehouse, "submit_query", die)
    with pytest.raises(ProcessDied):
        dying.admission.execute("demo", workflow_id, ExecuteRequest({}))
    (record,) = stack.app.store.list_org_executions("demo", limit=10, workflow_ids=(workflow_id,))
    return record


def _sweeps_that_submitted(log_path: Path) -> list[dict[str, Any]]:
    """The sweep function's reports (structured JSON log lines) that submitted any."""
    reports = []
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("message") == "sweep of executions left created" and entry.get("submitted"):
            reports.append(entry)
    return reports


def test_the_schedule_submits_an_execution_left_created_without_a_status_read(
    http: requests.Session,
    stack: Stack,
    local_sweep: LocalSweep,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    workflow_id = new_workflow(http, stack, LIGHT_DEFINITION)
    orphan = _orphan(stack, workflow_id, monkeypatch)
    connection = stack.app.workflows.connection("demo", "local")
    assert orphan.state == State.CREATED
    assert stack.app.warehouse.get_job(connection, orphan.bigquery_job_id) is None

    # Left `created` for longer than the sweep's minimum age (the sweep leaves younger
    # ones to their admission): its record is made that old rather than waited for.
    stack.app.firestore.document(f"orgs/demo/executions/{orphan.id}").update(
        {"created_at": orphan.created_at - SWEEP_MIN_AGE - dt.timedelta(minutes=1)}
    )

    # Nobody reads its status: only the timer can submit it.
    deadline = time.monotonic() + 90
    job = None
    while job is None and time.monotonic() < deadline:
        time.sleep(0.5)
        job = stack.app.warehouse.get_job(connection, orphan.bigquery_job_id)
    function = local_sweep.pushed.function
    assert job is not None, f"not submitted; the sweep's log:\n{function.log_tail()}"
    assert local_sweep.schedule.ticks >= 1
    assert _sweeps_that_submitted(function.log_path), function.log_tail()
    swept = stack.app.store.get_execution("demo", orphan.id)
    assert swept is not None and swept.reconciled_at is not None

    # The job it submitted is the execution's own, and it runs to the end.
    done = poll(http, stack, orphan.id)
    assert done["state"] == "succeeded", done
    assert done["bigquery_job_id"] == orphan.bigquery_job_id
