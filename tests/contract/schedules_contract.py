"""ScheduleStore: the behaviour every implementation shares."""

from __future__ import annotations

from dataclasses import replace

from tests.contract.support import ORG, OTHER_ORG, Store, at
from workflows_api.domain.schedules import Schedule, ScheduleAttempt


def schedule(schedule_id: str, workflow_id: str = "wf-1") -> Schedule:
    return Schedule(
        id=schedule_id,
        org=ORG,
        workflow_id=workflow_id,
        cron="0 6 * * MON-FRI",
        time_zone="Europe/Madrid",
        parameters={"n": 2, "radius": 500.5, "names": ["a", "b"]},
        created_at=at(0),
        updated_at=at(1),
        job_name=f"projects/p/locations/l/jobs/wfapi-sched-4-acme-{workflow_id}-{schedule_id}",
        description="every weekday",
    )


class SchedulesContract:
    def test_schedule_round_trip_and_tenancy(self, store: Store) -> None:
        made = replace(schedule("0" * 16), sync="active", paused=True, cache=True)
        store.put_schedule(made)
        assert store.get_schedule(ORG, made.id) == made
        assert store.get_schedule(OTHER_ORG, made.id) is None
        assert store.list_schedules(OTHER_ORG, limit=10) == []
        assert store.delete_schedule(ORG, made.id) is True
        assert store.delete_schedule(ORG, made.id) is False
        assert store.get_schedule(ORG, made.id) is None

    def test_schedules_list_by_id_per_workflow_and_page(self, store: Store) -> None:
        ids = [f"{n:016x}" for n in (3, 1, 2, 4)]
        for n, schedule_id in enumerate(ids):
            store.put_schedule(schedule(schedule_id, "wf-a" if n % 2 == 0 else "wf-b"))
        assert [s.id for s in store.list_schedules(ORG, limit=10)] == sorted(ids)
        assert [s.id for s in store.list_schedules(ORG, limit=2)] == sorted(ids)[:2]
        after = sorted(ids)[1]
        assert [s.id for s in store.list_schedules(ORG, limit=10, after=after)] == sorted(ids)[2:]
        assert [s.id for s in store.list_schedules(ORG, limit=10, workflow_id="wf-a")] == sorted(
            [ids[0], ids[2]]
        )

    def test_recording_attempts_keeps_each_execution_once(self, store: Store) -> None:
        made = schedule("a" * 16)
        store.put_schedule(made)
        first = ScheduleAttempt(at(60), at(60), "e1")
        retried = ScheduleAttempt(at(70), at(60), "e1")
        failed = ScheduleAttempt(at(120), at(120), None, "api_disabled", "disabled")
        for attempt in (first, retried, failed):
            recorded = store.record_schedule_attempt(ORG, made.id, attempt)
        assert recorded == made.with_attempt(first).with_attempt(retried).with_attempt(failed)
        assert store.get_schedule(ORG, made.id) == recorded
        assert store.record_schedule_attempt(ORG, "b" * 16, first) is None
        assert store.record_schedule_attempt(OTHER_ORG, made.id, first) is None
