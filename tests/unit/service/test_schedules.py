"""Schedules on fakes: written only with valid cron, zone and parameters; backed by one
Cloud Scheduler job each; a failed Cloud Scheduler call leaves no half-made schedule; a
record left pending is settled when read."""

from __future__ import annotations

from typing import cast

import pytest

from tests.support.apps import DEMO, GOOD, OnFakes, with_demo_workflow
from tests.support.memory_schedules import FakeSchedulerJobs, refused, unavailable
from workflows_api.service.errors import BackendUnavailable, ServiceError
from workflows_api.service.schedules import PENDING_GRACE, ScheduleChange

EVERY_MINUTE = ScheduleChange(cron="* * * * *", time_zone="Etc/UTC", parameters=GOOD)


@pytest.fixture
def world() -> OnFakes:
    return with_demo_workflow(workflow_id="store_clusters")


def jobs(world: OnFakes) -> FakeSchedulerJobs:
    return cast(FakeSchedulerJobs, world.app.schedules.jobs)


def test_a_schedule_is_one_job_calling_execute_with_the_invokers_token(world: OnFakes) -> None:
    schedule = world.app.schedules.service.create("demo", "store_clusters", EVERY_MINUTE)
    job = jobs(world).jobs[schedule.job_name]
    assert schedule.job_name == (
        "projects/workflows-api-local/locations/europe-west1/jobs/"
        f"wfapi-sched-4-demo-store_clusters-{schedule.id}"
    )
    assert job.uri == (
        f"https://execute.test/v1/orgs/demo/workflows/store_clusters/schedules/{schedule.id}/fires"
    )
    assert (job.cron, job.time_zone, job.paused) == ("* * * * *", "Etc/UTC", False)
    assert job.invoker == "wfapi-schedules@demo-project.iam.gserviceaccount.com"
    assert job.audience == "https://execute.test"
    assert job.attempt_deadline_seconds == 210  # execute's timeout (180 s) and a margin
    stored = world.store.get_schedule("demo", schedule.id)
    assert stored is not None and stored.sync == "active"
    assert stored.parameters == GOOD and stored.cache is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (ScheduleChange(cron="* * * *", time_zone="Etc/UTC"), "cron"),
        (ScheduleChange(cron="* * * * *", time_zone="Mars/Base"), "time_zone"),
        (ScheduleChange(cron="* * * * *", time_zone="Etc/UTC", parameters={}), "parameters"),
        (
            ScheduleChange(
                cron="* * * * *",
                time_zone="Etc/UTC",
                parameters={**GOOD, "number_of_clusters": "two"},
            ),
            "number_of_clusters",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_makes_nothing(
    world: OnFakes, change: ScheduleChange, field: str
) -> None:
    with pytest.raises(ServiceError) as refused_:
        world.app.schedules.service.create("demo", "store_clusters", change)
    assert (refused_.value.kind, refused_.value.field) == ("invalid", field)
    assert jobs(world).calls == [] and world.store.schedules == {}


@pytest.mark.parametrize(
    ("fail", "lost_answer", "kind"),
    [
        ("create", False, "unavailable"),
        ("create", True, "unavailable"),  # made, but its answer was lost
        ("refused", False, "invalid"),
    ],
)
def test_a_failed_create_leaves_neither_job_nor_record(
    world: OnFakes, fail: str, lost_answer: bool, kind: str
) -> None:
    fake = jobs(world)
    if fail == "refused":
        fake.fail["create"] = refused
    elif lost_answer:
        fake.fail_after["create"] = unavailable
    else:
        fake.fail["create"] = unavailable
    with pytest.raises((ServiceError, BackendUnavailable)) as failed:
        world.app.schedules.service.create("demo", "store_clusters", EVERY_MINUTE)
    if kind == "invalid":
        assert isinstance(failed.value, ServiceError) and failed.value.code == "schedule_refused"
    else:
        assert isinstance(failed.value, BackendUnavailable)
    assert fake.jobs == {} and world.store.schedules == {}


def test_a_create_cut_short_is_settled_when_read(world: OnFakes) -> None:
    fake = jobs(world)
    fake.fail_after["create"] = unavailable
    fake.fail["delete"] = unavailable  # the undo fails too: the record stays pending
    with pytest.raises(BackendUnavailable):
        world.app.schedules.service.create("demo", "store_clusters", EVERY_MINUTE)
    [pending] = world.store.schedules.values()
    assert pending.sync == "pending" and pending.job_name in fake.jobs
    # Young pending records are being made: listed as they are.
    listed, _ = world.app.schedules.service.list("demo", None, page_size=10, page_token=None)
    assert [s.id for s in listed] == [pending.id]
    world.clock.advance(PENDING_GRACE.total_seconds() + 1)
    settled = world.app.schedules.service.get("demo", "store_clusters", pending.id)
    assert settled.sync == "active"  # Cloud Scheduler has the job: it is a schedule
    # The same, when the job is not there: the record goes.
    del fake.fail["delete"]
    fake.jobs.clear()
    world.store.put_schedule(pending)
    with pytest.raises(ServiceError) as missing:
        world.app.schedules.service.get("demo", "store_clusters", pending.id)
    assert missing.value.code == "schedule_not_found"
    assert world.store.schedules == {}


def test_a_failed_update_changes_neither(world: OnFakes) -> None:
    schedule = world.app.schedules.service.create("demo", "store_clusters", EVERY_MINUTE)
    fake = jobs(world)
    before = fake.jobs[schedule.job_name]
    fake.fail_after["update"] = unavailable  # Cloud Scheduler took it; the answer was lost
    with pytest.raises(BackendUnavailable):
        world.app.schedules.service.update(
            "demo", "store_clusters", schedule.id, ScheduleChange(cron="0 6 * * *")
        )
    del fake.fail_after["update"]
    assert fake.jobs[schedule.job_name] == before  # put back as the record says
    assert world.store.get_schedule("demo", schedule.id) == schedule


def test_pause_resume_and_parameters(world: OnFakes) -> None:
    service = world.app.schedules.service
    schedule = service.create("demo", "store_clusters", EVERY_MINUTE)
    paused = service.update("demo", "store_clusters", schedule.id, ScheduleChange(paused=True))
    assert jobs(world).jobs[schedule.job_name].paused and paused.next_run_at(world.clock()) is None
    calls = len(jobs(world).calls)
    changed = service.update(
        "demo",
        "store_clusters",
        schedule.id,
        ScheduleChange(parameters={**GOOD, "number_of_clusters": 3}),
    )
    assert changed.parameters["number_of_clusters"] == 3
    assert len(jobs(world).calls) == calls  # parameters live in the record only


def test_a_failed_delete_keeps_the_schedule_and_a_retry_finishes_it(world: OnFakes) -> None:
    service = world.app.schedules.service
    schedule = service.create("demo", "store_clusters", EVERY_MINUTE)
    fake = jobs(world)
    fake.fail["delete"] = unavailable
    with pytest.raises(BackendUnavailable):
        service.delete("demo", "store_clusters", schedule.id)
    assert service.get("demo", "store_clusters", schedule.id).sync == "active"
    del fake.fail["delete"]
    service.delete("demo", "store_clusters", schedule.id)
    assert fake.jobs == {} and world.store.schedules == {}


def test_another_orgs_schedule_is_not_found(world: OnFakes) -> None:
    schedule = world.app.schedules.service.create("demo", "store_clusters", EVERY_MINUTE)
    for org, workflow in (("other", "store_clusters"), ("demo", "elsewhere")):
        with pytest.raises(ServiceError) as missing:
            world.app.schedules.service.get(org, workflow, schedule.id)
        assert missing.value.kind == "not_found"


def test_deleting_a_workflow_deletes_its_schedules_first(world: OnFakes) -> None:
    service = world.app.schedules.service
    kept = with_other_workflow(world)
    mine = [service.create("demo", "store_clusters", EVERY_MINUTE) for _ in range(2)]
    other = service.create("demo", kept, EVERY_MINUTE)
    fake = jobs(world)
    fake.fail["delete"] = unavailable
    with pytest.raises(BackendUnavailable):
        service.delete_workflow("demo", "store_clusters")
    assert world.store.get_workflow("demo", "store_clusters") is not None  # a retry finishes
    del fake.fail["delete"]
    service.delete_workflow("demo", "store_clusters")
    assert world.store.get_workflow("demo", "store_clusters") is None
    assert set(fake.jobs) == {other.job_name}
    assert [s.id for s in world.store.list_schedules("demo", limit=10)] == [other.id]
    assert all(world.store.get_schedule("demo", s.id) is None for s in mine)
    # The same id again starts with no schedule of the one deleted.
    world.app.workflows.put("demo", "store_clusters", DEMO)
    assert service.list("demo", "store_clusters", page_size=10, page_token=None)[0] == []


def test_deleting_a_missing_workflow_is_a_404_and_deletes_nothing(world: OnFakes) -> None:
    schedule = world.app.schedules.service.create("demo", "store_clusters", EVERY_MINUTE)
    with pytest.raises(ServiceError) as missing:
        world.app.schedules.service.delete_workflow("demo", "nothing_here")
    assert missing.value.kind == "not_found"
    assert schedule.job_name in jobs(world).jobs


def with_other_workflow(world: OnFakes) -> str:
    world.app.workflows.put("demo", "kept", DEMO)
    world.app.workflows.enable_api("demo", "kept")
    return "kept"
