"""A BigQuery job's state change, read from a Cloud Audit Logs CloudEvent (Eventarc).

Eventarc delivers an audit-log entry as a CloudEvent of type
`google.cloud.audit.log.v1.written` with source
`//cloudaudit.googleapis.com/projects/<p>/logs/<data_access|activity>` and, as
`data`, the LogEntry in JSON. Two BigQuery formats carry a job's state:

- BigQueryAuditMetadata (current; `protoPayload.methodName`
  `google.cloud.bigquery.v2.JobService.InsertJob`): `protoPayload.metadata.jobChange`
  is `{before, after, job}` and `job` is `{jobName: "projects/<p>/jobs/<id>",
  jobConfig: {labels}, jobStatus: {jobState, errorResult, errors}, jobStats:
  {createTime, startTime, endTime, parentJobName}}`; the job's location is in
  `resource.labels.location` (resource type `bigquery_project`). `jobInsertion`
  carries the same `job`.
- AuditData (legacy; `jobservice.jobcompleted`):
  `protoPayload.serviceData.jobCompletedEvent.job` is `{jobName: {projectId, jobId,
  location}, jobConfiguration: {labels}, jobStatus: {state, error}, jobStatistics:
  {createTime, startTime, endTime}}`.

In both, the job's error is a google.rpc.Status (`code`, `message`), not BigQuery's
errorResult (`reason`, `location`, `message`): `job_error` maps the code to the
BigQuery reason an execution carries when the job itself cannot be read (see
RPC_CODE_REASONS). References: cloud.google.com/bigquery/docs/reference/auditlogs
(and its rest/Shared.Types/BigQueryAuditMetadata and AuditData pages), and
github.com/googleapis/google-cloudevents (proto/google/events/cloud/audit/v1).

Parsing only: whether the job is one of ours is the service's question.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any, cast

from workflows_api.domain.execution.job_events import BigQueryJobEvent
from workflows_api.domain.execution.states import (
    CANCELLED_REASON,
    JobError,
    JobState,
    JobStatistics,
    JobStatus,
)

AUDIT_LOG_WRITTEN = "google.cloud.audit.log.v1.written"
AUDIT_LOG_SOURCE_PREFIX = "//cloudaudit.googleapis.com/"
BIGQUERY_SERVICE = "bigquery.googleapis.com"
# The methods whose entries carry a job's state (not checked: the payload says it).
INSERT_JOB_METHOD = "google.cloud.bigquery.v2.JobService.InsertJob"
LEGACY_JOB_COMPLETED_METHOD = "jobservice.jobcompleted"

# google.rpc.Code -> the errorResult reason BigQuery's REST API gives for that kind of
# failure (cloud.google.com/bigquery/docs/error-messages). Used only when the job
# cannot be read for its exact errorResult. RESOURCE_EXHAUSTED also covers
# rateLimitExceeded and resourcesExceeded, which the code does not tell apart; the
# message does. Codes not listed map to FALLBACK_REASON.
RPC_CODE_REASONS: dict[int, str] = {
    1: CANCELLED_REASON,  # CANCELLED: BigQuery's reason for a job stopped by jobs.cancel
    2: "internalError",  # UNKNOWN
    3: "invalidQuery",  # INVALID_ARGUMENT: for query jobs, a query BigQuery refused
    4: "timeout",  # DEADLINE_EXCEEDED
    5: "notFound",  # NOT_FOUND
    6: "duplicate",  # ALREADY_EXISTS
    7: "accessDenied",  # PERMISSION_DENIED
    8: "quotaExceeded",  # RESOURCE_EXHAUSTED
    9: "invalid",  # FAILED_PRECONDITION
    10: "backendError",  # ABORTED: gRPC says retry at a higher level
    11: "invalid",  # OUT_OF_RANGE
    12: "notImplemented",  # UNIMPLEMENTED
    13: "internalError",  # INTERNAL
    14: "backendError",  # UNAVAILABLE
    15: "internalError",  # DATA_LOSS
    16: "accessDenied",  # UNAUTHENTICATED
}
FALLBACK_REASON = "internalError"

_JOB_NAME = re.compile(r"projects/(?P<project>[^/]+)/jobs/(?P<job>[^/]+)")
_JOB_STATES = frozenset({"PENDING", "RUNNING", "DONE"})


class NotAJobEvent(ValueError):
    """The event is not a BigQuery job state report: acknowledge it, do nothing."""


def parse_job_event(event_type: str | None, source: str | None, data: Any) -> BigQueryJobEvent:
    """The BigQuery job state an audit-log CloudEvent reports; NotAJobEvent otherwise.

    `event_type` and `source` are the CloudEvent's attributes (None: not checked);
    `data` is its payload, the LogEntry (a dict, or JSON text).
    """
    if event_type is not None and event_type != AUDIT_LOG_WRITTEN:
        raise NotAJobEvent(f"not an audit-log event: type {event_type!r}")
    if source is not None and not source.startswith(AUDIT_LOG_SOURCE_PREFIX):
        raise NotAJobEvent(f"not an audit-log event: source {source!r}")
    entry = _json_object(data)
    payload = _object(entry.get("protoPayload"))
    service = payload.get("serviceName")
    if service != BIGQUERY_SERVICE:
        raise NotAJobEvent(f"not a BigQuery entry: serviceName {service!r}")
    metadata = _object(payload.get("metadata"))
    for kind in ("jobChange", "jobInsertion"):
        if kind in metadata:
            return _from_metadata(entry, payload, metadata, kind)
    completed = _object(_object(payload.get("serviceData")).get("jobCompletedEvent"))
    if completed:
        return _from_legacy(payload, completed)
    raise NotAJobEvent(f"no job state in BigQuery entry {payload.get('methodName')!r}")


def job_error(status: Mapping[str, Any]) -> tuple[JobError | None, int | None]:
    """A google.rpc.Status as BigQuery's errorResult (reason from RPC_CODE_REASONS),
    and its code; (None, None) for an empty status (the job did not fail)."""
    code = _int(status.get("code"))
    message = status.get("message")
    message = message if isinstance(message, str) else ""
    if not code and not message:
        return None, None
    reason = RPC_CODE_REASONS.get(code or 0, FALLBACK_REASON)
    return JobError(reason, message or f"BigQuery job failed ({reason})."), code


# --- the two formats -------------------------------------------------------------


def _from_metadata(
    entry: Mapping[str, Any], payload: Mapping[str, Any], metadata: Mapping[str, Any], kind: str
) -> BigQueryJobEvent:
    change = _object(metadata.get(kind))
    job = _object(change.get("job"))
    status = _object(job.get("jobStatus"))
    stats = _object(job.get("jobStats"))
    project, job_id = _job_name(job.get("jobName") or payload.get("resourceName"))
    state = _state(change.get("after") or status.get("jobState"))
    # A failed job's entry repeats the error as the entry's own status.
    error_status = _object(status.get("errorResult")) or _object(payload.get("status"))
    location = _object(_object(entry.get("resource")).get("labels")).get("location")
    return _event(
        project,
        job_id,
        state,
        error_status,
        stats,
        labels=_object(job.get("jobConfig")).get("labels"),
        location=location,
        parent_job=stats.get("parentJobName"),
    )


def _from_legacy(payload: Mapping[str, Any], completed: Mapping[str, Any]) -> BigQueryJobEvent:
    job = _object(completed.get("job"))
    name = _object(job.get("jobName"))
    project, job_id = name.get("projectId"), name.get("jobId")
    if not isinstance(project, str) or not isinstance(job_id, str) or not project or not job_id:
        project, job_id = _job_name(payload.get("resourceName"))
    status = _object(job.get("jobStatus"))
    return _event(
        project,
        job_id,
        _state(status.get("state") or "DONE"),
        _object(status.get("error")) or _object(payload.get("status")),
        _object(job.get("jobStatistics")),
        labels=_object(job.get("jobConfiguration")).get("labels"),
        location=name.get("location"),
        parent_job=None,
    )


def _event(
    project: str,
    job_id: str,
    state: JobState,
    error_status: Mapping[str, Any],
    stats: Mapping[str, Any],
    *,
    labels: Any,
    location: Any,
    parent_job: Any,
) -> BigQueryJobEvent:
    error, code = job_error(error_status) if state == "DONE" else (None, None)
    return BigQueryJobEvent(
        project=project,
        job_id=job_id,
        status=JobStatus(
            job_id=job_id,
            state=state,
            error=error,
            started_at=_timestamp(stats.get("startTime")),
            ended_at=_timestamp(stats.get("endTime")) if state == "DONE" else None,
            statistics=_statistics(stats) if state == "DONE" else None,
        ),
        labels={
            str(key): value for key, value in _object(labels).items() if isinstance(value, str)
        },
        location=location if isinstance(location, str) and location else None,
        parent_job=parent_job if isinstance(parent_job, str) and parent_job else None,
        rpc_code=code,
    )


# --- small readers ---------------------------------------------------------------


def _json_object(data: Any) -> Mapping[str, Any]:
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except ValueError:
            raise NotAJobEvent("the event data is not JSON") from None
    if not isinstance(data, Mapping):
        raise NotAJobEvent("the event data is not a log entry")
    return data


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _job_name(value: Any) -> tuple[str, str]:
    match = _JOB_NAME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise NotAJobEvent(f"no job name in the entry: {value!r}")
    return match["project"], match["job"]


def _state(value: Any) -> JobState:
    if value not in _JOB_STATES:
        raise NotAJobEvent(f"no job state in the entry: {value!r}")
    return cast(JobState, value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = value.strip() if isinstance(value, str) else ""
    # ASCII digits alone ('²' passes str.isdigit, not int()), and no more than an INT64's.
    if text.isascii() and text.isdigit() and len(text) <= 19:
        return int(text)
    return None


def _statistics(stats: Mapping[str, Any]) -> JobStatistics:
    """The cost an entry reports: bytes under queryStats (v2 metadata) or at the top of
    jobStatistics (legacy); the audit log has no child-job count."""
    query = _object(stats.get("queryStats")) or stats
    return JobStatistics(
        bytes_processed=_count(query.get("totalProcessedBytes")),
        bytes_billed=_count(query.get("totalBilledBytes")),
        slot_ms=_count(stats.get("totalSlotMs")),
    )


def _count(value: Any) -> int | None:
    """An int64 as the log writes it (a decimal string); None if absent or bad."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _timestamp(value: Any) -> dt.datetime | None:
    """An RFC 3339 time (`Z`, up to 9 fractional digits) in UTC; None if absent or bad."""
    if not isinstance(value, str) or not value:
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.strip())
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)
