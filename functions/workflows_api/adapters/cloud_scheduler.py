"""SchedulerJobs on Cloud Scheduler (google-cloud-scheduler): one job per schedule.

Each job POSTs execute's fire route with an OIDC ID token of the invoker account for the
audience execute verifies, waits for execute's longest answer (attempt deadline) and is
retried by Cloud Scheduler when execute answers 5xx or not in time; a retried fire keeps
its scheduled time, hence its execution (service/schedule_fires.py).

Transient errors (429, 5xx, deadlines, a connection that failed) are retried here
within a deadline, then BackendUnavailable; what Cloud Scheduler refuses (400, 403, 409
that an update cannot settle) is SchedulerRefused. With `endpoint` (the local stand-in,
devstack/cloud_scheduler_standin.py) the client speaks REST to it with anonymous
credentials; otherwise to Google with the runtime's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

import requests
from google.api_core import exceptions
from google.api_core.retry import if_exception_type
from google.cloud import scheduler_v1
from google.protobuf import duration_pb2, field_mask_pb2

from workflows_api.adapters.retrying import attempt_timeout, call_with_retries
from workflows_api.domain.schedules import SchedulerJob
from workflows_api.service.errors import SchedulerRefused

T = TypeVar("T")

_TRANSIENT = (
    exceptions.TooManyRequests,
    exceptions.InternalServerError,
    exceptions.BadGateway,
    exceptions.ServiceUnavailable,
    exceptions.GatewayTimeout,
    exceptions.DeadlineExceeded,
    requests.ConnectionError,
    requests.Timeout,
)
DEADLINE_SECONDS = 20.0
ATTEMPT_SECONDS = 10.0
# Cloud Scheduler retries a fire execute did not take (5xx, no answer in time).
RETRY_COUNT = 3
MIN_BACKOFF_SECONDS = 10
MAX_BACKOFF_SECONDS = 300
_UPDATED_FIELDS = (
    "schedule",
    "time_zone",
    "description",
    "http_target",
    "attempt_deadline",
    "retry_config",
)


class CloudSchedulerJobs:
    def __init__(self, client: Callable[[], scheduler_v1.CloudSchedulerClient]) -> None:
        self._make_client = client

    @cached_property
    def _client(self) -> scheduler_v1.CloudSchedulerClient:
        """Made on first use: deleting a workflow without schedules calls no Cloud
        Scheduler API, and must not need its credentials."""
        return self._make_client()

    @classmethod
    def connect(cls, endpoint: str | None = None) -> CloudSchedulerJobs:
        if endpoint is None:
            return cls(scheduler_v1.CloudSchedulerClient)
        from google.auth.credentials import AnonymousCredentials

        return cls(
            lambda: scheduler_v1.CloudSchedulerClient(
                credentials=AnonymousCredentials(),
                transport="rest",
                client_options={"api_endpoint": endpoint},
            )
        )

    def create_job(self, job: SchedulerJob) -> None:
        parent = job.name.rsplit("/jobs/", 1)[0]
        try:
            self._call(lambda t: self._client.create_job(parent=parent, job=_job(job), timeout=t))
        except SchedulerRefused as refused:
            if not isinstance(refused.__cause__, exceptions.Conflict):  # AlreadyExists
                raise
            # An earlier attempt made it (its answer was lost): make it this one.
            self.update_job(job)
            return
        if job.paused:
            self._call(lambda t: self._client.pause_job(name=job.name, timeout=t))

    def update_job(self, job: SchedulerJob) -> None:
        mask = field_mask_pb2.FieldMask(paths=list(_UPDATED_FIELDS))
        updated = self._call(
            lambda t: self._client.update_job(job=_job(job), update_mask=mask, timeout=t)
        )
        paused = updated.state == scheduler_v1.Job.State.PAUSED
        if job.paused and not paused:
            self._call(lambda t: self._client.pause_job(name=job.name, timeout=t))
        elif paused and not job.paused:
            self._call(lambda t: self._client.resume_job(name=job.name, timeout=t))

    def delete_job(self, name: str) -> None:
        try:
            self._call(lambda t: self._client.delete_job(name=name, timeout=t))
        except SchedulerRefused as refused:
            if not isinstance(refused.__cause__, exceptions.NotFound):
                raise

    def job_exists(self, name: str) -> bool:
        try:
            self._call(lambda t: self._client.get_job(name=name, timeout=t))
        except SchedulerRefused as refused:
            if isinstance(refused.__cause__, exceptions.NotFound):
                return False
            raise
        return True

    def _call(self, operation: Callable[[float], T]) -> T:
        def attempt() -> T:
            try:
                return operation(attempt_timeout(ATTEMPT_SECONDS))
            except exceptions.GoogleAPICallError as error:
                if isinstance(error, _TRANSIENT):
                    raise
                raise SchedulerRefused(error.message or str(error)) from error

        return call_with_retries(
            "cloud scheduler",
            "a Cloud Scheduler request",
            attempt,
            is_transient=if_exception_type(*_TRANSIENT),
            first_delay=0.2,
            max_delay=2.0,
            deadline=DEADLINE_SECONDS,
        )


def _job(job: SchedulerJob) -> scheduler_v1.Job:
    target: dict[str, Any] = {
        "uri": job.uri,
        "http_method": scheduler_v1.HttpMethod.POST,
        "headers": {"Content-Type": "application/json"},
        "body": b"{}",
        "oidc_token": {"service_account_email": job.invoker, "audience": job.audience},
    }
    return scheduler_v1.Job(
        name=job.name,
        description=job.description,
        schedule=job.cron,
        time_zone=job.time_zone,
        http_target=scheduler_v1.HttpTarget(**target),
        attempt_deadline=duration_pb2.Duration(seconds=job.attempt_deadline_seconds),
        retry_config=scheduler_v1.RetryConfig(
            retry_count=RETRY_COUNT,
            min_backoff_duration=duration_pb2.Duration(seconds=MIN_BACKOFF_SECONDS),
            max_backoff_duration=duration_pb2.Duration(seconds=MAX_BACKOFF_SECONDS),
        ),
    )
