"""Realistic BigQuery audit-log entries and the CloudEvents Eventarc wraps them in.

Shapes as documented: the LogEntry of cloud.google.com/bigquery/docs/reference/auditlogs
(BigQueryAuditMetadata `jobChange` under `protoPayload.metadata`, resource type
`bigquery_project` with the job's location; the legacy AuditData `jobCompletedEvent`
under `protoPayload.serviceData`), and the CloudEvent attributes Eventarc sets for
`google.cloud.audit.log.v1.written` (googleapis/google-cloudevents,
proto/google/events/cloud/audit/v1): source `//cloudaudit.googleapis.com/projects/<p>/
logs/data_access`, subject `<serviceName>/<resourceName>`, and the `servicename`,
`methodname` and `resourcename` extensions.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

AUDIT_LOG_WRITTEN = "google.cloud.audit.log.v1.written"
LOG_ENTRY_SCHEMA = (
    "https://googleapis.github.io/google-cloudevents/jsonschema/google/events/cloud/audit/v1/"
    "LogEntryData.json"
)
CALL_SQL = "CALL `{project}.workflows_temp.wfproc_demo`(@number_of_clusters, @wfapi_output_table)"

CREATED = "2026-03-01T12:00:00.512Z"
STARTED = "2026-03-01T12:00:00.804Z"
ENDED = "2026-03-01T12:00:07.251973Z"

# google.rpc.Status values as BigQuery writes them for failed and cancelled jobs.
INVALID_QUERY: dict[str, Any] = {
    "code": 3,
    "message": "Query error: Unrecognized name: stor_type; Did you mean store_type? at [4:9]",
}
CANCELLED: dict[str, Any] = {
    "code": 1,
    "message": "Job execution was cancelled: User requested cancellation",
}


def job_change_entry(
    project: str,
    job_id: str,
    *,
    after: str,
    labels: dict[str, str] | None = None,
    error: dict[str, Any] | None = None,
    location: str = "US",
    parent_job: str | None = None,
    service: str = "bigquery.googleapis.com",
) -> dict[str, Any]:
    """The data_access entry BigQuery writes when job `job_id` moves to `after`."""
    before = {"PENDING": "JOB_STATE_UNSPECIFIED", "RUNNING": "PENDING", "DONE": "RUNNING"}[after]
    stats: dict[str, Any] = {"createTime": CREATED}
    if after != "PENDING":
        stats["startTime"] = STARTED
    if after == "DONE":
        stats.update(
            endTime=ENDED,
            totalSlotMs="5312",
            reservation="unreserved",
            queryStats={"totalProcessedBytes": "188416", "totalBilledBytes": "10485760"},
        )
    if parent_job is not None:
        stats["parentJobName"] = parent_job
    status: dict[str, Any] = {"jobState": after}
    if error is not None:
        status.update(errorResult=error, errors=[error])
    job_name = f"projects/{project}/jobs/{job_id}"
    config: dict[str, Any] = {
        "type": "QUERY",
        "queryConfig": {
            "query": CALL_SQL.format(project=project),
            "statementType": "SCRIPT",
            "priority": "QUERY_INTERACTIVE",
        },
    }
    if labels:
        config["labels"] = dict(labels)
    return {
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "status": error or {},
            "authenticationInfo": {
                "principalEmail": f"workflows-api@{project}.iam.gserviceaccount.com"
            },
            "requestMetadata": {
                "callerIp": "10.128.0.7",
                "callerSuppliedUserAgent": "gl-python/3.12.3 gccl/3.27.0,gzip(gfe)",
            },
            "serviceName": service,
            "methodName": "google.cloud.bigquery.v2.JobService.InsertJob",
            "authorizationInfo": [
                {
                    "resource": f"projects/{project}",
                    "permission": "bigquery.jobs.create",
                    "granted": True,
                    "resourceAttributes": {},
                }
            ],
            "resourceName": job_name,
            "metadata": {
                "@type": "type.googleapis.com/google.cloud.audit.BigQueryAuditMetadata",
                "jobChange": {
                    "before": before,
                    "after": after,
                    "job": {
                        "jobName": job_name,
                        "jobConfig": config,
                        "jobStatus": status,
                        "jobStats": stats,
                    },
                },
            },
        },
        "insertId": uuid.uuid4().hex[:12],
        "resource": {
            "type": "bigquery_project",
            "labels": {"project_id": project, "location": location},
        },
        "timestamp": ENDED if after == "DONE" else STARTED,
        "severity": "ERROR" if error else "INFO",
        "logName": f"projects/{project}/logs/cloudaudit.googleapis.com%2Fdata_access",
        "operation": {
            "id": f"1740830400512-{project}:{job_id}",
            "producer": "bigquery.googleapis.com",
            "last": after == "DONE",
        },
        "receiveTimestamp": "2026-03-01T12:00:07.806455126Z",
    }


def legacy_job_completed_entry(
    project: str,
    job_id: str,
    *,
    labels: dict[str, str] | None = None,
    error: dict[str, Any] | None = None,
    location: str = "US",
) -> dict[str, Any]:
    """The older AuditData entry (`jobservice.jobcompleted`) for a finished job."""
    configuration: dict[str, Any] = {
        "query": {
            "query": CALL_SQL.format(project=project),
            "statementType": "SCRIPT",
            "queryPriority": "QUERY_INTERACTIVE",
            "createDisposition": "CREATE_IF_NEEDED",
            "writeDisposition": "WRITE_EMPTY",
            "defaultDataset": {},
        }
    }
    if labels:
        configuration["labels"] = dict(labels)
    return {
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "status": error or {},
            "authenticationInfo": {
                "principalEmail": f"workflows-api@{project}.iam.gserviceaccount.com"
            },
            "requestMetadata": {"callerIp": "10.128.0.7"},
            "serviceName": "bigquery.googleapis.com",
            "methodName": "jobservice.jobcompleted",
            "resourceName": f"projects/{project}/jobs/{job_id}",
            "serviceData": {
                "@type": "type.googleapis.com/google.cloud.bigquery.logging.v1.AuditData",
                "jobCompletedEvent": {
                    "eventName": "query_job_completed",
                    "job": {
                        "jobName": {"projectId": project, "jobId": job_id, "location": location},
                        "jobConfiguration": configuration,
                        "jobStatus": {"state": "DONE", "error": error or {}},
                        "jobStatistics": {
                            "createTime": CREATED,
                            "startTime": STARTED,
                            "endTime": ENDED,
                            "totalProcessedBytes": "188416",
                            "totalBilledBytes": "10485760",
                            "billingTier": 1,
                            "totalSlotMs": "5312",
                        },
                    },
                },
            },
        },
        "insertId": uuid.uuid4().hex[:12],
        "resource": {"type": "bigquery_resource", "labels": {"project_id": project}},
        "timestamp": ENDED,
        "severity": "ERROR" if error else "INFO",
        "logName": f"projects/{project}/logs/cloudaudit.googleapis.com%2Fdata_access",
        "receiveTimestamp": "2026-03-01T12:00:07.806455126Z",
    }


def cloud_event_attributes(entry: dict[str, Any]) -> dict[str, str]:
    """The CloudEvent attributes Eventarc sets for an audit-log entry."""
    payload = entry["protoPayload"]
    log_name = entry["logName"]
    project = log_name.split("/")[1]
    stream = log_name.rsplit("%2F", 1)[1]
    return {
        "specversion": "1.0",
        "id": f"{log_name}-{entry['insertId']}{uuid.uuid4().int % 10**16:016d}",
        "source": f"//cloudaudit.googleapis.com/projects/{project}/logs/{stream}",
        "type": AUDIT_LOG_WRITTEN,
        "subject": f"{payload['serviceName']}/{payload['resourceName']}",
        "time": entry["timestamp"],
        "dataschema": LOG_ENTRY_SCHEMA,
        "servicename": payload["serviceName"],
        "methodname": payload["methodName"],
        "resourcename": payload["resourceName"],
        "recordedtime": entry["timestamp"],
    }


def binary_request(entry: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    """Headers and body of the HTTP request delivering `entry` in binary content mode."""
    headers = {f"ce-{name}": value for name, value in cloud_event_attributes(entry).items()}
    headers["Content-Type"] = "application/json; charset=utf-8"
    return headers, json.dumps(entry).encode("utf-8")


def structured_request(entry: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    """The same in structured content mode (`application/cloudevents+json`)."""
    event: dict[str, Any] = {
        **cloud_event_attributes(entry),
        "datacontenttype": "application/json; charset=utf-8",
        "data": entry,
    }
    headers = {"Content-Type": "application/cloudevents+json; charset=utf-8"}
    return headers, json.dumps(event).encode("utf-8")
