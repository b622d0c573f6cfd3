"""CARTO dialect: `/v3/sql/{connection}/job` as in CARTO's "Executing workflows via API".

`POST` with `{"query": "CALL `p.d.r`(@a,@b)", "queryParameters": {...}}`, the same as a
`GET` with `query`, `queryParameters` (JSON) and `access_token` in the URL (both in
`execute.py`, with `DELETE` of a job to cancel it), `GET .../job/{externalId}` for
the status, and `GET /v3/sql/jobs` for the org's jobs, newest first (here: the status
function's). Handlers only read the request, check the token and shape the answer; the
use case is `CartoCalls` (service/carto.py) over the same services as the native API.
Every refusal answers in CARTO's job shape: the routes choose `job_requests.job_refusal`
as their envelope.
"""

from __future__ import annotations

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.domain.access.tokens import Grant
from workflows_api.http.carto.job_requests import carto_caller, job_execution_id
from workflows_api.http.carto.views import job_list_view, stored_job_view
from workflows_api.http.request_parsing import int_argument
from workflows_api.http.responses import json_response


def get_job(app: App, request: Request, connection: str, external_id: str) -> Response:
    token = carto_caller(app, request, Grant.EXECUTIONS_READ)
    found = app.carto.execution_for_connection(
        token.org, connection, job_execution_id(external_id), token.allows_workflow
    )
    return json_response(stored_job_view(found.execution, found.connection, token.id))


def list_jobs(app: App, request: Request) -> Response:
    token = carto_caller(app, request, Grant.EXECUTIONS_READ)
    jobs, next_token = app.carto.list_jobs(
        token.org,
        page_size=int_argument(request, "page_size", 50, 1, 100),
        page_token=request.args.get("page_token") or None,
        workflow_ids=token.workflows,
    )
    pairs = [(job.execution, job.connection) for job in jobs]
    return json_response(job_list_view(pairs, token.id, next_token))
