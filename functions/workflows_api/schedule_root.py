"""The schedules' part of the composition root (bootstrap.App.schedules): their two use
cases on the App's store, admission and clock, Cloud Scheduler's client built on first use
(the local stand-in's endpoint when `WFAPI_SCHEDULER_ENDPOINT` is set) unless a test gives
its own, and the ID-token verifier that checks the invoker's fires."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

from workflows_api.config import Settings

if TYPE_CHECKING:
    from workflows_api.service.admission import ExecutionAdmission
    from workflows_api.service.ports import IdTokenVerifier, Store
    from workflows_api.service.queries import ExecutionQueries
    from workflows_api.service.schedule_fires import ScheduleFires
    from workflows_api.service.schedule_ports import SchedulerJobs
    from workflows_api.service.schedules import Schedules
    from workflows_api.service.workflows import WorkflowService


class Host(Protocol):
    """What the schedules take of the App."""

    settings: Settings
    clock: Callable[[], dt.datetime]

    @property
    def store(self) -> Store: ...
    @property
    def workflows(self) -> WorkflowService: ...
    @property
    def admission(self) -> ExecutionAdmission: ...
    @property
    def queries(self) -> ExecutionQueries: ...


class ScheduleServices:
    def __init__(
        self, host: Host, *, jobs: SchedulerJobs | None, verifier: IdTokenVerifier | None
    ) -> None:
        self._host = host
        self._jobs = jobs
        self._verifier = verifier

    @cached_property
    def jobs(self) -> SchedulerJobs:
        if self._jobs is not None:
            return self._jobs
        from workflows_api.adapters.cloud_scheduler import CloudSchedulerJobs

        return CloudSchedulerJobs.connect(self._host.settings.scheduler_endpoint)

    @cached_property
    def service(self) -> Schedules:
        from workflows_api.service.schedules import Schedules, ScheduleSettings

        settings = self._host.settings
        return Schedules(
            workflows=self._host.workflows,
            store=self._host.store,
            executions=self._host.queries,
            jobs=self.jobs,
            settings=ScheduleSettings(
                project=settings.project,
                location=settings.scheduler_location,
                target_url=settings.schedule_target_url,
                invoker=settings.schedule_invoker,
                # What execute verifies; Cloud Scheduler's own default is the URI called.
                audience=settings.oidc_audience or settings.schedule_target_url,
                job_prefix=settings.schedule_job_prefix,
                attempt_deadline_seconds=settings.schedule_attempt_deadline_seconds,
            ),
            clock=self._host.clock,
        )

    @cached_property
    def fires(self) -> ScheduleFires:
        from workflows_api.service.schedule_fires import ScheduleFires

        settings = self._host.settings
        verifier = self._verifier
        if verifier is None and settings.oidc_audience:
            from workflows_api.adapters.google_oidc import GoogleIdTokenVerifier

            verifier = GoogleIdTokenVerifier(settings.oidc_audience, settings.oidc_certs_url)
        return ScheduleFires(
            store=self._host.store,
            workflows=self._host.workflows,
            admission=self._host.admission,
            verifier=verifier,
            invoker=settings.schedule_invoker,
            clock=self._host.clock,
        )
