"""Cloud Logging's stand-in on the local stack: BigQuery's job-completion log entries.

Deployed, BigQuery writes an audit-log entry (BigQueryAuditMetadata, `jobChange`) each
time a job changes state; a log sink (infra/modules/workflows_api/events.tf,
`completion_log_filter`) copies the entries of jobs that end (`after` DONE) and carry
the `wfapi_execution` label to the `<name_prefix>-bigquery-jobs` topic, whose push
subscription calls `bigquery_job_completed` (functions/main.py, parsed by
functions/workflows_api/events/job_events.py and events/bigquery_audit.py).

The emulators have no Cloud Logging, so the BigQuery shim process does the same: when
a query job it runs ends (DONE: succeeded, failed or cancelled; devstack/bq_async.py
calls `job_ended`), this module builds the entry BigQuery would write, applies the
sink's filter and publishes the entry, as the sink would, to the same topic on the
Pub/Sub emulator; `devstack/run.py` (and the e2e stack) push that topic to the function
(devstack/pushed_function.start_completion_function). Production code does not know
this module exists.

Only the top-level job is published: a script's child jobs carry no labels, so the
deployed sink's filter drops their entries too. Load, copy and extract jobs and dry
runs (bqemulator's synchronous path) are not published; the service runs none of them
as executions.

Publishing never blocks or breaks the job runner: `job_ended` only puts the entry on a
bounded queue (dropped, with a warning, when full); one daemon thread publishes with a
timeout and logs and drops what fails, as a lost event would be deployed (the sweep and
status reads still end the execution). The shim process publishes only when
WFAPI_LOCAL_COMPLETION_TOPIC names a topic (`shim_environment`); `make run` leaves it
unset when WFAPI_LOCAL_DROP_COMPLETION_EVENTS is true, so the sweep backstop can be tried.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from devstack.prerequisites import StackError

# `<name_prefix>-bigquery-jobs`, with the deployment's default prefix (infra variables).
COMPLETION_TOPIC = "wfapi-bigquery-jobs"
# Given to the BigQuery shim process only: the full topic name to publish to.
TOPIC_VARIABLE = "WFAPI_LOCAL_COMPLETION_TOPIC"
# Read by devstack only (make run): true publishes nothing.
DROP_VARIABLE = "WFAPI_LOCAL_DROP_COMPLETION_EVENTS"
PUBLISH_TIMEOUT_SECONDS = 5.0
QUEUE_SIZE = 1000
# BigQuery's location on the local stack (bqemulator names every job `<project>:US.<id>`).
LOCATION = "US"

# What the deployed sink lets through (events.tf, completion_log_filter).
SINK_SERVICE = "bigquery.googleapis.com"
SINK_METHOD = "google.cloud.bigquery.v2.JobService.InsertJob"
SINK_LABEL = "wfapi_execution"

# BigQuery's errorResult reason -> the google.rpc.Code its audit log writes in
# jobStatus.errorResult (cloud.google.com/bigquery/docs/error-messages gives each
# reason's HTTP status; this is that status as an RPC code). Unlisted: INVALID_ARGUMENT,
# the code of a query BigQuery refuses, which is what the local engine's failures are.
REASON_RPC_CODES: dict[str, int] = {
    "stopped": 1,  # CANCELLED: the job was cancelled (jobs.cancel)
    "invalidQuery": 3,  # INVALID_ARGUMENT
    "invalid": 3,
    "bytesBilledLimitExceeded": 3,
    "timeout": 4,  # DEADLINE_EXCEEDED
    "notFound": 5,  # NOT_FOUND
    "duplicate": 6,  # ALREADY_EXISTS
    "accessDenied": 7,  # PERMISSION_DENIED
    "quotaExceeded": 8,  # RESOURCE_EXHAUSTED
    "rateLimitExceeded": 8,
    "resourcesExceeded": 8,
    "notImplemented": 12,  # UNIMPLEMENTED
    "internalError": 13,  # INTERNAL
    "backendError": 14,  # UNAVAILABLE
}
DEFAULT_RPC_CODE = 3

logger = logging.getLogger(__name__)


# --- settings ---------------------------------------------------------------------


def drop_completion_events(env: Mapping[str, str]) -> bool:
    """WFAPI_LOCAL_DROP_COMPLETION_EVENTS as a boolean; a typo is an error, not "off"."""
    raw = env.get(DROP_VARIABLE, "")
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes"):
        return True
    if lowered in ("", "0", "false", "no"):
        return False
    raise StackError(f"{DROP_VARIABLE} must be true or false, got {raw[:40]!r}.")


def topic_name(project: str) -> str:
    return f"projects/{project}/topics/{COMPLETION_TOPIC}"


def shim_environment(pubsub_host: str, project: str, *, publish: bool) -> dict[str, str]:
    """The variables the BigQuery shim process needs to publish (or not) its entries."""
    return {
        "PUBSUB_EMULATOR_HOST": pubsub_host,
        TOPIC_VARIABLE: topic_name(project) if publish else "",
    }


# --- the entry BigQuery writes ----------------------------------------------------


def rfc3339(moment: dt.datetime) -> str:
    """A time as the audit log writes it: UTC, microseconds, `Z`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rpc_status(error_result: Mapping[str, Any] | None) -> dict[str, Any]:
    """BigQuery's errorResult as the google.rpc.Status the audit log carries ({} if none)."""
    if not error_result:
        return {}
    reason = str(error_result.get("reason") or "")
    message = str(error_result.get("message") or "")
    return {"code": REASON_RPC_CODES.get(reason, DEFAULT_RPC_CODE), "message": message}


