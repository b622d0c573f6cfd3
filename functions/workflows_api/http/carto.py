"""CARTO dialect: `/v3/sql/{connection}/job` as in CARTO's "Executing workflows via API".

`POST` with `{"query": "CALL `p.d.r`(@a,@b)", "queryParameters": {...}}`, the same as a
`GET` with `query`, `queryParameters` (JSON) and `access_token` in the URL, and
`GET .../job/{externalId}` for the status, `DELETE` of it to cancel, and `GET
/v3/sql/jobs` for the org's jobs, newest first. Handlers only read the request, check the
token and shape the answer; the use case is `CartoCalls` (service/carto.py) over the
same services as the native API. Every refusal answers in CARTO's job shape: the
routes choose `job_refusal` as their envelope.
"""

from __future__ import annotations

from typing import Any

from flask import Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from workflows_api.bootstrap import App
from workflows_api.domain.calls import MAX_QUERY_CHARS
from workflows_api.domain.tokens import Caller, Grant
from workflows_api.http.auth import authorized, presented_credential
from workflows_api.http.carto_views import (
    error_body,
    execution_id_of,
    job_list_view,
    job_view,
    stored_query,
)
from workflows_api.http.errors import ApiError
from workflows_api.http.requests import int_argument, json_body, parse_json, parse_model
from workflows_api.http.responses import json_response
from workflows_api.service.errors import ServiceError

ACCESS_TOKEN_ARGUMENT = "access_token"  # noqa: S105 (a URL argument's name, not a secret)


class JobBody(BaseModel):
    """POST /v3/sql/{connection}/job."""

    model_config = ConfigDict(extra="forbid")

    query: StrictStr
    query_parameters: dict[str, Any] = Field(default_factory=dict, alias="queryParameters")


# Where a handler notes the query it has read, for its refusal to echo (request.environ).
QUERY_SEEN = "workflows_api.carto.query"


def create_job(app: App, request: Request, connection: str) -> Response:
    if request.method == "GET":
        # A GET's query is known before anything else: even an auth refusal echoes it.
        _saw_query(request, request.args.get("query"))
    token = _caller(app, request, Grant.EXECUTE)
    body = _job_body(request)
    # A workflow the token may not run answers as an unknown procedure (404).
    prepared = app.carto.prepare_call(
        token.org, connection, body.query, body.query_parameters, token.allows_workflow
    )
    done = app.carto.run(token.org, prepared)
    return json_response(job_view(done.result.execution, done.connection, token.id, body.query))


def get_job(app: App, request: Request, connection: str, external_id: str) -> Response:
    token = _caller(app, request, Grant.EXECUTIONS_READ)
    found = app.carto.execution_for_connection(
        token.org, connection, _execution_id(external_id), token.allows_workflow
    )
    execution = found.execution
    return json_response(job_view(execution, found.connection, token.id, stored_query(execution)))


def cancel_job(app: App, request: Request, connection: str, external_id: str) -> Response:
    token = _caller(app, request, Grant.EXECUTIONS_CANCEL)
    found = app.carto.cancel_job(
        token.org, connection, _execution_id(external_id), token.allows_workflow
    )
    execution = found.execution
    return json_response(job_view(execution, found.connection, token.id, stored_query(execution)))


def list_jobs(app: App, request: Request) -> Response:
    token = _caller(app, request, Grant.EXECUTIONS_READ)
    jobs, next_token = app.carto.list_jobs(
        token.org,
        page_size=int_argument(request, "page_size", 50, 1, 100),
        page_token=request.args.get("page_token") or None,
        workflow_ids=token.workflows,
    )
    pairs = [(job.execution, job.connection) for job in jobs]
    return json_response(job_list_view(pairs, token.id, next_token))


def _execution_id(external_id: str) -> str:
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


def _caller(app: App, request: Request, grant: Grant) -> Caller:
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


def _job_body(request: Request) -> JobBody:
    """The job from the JSON body (POST) or from the URL (GET)."""
    if request.method == "POST":
        data = json_body(request)
        if isinstance(data, dict) and isinstance(data.get("query"), str):
            _saw_query(request, data["query"])
        return parse_model(JobBody, data)
    query = request.args.get("query")
    if query is None:
        raise ApiError(
            400, "invalid_request", "query: required, a CALL of a workflow's procedure", "query"
        )
    raw = request.args.get("queryParameters")
    parameters: Any = {} if raw is None else _url_json(raw)
    return parse_model(JobBody, {"query": query, "queryParameters": parameters})


def _url_json(raw: str) -> Any:
    try:
        return parse_json(raw.encode("utf-8"))
    except ApiError as error:
        raise ApiError(
            400,
            "invalid_json",
            error.message.replace("The request body", "queryParameters"),
            "queryParameters",
        ) from None


def _saw_query(request: Request, query: str | None) -> None:
    if query is not None and len(query) <= MAX_QUERY_CHARS:
        request.environ[QUERY_SEEN] = query
