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
from werkzeug.exceptions import HTTPException

from workflows_api import logs
from workflows_api.events.bigquery_audit import NotAJobEvent
from workflows_api.events.job_events import job_event
from workflows_api.events.pubsub import NotAPubSubEvent, pubsub_message
from workflows_api.events.webhook_delivery import NotADelivery, delivery_event
from workflows_api.http.app import get_app
from workflows_api.http.dispatch import dispatch, framework_refusal
from workflows_api.http.route import API_ACCESS, EXECUTE, STATUS
from workflows_api.service.errors import BackendUnavailable, ServiceError

# JSON, not the framework's HTML, for requests its own routing refuses.
functions_framework.errorhandler(HTTPException)(framework_refusal)


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

    Returning acknowledges the message; raising (only a transient backend failure:
    the service records every other failure) has Pub/Sub deliver it again.
    """
    app = get_app()
    logs.configure(app.settings.log_level)
    try:
        message = pubsub_message(cloud_event["source"], cloud_event.data)
    except NotAPubSubEvent as error:
        logs.log(logging.getLogger(__name__), logging.ERROR, f"event ignored: {error}")
        return
    except Exception:  # an event no redelivery can make readable: acknowledged
        logging.getLogger(__name__).exception("unreadable Pub/Sub event ignored")
        return
    app.pubsub_triggers.handle(message.topic, message.message_id, message.data)


@functions_framework.cloud_event
def bigquery_job_completed(cloud_event: CloudEvent) -> None:
    """End an execution from its BigQuery job's audit-log entry: a Pub/Sub message of
    the log sink's topic (pushed), or an Eventarc audit-log event.

    Returning acknowledges the event, also one about a job that is not ours or one
    already applied; raising (only a transient backend failure) has it delivered again.
    Any other failure would fail again: logged and acknowledged.
    """
    app = get_app()
    logs.configure(app.settings.log_level)
    logger = logging.getLogger(__name__)
    try:
        event, event_id = job_event(
            cloud_event["type"], cloud_event["source"], cloud_event["id"], cloud_event.data
        )
    except NotAJobEvent as error:
        logs.log(logger, logging.INFO, f"event ignored: {error}", event_id=cloud_event["id"])
        return
    except Exception:
        logger.exception("unreadable job event ignored", extra={"fields": _event_id(cloud_event)})
        return
    try:
        app.job_completions.handle_job_event(event, event_id)
    except BackendUnavailable:
        raise
    except ServiceError as refused:
        if refused.kind == "unavailable":
            raise
        logs.log(logger, logging.ERROR, f"job event refused: {refused}", job_id=event.job_id)
    except Exception:
        logger.exception("job event failed; acknowledged", extra={"fields": _event_id(cloud_event)})


@functions_framework.cloud_event
def deliver_webhook(cloud_event: CloudEvent) -> None:
    """One attempt of a queued webhook delivery (a push of the deliveries topic).

    Returning acknowledges it (delivered, dead-lettered after the last attempt, or not
    a delivery); raising (the attempt failed, or a backend did) has Pub/Sub deliver it
    again after the subscription's backoff.
    """
    app = get_app()
    logs.configure(app.settings.log_level)
    try:
        delivery, attempt = delivery_event(cloud_event["source"], cloud_event.data)
    except NotADelivery as error:
        logs.log(
            logging.getLogger(__name__),
            logging.ERROR,
            f"event ignored: {error}",
            event_id=cloud_event["id"],
        )
        return
    app.webhooks.deliver(delivery, attempt)


def _event_id(cloud_event: CloudEvent) -> dict[str, str | None]:
    return {"event_id": cloud_event.get("id")}


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
