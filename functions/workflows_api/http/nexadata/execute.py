"""Nexadata dialect, the execute function's part: `POST /api/v1/workflows/{id}/execute`
queues a run and answers the execution in `created` state; see status.py."""

from __future__ import annotations

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.http.models import parse_model
from workflows_api.http.nexadata.models import NexadataExecuteBody
from workflows_api.http.nexadata.views import execution_record
from workflows_api.http.request_parsing import json_body
from workflows_api.http.responses import json_response
from workflows_api.http.skeletons import execute_workflow
from workflows_api.service.execution_requests import ExecuteRequest


def execute(app: App, request: Request, workflow_id: str) -> Response:
    result = execute_workflow(app, request, workflow_id, _execute_request)
    # Nexadata's contract: the run is queued, the answer is `created`, callers poll.
    return json_response(execution_record(result.execution, queued=True))


def _execute_request(request: Request) -> ExecuteRequest:
    body = parse_model(NexadataExecuteBody, json_body(request, empty_allowed=True))
    return ExecuteRequest(parameters=body.parameters)
