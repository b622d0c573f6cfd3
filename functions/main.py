"""Cloud Functions entry points: one source tree, one function per name below.

Each HTTP function serves its own routing table (`workflows_api.http.tables`); each
CloudEvent function reads its event and calls a service. All the work happens in the
service layer.

Every function of a deployment loads this file, so it imports only what they all
share; a CloudEvent function imports its event's reader in its body. A cold instance
thus loads only what it serves (HTTP functions: their own table, see http/tables.py).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import functions_framework
from cloudevents.http import CloudEvent
from flask import Request, Response
from werkzeug.exceptions import HTTPException

from workflows_api import logs, tracing
from workflows_api.bootstrap import App, get_app
from workflows_api.events.acknowledging import failures_acknowledged, read_event
from workflows_api.http.dispatch import dispatch, framework_refusal
from workflows_api.http.routing import API_ACCESS, EXECUTE, STATUS

# JSON, not the framework's HTML, for requests its own routing refuses.
functions_framework.errorhandler(HTTPException)(framework_refusal)


@functions_framework.http
def api_access(request: Request) -> Response:
    """Workflow definitions and API access toggling."""
    return dispatch(request, API_ACCESS)


@functions_framework.http
def execute(request: Request) -> Response:
    """Start and cancel executions."""
    return dispatch(request, EXECUTE)


@functions_framework.http
def status(request: Request) -> Response:
    """Execution status, results and health."""
    return dispatch(request, STATUS)


def _event_app() -> App:
    app = get_app()
    logs.configure(app.settings.log_level)
    tracing.configure(app.settings.project, app.settings.trace_export)
    return app


def _traced(function: Callable[[CloudEvent], None]) -> Callable[[CloudEvent], None]:
    """The event function run in its own span, a child of the one its Pub/Sub message's
    attributes name (`traceparent`), else the CloudEvent's own `traceparent`."""

    @functools.wraps(function)
    def traced(cloud_event: CloudEvent) -> None:
        from workflows_api.events.pubsub import message_attributes

        _event_app()
        parent = tracing.from_attributes(message_attributes(cloud_event.data))
        parent = parent or tracing.from_attributes(cloud_event.get_attributes())
        with tracing.request_span(function.__name__, parent):
            function(cloud_event)

    return traced


@functions_framework.cloud_event
@_traced
def pubsub_trigger(cloud_event: CloudEvent) -> None:
    """Start an execution from a Pub/Sub message (Eventarc, or a push subscription).

    Returning acknowledges the message; raising (only a transient backend failure:
    the service records every other failure) has Pub/Sub deliver it again.
    """
    from workflows_api.events.pubsub import NotAPubSubEvent, pubsub_message

    app = _event_app()
    message = read_event(
        cloud_event,
        lambda: pubsub_message(cloud_event["source"], cloud_event.data),
        NotAPubSubEvent,
    )
    if message is not None:
        app.pubsub_triggers.handle(message.topic, message.message_id, message.data)


@functions_framework.cloud_event
@_traced
def bigquery_job_completed(cloud_event: CloudEvent) -> None:
    """End an execution from its BigQuery job's audit-log entry: a Pub/Sub message of
    the log sink's topic (pushed), or an Eventarc audit-log event.

    Returning acknowledges the event, also one about a job that is not ours or one
    already applied; raising (only a transient backend failure) has it delivered again.
    Any other failure would fail again: logged and acknowledged.
    """
    from workflows_api.events.job_events import NotAJobEvent, job_event

    app = _event_app()
    event = read_event(
        cloud_event,
        lambda: job_event(
            cloud_event["type"], cloud_event["source"], cloud_event["id"], cloud_event.data
        ),
        NotAJobEvent,
        level=logging.INFO,  # most audit entries are about jobs that are not ours
    )
    if event is not None:
        with failures_acknowledged(cloud_event):
            app.job_completions.handle_job_event(*event)


@functions_framework.cloud_event
@_traced
def deliver_webhook(cloud_event: CloudEvent) -> None:
    """One attempt of a queued webhook delivery (a push of the deliveries topic).

    Returning acknowledges it (delivered, dead-lettered after the last attempt, or not
    a delivery); raising (the attempt failed, or a backend did) has Pub/Sub deliver it
    again after the subscription's backoff.
    """
    from workflows_api.events.webhook_delivery import NotADelivery, delivery_event

    app = _event_app()
    delivery = read_event(
        cloud_event, lambda: delivery_event(cloud_event["source"], cloud_event.data), NotADelivery
    )
    if delivery is not None:
        app.webhooks.deliver(*delivery)


@functions_framework.cloud_event
@_traced
def sweep_executions(cloud_event: CloudEvent) -> None:
    """Submit the executions left `created` (their submission timed out or the process
    died), on a schedule: Cloud Scheduler publishes to the sweep topic every few minutes.

    The message carries nothing. Raising (a backend failed) has Pub/Sub deliver it
    again; the next scheduled run would sweep too.
    """
    _event_app().sweep.sweep()