def job_done_entry(
    *,
    project: str,
    job_id: str,
    configuration: Mapping[str, Any],
    error_result: Mapping[str, Any] | None,
    statistics: Mapping[str, Any],
    created: dt.datetime,
    started: dt.datetime | None,
    ended: dt.datetime,
    location: str = LOCATION,
    principal: str | None = None,
) -> dict[str, Any]:
    """The data_access LogEntry BigQuery writes when query job `job_id` ends (DONE).

    `configuration`, `error_result` and `statistics` are the job's as jobs.get gives
    them (REST); the entry carries them in the audit log's own shapes: labels under
    jobConfig, the error as a google.rpc.Status, bytes under jobStats.queryStats.
    """
    status = rpc_status(error_result)
    job_status: dict[str, Any] = {"jobState": "DONE"}
    if status:
        job_status.update(errorResult=status, errors=[status])
    query = configuration.get("query")
    query = query if isinstance(query, Mapping) else {}
    job_config: dict[str, Any] = {
        "type": "QUERY",
        "queryConfig": {
            "query": str(query.get("query", "")),
            "priority": "QUERY_INTERACTIVE",
        },
    }
    labels = configuration.get("labels")
    if isinstance(labels, Mapping) and labels:
        job_config["labels"] = {str(key): str(value) for key, value in labels.items()}
    query_stats = statistics.get("query")
    query_stats = query_stats if isinstance(query_stats, Mapping) else {}
    job_stats: dict[str, Any] = {
        "createTime": rfc3339(created),
        "startTime": rfc3339(started or ended),
        "endTime": rfc3339(ended),
        "totalSlotMs": str(statistics.get("totalSlotMs", "0")),
        "queryStats": {
            "totalProcessedBytes": str(query_stats.get("totalBytesProcessed", "0")),
            "totalBilledBytes": str(query_stats.get("totalBytesBilled", "0")),
        },
    }
    job_name = f"projects/{project}/jobs/{job_id}"
    now = rfc3339(dt.datetime.now(dt.UTC))
    return {
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "status": status,
            "authenticationInfo": {"principalEmail": principal or f"local@{project}"},
            "serviceName": SINK_SERVICE,
            "methodName": SINK_METHOD,
            "resourceName": job_name,
            "metadata": {
                "@type": "type.googleapis.com/google.cloud.audit.BigQueryAuditMetadata",
                "jobChange": {
                    "before": "RUNNING" if started is not None else "PENDING",
                    "after": "DONE",
                    "job": {
                        "jobName": job_name,
                        "jobConfig": job_config,
                        "jobStatus": job_status,
                        "jobStats": job_stats,
                    },
                },
            },
        },
        "insertId": uuid.uuid4().hex[:12],
        "resource": {
            "type": "bigquery_project",
            "labels": {"project_id": project, "location": location},
        },
        "timestamp": rfc3339(ended),
        "severity": "ERROR" if status else "INFO",
        "logName": f"projects/{project}/logs/cloudaudit.googleapis.com%2Fdata_access",
        "operation": {"id": f"{project}:{job_id}", "producer": SINK_SERVICE, "last": True},
        "receiveTimestamp": now,
    }


