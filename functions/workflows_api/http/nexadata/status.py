"""Nexadata dialect, as in "Executing Workflows via the Nexadata API".

`POST /api/v1/workflows/{id}/execute` queues a run and answers 200 with the execution
in `created` state (callers poll; the body may be empty); `GET
/api/v1/workflows/executions/{id}` reads it (by its number, Nexadata's integer id, or
by its native id) with `start_at`, `end_at`, `errors` and
`warnings`, in Nexadata's four states. The work is the native API's execute and
status (`execute.py` holds the execute function's handler); errors use the native
error shape. The retired pipeline endpoint answers 404 with a pointer to these two.
"""

from __future__ import annotations

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.domain.execution.numbers import parse_execution_number
from workflows_api.http.errors import ApiError
from workflows_api.http.nexadata.views import execution_record
from workflows_api.http.responses import json_response
from workflows_api.http.skeletons import read_execution, read_execution_by_number


def get_execution(app: App, request: Request, nexadata_execution_id: str) -> Response:
    """By the execution's number (Nexadata's ids are integers), or by its id: links
    handed out before executions had numbers keep working."""
    number = parse_execution_number(nexadata_execution_id)
    if number is None:  # an execution id, or nothing (404)
        execution = read_execution(app, request, nexadata_execution_id)
    else:
        execution = read_execution_by_number(app, request, number)
    return json_response(execution_record(execution))


def retired_pipeline_endpoint(app: App, request: Request, rest: str) -> Response:
    raise ApiError(
        404,
        "endpoint_retired",
        "The pipeline execution endpoint has been retired. Execute a workflow with "
        "POST /api/v1/workflows/{id}/execute and poll it with "
        "GET /api/v1/workflows/executions/{id}.",
    )
