"""The two forms of a job's audit-log entry that reach `bigquery_job_completed`: a
Pub/Sub message from the log sink's topic (deployed) and an Eventarc audit-log event
(events/job_events.py)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.support.bigquery_audit_events import AUDIT_LOG_WRITTEN, INVALID_QUERY, job_change_entry
from workflows_api.events.bigquery_audit import NotAJobEvent, parse_job_event
from workflows_api.events.job_events import PUBSUB_MESSAGE_PUBLISHED, job_event

TOPIC_SOURCE = "//pubsub.googleapis.com/projects/acme/topics/wfapi-bigquery-jobs"
AUDIT_SOURCE = "//cloudaudit.googleapis.com/projects/acme/logs/data_access"
LABELS = {"wfapi_org": "acme", "wfapi_execution": "e" * 32}
JOB = "wfapi_exec_" + "e" * 32


def published(entry: Any, message_id: str = "1234567890") -> dict[str, Any]:
    """The CloudEvent data functions-framework makes of the sink topic's push."""
    raw = entry if isinstance(entry, bytes) else json.dumps(entry).encode("utf-8")
    return {
        "message": {
            "data": base64.b64encode(raw).decode("ascii"),
            "messageId": message_id,
            "attributes": {"logging.googleapis.com/timestamp": "2026-03-01T12:00:07Z"},
        },
        "subscription": "projects/acme/subscriptions/wfapi-bigquery-jobs-push",
    }


@pytest.mark.parametrize("error", [None, INVALID_QUERY])
def test_a_sink_message_reads_as_the_entry_it_carries(error: Any) -> None:
    entry = job_change_entry("acme", JOB, after="DONE", labels=LABELS, error=error)
    event, event_id = job_event(PUBSUB_MESSAGE_PUBLISHED, TOPIC_SOURCE, "ce-id", published(entry))
    assert event == parse_job_event(AUDIT_LOG_WRITTEN, AUDIT_SOURCE, entry)
    assert (event.job_id, event.status.state, event.labels) == (JOB, "DONE", LABELS)
    assert (event.status.error is None) is (error is None)
    assert event_id == "1234567890"  # the message id, not the CloudEvent's


def test_the_audit_log_form_still_works_with_the_cloudevent_id() -> None:
    entry = job_change_entry("acme", JOB, after="RUNNING", labels=LABELS)
    event, event_id = job_event(AUDIT_LOG_WRITTEN, AUDIT_SOURCE, "ce-id", entry)
    assert (event.job_id, event.status.state, event_id) == (JOB, "RUNNING", "ce-id")


@pytest.mark.parametrize(
    ("source", "data", "why"),
    [
        # Right type, wrong source.
        ("//storage.googleapis.com/b", None, "source"),
        # No message, or no message id.
        (TOPIC_SOURCE, {"subscription": "s"}, "no Pub/Sub message"),
        (TOPIC_SOURCE, {"message": {"data": ""}}, "no id"),
        # The data is not a LogEntry: not base64, not JSON, not BigQuery's, no job.
        (TOPIC_SOURCE, {"message": {"data": "%%%", "messageId": "1"}}, "not JSON"),
        (TOPIC_SOURCE, published(b"[1, 2]"), "not a log entry"),
        (TOPIC_SOURCE, published({"protoPayload": {"serviceName": "x"}}), "not a BigQuery"),
        (
            TOPIC_SOURCE,
            published(
                job_change_entry("acme", JOB, after="DONE", service="storage.googleapis.com")
            ),
            "not a BigQuery",
        ),
    ],
)
def test_what_is_not_a_job_event_is_refused(source: str, data: Any, why: str) -> None:
    entry = job_change_entry("acme", JOB, after="DONE", labels=LABELS)
    with pytest.raises(NotAJobEvent, match=why):
        job_event(PUBSUB_MESSAGE_PUBLISHED, source, "ce-id", data if data is not None else entry)


def test_other_event_types_are_still_refused() -> None:
    entry = job_change_entry("acme", JOB, after="DONE", labels=LABELS)
    with pytest.raises(NotAJobEvent, match="not an audit-log event"):
        job_event("google.cloud.storage.object.v1.finalized", TOPIC_SOURCE, "ce-id", entry)
