"""The steps every surface's execute and status handlers share: authenticate the caller,
check the request, call the use case. Each surface parses its own body and shapes its
own view around these (`native/`, `carto/`, `nexadata/`)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Request

from workflows_api.bootstrap import App
from workflows_api.domain.access.tokens import Grant
from workflows_api.domain.execution.states import Execution
from workflows_api.http.auth import caller
from workflows_api.service.execution_requests import CostEstimate, ExecuteRequest, ExecuteResult
from workflows_api.service.workflows import check_workflow_id


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


def read_execution(app: App, request: Request, execution_id: str) -> Execution:
    """An execution the request's caller may read, reconciled with BigQuery."""
    token = caller(app, request, Grant.EXECUTIONS_READ)
    return app.queries.get(token.org, execution_id, token.allows_workflow)
