"""Parsing BigQuery audit-log CloudEvents into a job's state (events/bigquery_audit.py)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from tests.support.bigquery_audit_events import (
    AUDIT_LOG_WRITTEN,
    CANCELLED,
    INVALID_QUERY,
    job_change_entry,
    legacy_job_completed_entry,
)
from workflows_api.domain.execution.states import JobError, JobStatistics
from workflows_api.events.bigquery_audit import (
    FALLBACK_REASON,
    NotAJobEvent,
    job_error,
    parse_job_event,
)

SOURCE = "//cloudaudit.googleapis.com/projects/acme-analytics/logs/data_access"
LABELS = {"wfapi_org": "acme", "wfapi_workflow": "store_clusters", "wfapi_execution": "e" * 32}
JOB = "wfapi_exec_" + "e" * 32

# Written out by hand after the documented LogEntry / BigQueryAuditMetadata shape, not
# built by the helpers the other tests use: the last jobChange of a failed CALL job.
FAILED_JOB_ENTRY: dict[str, Any] = {
    "protoPayload": {
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "status": {
            "code": 3,
            "message": "Query error: Table acme-analytics:retail.stores was not found in "
            "location EU at [3:5]",
        },
        "authenticationInfo": {
            "principalEmail": "workflows-api@acme-analytics.iam.gserviceaccount.com"
        },
        "requestMetadata": {"callerIp": "10.128.0.7", "callerSuppliedUserAgent": "gl-python/3.12"},
        "serviceName": "bigquery.googleapis.com",
        "methodName": "google.cloud.bigquery.v2.JobService.InsertJob",
        "resourceName": f"projects/acme-analytics/jobs/{JOB}",
        "metadata": {
            "@type": "type.googleapis.com/google.cloud.audit.BigQueryAuditMetadata",
            "jobChange": {
                "before": "RUNNING",
                "after": "DONE",
                "job": {
                    "jobName": f"projects/acme-analytics/jobs/{JOB}",
                    "jobConfig": {
                        "type": "QUERY",
                        "queryConfig": {
                            "query": "CALL `acme-analytics.workflows_temp.wfproc_store_clusters`"
                            "(@number_of_clusters, @wfapi_output_table)",
                            "statementType": "SCRIPT",
                            "priority": "QUERY_INTERACTIVE",
                        },
                        "labels": LABELS,
                    },
                    "jobStatus": {
                        "jobState": "DONE",
                        "errorResult": {
                            "code": 3,
                            "message": "Query error: Table acme-analytics:retail.stores was "
                            "not found in location EU at [3:5]",
                        },
                        "errors": [
                            {
                                "code": 3,
                                "message": "Query error: Table acme-analytics:retail.stores was "
                                "not found in location EU at [3:5]",
                            }
                        ],
                    },
                    "jobStats": {
                        "createTime": "2026-02-11T08:15:02.318Z",
                        "startTime": "2026-02-11T08:15:02.467Z",
                        "endTime": "2026-02-11T08:15:03.129Z",
                        "totalSlotMs": "41",
                        "reservation": "unreserved",
                    },
                },
            },
        },
    },
    "insertId": "-x3w9kre1b2c4",
    "resource": {
        "type": "bigquery_project",
        "labels": {"project_id": "acme-analytics", "location": "EU"},
    },
    "timestamp": "2026-02-11T08:15:03.151284Z",
    "severity": "ERROR",
    "logName": "projects/acme-analytics/logs/cloudaudit.googleapis.com%2Fdata_access",
    "operation": {
        "id": f"1770797702318-acme-analytics:{JOB}",
        "producer": "bigquery.googleapis.com",
        "last": True,
    },
    "receiveTimestamp": "2026-02-11T08:15:03.736590361Z",
}


def parse(entry: Any) -> Any:
    return parse_job_event(AUDIT_LOG_WRITTEN, SOURCE, entry)


def test_a_failed_job_change_gives_its_job_labels_times_and_mapped_error() -> None:
    event = parse(FAILED_JOB_ENTRY)
    assert (event.project, event.job_id, event.location) == ("acme-analytics", JOB, "EU")
    assert event.labels == LABELS
    assert event.parent_job is None
    assert event.rpc_code == 3
    assert event.status.job_id == JOB
    assert event.status.state == "DONE"
    assert event.status.error == JobError(
        "invalidQuery",
        "Query error: Table acme-analytics:retail.stores was not found in location EU at [3:5]",
    )
    assert event.status.started_at == dt.datetime(2026, 2, 11, 8, 15, 2, 467000, tzinfo=dt.UTC)
    assert event.status.ended_at == dt.datetime(2026, 2, 11, 8, 15, 3, 129000, tzinfo=dt.UTC)


def test_a_successful_job_is_done_without_error() -> None:
    event = parse(job_change_entry("acme-analytics", JOB, after="DONE", labels=LABELS))
    assert event.status.state == "DONE"
    assert event.status.error is None
    assert event.rpc_code is None
    assert event.location == "US"
    assert event.status.ended_at == dt.datetime(2026, 3, 1, 12, 0, 7, 251973, tzinfo=dt.UTC)
    # What the run cost; the audit log has no child-job count.
    assert event.status.statistics == JobStatistics(188416, 10485760, 5312, None)


def test_only_a_finished_job_reports_its_cost() -> None:
    running = parse(job_change_entry("acme-analytics", JOB, after="RUNNING", labels=LABELS))
    assert running.status.statistics is None


def test_a_cancelled_job_carries_bigquerys_stopped_reason() -> None:
    entry = job_change_entry("acme-analytics", JOB, after="DONE", labels=LABELS, error=CANCELLED)
    event = parse(entry)
    assert event.status.error == JobError("stopped", CANCELLED["message"])
    assert event.rpc_code == 1


def test_a_running_job_has_a_start_but_no_end_or_error() -> None:
    event = parse(job_change_entry("acme-analytics", JOB, after="RUNNING", labels=LABELS))
    assert event.status.state == "RUNNING"
    assert event.status.started_at is not None
    assert event.status.ended_at is None
    assert event.status.error is None


def test_a_script_child_job_names_its_parent() -> None:
    parent = f"projects/acme-analytics/jobs/{JOB}"
    entry = job_change_entry(
        "acme-analytics", "script_job_5c1d_0", after="DONE", labels=LABELS, parent_job=parent
    )
    event = parse(entry)
    assert event.job_id == "script_job_5c1d_0"
    assert event.parent_job == parent


def test_a_job_without_labels_parses_with_none() -> None:
    event = parse(job_change_entry("acme-analytics", "bquxjob_1a2b3c_19c5", after="DONE"))
    assert event.labels == {}
    assert event.job_id == "bquxjob_1a2b3c_19c5"


def test_the_data_may_arrive_as_json_text() -> None:
    text = json.dumps(FAILED_JOB_ENTRY).encode("utf-8")
    assert parse(text).job_id == JOB


def test_job_insertion_entries_carry_the_same_job() -> None:
    entry = job_change_entry("acme-analytics", JOB, after="PENDING", labels=LABELS)
    metadata = entry["protoPayload"]["metadata"]
    change = metadata.pop("jobChange")
    metadata["jobInsertion"] = {"job": change["job"], "reason": "JOB_INSERT_REQUEST"}
    event = parse(entry)
    assert event.status.state == "PENDING"
    assert event.labels == LABELS


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (None, None),
        (INVALID_QUERY, JobError("invalidQuery", INVALID_QUERY["message"])),
        (CANCELLED, JobError("stopped", CANCELLED["message"])),
    ],
)
def test_the_legacy_job_completed_format(error: Any, expected: JobError | None) -> None:
    entry = legacy_job_completed_entry("acme-analytics", JOB, labels=LABELS, error=error)
    event = parse(entry)
    assert (event.project, event.job_id, event.location) == ("acme-analytics", JOB, "US")
    assert event.labels == LABELS
    assert event.status.state == "DONE"
    assert event.status.error == expected
    assert event.status.ended_at == dt.datetime(2026, 3, 1, 12, 0, 7, 251973, tzinfo=dt.UTC)
    assert event.status.statistics == JobStatistics(188416, 10485760, 5312, None)


def storage_entry() -> dict[str, Any]:
    return {
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "serviceName": "storage.googleapis.com",
            "methodName": "storage.objects.create",
            "resourceName": "projects/_/buckets/acme-drop/objects/stores.csv",
            "status": {},
        },
        "resource": {"type": "gcs_bucket", "labels": {"bucket_name": "acme-drop"}},
        "logName": "projects/acme-analytics/logs/cloudaudit.googleapis.com%2Fdata_access",
    }


def table_read_entry() -> dict[str, Any]:
    return {
        "protoPayload": {
            "serviceName": "bigquery.googleapis.com",
            "methodName": "google.cloud.bigquery.v2.JobService.InsertJob",
            "resourceName": "projects/acme-analytics/datasets/retail/tables/stores",
            "metadata": {
                "@type": "type.googleapis.com/google.cloud.audit.BigQueryAuditMetadata",
                "tableDataRead": {
                    "reason": "JOB",
                    "jobName": f"projects/acme-analytics/jobs/{JOB}",
                },
            },
        },
        "resource": {"type": "bigquery_dataset", "labels": {"dataset_id": "retail"}},
    }


@pytest.mark.parametrize(
    ("event_type", "source", "data"),
    [
        (AUDIT_LOG_WRITTEN, SOURCE, storage_entry()),
        (AUDIT_LOG_WRITTEN, SOURCE, table_read_entry()),
        ("google.cloud.pubsub.topic.v1.messagePublished", SOURCE, FAILED_JOB_ENTRY),
        (AUDIT_LOG_WRITTEN, "//pubsub.googleapis.com/projects/p/topics/t", FAILED_JOB_ENTRY),
        (AUDIT_LOG_WRITTEN, SOURCE, b"not json"),
        (AUDIT_LOG_WRITTEN, SOURCE, ["a", "list"]),
        (AUDIT_LOG_WRITTEN, SOURCE, {"textPayload": "hello"}),
    ],
)
def test_anything_else_is_not_a_job_event(event_type: str, source: str, data: Any) -> None:
    with pytest.raises(NotAJobEvent):
        parse_job_event(event_type, source, data)


def test_a_job_change_without_a_job_name_or_state_is_not_a_job_event() -> None:
    no_name = job_change_entry("acme-analytics", JOB, after="DONE", labels=LABELS)
    del no_name["protoPayload"]["metadata"]["jobChange"]["job"]["jobName"]
    del no_name["protoPayload"]["resourceName"]
    unspecified = job_change_entry("acme-analytics", JOB, after="DONE", labels=LABELS)
    change = unspecified["protoPayload"]["metadata"]["jobChange"]
    change["after"] = "JOB_STATE_UNSPECIFIED"
    change["job"]["jobStatus"]["jobState"] = "JOB_STATE_UNSPECIFIED"
    for entry in (no_name, unspecified):
        with pytest.raises(NotAJobEvent):
            parse(entry)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (1, "stopped"),
        (3, "invalidQuery"),
        (4, "timeout"),
        (5, "notFound"),
        (7, "accessDenied"),
        (8, "quotaExceeded"),
        (13, "internalError"),
        (14, "backendError"),
        (99, FALLBACK_REASON),
        ("5", "notFound"),
    ],
)
def test_rpc_codes_map_to_bigquery_reasons(code: Any, reason: str) -> None:
    error, parsed = job_error({"code": code, "message": "m"})
    assert error == JobError(reason, "m")
    assert parsed == int(code)


def test_an_empty_status_is_no_error_and_a_bare_code_gets_a_message() -> None:
    assert job_error({}) == (None, None)
    assert job_error({"code": 0}) == (None, None)
    error, _ = job_error({"code": 8})
    assert error is not None and error.reason == "quotaExceeded" and error.message
