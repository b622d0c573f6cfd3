"""The native API's executions: execute, status, list, cancel, results."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from workflows_api.bootstrap import App
from workflows_api.domain.executions import State
from workflows_api.domain.tokens import Grant
from workflows_api.http import schemas
from workflows_api.http.auth import caller
from workflows_api.http.errors import ApiError
from workflows_api.http.executing import execute_or_estimate, read_execution
from workflows_api.http.requests import int_argument, json_body, parse_model
from workflows_api.http.responses import json_response
from workflows_api.http.views import cost_estimate_view, execution_model, execution_view
from workflows_api.service.executions import MAX_WAIT_SECONDS, CostEstimate, ExecuteRequest

MAX_IDEMPOTENCY_KEY_LENGTH = 200
# Printable ASCII (header values are bytes; anything else would be read as Latin-1).
IDEMPOTENCY_KEY_PATTERN = rf"^[\x20-\x7e]{{1,{MAX_IDEMPOTENCY_KEY_LENGTH}}}$"


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
    dry_run: StrictBool = Field(
        default=False,
        description="true: answer BigQuery's estimate of the bytes the run would process, "
        "without running it or recording an execution.",
    )


def execute(app: App, request: Request, workflow_id: str) -> Response:
    result = execute_or_estimate(app, request, workflow_id, _execute_request)
    if isinstance(result, CostEstimate):
        return json_response(cost_estimate_view(result))
    execution = result.execution
    return json_response(
        execution_view(execution, cached=result.reused),
        200 if result.reused or execution.state.is_terminal else 202,
        headers={"Location": f"/v1/executions/{execution.id}"},
    )


def get_execution(app: App, request: Request, execution_id: str) -> Response:
    return json_response(execution_view(read_execution(app, request, execution_id)))


def _execute_request(request: Request) -> ExecuteRequest:
    body = parse_model(ExecuteBody, json_body(request))
    return ExecuteRequest(
        parameters=body.parameters,
        cache=body.cache,
        wait_seconds=body.wait_seconds,
        idempotency_key=_idempotency_key(request),
        dry_run=body.dry_run,
    )


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
        raise ApiError(
            400,
            "invalid_idempotency_key",
            f"Idempotency-Key: expected 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII "
            "characters.",
            "Idempotency-Key",
        )
    return key


def list_executions(app: App, request: Request, workflow_id: str) -> Response:
    token = caller(app, request, Grant.EXECUTIONS_READ, workflow_id)
    executions, next_token = app.queries.list_executions(
        token.org,
        workflow_id,
        page_size=int_argument(request, "page_size", 50, 1, 100),
        page_token=request.args.get("page_token") or None,
        state=_state_argument(request),
        created_after=_time_argument(request, "created_after"),
        created_before=_time_argument(request, "created_before"),
    )
    body = schemas.ExecutionList(
        executions=[execution_model(e) for e in executions], next_page_token=next_token
    )
    return json_response(body.model_dump(mode="json"))


def cancel_execution(app: App, request: Request, execution_id: str) -> Response:
    token = caller(app, request, Grant.EXECUTIONS_CANCEL)
    execution = app.queries.cancel(token.org, execution_id, token.allows_workflow)
    return json_response(execution_view(execution))


def get_results(app: App, request: Request, execution_id: str) -> Response:
    token = caller(app, request, Grant.EXECUTIONS_READ)
    geography_format = request.args.get("geography_format", "geojson")
    if geography_format not in ("geojson", "wkt"):
        raise ApiError(
            400,
            "invalid_request",
            f"geography_format: expected geojson or wkt, got {geography_format[:40]!r}",
            "geography_format",
        )
    page = app.results.page(
        token.org,
        execution_id,
        token.allows_workflow,
        page_size=int_argument(request, "page_size", 1000, 1, 10_000),
        page_token=request.args.get("page_token") or None,
        geography_format="geojson" if geography_format == "geojson" else "wkt",
    )
    columns = [
        {"name": c.name, "type": c.type, "mode": "REPEATED" if c.repeated else "NULLABLE"}
        for c in page.columns
    ]
    body = schemas.Results.model_validate(
        {
            "execution_id": execution_id,
            "schema": columns,
            "rows": page.rows,
            "next_page_token": page.next_page_token,
        }
    )
    return json_response(body.model_dump(mode="json", by_alias=True))


def _state_argument(request: Request) -> State | None:
    raw = request.args.get("state")
    if raw is None:
        return None
    try:
        return State(raw)
    except ValueError:
        raise ApiError(
            400,
            "invalid_request",
            f"state: expected one of {', '.join(s.value for s in State)}, got {raw[:40]!r}",
            "state",
        ) from None


def _time_argument(request: Request, name: str) -> dt.datetime | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise ApiError(
            400,
            "invalid_request",
            f"{name}: expected an ISO 8601 time with a zone, like 2026-01-31T12:00:00Z; "
            f"got {raw[:40]!r}",
            name,
        )
    return value
