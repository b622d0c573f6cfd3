"""Cloud Logging's stand-in on the local stack (devstack/completion_events.py): the entry
it builds for a finished local job is what the deployed sink publishes and what the
completion function parses; publishing never blocks or breaks the job runner; and
`make run` says whether it is on (WFAPI_LOCAL_DROP_COMPLETION_EVENTS)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from devstack import completion_events as events
from devstack import run
from devstack.prerequisites import StackError
from workflows_api.domain.execution.states import State
from workflows_api.events.bigquery_audit import NotAJobEvent
from workflows_api.events.job_events import PUBSUB_MESSAGE_PUBLISHED, job_event

PROJECT = "workflows-api-local"
JOB_ID = "wfapi_exec_0123456789abcdef"
LABELS = {"wfapi_org": "demo", "wfapi_execution": "0123456789abcdef"}
CREATED = dt.datetime(2026, 3, 1, 12, 0, 0, 512000, tzinfo=dt.UTC)
STARTED = dt.datetime(2026, 3, 1, 12, 0, 0, 804000, tzinfo=dt.UTC)
ENDED = dt.datetime(2026, 3, 1, 12, 0, 7, 251973, tzinfo=dt.UTC)
STATISTICS = {
    "totalBytesProcessed": "188416",
    "totalSlotMs": "5312",
    "query": {"totalBytesProcessed": "188416", "totalBytesBilled": "10485760"},
}


def finished_job(**changes: Any) -> SimpleNamespace:
    """A bqemulator JobMeta of a finished query job, as devstack/bq_async.py records it."""
    fields: dict[str, Any] = {
        "project_id": PROJECT,
        "job_id": JOB_ID,
        "configuration": {
            "query": {"query": "CALL `p.d.wfproc_x`(@a, @wfapi_output_table)"},
            "labels": dict(LABELS),
        },
        "error_result": None,
        "statistics": STATISTICS,
        "creation_time": CREATED,
        "start_time": STARTED,
        "end_time": ENDED,
        "user_email": None,
    }
    return SimpleNamespace(**{**fields, **changes})


def delivered(entry: dict[str, Any]) -> Any:
    """The entry as the completion function reads it: a pushed Pub/Sub message of the
    completion topic, turned into a CloudEvent by functions-framework."""
    data = base64.b64encode(json.dumps(entry).encode()).decode()
    message = {"data": data, "messageId": "42", "attributes": events.message_attributes(entry)}
    source = f"//pubsub.googleapis.com/{events.topic_name(PROJECT)}"
    event, event_id = job_event(PUBSUB_MESSAGE_PUBLISHED, source, "ce-1", {"message": message})
    assert event_id == "42"
    return event


def test_a_succeeded_job_reads_as_deployed() -> None:
    entry = events.entry_for_job(finished_job())
    assert events.passes_sink_filter(entry)
    event = delivered(entry)
    assert (event.project, event.job_id, event.labels) == (PROJECT, JOB_ID, LABELS)
    assert event.location == "US" and event.parent_job is None and event.rpc_code is None
    status = event.status
    assert status.state == "DONE" and status.error is None
    assert status.execution_state == State.SUCCEEDED
    assert (status.started_at, status.ended_at) == (STARTED, ENDED)
    assert status.statistics is not None
    assert status.statistics.bytes_processed == 188416
    assert status.statistics.bytes_billed == 10485760
    assert status.statistics.slot_ms == 5312


def test_a_failed_job_carries_its_error_as_the_audit_log_does() -> None:
    error = {"reason": "invalidQuery", "message": "Unrecognized name: stor_type"}
    entry = events.entry_for_job(finished_job(error_result=error))
    assert entry["protoPayload"]["status"] == {"code": 3, "message": error["message"]}
    assert entry["severity"] == "ERROR"
    event = delivered(entry)
    assert event.rpc_code == 3
    assert event.status.error is not None
    assert (event.status.error.reason, event.status.error.message) == (
        "invalidQuery",
        error["message"],
    )
    assert event.status.execution_state == State.FAILED


def test_a_cancelled_job_ends_its_execution_cancelled() -> None:
    stopped = {"reason": "stopped", "message": "Job execution was cancelled"}
    event = delivered(events.entry_for_job(finished_job(error_result=stopped, start_time=None)))
    assert event.rpc_code == 1
    assert event.status.execution_state == State.CANCELLED


@pytest.mark.parametrize(
    ("reason", "code"), [("accessDenied", 7), ("notFound", 5), ("backendError", 14), ("odd", 3)]
)
def test_error_reasons_become_rpc_codes(reason: str, code: int) -> None:
    assert events.rpc_status({"reason": reason, "message": "m"}) == {"code": code, "message": "m"}
    assert events.rpc_status(None) == {}


def test_the_sink_filter_lets_only_labelled_jobs_through() -> None:
    unlabelled = finished_job(configuration={"query": {"query": "SELECT 1"}})
    assert not events.passes_sink_filter(events.entry_for_job(unlabelled))
    other_labels = finished_job(configuration={"query": {"query": "x"}, "labels": {"team": "a"}})
    assert not events.passes_sink_filter(events.entry_for_job(other_labels))


def test_an_entry_that_is_not_a_job_is_refused_by_the_parser() -> None:
    entry = events.entry_for_job(finished_job())
    entry["protoPayload"]["serviceName"] = "storage.googleapis.com"
    with pytest.raises(NotAJobEvent):
        delivered(entry)


def test_times_are_utc_rfc3339() -> None:
    assert events.rfc3339(ENDED) == "2026-03-01T12:00:07.251973Z"
    naive = dt.datetime(2026, 3, 1, 12, 0, 7)
    assert events.rfc3339(naive) == "2026-03-01T12:00:07.000000Z"


# --- publishing -------------------------------------------------------------------


def test_a_failed_publish_is_logged_and_dropped(caplog: pytest.LogCaptureFixture) -> None:
    def send(entry: dict[str, Any]) -> None:
        raise ConnectionError("emulator down")

    publisher = events.Publisher(send)
    assert publisher.offer(events.entry_for_job(finished_job()))
    publisher.join()
    assert (publisher.published, publisher.dropped) == (0, 1)
    assert "dropped: ConnectionError: emulator down" in caplog.text
    assert f"projects/{PROJECT}/jobs/{JOB_ID}" in caplog.text


def test_offer_never_waits_for_a_stuck_publish() -> None:
    release = threading.Event()
    sent: list[dict[str, Any]] = []

    def send(entry: dict[str, Any]) -> None:
        release.wait(10)
        sent.append(entry)

    publisher = events.Publisher(send, queue_size=2)
    started = time.monotonic()
    accepted = [publisher.offer({"n": n}) for n in range(10)]
    assert time.monotonic() - started < 0.5
    assert accepted.count(True) <= 3 and accepted[-1] is False  # one sending, two queued
    release.set()
    publisher.join()
    assert sent == [{"n": n} for n, ok in enumerate(accepted) if ok]
    assert publisher.dropped == accepted.count(False)


def test_job_ended_publishes_what_the_sink_would_and_never_raises(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sent: list[dict[str, Any]] = []
    publisher = events.Publisher(sent.append)
    monkeypatch.setattr(events, "_publisher", publisher)
    events.job_ended(finished_job())
    events.job_ended(finished_job(configuration={"query": {"query": "SELECT 1"}}))
    events.job_ended(object())  # not a job at all: logged, the runner goes on
    publisher.join()
    assert [entry["protoPayload"]["resourceName"] for entry in sent] == [
        f"projects/{PROJECT}/jobs/{JOB_ID}"
    ]
    assert "not built" in caplog.text


def test_the_shim_publishes_only_when_given_a_topic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "_publisher", None)
    on = events.shim_environment("127.0.0.1:8085", PROJECT, publish=True)
    assert on[events.TOPIC_VARIABLE] == f"projects/{PROJECT}/topics/wfapi-bigquery-jobs"
    assert events.install(on) == on[events.TOPIC_VARIABLE]
    off = events.shim_environment("127.0.0.1:8085", PROJECT, publish=False)
    assert events.install(off) is None
    events.job_ended(finished_job())  # off: nothing to publish to, nothing happens
    assert events.install({}) is None


# --- make run ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "drop"), [("", False), ("false", False), ("0", False), ("true", True), (" 1 ", True)]
)
def test_drop_completion_events(raw: str, drop: bool) -> None:
    assert events.drop_completion_events({events.DROP_VARIABLE: raw}) is drop
    assert events.drop_completion_events({}) is False


def test_a_typo_in_the_drop_setting_is_refused() -> None:
    with pytest.raises(StackError, match="WFAPI_LOCAL_DROP_COMPLETION_EVENTS must be true"):
        events.drop_completion_events({events.DROP_VARIABLE: "ture"})


@pytest.mark.parametrize("on", [True, False])
def test_make_run_says_whether_completion_events_are_on(
    monkeypatch: pytest.MonkeyPatch, on: bool
) -> None:
    out = io.StringIO()
    monkeypatch.setattr(run, "console", Console(file=out, width=400))
    run.print_stack(
        {
            "base_url": "http://127.0.0.1:8080",
            "workflow_id": "store_clusters",
            "token": "wfa_0123456789abcdef_" + "s" * 43,
            "pubsub_emulator_host": "127.0.0.1:8085",
            "pubsub_topic": "projects/p/topics/t",
            "sweep_seconds": 60.0,
            "completion_topic": events.topic_name("p"),
            "completion_events": on,
        }
    )
    [said] = [line for line in out.getvalue().splitlines() if line.startswith("Completion")]
    if on:
        assert said.startswith("Completion events: on.")
        assert "projects/p/topics/wfapi-bigquery-jobs" in said
        assert "WFAPI_LOCAL_DROP_COMPLETION_EVENTS=true" in said
    else:
        assert said.startswith("Completion events: off (WFAPI_LOCAL_DROP_COMPLETION_EVENTS)")
