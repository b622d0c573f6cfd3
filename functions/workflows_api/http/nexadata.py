"""Nexadata dialect, as in "Executing Workflows via the Nexadata API".

`POST /api/v1/workflows/{id}/execute` queues a run and answers 200 with the execution
in `created` state (callers poll; the body may be empty); `GET
/api/v1/workflows/executions/{id}` reads it with `start_at`, `end_at`, `errors` and
`warnings`, in Nexadata's four states. The work is the native API's execute and
status (http/executing.py); errors use the native error shape. The retired pipeline
endpoint answers 404 with a pointer to these two.
"""

from __future__ import annotations

from typing import Any, Literal

from flask import Request, Response
from pydantic import BaseModel, ConfigDict, Field

from workflows_api.bootstrap import App
from workflows_api.domain import executions
from workflows_api.domain.executions import Execution, State
from workflows_api.domain.timestamps import iso_utc, optional_iso_utc
from workflows_api.http import schemas
from workflows_api.http.errors import ApiError
from workflows_api.http.executing import execute_workflow, read_execution
from workflows_api.http.requests import json_body, parse_model
from workflows_api.http.responses import json_response
from workflows_api.service.executions import ExecuteRequest

# What a cancelled run reads as in `errors` (Nexadata has no cancelled state).
CANCELLED_ERROR = executions.CANCELLED_ERROR.to_dict()
# Nexadata has no cancelled state: a cancelled run reads as failed, saying why.
_STATE: dict[State, Literal["created", "running", "succeeded", "failed"]] = {
    State.CREATED: "created",
    State.RUNNING: "running",
    State.SUCCEEDED: "succeeded",
    State.FAILED: "failed",
    State.CANCELLED: "failed",
}


class NexadataExecuteBody(BaseModel):
    """POST /api/v1/workflows/{id}/execute: optional; Nexadata's own calls send none."""

    model_config = ConfigDict(extra="forbid")

    parameters: dict[str, Any] = Field(default_factory=dict)


def execute(app: App, request: Request, workflow_id: str) -> Response:
    result = execute_workflow(app, request, workflow_id, _execute_request)
    # Nexadata's contract: the run is queued, the answer is `created`, callers poll.
    return json_response(execution_record(result.execution, queued=True))


def get_execution(app: App, request: Request, execution_id: str) -> Response:
    return json_response(execution_record(read_execution(app, request, execution_id)))


def _execute_request(request: Request) -> ExecuteRequest:
    body = parse_model(NexadataExecuteBody, json_body(request, empty_allowed=True))
    return ExecuteRequest(parameters=body.parameters)


def execution_record(execution: Execution, *, queued: bool = False) -> dict[str, Any]:
    """Nexadata's execution; `queued`: as the execute answer has it, just `created`."""
    error = None if queued else execution.job_error
    return schemas.NexadataExecution(
        id=execution.id,
        workflow_id=execution.workflow_id,
        state="created" if queued else _STATE[execution.state],
        created_at=iso_utc(execution.created_at),
        start_at=None if queued else optional_iso_utc(execution.started_at),
        end_at=None if queued else optional_iso_utc(execution.ended_at),
        errors=[schemas.JobErrorResult.of(error)] if error else [],
        warnings=[],
    ).model_dump(mode="json")


def retired_pipeline_endpoint(app: App, request: Request, rest: str) -> Response:
    raise ApiError(
        404,
        "endpoint_retired",
        "The pipeline execution endpoint has been retired. Execute a workflow with "
        "POST /api/v1/workflows/{id}/execute and poll it with "
        "GET /api/v1/workflows/executions/{id}.",
    )
