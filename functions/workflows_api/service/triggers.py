"""Executions started by Pub/Sub messages, through the same service as `execute`.

A topic is bound to one org (settings: WFAPI_PUBSUB_TOPICS) and runs only that
org's workflows. The message id is the execution's idempotency key, so a
redelivered message never makes a second execution. A message that can never
succeed is acknowledged with a record saying why (`orgs/{org}/trigger_rejections`):
bad JSON, bad parameters, an unknown workflow, any refusal, even an unexpected
exception (logged with its traceback). Only a transient backend failure
(BackendUnavailable, or a refusal of kind "unavailable") raises, so Pub/Sub delivers
the message again; nothing else would go differently the next time.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from workflows_api import logs
from workflows_api.domain.execution.records import TriggerRejection
from workflows_api.domain.plain_data import TooDeep, check_json_nesting, printable
from workflows_api.service.admission import ExecutionAdmission
from workflows_api.service.errors import BackendUnavailable, ServiceError
from workflows_api.service.execution_requests import ExecuteRequest
from workflows_api.service.ports import TriggerRejectionStore

logger = logging.getLogger(__name__)

REJECTION_RETENTION = dt.timedelta(days=30)
# Refusals that a redelivery may fix: raise them. Every other one is recorded. A full
# concurrency queue (`too_many`) empties with time: the message comes back later.
_TRANSIENT_KINDS = frozenset({"unavailable", "too_many"})


class PubSubExecuteMessage(BaseModel):
    """The JSON a message carries."""

    model_config = ConfigDict(extra="forbid")

    workflow: str = Field(description="Workflow id in the topic's org.")
    parameters: dict[str, Any] = Field(default_factory=dict)
    cache: StrictBool | None = None


@dataclass(frozen=True)
class TriggerOutcome:
    status: Literal["executed", "rejected", "ignored"]
    execution_id: str | None = None
    reason: str | None = None


class PubSubTriggers:
    def __init__(
        self,
        *,
        executions: ExecutionAdmission,
        rejections: TriggerRejectionStore,
        topic_orgs: Mapping[str, str],
        clock: Callable[[], dt.datetime],
    ) -> None:
        self._executions = executions
        self._rejections = rejections
        self._topic_orgs = dict(topic_orgs)
        self._clock = clock

    def handle(self, topic: str, message_id: str, data: bytes) -> TriggerOutcome:
        """Start (or find again) the execution a message asks for."""
        org = self._topic_orgs.get(topic)
        if org is None:
            # No org to record it under: say so in the logs and acknowledge.
            logs.log(logger, logging.ERROR, "message on a topic bound to no org", topic=topic)
            return TriggerOutcome("ignored", reason=f"topic {topic!r} is bound to no org")
        try:
            return self._execute(org, topic, message_id, data)
        except BackendUnavailable:
            raise
        except ServiceError as refused:
            if refused.kind in _TRANSIENT_KINDS:
                raise
            return self._reject(org, topic, message_id, refused.code, refused.message)
        except Exception as error:  # a bug must not make the message come back forever
            logger.exception(
                "Pub/Sub message failed unexpectedly",
                extra={"fields": {"topic": topic, "message_id": message_id}},
            )
            reason = f"the message could not be handled ({type(error).__name__})"
            return self._reject(org, topic, message_id, "internal_error", reason)

    def _execute(self, org: str, topic: str, message_id: str, data: bytes) -> TriggerOutcome:
        try:
            request = _parse(data)
        except ValueError as bad:
            return self._reject(org, topic, message_id, "invalid_message", str(bad))
        try:
            result = self._executions.execute(
                org,
                request.workflow,
                ExecuteRequest(
                    parameters=request.parameters,
                    cache=request.cache,
                    idempotency_key=f"pubsub:{topic}:{message_id}",
                    trigger=f"pubsub:{topic}",
                ),
            )
        except ServiceError as refused:
            if refused.kind in _TRANSIENT_KINDS:
                raise
            return self._reject(
                org, topic, message_id, refused.code, refused.message, request.workflow
            )
        logs.log(
            logger,
            logging.INFO,
            "execution started by a Pub/Sub message",
            execution_id=result.execution.id,
            message_id=message_id,
            reused=result.reused,
        )
        return TriggerOutcome("executed", execution_id=result.execution.id)

    def _reject(
        self,
        org: str,
        topic: str,
        message_id: str,
        code: str,
        message: str,
        workflow: str | None = None,
    ) -> TriggerOutcome:
        now = self._clock()
        # What the message carried may be quoted: stored and logged as valid UTF-8.
        message = printable(message)
        workflow = printable(workflow) if workflow is not None else None
        self._rejections.record_trigger_rejection(
            TriggerRejection(
                org=org,
                message_id=message_id,
                topic=topic,
                workflow_id=workflow,
                code=code,
                message=message,
                received_at=now,
            ),
            expire_at=now + REJECTION_RETENTION,
        )
        logs.log(
            logger,
            logging.WARNING,
            "Pub/Sub message rejected for good",
            message_id=message_id,
            code=code,
            reason=message,
        )
        return TriggerOutcome("rejected", reason=f"{code}: {message}")


def _parse(data: bytes) -> PubSubExecuteMessage:
    try:
        check_json_nesting(data)
        payload = json.loads(data.decode("utf-8"), parse_constant=_no_constants)
    except TooDeep as error:
        raise ValueError(f"the message data {error}") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"the message data is not UTF-8 JSON: {error}") from None
    if not isinstance(payload, dict):
        raise ValueError("the message data must be a JSON object")
    try:
        return PubSubExecuteMessage.model_validate(payload)
    except ValidationError as invalid:
        first = invalid.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"{field}: {first['msg']}") from None


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
