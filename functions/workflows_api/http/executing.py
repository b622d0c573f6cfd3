"""The execute function's native handlers (execute, cancel), and the skeleton every
surface's execute shares: authenticate the caller, check the request, call the use
case. Each surface parses its own body and shapes its own view around these."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.domain.access.tokens import Grant
from workflows_api.execution_views import cost_estimate_view, execution_view
from workflows_api.http import request_bodies
from workflows_api.http.auth import caller
from workflows_api.http.errors import ApiError
from workflows_api.http.requests import json_body
from workflows_api.http.responses import json_response
from workflows_api.service.executions import CostEstimate, ExecuteRequest, ExecuteResult
from workflows_api.service.workflows import check_workflow_id

MAX_IDEMPOTENCY_KEY_LENGTH = 200
# Printable ASCII (header values are bytes; anything else would be read as Latin-1).
IDEMPOTENCY_KEY_PATTERN = rf"^[\x20-\x7e]{{1,{MAX_IDEMPOTENCY_KEY_LENGTH}}}$"


def execute_workflow(
    app: App, request: Request, workflow_id: str, parse: Callable[[Request], ExecuteRequest]
) -> ExecuteResult:
    """Execute `workflow_id` as the request's caller; `parse` reads the surface's body
    (only once the caller is known: a bad token answers 401 whatever the body)."""
    token = caller(app, request, Grant.EXECUTE, workflow_id)
    check_workflow_id(workflow_id)
    return app.admission.execute(token.org, workflow_id, parse(request))


def execute_or_estimate(
    app: App, request: Request, workflow_id: str, parse: Callable[[Request], ExecuteRequest]
) -> ExecuteResult | CostEstimate:
    """`execute_workflow`, or only its estimate when the request asks for a dry run
    (the same checks first; nothing is run or recorded then)."""
    token = caller(app, request, Grant.EXECUTE, workflow_id)
    check_workflow_id(workflow_id)
    execute_request = parse(request)
    if execute_request.dry_run:
        return app.admission.estimate(token.org, workflow_id, execute_request)
    return app.admission.execute(token.org, workflow_id, execute_request)


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


def _execute_request(request: Request) -> ExecuteRequest:
    body = request_bodies.parse_model(request_bodies.ExecuteBody, json_body(request))
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


def cancel_execution(app: App, request: Request, execution_id: str) -> Response:
    token = caller(app, request, Grant.EXECUTIONS_CANCEL)
    execution = app.queries.cancel(token.org, execution_id, token.allows_workflow)
    return json_response(execution_view(execution))
