"""ScheduleStore in memory (a base of InMemoryStore), and SchedulerJobs in memory: a
fake Cloud Scheduler whose calls can be made to fail, for the reconciliation tests."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable

from workflows_api.domain.schedules import Schedule, ScheduleAttempt, SchedulerJob
from workflows_api.service.errors import BackendUnavailable, SchedulerRefused


def _refuse_naive(*values: dt.datetime) -> None:
    for value in values:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime: {value!r}")


class InMemorySchedules:
    """ScheduleStore."""

    def __init__(self) -> None:
        self.schedules: dict[tuple[str, str], Schedule] = {}

    def put_schedule(self, schedule: Schedule) -> None:
        _refuse_naive(schedule.created_at, schedule.updated_at)
        self.schedules[(schedule.org, schedule.id)] = copy.deepcopy(schedule)

    def get_schedule(self, org: str, schedule_id: str) -> Schedule | None:
        return copy.deepcopy(self.schedules.get((org, schedule_id)))

    def delete_schedule(self, org: str, schedule_id: str) -> bool:
        return self.schedules.pop((org, schedule_id), None) is not None

    def list_schedules(
        self, org: str, *, limit: int, workflow_id: str | None = None, after: str | None = None
    ) -> list[Schedule]:
        rows = sorted(
            (
                s
                for (o, _), s in self.schedules.items()
                if o == org
                and (workflow_id is None or s.workflow_id == workflow_id)
                and (after is None or s.id > after)
            ),
            key=lambda s: s.id,
        )
        return copy.deepcopy(rows[:limit])

    def record_schedule_attempt(
        self, org: str, schedule_id: str, attempt: ScheduleAttempt
    ) -> Schedule | None:
        _refuse_naive(attempt.at, attempt.scheduled_at)
        found = self.schedules.get((org, schedule_id))
        if found is None:
            return None
        self.schedules[(org, schedule_id)] = found.with_attempt(attempt)
        return copy.deepcopy(self.schedules[(org, schedule_id)])


class FakeSchedulerJobs:
    """Cloud Scheduler's jobs by name. `fail[operation]` makes the next calls of that
    operation ("create", "update", "delete", "exists") raise what it returns; a failure
    `after` the call (a lost answer) is `fail_after`."""

    def __init__(self) -> None:
        self.jobs: dict[str, SchedulerJob] = {}
        self.calls: list[tuple[str, str]] = []
        self.fail: dict[str, Callable[[], Exception]] = {}
        self.fail_after: dict[str, Callable[[], Exception]] = {}

    def _call(self, operation: str, name: str) -> None:
        self.calls.append((operation, name))
        if operation in self.fail:
            raise self.fail[operation]()

    def _after(self, operation: str) -> None:
        if operation in self.fail_after:
            raise self.fail_after[operation]()

    def create_job(self, job: SchedulerJob) -> None:
        self._call("create", job.name)
        self.jobs[job.name] = job
        self._after("create")

    def update_job(self, job: SchedulerJob) -> None:
        self._call("update", job.name)
        if job.name not in self.jobs:
            raise SchedulerRefused("NOT_FOUND")
        self.jobs[job.name] = job
        self._after("update")

    def delete_job(self, name: str) -> None:
        self._call("delete", name)
        self.jobs.pop(name, None)
        self._after("delete")

    def job_exists(self, name: str) -> bool:
        self._call("exists", name)
        return name in self.jobs


def unavailable() -> Exception:
    return BackendUnavailable("cloud scheduler", "503 from the fake")


def refused() -> Exception:
    return SchedulerRefused("INVALID_ARGUMENT from the fake")


__all__ = ["FakeSchedulerJobs", "InMemorySchedules", "refused", "unavailable"]
