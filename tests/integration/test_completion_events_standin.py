"""Canary of Cloud Logging's stand-in (devstack/completion_events.py): when the local
BigQuery ends a labelled query job, the completion topic on the Pub/Sub emulator gets
the entry the deployed log sink would publish, and the production parser
(events/job_events.py, events/bigquery_audit.py) reads from it what BigQuery's own
jobs.get says of the job: succeeded, failed and cancelled. A job without our label is
not published, as the sink's filter drops it."""

from __future__ import annotations

import base64
import datetime as dt
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from google.cloud import bigquery

from devstack import completion_events, pubsub
from devstack.emulators import Emulators
from workflows_api.domain.execution.job_events import BigQueryJobEvent
from workflows_api.domain.execution.states import State
from workflows_api.events.job_events import PUBSUB_MESSAGE_PUBLISHED, job_event

pytestmark = pytest.mark.integration

ENDLESS_SQL = (
    "SELECT SUM(MOD(a * b, 7)) AS n "
    "FROM UNNEST(GENERATE_ARRAY(1, 200000)) a CROSS JOIN UNNEST(GENERATE_ARRAY(1, 200000)) b"
)


class Subscription:
    """A pull subscription of the completion topic: what the sink published."""

    def __init__(self, host: str, project: str) -> None:
        self.host = host
        self.topic = pubsub.create_topic(host, project, completion_events.COMPLETION_TOPIC)
        self.name = f"projects/{project}/subscriptions/canary-{uuid.uuid4().hex[:8]}"
        created = requests.put(
            f"http://{host}/v1/{self.name}",
            json={"topic": self.topic, "ackDeadlineSeconds": 10},
            timeout=10,
        )
        created.raise_for_status()
        self.seen: dict[str, tuple[BigQueryJobEvent, dict[str, Any]]] = {}

    def wait_for(self, job_id: str, timeout: float = 30) -> tuple[BigQueryJobEvent, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while job_id not in self.seen and time.monotonic() < deadline:
            self._pull()
        assert job_id in self.seen, f"no completion event for {job_id}"
        return self.seen[job_id]

    def _pull(self) -> None:
        response = requests.post(
            f"http://{self.host}/v1/{self.name}:pull",
            json={"maxMessages": 50, "returnImmediately": True},
            timeout=10,
        )
        response.raise_for_status()
        received = response.json().get("receivedMessages", [])
        if not received:
            time.sleep(0.1)
            return
        for item in received:
            message = item["message"]
            # Parsed as the completion function parses a pushed message.
            source = f"//pubsub.googleapis.com/{self.topic}"
            event, _ = job_event(PUBSUB_MESSAGE_PUBLISHED, source, "ce", {"message": message})
            self.seen[event.job_id] = (event, message)
        requests.post(
            f"http://{self.host}/v1/{self.name}:acknowledge",
            json={"ackIds": [item["ackId"] for item in received]},
            timeout=10,
        ).raise_for_status()

    def delete(self) -> None:
        requests.delete(f"http://{self.host}/v1/{self.name}", timeout=10)


@pytest.fixture
def subscription(emulators_running: Emulators) -> Iterator[Subscription]:
    made = Subscription(emulators_running.pubsub_host, emulators_running.project)
    yield made
    made.delete()


def labels() -> dict[str, str]:
    return {"wfapi_org": "canary", "wfapi_execution": uuid.uuid4().hex[:16]}


def run(client: bigquery.Client, sql: str, job_labels: dict[str, str] | None) -> Any:
    config = bigquery.QueryJobConfig(labels=job_labels or {})
    return client.query(sql, job_config=config, job_id=f"canary_{uuid.uuid4().hex}", job_retry=None)


def millis(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def until_done(client: bigquery.Client, job_id: str) -> Any:
    deadline = time.monotonic() + 120
    job = client.get_job(job_id)
    while job.state != "DONE" and time.monotonic() < deadline:
        time.sleep(0.05)
        job = client.get_job(job_id)
    return job


def test_a_succeeded_job_is_published_as_the_sink_would(
    bq_client: bigquery.Client, subscription: Subscription
) -> None:
    unlabelled = run(bq_client, "SELECT 1 AS n", None)
    job_labels = labels()
    job = run(bq_client, "SELECT 2 AS n", job_labels)
    event, message = subscription.wait_for(job.job_id)
    done = until_done(bq_client, job.job_id)
    assert (event.project, event.job_id) == (bq_client.project, job.job_id)
    assert event.labels == job_labels and event.parent_job is None
    assert event.status.execution_state == State.SUCCEEDED
    # jobs.get gives milliseconds, the audit log microseconds.
    assert event.status.ended_at is not None and event.status.started_at is not None
    assert millis(event.status.ended_at) == done.ended
    assert millis(event.status.started_at) == done.started
    assert event.status.statistics is not None
    assert event.status.statistics.bytes_processed == done.total_bytes_processed
    assert message["attributes"]["logging.googleapis.com/timestamp"].endswith("Z")
    assert base64.b64decode(message["data"])  # the LogEntry, JSON, as the sink writes it
    # The unlabelled job ended first (one worker, in order): the sink's filter dropped it.
    assert unlabelled.job_id not in subscription.seen


def test_a_failed_job_is_published_with_its_error(
    bq_client: bigquery.Client, subscription: Subscription
) -> None:
    job = run(bq_client, "SELECT * FROM no_dataset.no_table", labels())
    event, _ = subscription.wait_for(job.job_id)
    done = until_done(bq_client, job.job_id)
    assert done.error_result is not None
    assert event.status.execution_state == State.FAILED
    assert event.status.error is not None
    assert event.status.error.message == done.error_result["message"]


def test_a_cancelled_job_is_published_cancelled(
    bq_client: bigquery.Client, subscription: Subscription
) -> None:
    job = run(bq_client, ENDLESS_SQL, labels())
    bq_client.cancel_job(job.job_id)
    event, _ = subscription.wait_for(job.job_id, timeout=60)
    assert until_done(bq_client, job.job_id).error_result["reason"] == "stopped"
    assert event.rpc_code == 1
    assert event.status.execution_state == State.CANCELLED
