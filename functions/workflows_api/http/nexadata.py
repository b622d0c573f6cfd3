"""Nexadata dialect, as in "Executing Workflows via the Nexadata API".

`POST /api/v1/workflows/{id}/execute` queues a run and answers 200 with the execution
in `created` state (callers poll; the body may be empty); `GET
/api/v1/workflows/executions/{id}` reads it with `start_at`, `end_at`, `errors` and
`warnings`, in Nexadata's four states. The work is the native API's `ExecutionService`;
errors use the native error shape. The retired pipeline endpoint answers 404 with a
pointer to these two.
"""

from __future__ import annotations

from typing import Any, Literal

from flask import Request, Response
from pydantic import BaseModel, ConfigDict, Field

from workflows_api.bootstrap import App
from workflows_api.domain import executions
from workflows_api.domain.executions import Execution, State
from workflows_api.domain.tokens import Grant
from workflows_api.http import schemas
from workflows_api.http.auth import caller
from workflows_api.http.errors import ApiError
from workflows_api.http.requests import json_body, parse_model
from workflows_api.http.responses import json_response
from workflows_api.http.views import required_timestamp, timestamp
from workflows_api.service.executions import ExecuteRequest
from workflows_api.service.workflows import check_workflow_id

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


class ExecuteBody(BaseModel):
    """POST /api/v1/workflows/{id}/execute: optional; Nexadata's own calls send none."""

    model_config = ConfigDict(extra="forbid")

    parameters: dict[str, Any] = Field(default_factory=dict)


def execute(app: App, request: Request, workflow_id: str) -> Response:
    token = caller(app, request, Grant.EXECUTE, workflow_id)
    check_workflow_id(workflow_id)
    body = parse_model(ExecuteBody, json_body(request, empty_allowed=True))
    result = app.admission.execute(
        token.org, workflow_id, ExecuteRequest(parameters=body.parameters)
    )
    execution = result.execution
    # Nexadata's contract: the run is queued, the answer is `created`, callers poll.
    queued = schemas.NexadataExecution(
        id=execution.id,
        workflow_id=execution.workflow_id,
        state="created",
        created_at=required_timestamp(execution.created_at),
        start_at=None,
        end_at=None,
        errors=[],
        warnings=[],
    )
    return json_response(queued.model_dump(mode="json"))


def get_execution(app: App, request: Request, execution_id: str) -> Response:
    token = caller(app, request, Grant.EXECUTIONS_READ)
    execution = app.queries.get(token.org, execution_id, token.allows_workflow)
    return json_response(execution_record(execution))


def execution_record(execution: Execution) -> dict[str, Any]:
    return schemas.NexadataExecution(
        id=execution.id,
        workflow_id=execution.workflow_id,
        state=_STATE[execution.state],
        created_at=required_timestamp(execution.created_at),
        start_at=timestamp(execution.started_at),
        end_at=timestamp(execution.ended_at),
        errors=[schemas.JobErrorResult.of(execution.job_error)] if execution.job_error else [],
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
