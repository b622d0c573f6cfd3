"""A schedule's fires: Cloud Scheduler's calls (and run-now), each one execution.

A fire comes from the schedule's own Cloud Scheduler job with an OIDC ID token of the
invoker account (`WFAPI_SCHEDULE_INVOKER`), verified like any Google ID token; that
account is no org's principal and can do nothing else. Its execution's idempotency key
is the job's name and the fire's scheduled time (`X-CloudScheduler-ScheduleTime`), so a
retried fire answers the execution the first attempt made. The execution's trigger is
`schedule:<id>`, its parameters and cache the record's.

A fire that cannot run (the API disabled or out of sync with the definition, the
workflow gone, parameters no longer valid) is recorded on the schedule as its
`last_attempt` error and acknowledged (200): a retry would not change it. Only a backend
failure answers 503, so Cloud Scheduler retries it, with the same key.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from workflows_api import logs
from workflows_api.domain import schedules as sch
from workflows_api.domain.schedules import Schedule, ScheduleAttempt
from workflows_api.service.admission import ExecutionAdmission
from workflows_api.service.errors import InvalidIdToken, ServiceError
from workflows_api.service.execution_requests import ExecuteRequest, ExecuteResult
from workflows_api.service.ports import IdTokenVerifier
from workflows_api.service.schedule_ports import ScheduleStore
from workflows_api.service.schedules import not_found
from workflows_api.service.workflows import WorkflowService

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FireOutcome:
    schedule: Schedule
    attempt: ScheduleAttempt


@dataclass(frozen=True, kw_only=True)
class ScheduleFires:
    store: ScheduleStore
    workflows: WorkflowService
    admission: ExecutionAdmission
    verifier: IdTokenVerifier | None
    invoker: str | None
    clock: Callable[[], dt.datetime]

    def check_invoker(self, presented: str | None) -> None:
        """401 unless `presented` is a valid ID token of the invoker account."""
        if self.verifier is None or not self.invoker:
            raise _unauthenticated("Schedule fires are not accepted on this deployment.")
        if not presented:
            raise _unauthenticated("An ID token of the schedules' invoker is required.")
        try:
            claims = self.verifier.verify(presented)
        except InvalidIdToken as invalid:
            raise _unauthenticated(f"The ID token is not valid: {invalid}") from None
        email = claims.get("email")
        if (
            not isinstance(email, str)
            or claims.get("email_verified") is not True
            or email.lower() != self.invoker.lower()
        ):
            raise _unauthenticated("The ID token is not the schedules' invoker's.")

    def fire(
        self, org: str, workflow_id: str, schedule_id: str, scheduled_at: dt.datetime
    ) -> FireOutcome:
        """One fire of Cloud Scheduler's, for the time it was scheduled for."""
        schedule = self._schedule(org, workflow_id, schedule_id)
        if schedule.paused:
            attempt = self._attempt(
                scheduled_at, error=("schedule_paused", "The schedule is paused.")
            )
            return self._record(schedule, attempt)
        key = sch.fire_idempotency_key(schedule.job_name, scheduled_at)
        try:
            result = self._execute(schedule, key)
        except ServiceError as refused:
            if refused.kind == "unavailable":
                raise
            attempt = self._attempt(scheduled_at, error=(refused.code, refused.message))
            return self._record(schedule, attempt)
        return self._record(schedule, self._attempt(scheduled_at, result.execution.id))

    def run_now(
        self, org: str, workflow_id: str, schedule_id: str, idempotency_key: str | None
    ) -> ExecuteResult:
        """Run the schedule now, paused or not (as Cloud Scheduler's "force run")."""
        schedule = self._schedule(org, workflow_id, schedule_id)
        now = self.clock()
        key = f"schedule-run:{schedule.id}:{idempotency_key or uuid.uuid4().hex}"
        try:
            result = self._execute(schedule, key)
        except ServiceError as refused:
            if refused.kind != "unavailable":
                self._record(schedule, self._attempt(now, error=(refused.code, refused.message)))
            raise
        self._record(schedule, self._attempt(now, result.execution.id))
        return result

    def _schedule(self, org: str, workflow_id: str, schedule_id: str) -> Schedule:
        found = (
            self.store.get_schedule(org, schedule_id)
            if sch.SCHEDULE_ID_PATTERN.fullmatch(schedule_id)
            else None
        )
        if found is None or found.workflow_id != workflow_id:
            raise not_found(schedule_id)
        return found

    def _execute(self, schedule: Schedule, key: str) -> ExecuteResult:
        record = self.workflows.get(schedule.org, schedule.workflow_id)
        api = record.api
        if api is not None and api.enabled and api.deployed_version != record.version:
            raise ServiceError(
                "conflict",
                "api_out_of_sync",
                f"The definition of workflow {record.id!r} changed since its API was "
                f"deployed: update it (PUT /v1/workflows/{record.id}/api) to run it again.",
                "workflow_id",
            )
        return self.admission.execute(
            schedule.org,
            schedule.workflow_id,
            ExecuteRequest(
                parameters=schedule.parameters,
                cache=schedule.cache,
                idempotency_key=key,
                trigger=schedule.trigger,
            ),
        )

    def _attempt(
        self,
        scheduled_at: dt.datetime,
        execution_id: str | None = None,
        error: tuple[str, str] | None = None,
    ) -> ScheduleAttempt:
        return ScheduleAttempt(
            at=self.clock(),
            scheduled_at=scheduled_at,
            execution_id=execution_id,
            error_code=error[0] if error else None,
            error_message=error[1] if error else None,
        )

    def _record(self, schedule: Schedule, attempt: ScheduleAttempt) -> FireOutcome:
        recorded = self.store.record_schedule_attempt(schedule.org, schedule.id, attempt)
        logs.log(
            logger,
            logging.INFO if attempt.error_code is None else logging.WARNING,
            "schedule fired",
            schedule_id=schedule.id,
            execution_id=attempt.execution_id,
            error=attempt.error_code,
        )
        return FireOutcome(recorded or schedule.with_attempt(attempt), attempt)


def _unauthenticated(message: str) -> ServiceError:
    return ServiceError("unauthenticated", "invalid_token", message, "Authorization")
