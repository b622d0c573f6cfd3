"""Nexadata's execution record, as plain data shaped like `models.NexadataExecution`
(no pydantic: the status function answers with it)."""

from __future__ import annotations

from typing import Any, Literal

from workflows_api.domain.execution import states
from workflows_api.domain.execution.states import Execution, State
from workflows_api.domain.timestamps import iso_utc, optional_iso_utc

# What a cancelled run reads as in `errors` (Nexadata has no cancelled state).
CANCELLED_ERROR = states.CANCELLED_ERROR.to_dict()
# Nexadata has no cancelled state: a cancelled run reads as failed, saying why.
_STATE: dict[State, Literal["created", "running", "succeeded", "failed"]] = {
    State.CREATED: "created",
    State.RUNNING: "running",
    State.SUCCEEDED: "succeeded",
    State.FAILED: "failed",
    State.CANCELLED: "failed",
}


def execution_record(execution: Execution, *, queued: bool = False) -> dict[str, Any]:
    """Nexadata's execution; `queued`: as the execute answer has it, just `created`."""
    error = None if queued else execution.job_error
    return {  # models.NexadataExecution
        "id": execution.id,
        "workflow_id": execution.workflow_id,
        "state": "created" if queued else _STATE[execution.state],
        "created_at": iso_utc(execution.created_at),
        "start_at": None if queued else optional_iso_utc(execution.started_at),
        "end_at": None if queued else optional_iso_utc(execution.ended_at),
        "errors": [error.to_dict()] if error else [],
        "warnings": [],
    }
