"""The org boundary over the whole routing table (issue 29): for every route of
`all_routes()`, another org's token, holding every grant, asking about org demo's
workflow, execution, job, connection or schedule by their real ids, gets the route's
documented answer (a 404 for anything naming demo's records; a 401 from Cloud
Scheduler's fire route, which takes only the schedules' invoker's ID token) and nothing
of demo's is written (store, warehouse, queue, Cloud Scheduler's jobs). The same request
with demo's own credential (the invoker's ID token for a fire) then succeeds, so each
refusal is the boundary's, not a bad request's. A route added tomorrow fails
`test_every_route_has_a_cross_org_case` until it has a case in CASES.

The attacker org `other` has a connection of the same name ("local") in a project of
its own, registered as on the local stack (devstack/demo.py) with its own service
account, so its requests reach the org boundary rather than stopping at the
`connection_without_service_account` refusal; for the routes naming demo's schedule it
also has a workflow of demo's workflow's id (`twin`): the sharper cases.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.apps import (
    DEMO,
    DEMO_CONNECTION,
    GOOD,
    INVOKER,
    OnFakes,
    with_demo_workflow,
)
from tests.support.http_client import Answer, HttpClient
from tests.support.memory_schedules import FakeSchedulerJobs
from tests.unit.adapters.test_oidc import AUDIENCE, ISSUER, verifier
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.calls import format_call
from workflows_api.domain.execution.results import Column
from workflows_api.domain.execution.states import Execution, State
from workflows_api.domain.schedules import Schedule
from workflows_api.http.routing import Route
from workflows_api.http.tables import all_routes
from workflows_api.service.execution_requests import ExecuteRequest
from workflows_api.service.schedules import ScheduleChange

VICTIM, ATTACKER = "demo", "other"
ATTACKER_CONNECTION = Connection(
    ATTACKER,
    DEMO_CONNECTION.id,
    "other-project",
    service_account="wfapi-other@other-project.iam.gserviceaccount.com",
    read_allowlist=("other-project.retail",),
)
MINE = {**DEMO, "name": "Another org's own"}
WEBHOOKS = {"urls": ["https://hooks.example.com/h"]}
SCHEDULE = ScheduleChange(
    cron="17 3 * * *",
    time_zone="Europe/Madrid",
    parameters=GOOD,
    description="demo's nightly clusters",
)
NEW_SCHEDULE = {"cron": "*/5 * * * *", "time_zone": "Etc/UTC", "parameters": GOOD}
SCHEDULE_PATCH = {"cron": "0 6 * * MON-FRI", "paused": True, "parameters": GOOD}

# How a case is judged: a refusal of demo's record; the attacker's own scope (its own,
# empty, list or a record in its own namespace); a route no token changes.
REFUSED, OWN, PUBLIC = "refused", "own", "public"


@dataclass(frozen=True)
class Case:
    status: int
    code: str | None = None  # the error code of a refusal
    kind: str = REFUSED
    body: Callable[[OnFakes], Any] | None = None
    query: Callable[[OnFakes], dict[str, str]] | None = None
    finished: bool = False  # demo's execution has succeeded before the request
    headers: Callable[[OnFakes], dict[str, str]] | None = None
    # Org other has a workflow of demo's workflow's id (and its API on).
    twin: bool = False
    # Demo's own credential for the route, when it is not demo's API token.
    own_credential: Callable[[], str] | None = None


def carto_call(world: OnFakes) -> str:
    api = world.app.workflows.get(VICTIM, "clusters").api
    assert api is not None
    return format_call(api.procedure, list(GOOD))


def _wf(code: str = "workflow_not_found", **options: Any) -> Case:
    return Case(404, code, **options)


def _ex(**options: Any) -> Case:
    return Case(404, "execution_not_found", **options)


def _sched(**options: Any) -> Case:
    return Case(404, "schedule_not_found", twin=True, **options)


def fire_time(world: OnFakes) -> dict[str, str]:
    at = world.clock().replace(microsecond=0)
    return {"X-CloudScheduler-ScheduleTime": at.isoformat().replace("+00:00", "Z")}


def invoker_id_token() -> str:
    return ISSUER.token(email=INVOKER, audience=AUDIENCE)


# Every route, by name, and what another org's token gets from it.
CASES: dict[str, Case] = {
    "GET /v1/workflows": Case(200, kind=OWN),
    # Its own workflow of the same id: created (201), not demo's replaced (200).
    "PUT /v1/workflows/<workflow_id>": Case(201, kind=OWN, body=lambda w: MINE),
    "GET /v1/workflows/<workflow_id>": _wf(),
    "DELETE /v1/workflows/<workflow_id>": _wf(),
    "GET /v1/workflows/<workflow_id>/sql": _wf(),
    "POST /v1/workflows/<workflow_id>/api": _wf(),
    "GET /v1/workflows/<workflow_id>/api": _wf(),
    "PUT /v1/workflows/<workflow_id>/api": _wf(),
    "DELETE /v1/workflows/<workflow_id>/api": _wf(),
    "PUT /v1/workflows/<workflow_id>/webhooks": _wf(body=lambda w: WEBHOOKS),
    "GET /v1/workflows/<workflow_id>/webhooks": _wf(),
    "DELETE /v1/workflows/<workflow_id>/webhooks": _wf(),
    "POST /v1/workflows/<workflow_id>/executions": _wf(body=lambda w: {"parameters": GOOD}),
    "POST /v1/executions/<execution_id>/cancel": _ex(),
    "POST /v3/sql/<connection>/job": Case(
        404,
        "procedure_not_found",
        body=lambda w: {"query": carto_call(w), "queryParameters": GOOD},
    ),
    "GET /v3/sql/<connection>/job": Case(
        404,
        "procedure_not_found",
        query=lambda w: {"query": carto_call(w), "queryParameters": json.dumps(GOOD)},
    ),
    "DELETE /v3/sql/<connection>/job/<external_id>": Case(404, "job_not_found"),
    "POST /api/v1/workflows/<workflow_id>/execute": _wf(body=lambda w: {"parameters": GOOD}),
    "GET /healthz": Case(200, kind=PUBLIC),
    "GET /v1/workflows/<workflow_id>/executions": _wf(),
    "GET /v1/orgs/current/limits": Case(200, kind=OWN),
    "GET /v1/executions/<execution_id>": _ex(),
    "GET /v1/executions/<execution_id>/results": _ex(finished=True),
    "GET /v3/sql/<connection>/job/<external_id>": _ex(),
    "GET /v3/sql/jobs": Case(200, kind=OWN),
    "GET /api/v1/workflows/executions/<nexadata_execution_id>": _ex(),
    "GET /api/v1/pipelines/<path:rest>": Case(404, "endpoint_retired", kind=PUBLIC),
    "POST /api/v1/pipelines/<path:rest>": Case(404, "endpoint_retired", kind=PUBLIC),
    "GET /openapi.json": Case(200, kind=PUBLIC),
    # The console's static files: the same for every caller, no org's data in them.
    "GET /console/": Case(200, kind=PUBLIC),
    "GET /console/assets/<asset>": Case(200, kind=PUBLIC),
    # Schedules: demo's workflow's are refused with the workflow; demo's schedule, by its
    # id, even under org other's own workflow of the same id.
    "POST /v1/workflows/<workflow_id>/schedules": _wf(body=lambda w: NEW_SCHEDULE),
    "GET /v1/workflows/<workflow_id>/schedules": _wf(),
    "GET /v1/schedules": Case(200, kind=OWN),
    "GET /v1/workflows/<workflow_id>/schedules/<schedule_id>": _sched(),
    "PATCH /v1/workflows/<workflow_id>/schedules/<schedule_id>": _sched(
        body=lambda w: SCHEDULE_PATCH
    ),
    "DELETE /v1/workflows/<workflow_id>/schedules/<schedule_id>": _sched(),
    "POST /v1/workflows/<workflow_id>/schedules/<schedule_id>/run": _sched(),
    # Cloud Scheduler's fire takes the invoker's OIDC ID token only: an org's API token,
    # any org's, is refused (401) before the path's org or schedule is read.
    "POST /v1/orgs/<org>/workflows/<workflow_id>/schedules/<schedule_id>/fires": Case(
        401,
        "invalid_token",
        body=lambda w: {},
        headers=fire_time,
        own_credential=invoker_id_token,
    ),
}


@dataclass
class Victim:
    client: HttpClient
    run: Execution
    schedule: Schedule
    scheduler: FakeSchedulerJobs  # Cloud Scheduler's jobs on the fakes

    @property
    def world(self) -> OnFakes:
        return self.client.world


# Each path argument, as the id of one of demo's records (a new kind of argument needs
# its victim here).
# A file the console's build holds (its name carries the content's hash).
CONSOLE_SCRIPT = next(
    path.name
    for path in (
        Path(__file__).resolve().parents[3] / "functions/workflows_api/console_assets/assets"
    ).glob("main-*.js")
)
VICTIM_IDS: dict[str, Callable[[Victim], str]] = {
    "org": lambda v: VICTIM,
    "workflow_id": lambda v: v.run.workflow_id,
    "execution_id": lambda v: v.run.id,
    "connection": lambda v: v.run.connection,
    "external_id": lambda v: f"job_{v.run.id}",
    "nexadata_execution_id": lambda v: str(v.run.number),
    "schedule_id": lambda v: v.schedule.id,
    "rest": lambda v: v.run.id,
    "asset": lambda v: CONSOLE_SCRIPT,
}


def victim_world(case: Case) -> Victim:
    """Org demo with its workflow (API on, webhooks set, one schedule), one execution
    (running, or succeeded when `case.finished`), and org other with a connection of the
    same name (and, when `case.twin`, a workflow of the same id)."""
    scheduler = FakeSchedulerJobs()
    world = with_demo_workflow(
        id_token_verifier=verifier(), scheduler_jobs=scheduler, now=dt.datetime.now(dt.UTC)
    )
    world.store.put_connection(ATTACKER_CONNECTION)
    world.app.webhooks.configure(VICTIM, "clusters", WEBHOOKS["urls"])
    schedule = world.app.schedules.service.create(VICTIM, "clusters", SCHEDULE)
    assert scheduler.jobs.keys() == {schedule.job_name}
    if case.twin:
        world.app.workflows.put(ATTACKER, "clusters", MINE)
        world.app.workflows.enable_api(ATTACKER, "clusters")
    if case.finished:
        world.warehouse.outcome = "succeeded"
        world.warehouse.columns, world.warehouse.rows = [Column("id", "INTEGER")], [{"id": 1}]
    run = world.app.admission.execute(VICTIM, "clusters", ExecuteRequest(GOOD)).execution
    assert run.state == (State.SUCCEEDED if case.finished else State.RUNNING)
    return Victim(HttpClient(world, all_routes()), run, schedule, scheduler)


def path_of(route: Route, victim: Victim) -> str:
    def victim_id(match: re.Match[str]) -> str:
        argument = match.group(1)
        assert argument in VICTIM_IDS, f"{route.name}: add a victim's {argument} to VICTIM_IDS"
        return VICTIM_IDS[argument](victim)

    return re.sub(r"<(?:\w+:)?(\w+)>", victim_id, route.path)


def everything_written(victim: Victim, *, but_org: str | None = None) -> dict[str, Any]:
    """The store's records (but `but_org`'s own), the warehouse's, the queue's and Cloud
    Scheduler's jobs (but those firing `but_org`'s schedules)."""
    world = victim.world

    def kept(key: Any, value: Any) -> bool:
        org = key[0] if isinstance(key, tuple) else getattr(value, "org", key)
        return org != but_org

    store = {
        name: {k: v for k, v in value.items() if kept(k, v)}
        for name, value in vars(world.store).items()
        if isinstance(value, dict) and name not in ("tokens", "principals")
    }
    assert (VICTIM, victim.schedule.id) in store["schedules"]  # schedules are compared
    warehouse = {k: v for k, v in vars(world.warehouse).items() if not k.startswith("_")}
    queue = world.app.delivery_queue
    jobs = {
        name: job
        for name, job in victim.scheduler.jobs.items()
        if f"/v1/orgs/{but_org}/" not in job.uri
    }
    return copy.deepcopy(
        {"store": store, "warehouse": warehouse, "queue": vars(queue), "scheduler": jobs}
    )


def request_of(victim: Victim, route: Route, case: Case) -> dict[str, Any]:
    world = victim.world
    return {
        "method": route.method,
        "path": path_of(route, victim),
        "body": case.body(world) if case.body else None,
        "query": case.query(world) if case.query else None,
        "headers": case.headers(world) if case.headers else None,
    }


def victim_details(victim: Victim) -> list[str]:
    """What only demo knows about its records: never in an answer to another org."""
    workflow = victim.world.app.workflows.get(VICTIM, "clusters")
    return [
        victim.run.output_table,
        victim.run.cache_key,
        workflow.version,
        DEMO["name"],
        *WEBHOOKS["urls"],
        *victim.world.store.signing_secrets.values(),
        victim.schedule.id,
        victim.schedule.job_name,
        victim.schedule.cron,
        victim.schedule.description,
        *GOOD,  # the parameters' names
    ]


def error_code(answer: Answer) -> str:
    code: str = answer.body["error"]["code"]
    return code


def test_every_route_has_a_cross_org_case() -> None:
    routes = {route.name for route in all_routes()}
    assert sorted(routes - set(CASES)) == [], "routes without a cross-org case in CASES"
    assert sorted(set(CASES) - routes) == [], "cases of routes that no longer exist"


@pytest.mark.parametrize("route", all_routes(), ids=lambda route: route.name)
def test_another_orgs_token_gets_the_documented_answer_and_writes_nothing(route: Route) -> None:
    case = CASES.get(route.name)
    assert case is not None, f"{route.name} has no cross-org case: add it to CASES"
    assert case.status in route.errors or case.status in dict(route.responses), (
        f"{route.name}: {case.status} is not an answer the route documents"
    )
    victim = victim_world(case)
    attacker = victim.client.token(ATTACKER)
    before = everything_written(victim, but_org=ATTACKER)

    request = request_of(victim, route, case)
    answer = victim.client.call(**request, token=attacker)

    assert answer.status == case.status, answer.body
    if case.code is not None:
        assert error_code(answer) == case.code
    assert everything_written(victim, but_org=ATTACKER) == before
    if case.kind != PUBLIC:  # nothing of demo's but what the request itself named
        asked, told = json.dumps(request), json.dumps(answer.body)
        leaked = [d for d in victim_details(victim) if d in told and d not in asked]
        assert leaked == [], answer.body
    if case.kind == REFUSED:  # the refusal is the boundary's: demo's own request is served
        credential = case.own_credential or (lambda: victim.client.token(VICTIM))
        own = victim.client.call(**request, token=credential())
        assert own.status in dict(route.responses), (route.name, own.body)
