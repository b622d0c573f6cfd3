"""execute and status (native API)."""

from __future__ import annotations

from typing import Any

from flask import Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from workflows_api.bootstrap import get_app
from workflows_api.domain.tokens import Grant
from workflows_api.http.auth import caller
from workflows_api.http.errors import ApiError
from workflows_api.http.requests import json_body, parse_model
from workflows_api.http.responses import json_response
from workflows_api.http.views import execution_view
from workflows_api.service.executions import MAX_WAIT_SECONDS, ExecuteRequest
from workflows_api.service.workflows import check_workflow_id

MAX_IDEMPOTENCY_KEY_LENGTH = 200


class ExecuteBody(BaseModel):
    """POST /v1/workflows/{workflow_id}/executions."""

    model_config = ConfigDict(extra="forbid")

    parameters: dict[str, Any] = Field(default_factory=dict)
    cache: StrictBool | None = Field(
        default=None, description="false: run anew even if an identical run exists."
    )
    wait_seconds: float = Field(
        default=0,
        ge=0,
        le=MAX_WAIT_SECONDS,
        description="Wait up to this long for a terminal state before answering.",
    )


def execute(request: Request, workflow_id: str) -> Response:
    token = caller(request, Grant.EXECUTE, workflow_id)
    check_workflow_id(workflow_id)
    body = parse_model(ExecuteBody, json_body(request))
    result = get_app().executions.execute(
        token.org,
        workflow_id,
        ExecuteRequest(
            parameters=body.parameters,
            cache=body.cache,
            wait_seconds=body.wait_seconds,
            idempotency_key=_idempotency_key(request),
        ),
    )
    execution = result.execution
    return json_response(
        execution_view(execution, cached=result.reused),
        200 if result.reused or execution.state.is_terminal else 202,
        headers={"Location": f"/v1/executions/{execution.id}"},
    )


def get_execution(request: Request, execution_id: str) -> Response:
    token = caller(request, Grant.EXECUTIONS_READ)
    execution = get_app().executions.get(token.org, execution_id)
    if not token.allows_workflow(execution.workflow_id):
        # The token cannot see this workflow's executions: as if it did not exist.
        raise ApiError(404, "execution_not_found", f"No execution {execution_id!r}.")
    return json_response(execution_view(execution))


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH or not key.isprintable():
        raise ApiError(
            400,
            "invalid_idempotency_key",
            f"Idempotency-Key: expected 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable characters.",
            "Idempotency-Key",
        )
    return key
