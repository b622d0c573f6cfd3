"""Nexadata dialect, as in "Executing Workflows via the Nexadata API".

`POST /api/v1/workflows/{id}/execute` queues a run and answers 200 with the execution
in `created` state (callers poll; the body may be empty); `GET
/api/v1/workflows/executions/{id}` reads it with `start_at`, `end_at`, `errors` and
`warnings`, in Nexadata's four states. The work is the native API's execute and
status (`execute.py` holds the execute function's handler); errors use the native
error shape. The retired pipeline endpoint answers 404 with a pointer to these two.
"""

from __future__ import annotations

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.http.errors import ApiError
from workflows_api.http.nexadata.views import execution_record
from workflows_api.http.responses import json_response
from workflows_api.http.skeletons import read_execution


def get_execution(app: App, request: Request, execution_id: str) -> Response:
    return json_response(execution_record(read_execution(app, request, execution_id)))


def retired_pipeline_endpoint(app: App, request: Request, rest: str) -> Response:
    raise ApiError(
        404,
        "endpoint_retired",
        "The pipeline execution endpoint has been retired. Execute a workflow with "
        "POST /api/v1/workflows/{id}/execute and poll it with "
        "GET /api/v1/workflows/executions/{id}.",
    )
