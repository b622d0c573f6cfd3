"""The ports of schedules: where their records live and Cloud Scheduler's jobs (the
clock). Part of `ports.py`'s contract (errors included); `Store` includes ScheduleStore."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

# Annotations only: a process loads no domain module for the ports' sake (cold start).
if TYPE_CHECKING:
    from workflows_api.domain.schedules import Schedule, ScheduleAttempt, SchedulerJob


class ScheduleStore(Protocol):
    """Schedule records (orgs/{org}/schedules/{id}); Cloud Scheduler holds their jobs."""

    def put_schedule(self, schedule: Schedule) -> None: ...
    def get_schedule(self, org: str, schedule_id: str) -> Schedule | None: ...
    def delete_schedule(self, org: str, schedule_id: str) -> bool: ...
    def list_schedules(
        self, org: str, *, limit: int, workflow_id: str | None = None, after: str | None = None
    ) -> list[Schedule]:
        """Ordered by id (of one workflow, when given); `after`: the previous page's last."""
        ...

    def record_schedule_attempt(
        self, org: str, schedule_id: str, attempt: ScheduleAttempt
    ) -> Schedule | None:
        """Atomically add `attempt` (Schedule.with_attempt); None when there is no schedule."""
        ...


class SchedulerJobs(Protocol):
    """Cloud Scheduler's jobs. Raises SchedulerRefused for a job it will not take."""

    def create_job(self, job: SchedulerJob) -> None:
        """Create the job; one that already exists under its name is updated to `job`."""
        ...

    def update_job(self, job: SchedulerJob) -> None: ...
    def delete_job(self, name: str) -> None:
        """Delete the job; a missing job counts as deleted."""
        ...

    def job_exists(self, name: str) -> bool: ...
