"""The local stack sweeps as the deployment does: a stand-in for Cloud Scheduler publishes
ticks to the sweep topic, the Pub/Sub emulator pushes each to `sweep_executions`, and the
sweep submits an execution left `created` without anybody reading its status.

Its backstop ends a run whose completion event was lost, again with no status read.

The sweep reads the whole Firestore database, and the session's holds what other tests
left `created` (queued jobs, refused submissions): this module's sweep runs on a database
of its own, so it neither touches their executions nor waits behind them."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.emulators import Emulators
from devstack.iam_credentials_standin import local_service_account
from devstack.scheduler_standin import LocalSweep, start_local_sweep
from devstack.seed import DEMO_DATASET
from tests.e2e.helpers import Stack
from workflows_api.bootstrap import App
from workflows_api.config import Settings
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.states import Execution, JobStatus, State
from workflows_api.service.execution_requests import ExecuteRequest
from workflows_api.service.sweep import SWEEP_MIN_AGE

pytestmark = pytest.mark.e2e

# Short, so the test waits for moments; `make run` ticks every 60 s by default.
INTERVAL_SECONDS = 1.0
DATABASE = "local-sweep"
RECHECK_SECONDS = 1
ORG = "demo"  # an org the IAM Credentials stand-in has a service account for
WORKFLOW_ID = "sweep_light"
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
def env(emulators_running: Emulators, stack: Stack) -> dict[str, str]:
    """The stack's environment on this module's database (`stack`: the tables seeded)."""
    # The backstop re-reads open executions after 1 s here (600 s deployed).
    return {
        **emulators_running.env(),
        "WFAPI_FIRESTORE_DATABASE": DATABASE,
        "WFAPI_SWEEP_RECHECK_SECONDS": str(RECHECK_SECONDS),
    }


@pytest.fixture(scope="module")
def app(env: dict[str, str]) -> App:
    """Org demo's connection and a light workflow with its API, on this database."""
    app = App(Settings.from_env(env))
    project = app.settings.project
    app.admin.put_connection(
        Connection(
            ORG,
            "local",
            project,
            service_account=local_service_account(ORG, project),
            read_allowlist=(f"{project}.{DEMO_DATASET}",),
        )
    )
    app.workflows.put(ORG, WORKFLOW_ID, json.dumps(LIGHT_DEFINITION))
    app.workflows.enable_api(ORG, WORKFLOW_ID)
    return app


@pytest.fixture(scope="module")
def local_sweep(
    emulators_running: Emulators, env: dict[str, str], stack_log_dir: Path
) -> Iterator[LocalSweep]:
    """The sweep function and its schedule, for this module only (the other tests keep a
    stack without a timer)."""
    log_dir = stack_log_dir / "local-sweep"
    sweep = start_local_sweep(
        emulators_running.pubsub_host, emulators_running.project, env, log_dir, INTERVAL_SECONDS
    )
    yield sweep
    sweep.stop()


def _orphan(app: App, monkeypatch: pytest.MonkeyPatch) -> Execution:
    """An execution recorded `created` whose job was never submitted: the process that
    admitted it died in between (as in test_recovery)."""
    dying = App(app.settings)

    def die(*args: Any, **kwargs: Any) -> Any:
        raise ProcessDied

    monkeypatch.setattr(dying.warehouse, "submit_query", die)
    with pytest.raises(ProcessDied):
        dying.admission.execute(ORG, WORKFLOW_ID, ExecuteRequest({}))
    (record,) = app.store.list_org_executions(ORG, limit=10, workflow_ids=(WORKFLOW_ID,))
    return record


def _submitted_by_the_sweep(log_path: Path, execution_id: str) -> bool:
    """The sweep function's structured log says it submitted the execution's job."""
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if (
            entry.get("message") == "execution submitted"
            and entry.get("execution_id") == execution_id
        ):
            return True
    return False


def _wait_until_done(app: App, connection: Connection, job_id: str) -> JobStatus | None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = app.warehouse.get_job(connection, job_id)
        if job is not None and job.state == "DONE":
            return job
        time.sleep(0.5)
    return None


def test_the_schedule_submits_an_execution_left_created_without_a_status_read(
    app: App, stack: Stack, local_sweep: LocalSweep, monkeypatch: pytest.MonkeyPatch
) -> None:
    orphan = _orphan(app, monkeypatch)
    connection = app.workflows.connection(ORG, "local")
    assert orphan.state == State.CREATED
    assert stack.app.store.get_execution(ORG, orphan.id) is None  # not in the shared one
    assert app.warehouse.get_job(connection, orphan.bigquery_job_id) is None

    # Left `created` for longer than the sweep's minimum age (the sweep leaves younger
    # ones to their admission): its record is made that old rather than waited for.
    app.firestore.document(f"orgs/{ORG}/executions/{orphan.id}").update(
        {"created_at": orphan.created_at - SWEEP_MIN_AGE - dt.timedelta(minutes=1)}
    )

    # Nobody reads its status: only the timer, through the sweep function, submits it.
    function = local_sweep.pushed.function
    deadline = time.monotonic() + 90
    while not _submitted_by_the_sweep(function.log_path, orphan.id):
        assert time.monotonic() < deadline, f"not swept; its log:\n{function.log_tail()}"
        time.sleep(0.5)
    assert local_sweep.schedule.ticks >= 1
    # The sweep logs the submission, then records BigQuery's answer: read until it has.
    swept = app.store.get_execution(ORG, orphan.id)
    while swept is not None and swept.reconciled_at is None and time.monotonic() < deadline:
        time.sleep(0.2)
        swept = app.store.get_execution(ORG, orphan.id)
    assert swept is not None and swept.reconciled_at is not None

    # The job it submitted is the execution's own, and it runs to the end.
    job = _wait_until_done(app, connection, orphan.bigquery_job_id)
    assert job is not None and job.error is None, job


def _settled_by_the_sweep(log_path: Path) -> int:
    """How many executions the sweep function's runs ended through the backstop."""
    settled = 0
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("message") == "sweep of executions left created":
            settled += int(entry.get("settled") or 0)
    return settled


def test_a_run_whose_completion_event_is_lost_ends_through_the_sweep(
    app: App, local_sweep: LocalSweep
) -> None:
    # The stack's completion function reads the session's database, not this module's:
    # every completion event of this module's runs is lost, as in a project without
    # the log sink. Nobody reads the run's status.
    execution = app.admission.execute(ORG, WORKFLOW_ID, ExecuteRequest({}, cache=False)).execution
    assert execution.job_confirmed and not execution.is_terminal
    connection = app.workflows.connection(ORG, "local")
    job = _wait_until_done(app, connection, execution.bigquery_job_id)
    assert job is not None and job.error is None, job

    # Re-checked after RECHECK_SECONDS by a sweep every INTERVAL_SECONDS: moments here.
    # The bound only detects a run that never ends (it is no speed target).
    function = local_sweep.pushed.function
    deadline = time.monotonic() + 90
    stored = app.store.get_execution(ORG, execution.id)
    while stored is not None and not stored.is_terminal:
        assert time.monotonic() < deadline, f"never ended; sweep log:\n{function.log_tail()}"
        time.sleep(0.2)
        stored = app.store.get_execution(ORG, execution.id)
    assert stored is not None and stored.state == State.SUCCEEDED
    assert stored.ended_at == job.ended_at  # BigQuery's end, read back by the sweep
    # The sweep writes its run's summary after the run's writes: wait for that line.
    while _settled_by_the_sweep(function.log_path) < 1:
        assert time.monotonic() < deadline, f"no settled run logged:\n{function.log_tail()}"
        time.sleep(0.2)
