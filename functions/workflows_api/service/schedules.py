"""Schedules: create, read, list, change and delete them, each backed by one Cloud
Scheduler job (the clock) while Firestore keeps its record (what runs, what happened).

Keeping the two in step, with no half-made schedule left by a failed call:
- create writes the record `pending`, then the job, then marks the record `active`. If
  Cloud Scheduler (or the last write) fails, the job is deleted if it may exist, then
  the record, and the caller gets the error (503 for a backend, 400 for a refusal).
- change (cron, zone, paused, description) updates the job first, then the record; if
  the record cannot be written the job is put back as the record says. Parameters and
  cache live in the record only (a fire reads them there).
- delete marks the record `pending`, deletes the job (a missing job counts as
  deleted), then the record.
- a record still `pending` PENDING_GRACE after its last write (a process died midway)
  is settled when read: kept `active` if Cloud Scheduler has its job, removed if not.
A fire reads the record: a schedule the record does not have starts nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from workflows_api import logs
from workflows_api.domain import schedules as sch
from workflows_api.domain.execution.states import Execution
from workflows_api.domain.schedules import Schedule, ScheduleFieldInvalid, SchedulerJob
from workflows_api.domain.workflow.records import WorkflowRecord
from workflows_api.service.errors import BackendUnavailable, SchedulerRefused, ServiceError
from workflows_api.service.errors import not_found as _not_found
from workflows_api.service.execution_requests import WorkflowFilter, any_workflow
from workflows_api.service.parameter_values import parameter_values
from workflows_api.service.queries import ExecutionQueries
from workflows_api.service.schedule_ports import SchedulerJobs, ScheduleStore
from workflows_api.service.workflows import (
    WorkflowService,
    definition_of,
    execution_signature_of,
)

logger = logging.getLogger(__name__)

PENDING_GRACE = dt.timedelta(minutes=2)
FIRE_PATH = "/v1/orgs/{org}/workflows/{workflow_id}/schedules/{schedule_id}/fires"


@dataclass(frozen=True, kw_only=True)
class ScheduleSettings:
    """Where the jobs live and what they call (config.Settings: WFAPI_SCHEDULE*)."""

    project: str
    location: str | None
    target_url: str | None  # execute's base URL
    invoker: str | None
    audience: str | None
    job_prefix: str = "wfapi-sched"
    attempt_deadline_seconds: int = 210

    def job_name(self, org: str, workflow_id: str, schedule_id: str) -> str:
        job = sch.job_id(self.job_prefix, org, workflow_id, schedule_id)
        return f"projects/{self.project}/locations/{self.location}/jobs/{job}"


@dataclass(frozen=True)
class ScheduleChange:
    """What a caller writes; None: unchanged (on create: the default)."""

    cron: str | None = None
    time_zone: str | None = None
    parameters: Mapping[str, Any] | None = None
    cache: bool | None = None
    description: str | None = None
    paused: bool | None = None


_DELETED_AT_ONCE = 100  # schedules listed per round when their workflow is deleted


def not_found(schedule_id: str) -> ServiceError:
    return _not_found("schedule", schedule_id[:40])


@dataclass(frozen=True, kw_only=True)
class Schedules:
    workflows: WorkflowService
    store: ScheduleStore
    executions: ExecutionQueries
    jobs: SchedulerJobs
    settings: ScheduleSettings
    clock: Callable[[], dt.datetime]

    def run_of(self, org: str) -> Callable[[str], Execution | None]:
        """Reads a run's execution (reconciled with its job while it runs), for the
        views; None once it is gone."""

        def read(execution_id: str) -> Execution | None:
            try:
                return self.executions.get(org, execution_id)
            except ServiceError:
                return None

        return read

    def create(self, org: str, workflow_id: str, change: ScheduleChange) -> Schedule:
        record = self.workflows.get(org, workflow_id)
        if change.cron is None or change.time_zone is None:
            missing = "cron" if change.cron is None else "time_zone"
            raise ServiceError("invalid", "invalid_schedule", f"{missing}: required", missing)
        self._check_configured()
        now = self.clock()
        schedule_id = sch.new_schedule_id()
        draft = Schedule(
            id=schedule_id,
            org=org,
            workflow_id=workflow_id,
            cron="",
            time_zone="",
            parameters={},
            created_at=now,
            updated_at=now,
            job_name=self.settings.job_name(org, workflow_id, schedule_id),
        )
        schedule = self._changed(draft, change, record)
        self.store.put_schedule(schedule)
        try:
            self.jobs.create_job(self._job(schedule))
            self.store.put_schedule(replace(schedule, sync="active"))
        except (BackendUnavailable, SchedulerRefused) as failure:
            self._undo_create(schedule, job_may_exist=isinstance(failure, BackendUnavailable))
            raise _refusal(failure) from None
        return replace(schedule, sync="active")

    def get(self, org: str, workflow_id: str, schedule_id: str) -> Schedule:
        found = self._stored(org, schedule_id)
        if found is None or found.workflow_id != workflow_id:
            raise not_found(schedule_id)
        return found

    def list(
        self,
        org: str,
        workflow_id: str | None,
        *,
        page_size: int,
        page_token: str | None,
        allows: WorkflowFilter = any_workflow,
    ) -> tuple[list[Schedule], str | None]:
        """A page ordered by id (of one workflow, or the org's the caller may see)."""
        if workflow_id is not None:
            self.workflows.get(org, workflow_id)
        if page_token is not None and not sch.SCHEDULE_ID_PATTERN.fullmatch(page_token):
            raise ServiceError(
                "invalid",
                "invalid_page_token",
                "page_token: not a token this API gave",
                "page_token",
            )
        found: list[Schedule] = []
        after = page_token
        while len(found) <= page_size:
            batch = self.store.list_schedules(
                org, limit=page_size + 1, workflow_id=workflow_id, after=after
            )
            for stored in batch:
                settled = self._settled(stored)
                if settled is not None and allows(settled.workflow_id):
                    found.append(settled)
            if len(batch) <= page_size:
                break
            after = batch[-1].id
        if len(found) > page_size:
            return found[:page_size], found[page_size - 1].id
        return found, None

    def update(
        self, org: str, workflow_id: str, schedule_id: str, change: ScheduleChange
    ) -> Schedule:
        current = self.get(org, workflow_id, schedule_id)
        record = self.workflows.get(org, workflow_id)
        changed = replace(self._changed(current, change, record), updated_at=self.clock())
        job_changed = self._job(changed) != self._job(current)
        if job_changed:
            self._check_configured()
            try:
                self.jobs.update_job(self._job(changed))
            except (BackendUnavailable, SchedulerRefused) as failure:
                if isinstance(failure, BackendUnavailable):
                    self._restore_job(current)
                raise _refusal(failure) from None
        try:
            self.store.put_schedule(changed)
        except BackendUnavailable:
            if job_changed:
                self._restore_job(current)
            raise
        return changed

    def delete(self, org: str, workflow_id: str, schedule_id: str) -> None:
        self._delete(self.get(org, workflow_id, schedule_id))

    def _delete(self, current: Schedule) -> None:
        """Its job, then its record; the record is kept when the job could not go."""
        self._check_configured()
        self.store.put_schedule(replace(current, sync="pending", updated_at=self.clock()))
        try:
            self.jobs.delete_job(current.job_name)
        except (BackendUnavailable, SchedulerRefused) as failure:
            # The job is still there: the record says so again.
            self.store.put_schedule(current)
            raise _refusal(failure) from None
        self.store.delete_schedule(current.org, current.id)

    def delete_workflow(self, org: str, workflow_id: str) -> None:
        """Delete the workflow with its schedules, the schedules first (each its Cloud
        Scheduler job, then its record), so that none fires for a workflow gone, nor runs
        a new workflow given the same id. A failure leaves the workflow and the schedules
        not deleted yet; a retry finishes."""
        self.workflows.get(org, workflow_id)  # 404 before anything changes
        after = None
        while batch := self.store.list_schedules(
            org, limit=_DELETED_AT_ONCE, workflow_id=workflow_id, after=after
        ):
            for stored in batch:
                settled = self._settled(stored)  # None: a half-made one, now removed
                if settled is not None:
                    self._delete(settled)
            after = batch[-1].id
        self.workflows.delete(org, workflow_id)

    # --- keeping Firestore and Cloud Scheduler in step ----------------------------------

    def _stored(self, org: str, schedule_id: str) -> Schedule | None:
        if not sch.SCHEDULE_ID_PATTERN.fullmatch(schedule_id):
            return None
        found = self.store.get_schedule(org, schedule_id)
        return None if found is None else self._settled(found)

    def _settled(self, schedule: Schedule) -> Schedule | None:
        """The schedule as it stands once a `pending` record left behind is settled."""
        if schedule.sync == "active" or self.clock() - schedule.updated_at < PENDING_GRACE:
            return schedule
        if self.jobs.job_exists(schedule.job_name):
            settled = replace(schedule, sync="active")
            self.store.put_schedule(settled)
            return settled
        self.store.delete_schedule(schedule.org, schedule.id)
        logs.log(logger, logging.WARNING, "half-made schedule removed", schedule_id=schedule.id)
        return None

    def _undo_create(self, schedule: Schedule, *, job_may_exist: bool) -> None:
        try:
            if job_may_exist:
                self.jobs.delete_job(schedule.job_name)
            self.store.delete_schedule(schedule.org, schedule.id)
        except (BackendUnavailable, SchedulerRefused):
            # Left `pending`: settled when next read (PENDING_GRACE).
            logs.log(logger, logging.WARNING, "schedule left pending", schedule_id=schedule.id)

    def _restore_job(self, schedule: Schedule) -> None:
        try:
            self.jobs.update_job(self._job(schedule))
        except (BackendUnavailable, SchedulerRefused):
            logs.log(logger, logging.ERROR, "schedule job not restored", schedule_id=schedule.id)

    def _check_configured(self) -> None:
        s = self.settings
        if not (s.location and s.target_url and s.invoker and s.audience):
            raise ServiceError(
                "unavailable",
                "schedules_not_configured",
                "Schedules are not configured on this deployment (WFAPI_SCHEDULER_LOCATION, "
                "WFAPI_SCHEDULE_TARGET_URL, WFAPI_SCHEDULE_INVOKER, WFAPI_OIDC_AUDIENCE).",
            )

    def _job(self, schedule: Schedule) -> SchedulerJob:
        s = self.settings
        path = FIRE_PATH.format(
            org=schedule.org, workflow_id=schedule.workflow_id, schedule_id=schedule.id
        )
        return SchedulerJob(
            name=schedule.job_name,
            cron=schedule.cron,
            time_zone=schedule.time_zone,
            description=schedule.description
            or f"Workflows API: workflow {schedule.workflow_id} of {schedule.org}",
            uri=f"{(s.target_url or '').rstrip('/')}{path}",
            invoker=s.invoker or "",
            audience=s.audience or "",
            attempt_deadline_seconds=s.attempt_deadline_seconds,
            paused=schedule.paused,
        )

    def _changed(
        self, schedule: Schedule, change: ScheduleChange, record: WorkflowRecord
    ) -> Schedule:
        try:
            cron = schedule.cron if change.cron is None else sch.check_cron(change.cron)
            zone = (
                schedule.time_zone
                if change.time_zone is None
                else sch.check_time_zone(change.time_zone)
            )
        except ScheduleFieldInvalid as invalid:
            raise ServiceError(
                "invalid", "invalid_schedule", invalid.message, invalid.field
            ) from None
        description = schedule.description if change.description is None else change.description
        if len(description) > sch.MAX_DESCRIPTION_CHARS:
            raise ServiceError(
                "invalid",
                "invalid_schedule",
                f"description: at most {sch.MAX_DESCRIPTION_CHARS} characters",
                "description",
            )
        parameters = schedule.parameters
        if change.parameters is not None or schedule.cron == "":
            parameters = parameter_values(_declared(record), change.parameters or {})
        return replace(
            schedule,
            cron=cron,
            time_zone=zone,
            parameters=parameters,
            description=description,
            cache=schedule.cache if change.cache is None else change.cache,
            paused=schedule.paused if change.paused is None else change.paused,
        )


def _declared(record: WorkflowRecord) -> Any:
    """The parameters a fire will be checked against: the deployed ones while the API is
    enabled, else the current definition's."""
    if record.api is not None and record.api.enabled:
        return execution_signature_of(record).parameters
    return definition_of(record).parameters


def _refusal(failure: Exception) -> Exception:
    if isinstance(failure, SchedulerRefused):
        return ServiceError(
            "invalid", "schedule_refused", f"Cloud Scheduler refused the job: {failure}", "cron"
        )
    return failure
