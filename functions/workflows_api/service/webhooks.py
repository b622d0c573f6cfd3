"""Webhooks: a workflow's notification URLs, and one signed POST per URL when an
execution ends, delivered outside the request that ended it.

`announce` runs in the process whose write moved the execution to its terminal state
(a status read, an execute that waited, a completion event, a cancel): that write is
a compare-and-swap, so exactly one process announces each end. It only queues one
delivery per URL (DeliveryQueue: a Pub/Sub topic pushed to the `deliver_webhook`
function), so no receiver ever holds that request. `deliver` makes one attempt per
queue delivery and records it on the execution; a failed attempt raises
RetryDelivery, so the queue delivers again after its backoff (this survives a crashed
process: the message stays queued until acknowledged). The attempt number counts the
attempts recorded for the delivery; after `attempts` of them the delivery is recorded
as dead-lettered and acknowledged. Each delivery has an event id, the same on every
attempt, in the body and the `Workflows-Delivery` header, for receivers to deduplicate.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workflows_api import logs, tracing
from workflows_api.domain.execution.delivery_attempts import DeliveryAttempt
from workflows_api.domain.execution.states import Execution
from workflows_api.domain.execution.webhook_deliveries import WebhookDelivery, event_id
from workflows_api.domain.execution.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    MAX_URLS,
    SIGNATURE_HEADER,
    WebhookConfig,
    new_signing_secret,
    signature,
    url_problem,
)
from workflows_api.service.errors import ServiceError, WebhookSendError
from workflows_api.service.ports import (
    DeliveryQueue,
    ExecutionStore,
    SigningSecrets,
    WebhookSender,
    WebhookStore,
)
from workflows_api.service.workflows import WorkflowService

logger = logging.getLogger(__name__)
_REASON_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")

# Attempts per delivery; the queue's redelivery backoff spaces them (10 s to 10 min on
# the deployed subscription, infra/modules/workflows_api/events.tf).
DEFAULT_ATTEMPTS = 5
# A queue-level failure recorded on the execution in place of any attempt.
ENQUEUE_FAILED = "enqueue_failed"


class RetryDelivery(Exception):
    """The attempt failed and attempts remain: the queue should deliver again."""


@dataclass(frozen=True, kw_only=True)
class Webhooks:
    workflows: WorkflowService
    store: WebhookStore
    secrets: SigningSecrets
    executions: ExecutionStore
    sender: WebhookSender
    queue: DeliveryQueue
    render: Callable[[Execution], dict[str, Any]]
    clock: Callable[[], dt.datetime]
    allow_http: bool = False
    attempts: int = DEFAULT_ATTEMPTS

    # --- configuration --------------------------------------------------------------

    def configure(
        self, org: str, workflow_id: str, urls: list[str], rotate_secret: bool = False
    ) -> tuple[WebhookConfig, str | None]:
        """Set the URLs; returns the signing secret when it is new (shown once)."""
        self.workflows.get(org, workflow_id)  # 404 for an unknown workflow
        problems = [
            {"field": f"urls.{i}", "message": f"{url[:200]!r}: {problem}"}
            for i, url in enumerate(urls)
            if (problem := url_problem(url, self.allow_http)) is not None
        ]
        if len(urls) > MAX_URLS:
            problems.append({"field": "urls", "message": f"at most {MAX_URLS} URLs"})
        if len(set(urls)) != len(urls):
            problems.append({"field": "urls", "message": "a URL is listed twice"})
        if problems:
            raise ServiceError(
                "invalid",
                "invalid_webhooks",
                f"{problems[0]['field']}: {problems[0]['message']}",
                problems[0]["field"],
                details=problems,
            )
        secret = None
        if rotate_secret or self.secrets.get_signing_secret(org, workflow_id) is None:
            secret = new_signing_secret()
            self.secrets.put_signing_secret(org, workflow_id, secret)
        config = WebhookConfig(org, workflow_id, tuple(urls), self.clock())
        self.store.put_webhooks(config)
        return config, secret

    def get(self, org: str, workflow_id: str) -> WebhookConfig:
        self.workflows.get(org, workflow_id)
        config = self.store.get_webhooks(org, workflow_id)
        return config or WebhookConfig(org, workflow_id, (), self.clock())

    def remove(self, org: str, workflow_id: str) -> None:
        self.workflows.get(org, workflow_id)
        self.store.delete_webhooks(org, workflow_id)
        self.secrets.delete_signing_secret(org, workflow_id)

    # --- delivery -------------------------------------------------------------------

    def announce(self, execution: Execution) -> list[WebhookDelivery]:
        """Queue the end of `execution` for each URL of its workflow; never raises (a
        queue that refuses is recorded on the execution as `enqueue_failed`)."""
        try:
            config = self.store.get_webhooks(execution.org, execution.workflow_id)
            if config is None or not config.urls:
                return []
            deliveries = [self._delivery(execution, url) for url in config.urls]
        except Exception:
            # Announcing must never break the request that ended the execution.
            logger.exception("webhook deliveries not prepared for execution %s", execution.id)
            return []
        try:
            self.queue.enqueue(deliveries)
        except Exception as error:
            logs.log(
                logger,
                logging.ERROR,
                "webhook deliveries not queued",
                execution_id=execution.id,
                error_type=type(error).__name__,
            )
            self._record_unqueued(execution, deliveries)
            return []
        return deliveries

    def deliver(self, delivery: WebhookDelivery, delivery_attempt: int | None = None) -> None:
        """One attempt of a queued delivery, recorded on its execution. Returns when
        the delivery is done (delivered, dead-lettered, or moot); raises RetryDelivery
        when the queue should deliver it again."""
        with tracing.following(delivery.trace_id, "deliver webhook"):
            self._deliver(delivery, delivery_attempt)

    def _deliver(self, delivery: WebhookDelivery, delivery_attempt: int | None) -> None:
        execution = self.executions.get_execution(delivery.org, delivery.execution_id)
        if execution is None:
            return  # expired or deleted: nobody can read the record
        earlier = [a for a in execution.deliveries if a.url == delivery.url]
        if any(a.delivered or a.dead_lettered for a in earlier):
            return  # a redelivery of a delivery already settled
        secret = self.secrets.get_signing_secret(delivery.org, delivery.workflow_id)
        if secret is None:
            return  # webhooks removed since: nothing to sign with, nothing to send
        number = max(delivery_attempt or 1, len(earlier) + 1)
        attempt = self._attempt(delivery, secret, number)
        if attempt.delivered or attempt.dead_lettered:
            return
        raise RetryDelivery(f"attempt {number} of {self.attempts} failed: {attempt.error}")

    def _attempt(self, delivery: WebhookDelivery, secret: str, number: int) -> DeliveryAttempt:
        now = self.clock()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(secret, int(now.timestamp()), delivery.body),
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: delivery.event_id,
        }
        try:
            with tracing.span("webhook POST"):
                # The receiver's work joins the execution's trace.
                context = tracing.current()
                if context is not None:
                    headers[tracing.TRACEPARENT] = context.traceparent
                status: int | None = self.sender.send(delivery.url, delivery.body, headers)
            error = None if status is not None and 200 <= status < 300 else f"http_{status}"
        except WebhookSendError as failure:
            status, error = None, failure_reason(failure)
        attempt = DeliveryAttempt(
            delivery.url,
            number,
            now,
            delivery.state,
            status,
            error,
            event_id=delivery.event_id,
            dead_lettered=error is not None and number >= self.attempts,
        )
        self.executions.record_delivery_attempt(delivery.org, delivery.execution_id, attempt)
        logs.log(
            logger,
            logging.INFO if attempt.delivered else logging.WARNING,
            "webhook delivery attempt",
            execution_id=delivery.execution_id,
            event_id=delivery.event_id,
            attempt=number,
            status_code=status,
            reason=error,
            dead_lettered=attempt.dead_lettered,
        )
        return attempt

    def _delivery(self, execution: Execution, url: str) -> WebhookDelivery:
        event = event_id(execution.org, execution.id, url)
        payload = {**self.render(execution), "event_id": event}
        return WebhookDelivery(
            org=execution.org,
            workflow_id=execution.workflow_id,
            execution_id=execution.id,
            url=url,
            event_id=event,
            state=execution.state.value,
            body=json.dumps(payload, separators=(",", ":")).encode("utf-8"),
            trace_id=execution.trace_id,
        )

    def _record_unqueued(self, execution: Execution, deliveries: list[WebhookDelivery]) -> None:
        now = self.clock()
        for delivery in deliveries:
            attempt = DeliveryAttempt(
                delivery.url,
                0,
                now,
                delivery.state,
                None,
                ENQUEUE_FAILED,
                event_id=delivery.event_id,
                dead_lettered=True,
            )
            try:
                self.executions.record_delivery_attempt(execution.org, execution.id, attempt)
            except Exception:
                logger.exception("could not record the unqueued delivery of %s", execution.id)


def failure_reason(failure: WebhookSendError) -> str:
    """The sender's reason code; anything that is not one (a code is lowercase letters,
    digits and `_`) is recorded as `send_failed`: never exception text, which could echo
    the receiver."""
    reason = str(failure)
    return reason if _REASON_CODE.fullmatch(reason) else "send_failed"
