"""Schedules on the local stack, end to end: Cloud Scheduler's stand-in fires a job made
through the API, on a fast clock (a cron minute lasts MINUTE real seconds) and delivering
every fire twice (as a retry would), into a dev router that verifies its ID tokens on the
production path. Every fire makes exactly one execution (trigger `schedule:<id>`), a
paused schedule none, run-now one, another org sees nothing, and delete stops it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack import emulators
from devstack.cloud_scheduler_standin import CloudSchedulerStandIn, scheduler_env
from devstack.emulators import Emulators
from tests.e2e.conftest import OIDC_AUDIENCE
from tests.e2e.helpers import DEMO_DEFINITION, SEED_VALUES, Stack, new_workflow, poll
from tests.support.oidc_issuer import Issuer

pytestmark = pytest.mark.e2e

MINUTE = 4.0  # real seconds per cron minute on the stand-in's clock


class Fast:
    def __init__(self, base_url: str, standin: CloudSchedulerStandIn, stack: Stack) -> None:
        self.base_url = base_url
        self.standin = standin
        self.stack = stack

    def call(
        self, method: str, path: str, token: str | None = None, key: str | None = None, **kw: Any
    ) -> Any:
        headers = self.stack.headers(token) | ({"Idempotency-Key": key} if key else {})
        return requests.request(method, f"{self.base_url}{path}", headers=headers, timeout=60, **kw)

    def fired_times(self, job: str) -> list[str]:
        return sorted({a.schedule_time.isoformat() for a in self.standin.attempts_of(job)})


@pytest.fixture(scope="module")
def fast(
    emulators_running: Emulators,
    stack_log_dir: Path,
    oidc_issuer: tuple[Issuer, str],
    stack: Stack,
) -> Iterator[Fast]:
    standin = CloudSchedulerStandIn(oidc_issuer[0], minute_seconds=MINUTE, deliveries_per_fire=2)
    port = emulators.free_port()
    env = {
        **emulators_running.env(),
        **scheduler_env(standin, f"http://127.0.0.1:{port}", emulators_running.project),
        "WFAPI_OIDC_AUDIENCE": OIDC_AUDIENCE,
        "WFAPI_OIDC_CERTS_URL": oidc_issuer[1],
        "THREADS": "16",
    }
    router = emulators.start_dev_router(port, env, stack_log_dir)
    yield Fast(f"http://127.0.0.1:{port}", standin, stack)
    standin.stop()
    router.stop()


def create(fast: Fast, workflow: str, **body: Any) -> dict[str, Any]:
    answer = fast.call(
        "POST",
        f"/v1/workflows/{workflow}/schedules",
        json={"cron": "* * * * *", "parameters": SEED_VALUES, **body},
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def scheduled_executions(fast: Fast, workflow: str, schedule_id: str) -> list[dict[str, Any]]:
    answer = fast.call(
        "GET",
        f"/v1/workflows/{workflow}/executions",
        params={"trigger": f"schedule:{schedule_id}", "page_size": 100},
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["executions"])


def test_every_fire_makes_exactly_one_execution_until_paused(
    fast: Fast, http: requests.Session
) -> None:
    workflow = new_workflow(http, fast.stack)
    schedule = create(fast, workflow)
    job = schedule["job_name"]
    assert job in fast.standin.jobs and schedule["next_run_at"] is not None
    deadline = time.monotonic() + 6 * MINUTE
    while len(fast.fired_times(job)) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    path = f"/v1/workflows/{workflow}/schedules/{schedule['id']}"
    paused = fast.call("PATCH", path, json={"paused": True})
    assert paused.status_code == 200 and paused.json()["next_run_at"] is None
    time.sleep(1.5)  # deliveries in flight land
    fired = fast.fired_times(job)
    assert len(fired) >= 3
    attempts = fast.standin.attempts_of(job)
    assert {a.status for a in attempts} == {200}
    assert len(attempts) == 2 * len(fired)  # every fire delivered twice
    executions = scheduled_executions(fast, workflow, schedule["id"])
    assert len(executions) == len(fired)  # exactly one per fire
    assert {e["trigger"] for e in executions} == {f"schedule:{schedule['id']}"}
    # Paused: no more fires, no more executions.
    time.sleep(2.5 * MINUTE)
    assert fast.fired_times(job) == fired
    assert len(scheduled_executions(fast, workflow, schedule["id"])) == len(fired)
    read = fast.call("GET", path).json()
    assert read["last_attempt_at"] is not None and read["last_attempt"]["error"] is None
    assert {r["execution_id"] for r in read["last_runs"]} <= {e["id"] for e in executions}
    assert poll(http, fast.stack, executions[0]["id"])["state"] == "succeeded"


def test_a_paused_schedule_makes_none_and_run_now_makes_one(
    fast: Fast, http: requests.Session
) -> None:
    workflow = new_workflow(http, fast.stack)
    schedule = create(fast, workflow, paused=True)
    time.sleep(2.5 * MINUTE)
    assert fast.standin.attempts_of(schedule["job_name"]) == []
    assert scheduled_executions(fast, workflow, schedule["id"]) == []
    run = f"/v1/workflows/{workflow}/schedules/{schedule['id']}/run"
    first = fast.call("POST", run, key="now-1")
    again = fast.call("POST", run, key="now-1")
    assert first.status_code == 202, first.text
    assert again.json()["id"] == first.json()["id"]
    assert [e["id"] for e in scheduled_executions(fast, workflow, schedule["id"])] == [
        first.json()["id"]
    ]


def test_another_org_gets_404_and_delete_stops_it(fast: Fast, http: requests.Session) -> None:
    workflow = new_workflow(http, fast.stack)
    schedule = create(fast, workflow)
    path = f"/v1/workflows/{workflow}/schedules/{schedule['id']}"
    other = str(fast.stack.info["other_org_token"])
    for method, suffix, body in (
        ("GET", "", None),
        ("PATCH", "", {"paused": True}),
        ("DELETE", "", None),
        ("POST", "/run", None),
    ):
        answer = fast.call(method, path + suffix, token=other, json=body)
        assert answer.status_code == 404, (method, suffix, answer.text)
    listed = fast.call("GET", "/v1/schedules", token=other).json()["schedules"]
    assert schedule["id"] not in {s["id"] for s in listed}
    deleted = fast.call("DELETE", path)
    assert deleted.status_code == 204
    assert schedule["job_name"] not in fast.standin.jobs
    fired = fast.fired_times(schedule["job_name"])
    time.sleep(2.5 * MINUTE)
    assert fast.fired_times(schedule["job_name"]) == fired
    assert fast.call("GET", path).status_code == 404


def test_deleting_the_workflow_deletes_its_schedules(fast: Fast, http: requests.Session) -> None:
    workflow = new_workflow(http, fast.stack)
    schedules = [create(fast, workflow, paused=True) for _ in range(2)]
    assert {s["job_name"] for s in schedules} <= set(fast.standin.jobs)
    deleted = fast.call("DELETE", f"/v1/workflows/{workflow}")
    assert deleted.status_code == 204, deleted.text
    assert not {s["job_name"] for s in schedules} & set(fast.standin.jobs)
    listed = fast.call("GET", "/v1/schedules", params={"page_size": 100}).json()["schedules"]
    assert not {s["id"] for s in schedules} & {s["id"] for s in listed}
    # A new workflow of the same id starts without the old one's schedules.
    again = fast.call("PUT", f"/v1/workflows/{workflow}", json=DEMO_DEFINITION)
    assert again.status_code == 201, again.text
    assert fast.call("GET", f"/v1/workflows/{workflow}/schedules").json()["schedules"] == []
