"""A BigQuery job's audit-log entry, in either of the forms that reach
`bigquery_job_completed`:

- a Pub/Sub `google.cloud.pubsub.topic.v1.messagePublished` CloudEvent (the deployed
  path: a log sink copies the entries to a topic whose push subscription calls the
  function), source `//pubsub.googleapis.com/...`, whose message data is the LogEntry
  in JSON, base64-encoded; the event id is the Pub/Sub message id;
- an Eventarc `google.cloud.audit.log.v1.written` CloudEvent, data the LogEntry itself
  (events/bigquery_audit.py; kept for deployments that still route through Eventarc).
"""

from __future__ import annotations

from typing import Any

from workflows_api.domain.execution.job_events import BigQueryJobEvent
from workflows_api.events.bigquery_audit import NotAJobEvent, parse_job_event
from workflows_api.events.pubsub import PUBSUB_SOURCE_PREFIX, NotAPubSubEvent, pubsub_message

PUBSUB_MESSAGE_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"


def job_event(
    event_type: str, source: str, event_id: str, data: Any
) -> tuple[BigQueryJobEvent, str]:
    """The job state the CloudEvent reports and the event's id (the message id for a
    Pub/Sub message); NotAJobEvent when it reports none."""
    if event_type != PUBSUB_MESSAGE_PUBLISHED:
        return parse_job_event(event_type, source, data), event_id
    if not source.startswith(PUBSUB_SOURCE_PREFIX):
        raise NotAJobEvent(f"not a Pub/Sub event source: {source[:200]!r}")
    try:
        message = pubsub_message(source, data)
    except NotAPubSubEvent as error:
        raise NotAJobEvent(str(error)) from None
    # The LogEntry's own checks (BigQuery entry, job name, state) are parse_job_event's.
    return parse_job_event(None, None, message.data), message.message_id
