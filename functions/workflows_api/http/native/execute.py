"""The execute function's native handlers: execute a workflow (or estimate its cost: a
dry run) and cancel an execution. The steps every surface shares are in
`http/skeletons.py`."""

from __future__ import annotations

import re

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.domain.access.tokens import Grant
from workflows_api.execution_views import cost_estimate_view, execution_view
from workflows_api.http.auth import caller
from workflows_api.http.errors import ApiError
from workflows_api.http.native.execute_body import execute_body
from workflows_api.http.native.routes import IDEMPOTENCY_KEY_PATTERN, MAX_IDEMPOTENCY_KEY_LENGTH
from workflows_api.http.request_parsing import json_body
from workflows_api.http.responses import json_response
from workflows_api.http.skeletons import execute_or_estimate
from workflows_api.service.execution_requests import CostEstimate, ExecuteRequest


def execute(app: App, request: Request, workflow_id: str) -> Response:
    result = execute_or_estimate(app, request, workflow_id, _execute_request)
    if isinstance(result, CostEstimate):
        return json_response(cost_estimate_view(result))
    execution = result.execution
    return json_response(
        execution_view(
            execution,
            cached=result.reused,
            cached_at=result.cached_at,
            cache_miss=result.cache_miss,
        ),
        200 if result.reused or execution.state.is_terminal else 202,
        headers={"Location": f"/v1/executions/{execution.id}"},
    )


def _execute_request(request: Request) -> ExecuteRequest:
    body = execute_body(json_body(request))
    return ExecuteRequest(
        parameters=body["parameters"],
        cache=body["cache"],
        wait_seconds=body["wait_seconds"],
        idempotency_key=idempotency_key(request),
        dry_run=body["dry_run"],
        cache_max_age_seconds=body["cache_max_age_seconds"],
    )


def idempotency_key(request: Request) -> str | None:
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


def cancel_execution(app: App, request: Request, execution_id: str) -> Response:
    token = caller(app, request, Grant.EXECUTIONS_CANCEL)
    execution = app.queries.cancel(token.org, execution_id, token.allows_workflow)
    return json_response(execution_view(execution))
