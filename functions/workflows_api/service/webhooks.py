"""Webhooks: a workflow's notification URLs, and one signed POST per URL when an
execution ends.

`announce` runs in the process whose write moved the execution to its terminal state
(a status read, an execute that waited, a completion event, a cancel): that write is
a compare-and-swap, so exactly one process announces each end. Each URL gets the
execution's JSON, retried with exponential backoff when it fails (`attempts` tries),
and every attempt is appended to the execution's record. A process that dies while
delivering loses the remaining attempts; what was tried is on the record.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from workflows_api import logs
from workflows_api.domain.executions import Execution
from workflows_api.domain.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    MAX_URLS,
    SIGNATURE_HEADER,
    DeliveryAttempt,
    WebhookConfig,
    new_signing_secret,
    signature,
    url_problem,
)
from workflows_api.service.errors import ServiceError
from workflows_api.service.ports import (
    ExecutionStore,
    SigningSecrets,
    WebhookSender,
    WebhookSendError,
    WebhookStore,
)
from workflows_api.service.workflows import WorkflowService

logger = logging.getLogger(__name__)
_REASON_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")

DEFAULT_ATTEMPTS = 3
DEFAULT_FIRST_BACKOFF_SECONDS = 1.0


class Webhooks:
    def __init__(
        self,
        *,
        workflows: WorkflowService,
        store: WebhookStore,
        secrets: SigningSecrets,
        executions: ExecutionStore,
        sender: WebhookSender,
        render: Callable[[Execution], dict[str, Any]],
        clock: Callable[[], dt.datetime],
        allow_http: bool = False,
        attempts: int = DEFAULT_ATTEMPTS,
        first_backoff_seconds: float = DEFAULT_FIRST_BACKOFF_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._workflows = workflows
        self._store = store
        self._secrets = secrets
        self._executions = executions
        self._sender = sender
        self._render = render
        self._clock = clock
        self._allow_http = allow_http
        self._attempts = attempts
        self._first_backoff = first_backoff_seconds
        self._sleep = sleep

    # --- configuration --------------------------------------------------------------

    def configure(
        self, org: str, workflow_id: str, urls: list[str], rotate_secret: bool = False
    ) -> tuple[WebhookConfig, str | None]:
        """Set the URLs; returns the signing secret when it is new (shown once)."""
        self._workflows.get(org, workflow_id)  # 404 for an unknown workflow
        problems = [
            {"field": f"urls.{i}", "message": f"{url[:200]!r}: {problem}"}
            for i, url in enumerate(urls)
            if (problem := url_problem(url, self._allow_http)) is not None
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
        if rotate_secret or self._secrets.get_signing_secret(org, workflow_id) is None:
            secret = new_signing_secret()
            self._secrets.put_signing_secret(org, workflow_id, secret)
        config = WebhookConfig(org, workflow_id, tuple(urls), self._clock())
        self._store.put_webhooks(config)
        return config, secret

    def get(self, org: str, workflow_id: str) -> WebhookConfig:
        self._workflows.get(org, workflow_id)
        config = self._store.get_webhooks(org, workflow_id)
        return config or WebhookConfig(org, workflow_id, (), self._clock())

    def remove(self, org: str, workflow_id: str) -> None:
        self._workflows.get(org, workflow_id)
        self._store.delete_webhooks(org, workflow_id)
        self._secrets.delete_signing_secret(org, workflow_id)

    # --- delivery -------------------------------------------------------------------

    def announce(self, execution: Execution) -> list[DeliveryAttempt]:
        """Deliver the end of `execution` to each URL of its workflow; never raises."""
        try:
            config = self._store.get_webhooks(execution.org, execution.workflow_id)
            if config is None or not config.urls:
                return []
            secret = self._secrets.get_signing_secret(execution.org, execution.workflow_id)
            if secret is None:
                return []
            body = json.dumps(self._render(execution), separators=(",", ":")).encode("utf-8")
            return [
                attempt
                for url in config.urls
                for attempt in self._deliver(execution, url, body, secret)
            ]
        except Exception:
            # Announcing must never break the request that ended the execution.
            logger.exception("webhook delivery failed for execution %s", execution.id)
            return []

    def _deliver(
        self, execution: Execution, url: str, body: bytes, secret: str
    ) -> list[DeliveryAttempt]:
        tried: list[DeliveryAttempt] = []
        delivery_id = uuid.uuid4().hex
        backoff = self._first_backoff
        for number in range(1, self._attempts + 1):
            now = self._clock()
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: signature(secret, int(now.timestamp()), body),
                EVENT_HEADER: f"execution.{execution.state.value}",
                DELIVERY_HEADER: delivery_id,
            }
            status, error = self._send(url, body, headers)
            attempt = DeliveryAttempt(url, number, now, execution.state.value, status, error)
            self._executions.record_delivery_attempt(execution.org, execution.id, attempt)
            tried.append(attempt)
            logs.log(
                logger,
                logging.INFO if attempt.delivered else logging.WARNING,
                "webhook delivery attempt",
                execution_id=execution.id,
                attempt=number,
                status_code=status,
                delivered=attempt.delivered,
            )
            if attempt.delivered:
                break
            if number < self._attempts:
                self._sleep(backoff)
                backoff *= 2
        return tried

    def _send(
        self, url: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int | None, str | None]:
        """The receiver's status, and a reason code when it was not a 2xx: `http_<status>`,
        or the sender's code (never exception text, which could echo the receiver)."""
        try:
            status = self._sender.send(url, body, headers)
        except WebhookSendError as failure:
            return None, failure_reason(failure)
        return status, None if 200 <= status < 300 else f"http_{status}"


def failure_reason(failure: WebhookSendError) -> str:
    """The sender's reason code; anything that is not one (a code is lowercase letters,
    digits and `_`) is recorded as `send_failed`."""
    reason = str(failure)
    return reason if _REASON_CODE.fullmatch(reason) else "send_failed"
