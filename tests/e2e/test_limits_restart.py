"""A restart of the stack mid-flood loses nothing: a flood over org demo's limit, the
process serving it dies at the two points where a crash can leave the limits' state
behind, nothing reads a status and no completion event reaches this database, and the
sweep alone (the pushed `sweep_executions`, on its schedule) frees the leaked slot,
submits the execution promoted but never submitted, ends the one whose job ended
unrecorded and submits every queued one: all end `succeeded`, never more than the limit
submitted at once (sampled), no slot left held.

The crashes: a process that wrote an execution's terminal state and died before freeing
its slot (the slot leaks), and one that freed a slot, promoted the oldest queued
execution (queued -> created, holding the slot) and died before submitting its job. The
dying process is a second App on the same emulators, abandoned mid-way, as in
test_local_sweep and test_recovery; the sweep runs on a Firestore database of its own
(it reads the whole database: see test_local_sweep), so completion events of the
session's stack, whose function reads the default database, never end these runs."""

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
from tests.e2e.test_executions_native import STORES_OF_TYPE
from workflows_api.bootstrap import App
from workflows_api.config import Settings
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.states import Execution, State
from workflows_api.service.execution_requests import ExecuteRequest
from workflows_api.service.limits import LEASE_GRACE
from workflows_api.service.sweep import SWEEP_MIN_AGE

pytestmark = pytest.mark.e2e

DATABASE = "limits-restart"
ORG = "demo"  # an org the IAM Credentials stand-in has a service account for
WORKFLOW_ID = "restart_flood"
LIMIT = 3
FLOOD = 8
INTERVAL_SECONDS = 1.0
# The restart took longer than the sweep waits before touching an admission's work.
DOWNTIME = max(SWEEP_MIN_AGE, LEASE_GRACE) + dt.timedelta(minutes=1)


class ProcessDied(BaseException):
    """Stands for the process being killed: nothing after it runs."""


def _die(*args: Any, **kwargs: Any) -> Any:
    raise ProcessDied


@pytest.fixture(scope="module")
def env(emulators_running: Emulators, stack: Stack) -> dict[str, str]:
    """The stack's environment on this module's database (`stack`: the tables seeded);
    the sweep re-reads open executions after 1 s (deployed: 10 minutes), standing in for
    the completion events that no function delivers to this database."""
    return {
        **emulators_running.env(),
        "WFAPI_FIRESTORE_DATABASE": DATABASE,
        "WFAPI_SWEEP_RECHECK_SECONDS": "1",
    }


@pytest.fixture(scope="module")
def app(env: dict[str, str]) -> App:
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
    app.workflows.put(ORG, WORKFLOW_ID, json.dumps(STORES_OF_TYPE))
    app.workflows.enable_api(ORG, WORKFLOW_ID)
    app.lifecycle.limits.set_limits(ORG, max_concurrent=LIMIT)
    return app


@pytest.fixture
def restarted_sweep(
    emulators_running: Emulators, env: dict[str, str], stack_log_dir: Path
) -> Iterator[Any]:
    """Starts the restarted stack's sweep function and schedule when called."""
    started: list[LocalSweep] = []

    def start() -> LocalSweep:
        sweep = start_local_sweep(
            emulators_running.pubsub_host,
            emulators_running.project,
            env,
            stack_log_dir / "limits-restart",
            INTERVAL_SECONDS,
        )
        started.append(sweep)
        return sweep

    yield start
    for sweep in started:
        sweep.stop()


def _stored(app: App, execution_id: str) -> Execution:
    execution = app.store.get_execution(ORG, execution_id)
    assert execution is not None
    return execution


def _wait_job_done(app: App, job_id: str) -> None:
    connection = app.workflows.connection(ORG, "local")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = app.warehouse.get_job(connection, job_id)
        if job is not None and job.state == "DONE":
            return
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} not done")


def test_a_restart_mid_flood_loses_nothing(
    app: App, restarted_sweep: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dying = App(app.settings)
    flood = [
        dying.admission.execute(
            ORG, WORKFLOW_ID, ExecuteRequest({"store_type": f"restart-{i}"})
        ).execution
        for i in range(FLOOD)
    ]
    ids = [e.id for e in flood]
    assert [e.state for e in flood] == [State.CREATED] * LIMIT + [State.QUEUED] * (FLOOD - LIMIT)
    first, second, third = flood[:LIMIT]
    for execution in (first, second, third):
        _wait_job_done(app, execution.bigquery_job_id)

    # Crash 1: the first's end is written, and the process dies before freeing its slot.
    with monkeypatch.context() as patched:
        patched.setattr(dying.store, "release_slot", _die)
        with pytest.raises(ProcessDied):
            dying.lifecycle.reconcile(first, force=True)
    # Crash 2: the second's end is written, its slot freed and given to the oldest queued
    # execution (queued -> created), and the process dies before submitting that job.
    with monkeypatch.context() as patched:
        patched.setattr(dying.warehouse, "submit_query", _die)
        with pytest.raises(ProcessDied):
            dying.lifecycle.reconcile(second, force=True)
    # The third's job ended too, but nothing recorded it (its event was lost).
    promoted = flood[LIMIT]
    assert [_stored(app, e.id).state for e in (first, second, third, promoted)] == [
        State.SUCCEEDED,
        State.SUCCEEDED,
        State.CREATED,
        State.CREATED,
    ]
    assert not _stored(app, promoted.id).job_confirmed
    held = {s.execution_id for s in app.store.list_slots(ORG)}
    assert held == {first.id, third.id, promoted.id}  # the first's slot leaked

    # The restart took a while: the stranded record and the leaked slot are made that
    # old rather than waited for (the sweep leaves younger ones to their owners).
    app.firestore.document(f"orgs/{ORG}/executions/{promoted.id}").update(
        {"created_at": promoted.created_at - DOWNTIME}
    )
    for slot in app.store.list_slots(ORG):
        if slot.execution_id == first.id:
            app.firestore.document(f"orgs/{ORG}/slots/{slot.slot_id}").update(
                {"claimed_at": slot.claimed_at - DOWNTIME}
            )

    # The restarted stack: only its sweep moves anything (no status read, no event).
    restarted_sweep()
    most = 0
    deadline = time.monotonic() + 120
    while True:
        records = [app.store.get_execution(ORG, i) for i in ids]
        open_states = [r.state for r in records if r is not None and not r.is_terminal]
        submitted = sum(1 for s in open_states if s in (State.CREATED, State.RUNNING))
        most = max(most, submitted)
        assert submitted <= LIMIT, open_states
        if not open_states:
            break
        assert time.monotonic() < deadline, f"still open after the sweep: {open_states}"
        time.sleep(0.2)
    final = {r.id: r.state for r in records if r is not None}
    assert set(final) == set(ids)
    assert set(final.values()) == {State.SUCCEEDED}, final
    assert app.store.list_slots(ORG) == []
    connection = app.workflows.connection(ORG, "local")
    for execution in flood:  # each ran its own job (ids are the executions')
        job = app.warehouse.get_job(connection, execution.bigquery_job_id)
        assert job is not None and job.state == "DONE" and job.error is None
