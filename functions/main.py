"""Cloud Functions entry points: one source tree, one function per name below.

Each HTTP function serves its share of the routing table
(`workflows_api.http.routes.ROUTES`); each CloudEvent function parses its event
and calls a service. All the work happens in the service layer.
"""

from __future__ import annotations

import logging

import functions_framework
from cloudevents.http import CloudEvent
from flask import Request, Response

from workflows_api import logs
from workflows_api.events.bigquery_audit import NotAJobEvent, parse_job_event
from workflows_api.events.pubsub import NotAPubSubEvent, pubsub_message
from workflows_api.http.app import get_app
from workflows_api.http.dispatch import dispatch
from workflows_api.http.route import API_ACCESS, EXECUTE, STATUS


@functions_framework.http
def api_access(request: Request) -> Response:
    """Workflow definitions and API access toggling."""
    return dispatch(request, API_ACCESS)


@functions_framework.http
def execute(request: Request) -> Response:
    """Start executions."""
    return dispatch(request, EXECUTE)


@functions_framework.http
def status(request: Request) -> Response:
    """Execution status, results and health."""
    return dispatch(request, STATUS)


@functions_framework.cloud_event
def pubsub_trigger(cloud_event: CloudEvent) -> None:
    """Start an execution from a Pub/Sub message (Eventarc, or a push subscription).

    Returning acknowledges the message; raising (a transient failure) has Pub/Sub
    deliver it again.
    """
    app = get_app()
    logs.configure(app.settings.log_level)
    try:
        message = pubsub_message(cloud_event["source"], cloud_event.data)
    except NotAPubSubEvent as error:
        logs.log(logging.getLogger(__name__), logging.ERROR, f"event ignored: {error}")
        return
    app.pubsub_triggers.handle(message.topic, message.message_id, message.data)


@functions_framework.cloud_event
def bigquery_job_completed(cloud_event: CloudEvent) -> None:
    """End an execution from its BigQuery job's audit-log event (Eventarc).

    Returning acknowledges the event, also one about a job that is not ours or one
    already applied; raising (a transient failure) has Eventarc deliver it again.
    """
    app = get_app()
    logs.configure(app.settings.log_level)
    try:
        event = parse_job_event(cloud_event["type"], cloud_event["source"], cloud_event.data)
    except NotAJobEvent as error:
        logs.log(
            logging.getLogger(__name__),
            logging.INFO,
            f"event ignored: {error}",
            event_id=cloud_event["id"],
        )
        return
    app.job_completions.handle_job_event(event)


@functions_framework.cloud_event
def sweep_executions(cloud_event: CloudEvent) -> None:
    """Submit the executions left `created` (their submission timed out or the process
    died), on a schedule: Cloud Scheduler publishes to the sweep topic every few minutes.

    The message carries nothing. Raising (a backend failed) has Pub/Sub deliver it
    again; the next scheduled run would sweep too.
    """
    app = get_app()
    logs.configure(app.settings.log_level)
    app.sweep.sweep()
