"""Nexadata dialect, as in "Executing Workflows via the Nexadata API".

`POST /api/v1/workflows/{id}/execute` queues a run and answers 200 with the execution
in `created` state (callers poll; the body may be empty); `GET
/api/v1/workflows/executions/{id}` reads it with `start_at`, `end_at`, `errors` and
`warnings`, in Nexadata's four states. The work is the native API's execute and
status (`nexadata_execute.py` holds the execute function's handler); errors use the
native error shape. The retired pipeline endpoint answers 404 with a pointer to these
two.
"""

from __future__ import annotations

from typing import Any, Literal

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.domain.execution import states
from workflows_api.domain.execution.states import Execution, State
from workflows_api.domain.timestamps import iso_utc, optional_iso_utc
from workflows_api.http.errors import ApiError
from workflows_api.http.executions import read_execution
from workflows_api.http.responses import json_response

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


def get_execution(app: App, request: Request, execution_id: str) -> Response:
    return json_response(execution_record(read_execution(app, request, execution_id)))


def execution_record(execution: Execution, *, queued: bool = False) -> dict[str, Any]:
    """Nexadata's execution; `queued`: as the execute answer has it, just `created`."""
    error = None if queued else execution.job_error
    return {  # schemas.NexadataExecution
        "id": execution.id,
        "workflow_id": execution.workflow_id,
        "state": "created" if queued else _STATE[execution.state],
        "created_at": iso_utc(execution.created_at),
        "start_at": None if queued else optional_iso_utc(execution.started_at),
        "end_at": None if queued else optional_iso_utc(execution.ended_at),
        "errors": [error.to_dict()] if error else [],
        "warnings": [],
    }


def retired_pipeline_endpoint(app: App, request: Request, rest: str) -> Response:
    raise ApiError(
        404,
        "endpoint_retired",
        "The pipeline execution endpoint has been retired. Execute a workflow with "
        "POST /api/v1/workflows/{id}/execute and poll it with "
        "GET /api/v1/workflows/executions/{id}.",
    )
