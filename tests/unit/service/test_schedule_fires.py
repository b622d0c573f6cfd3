"""A schedule's fires on fakes: one execution per fire however often Cloud Scheduler
retries it, trigger `schedule:<id>`; a fire that cannot run is recorded on the schedule;
only the invoker's ID token may fire."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.apps import GOOD, INVOKER, OnFakes, with_demo_workflow
from tests.unit.adapters.test_oidc import AUDIENCE, ISSUER, verifier
from workflows_api.domain.schedules import Schedule
from workflows_api.service.errors import ServiceError
from workflows_api.service.schedules import ScheduleChange

WORKFLOW = "store_clusters"
FIRE_AT = dt.datetime(2026, 3, 1, 12, 1, tzinfo=dt.UTC)


@pytest.fixture
def world() -> OnFakes:
    return with_demo_workflow(
        workflow_id=WORKFLOW, id_token_verifier=verifier(), now=dt.datetime.now(dt.UTC)
    )


def schedule(world: OnFakes, **change: object) -> Schedule:
    base = {"cron": "* * * * *", "time_zone": "Etc/UTC", "parameters": GOOD, **change}
    return world.app.schedules.service.create("demo", WORKFLOW, ScheduleChange(**base))  # type: ignore[arg-type]


def test_a_retried_fire_starts_one_execution(world: OnFakes) -> None:
    made = schedule(world)
    fires = world.app.schedules.fires
    first = fires.fire("demo", WORKFLOW, made.id, FIRE_AT)
    retried = fires.fire("demo", WORKFLOW, made.id, FIRE_AT)
    next_minute = fires.fire("demo", WORKFLOW, made.id, FIRE_AT + dt.timedelta(minutes=1))
    assert first.attempt.execution_id == retried.attempt.execution_id
    assert next_minute.attempt.execution_id not in (None, first.attempt.execution_id)
    executions = list(world.store.executions.values())
    assert len(executions) == 2
    assert {e.trigger for e in executions} == {f"schedule:{made.id}"}
    assert all(e.cache_enabled is False for e in executions)  # schedules run anew
    recorded = world.store.get_schedule("demo", made.id)
    assert recorded is not None
    assert [r.execution_id for r in recorded.runs] == [
        next_minute.attempt.execution_id,
        first.attempt.execution_id,
    ]
    listed, _ = world.app.queries.list_executions(
        "demo", WORKFLOW, page_size=10, trigger=f"schedule:{made.id}"
    )
    assert len(listed) == 2
    assert (
        world.app.queries.list_executions("demo", WORKFLOW, page_size=10, trigger="http")[0] == []
    )


@pytest.mark.parametrize("case", ["disabled", "out of sync", "workflow deleted"])
def test_a_fire_that_cannot_run_is_recorded_not_lost(world: OnFakes, case: str) -> None:
    made = schedule(world)
    if case == "disabled":
        world.app.workflows.disable_api("demo", WORKFLOW)
    elif case == "out of sync":
        definition = world.app.workflows.get("demo", WORKFLOW).definition
        world.app.workflows.put("demo", WORKFLOW, {**definition, "description": "edited"})
    else:
        world.app.workflows.delete("demo", WORKFLOW)
    outcome = world.app.schedules.fires.fire("demo", WORKFLOW, made.id, FIRE_AT)
    code = {
        "disabled": "api_disabled",
        "out of sync": "api_out_of_sync",
        "workflow deleted": "workflow_not_found",
    }[case]
    assert (outcome.attempt.execution_id, outcome.attempt.error_code) == (None, code)
    recorded = world.store.get_schedule("demo", made.id)
    assert recorded is not None and recorded.last_attempt == outcome.attempt
    assert world.store.executions == {}


def test_run_now_runs_a_paused_schedule_once_per_key(world: OnFakes) -> None:
    made = schedule(world, paused=True)
    fires = world.app.schedules.fires
    assert fires.fire("demo", WORKFLOW, made.id, FIRE_AT).attempt.error_code == "schedule_paused"
    once = fires.run_now("demo", WORKFLOW, made.id, "k1")
    again = fires.run_now("demo", WORKFLOW, made.id, "k1")
    other = fires.run_now("demo", WORKFLOW, made.id, None)
    assert once.execution.id == again.execution.id != other.execution.id
    assert once.execution.trigger == f"schedule:{made.id}"


def test_only_the_invokers_token_fires(world: OnFakes) -> None:
    fires = world.app.schedules.fires
    fires.check_invoker(ISSUER.token(email=INVOKER, audience=AUDIENCE))
    for token in (
        None,
        "wfa_not_a_jwt",
        ISSUER.token(email="someone@else.iam.gserviceaccount.com", audience=AUDIENCE),
        ISSUER.token(email=INVOKER, audience="https://elsewhere"),
        ISSUER.token(email=INVOKER, audience=AUDIENCE, email_verified=False),
    ):
        with pytest.raises(ServiceError) as refused:
            fires.check_invoker(token)
        assert (refused.value.kind, refused.value.code) == ("unauthenticated", "invalid_token")


def test_a_fire_of_another_org_or_workflow_is_not_found(world: OnFakes) -> None:
    made = schedule(world)
    for org, workflow, sid in (
        ("other", WORKFLOW, made.id),
        ("demo", "elsewhere", made.id),
        ("demo", WORKFLOW, "0" * 16),
        ("demo", WORKFLOW, "../x"),
    ):
        with pytest.raises(ServiceError) as missing:
            world.app.schedules.fires.fire(org, workflow, sid, FIRE_AT)
        assert missing.value.kind == "not_found"
