"""CARTO dialect: `/v3/sql/{connection}/job` as in CARTO's "Executing workflows via API".

`POST` with `{"query": "CALL `p.d.r`(@a,@b)", "queryParameters": {...}}`, the same as a
`GET` with `query`, `queryParameters` (JSON) and `access_token` in the URL (both in
`carto_execute.py`, with `DELETE` of a job to cancel it), `GET .../job/{externalId}` for
the status, and `GET /v3/sql/jobs` for the org's jobs, newest first (here: the status
function's). Handlers only read the request, check the token and shape the answer; the
use case is `CartoCalls` (service/carto.py) over the same services as the native API.
Every refusal answers in CARTO's job shape: the routes choose `job_refusal` as their
envelope.
"""

from __future__ import annotations

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.domain.access.tokens import Caller, Grant
from workflows_api.domain.execution.calls import MAX_QUERY_CHARS
from workflows_api.http.auth import authorized, presented_credential
from workflows_api.http.carto_views import (
    error_body,
    execution_id_of,
    job_list_view,
    stored_job_view,
)
from workflows_api.http.errors import ApiError
from workflows_api.http.requests import int_argument
from workflows_api.http.responses import json_response
from workflows_api.service.errors import ServiceError

ACCESS_TOKEN_ARGUMENT = "access_token"  # noqa: S105 (a URL argument's name, not a secret)


# Where a handler notes the query it has read, for its refusal to echo (request.environ).
QUERY_SEEN = "workflows_api.carto.query"


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


def job_execution_id(external_id: str) -> str:
    execution_id = execution_id_of(external_id)
    if execution_id is None:
        raise ServiceError(
            "not_found",
            "job_not_found",
            f"No job {external_id[:140]!r}; expected an externalId like job_<id>.",
            "externalId",
        )
    return execution_id


def job_refusal(error: ApiError, request: Request) -> Response:
    """Every CARTO refusal, in CARTO's job shape, echoing the query once it was read."""
    body = error_body(error, request.environ.get(QUERY_SEEN))
    return json_response(body, error.status, error.headers)


def carto_caller(app: App, request: Request, grant: Grant) -> Caller:
    """The token from the Authorization header or CARTO's `access_token` URL argument."""
    header = presented_credential(app, request)
    argument = request.args.get(ACCESS_TOKEN_ARGUMENT) or None
    if header is not None and argument is not None and header != argument:
        raise ServiceError(
            "unauthenticated",
            "ambiguous_token",
            "Two different API tokens were given (Authorization header and access_token); "
            "give one.",
            "Authorization",
        )
    return authorized(app, header or argument, grant)


def saw_query(request: Request, query: str | None) -> None:
    if query is not None and len(query) <= MAX_QUERY_CHARS:
        request.environ[QUERY_SEEN] = query