def entry_for_job(meta: Any) -> dict[str, Any]:
    """`job_done_entry` of a finished bqemulator JobMeta."""
    return job_done_entry(
        project=meta.project_id,
        job_id=meta.job_id,
        configuration=meta.configuration or {},
        error_result=meta.error_result,
        statistics=meta.statistics or {},
        created=meta.creation_time,
        started=meta.start_time,
        ended=meta.end_time or dt.datetime.now(dt.UTC),
        principal=meta.user_email,
    )


def passes_sink_filter(entry: Mapping[str, Any]) -> bool:
    """The deployed sink's filter: a BigQuery InsertJob entry of a job changing to DONE
    that carries the `wfapi_execution` label (events.tf, completion_log_filter)."""
    payload = entry.get("protoPayload", {})
    change = payload.get("metadata", {}).get("jobChange", {})
    labels = change.get("job", {}).get("jobConfig", {}).get("labels", {})
    return bool(
        payload.get("serviceName") == SINK_SERVICE
        and payload.get("methodName") == SINK_METHOD
        and change.get("after") == "DONE"
        and SINK_LABEL in labels
    )


def message_attributes(entry: Mapping[str, Any]) -> dict[str, str]:
    """The attribute Cloud Logging sets on each message a sink publishes."""
    return {"logging.googleapis.com/timestamp": str(entry["timestamp"])}


# --- publishing, off the job runner's path ----------------------------------------

Send = Callable[[dict[str, Any]], None]


class Publisher:
    """Publishes entries from a bounded queue on one daemon thread. `offer` never
    blocks and never raises; a full queue or a failed publish drops the entry, with a
    warning."""

    def __init__(self, send: Send, queue_size: int = QUEUE_SIZE) -> None:
        self._send = send
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.published = 0
        self.dropped = 0

    def offer(self, entry: dict[str, Any]) -> bool:
        """Queue `entry` for publishing; False (dropped) when the queue is full."""
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            self.dropped += 1
            logger.warning("completion event dropped: the publish queue is full")
            return False
        self._start()
        return True

    def join(self) -> None:
        """Wait until every queued entry was published or dropped (tests)."""
        self._queue.join()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="completion-events", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            entry = self._queue.get()
            try:
                self._send(entry)
                self.published += 1
            except Exception as error:  # a lost event, as deployed
                self.dropped += 1
                logger.warning(
                    "completion event for %s dropped: %s",
                    entry.get("protoPayload", {}).get("resourceName"),
                    f"{type(error).__name__}: {error}"[:300],
                )
            finally:
                self._queue.task_done()


def pubsub_sender(pubsub_host: str, topic: str) -> Send:
    """Publish one entry, as the sink does, to `topic` on the emulator (with a timeout)."""
    from devstack import pubsub

    def send(entry: dict[str, Any]) -> None:
        pubsub.publish(
            pubsub_host,
            topic,
            entry,
            attributes=message_attributes(entry),
            timeout=PUBLISH_TIMEOUT_SECONDS,
        )

    return send


_publisher: Publisher | None = None


def install(env: Mapping[str, str]) -> str | None:
    """In the BigQuery shim process: publish from now on if `env` names a topic (and
    the Pub/Sub emulator); returns the topic, None when publishing is off."""
    global _publisher
    topic = env.get(TOPIC_VARIABLE, "").strip()
    host = env.get("PUBSUB_EMULATOR_HOST", "").strip()
    _publisher = Publisher(pubsub_sender(host, topic)) if topic and host else None
    return topic if _publisher is not None else None


def job_ended(meta: Any) -> None:
    """Called by the job runner when a query job ends: publish its entry if the sink
    would. Never raises (a bad entry is logged and dropped)."""
    publisher = _publisher
    if publisher is None:
        return
    try:
        entry = entry_for_job(meta)
        if passes_sink_filter(entry):
            publisher.offer(entry)
    except Exception:  # the job runner must go on
        logger.exception("completion event for job %s not built", getattr(meta, "job_id", "?"))
