"""An execution as its Firestore document, and back (executions.py writes them; the
sweep's and the slots' queries read them)."""

from __future__ import annotations

import json
from typing import Any

from workflows_api.adapters.firestore.documents import (
    optional_timestamp,
    optional_utc,
    timestamp,
    to_json,
    utc,
)
from workflows_api.domain.execution.delivery_attempts import DeliveryAttempt
from workflows_api.domain.execution.states import Execution, JobError, JobStatistics, State


def execution_to_document(execution: Execution) -> dict[str, Any]:
    """Every field but expire_at (create_execution's) and the delivery attempts."""
    error = execution.error
    return {
        "id": execution.id,
        # Derived from the id (numbers.py), stored for find_executions_by_number.
        "number": execution.number,
        "org": execution.org,
        "workflow_id": execution.workflow_id,
        "version": execution.version,
        "parameters": to_json(execution.parameters),
        "cache_key": execution.cache_key,
        "output_table": execution.output_table,
        "procedure": execution.procedure,
        "connection": execution.connection,
        "created_at": timestamp(execution.created_at),
        "state": execution.state.value,
        "bigquery_job_id": execution.bigquery_job_id,
        "started_at": optional_timestamp(execution.started_at),
        "ended_at": optional_timestamp(execution.ended_at),
        "error": None if error is None else error.to_dict(),
        "cache_enabled": execution.cache_enabled,
        "output_expires_at": optional_timestamp(execution.output_expires_at),
        "reconciled_at": optional_timestamp(execution.reconciled_at),
        "submit_attempts": execution.submit_attempts,
        "awaiting_report": execution.awaiting_report,
        "labels": dict(execution.labels),
        "trace_id": execution.trace_id,
        "statistics": None if execution.statistics is None else execution.statistics.to_dict(),
        "queue_reason": execution.queue_reason,
        "trigger": execution.trigger,
    }


def execution_from_document(data: dict[str, Any]) -> Execution:
    error = data["error"]
    return Execution(
        id=data["id"],
        org=data["org"],
        workflow_id=data["workflow_id"],
        version=data["version"],
        parameters=json.loads(data["parameters"]),
        cache_key=data["cache_key"],
        output_table=data["output_table"],
        procedure=data["procedure"],
        connection=data["connection"],
        created_at=utc(data["created_at"]),
        state=State(data["state"]),
        bigquery_job_id=data["bigquery_job_id"],
        started_at=optional_utc(data["started_at"]),
        ended_at=optional_utc(data["ended_at"]),
        error=None if error is None else JobError(**error),
        cache_enabled=data["cache_enabled"],
        output_expires_at=optional_utc(data["output_expires_at"]),
        reconciled_at=optional_utc(data["reconciled_at"]),
        submit_attempts=data["submit_attempts"],
        awaiting_report=data.get("awaiting_report", False),  # absent before it was kept
        labels=dict(data["labels"]),
        trace_id=data.get("trace_id"),  # absent from records written before traces
        deliveries=tuple(_delivery_from_doc(d) for d in data.get("webhook_deliveries", [])),
        # Records written before statistics were kept have none.
        statistics=JobStatistics(**statistics) if (statistics := data.get("statistics")) else None,
        queue_reason=data.get("queue_reason"),  # kept since concurrency limits exist
        trigger=data.get("trigger") or "http",  # records from before triggers were kept
    )


def delivery_to_document(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "url": attempt.url,
        "attempt": attempt.attempt,
        "at": timestamp(attempt.at),
        "state": attempt.state,
        "status_code": attempt.status_code,
        "error": attempt.error,
        "event_id": attempt.event_id,
        "dead_lettered": attempt.dead_lettered,
    }


def _delivery_from_doc(data: dict[str, Any]) -> DeliveryAttempt:
    return DeliveryAttempt(
        url=data["url"],
        attempt=data["attempt"],
        at=utc(data["at"]),
        state=data["state"],
        status_code=data["status_code"],
        error=data["error"],
        event_id=data.get("event_id"),
        dead_lettered=bool(data.get("dead_lettered", False)),
    )
