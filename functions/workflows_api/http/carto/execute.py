"""CARTO dialect, the execute function's part: run a workflow's CALL as a job (`POST`,
or `GET` with URL parameters) and cancel one (`DELETE`); see status.py."""

from __future__ import annotations

from typing import Any

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.domain.access.tokens import Grant
from workflows_api.http.carto.job_requests import carto_caller, job_execution_id, saw_query
from workflows_api.http.carto.models import CartoJobBody
from workflows_api.http.carto.views import job_view, stored_job_view
from workflows_api.http.errors import ApiError
from workflows_api.http.models import parse_model
from workflows_api.http.request_parsing import json_body, parse_json
from workflows_api.http.responses import json_response


def create_job(app: App, request: Request, connection: str) -> Response:
    if request.method == "GET":
        # A GET's query is known before anything else: even an auth refusal echoes it.
        saw_query(request, request.args.get("query"))
    token = carto_caller(app, request, Grant.EXECUTE)
    body = _job_body(request)
    # A workflow the token may not run answers as an unknown procedure (404).
    prepared = app.carto.prepare_call(
        token.org, connection, body.query, body.query_parameters, token.allows_workflow
    )
    done = app.carto.run(token.org, prepared)
    return json_response(job_view(done.result.execution, done.connection, token.id, body.query))


def cancel_job(app: App, request: Request, connection: str, external_id: str) -> Response:
    token = carto_caller(app, request, Grant.EXECUTIONS_CANCEL)
    found = app.carto.cancel_job(
        token.org, connection, job_execution_id(external_id), token.allows_workflow
    )
    return json_response(stored_job_view(found.execution, found.connection, token.id))


def _job_body(request: Request) -> CartoJobBody:
    """The job from the JSON body (POST) or from the URL (GET)."""
    if request.method == "POST":
        data = json_body(request)
        if isinstance(data, dict) and isinstance(data.get("query"), str):
            saw_query(request, data["query"])
        return parse_model(CartoJobBody, data)
    query = request.args.get("query")
    if query is None:
        raise ApiError(
            400, "invalid_request", "query: required, a CALL of a workflow's procedure", "query"
        )
    raw = request.args.get("queryParameters")
    parameters: Any = {} if raw is None else _url_json(raw)
    return parse_model(CartoJobBody, {"query": query, "queryParameters": parameters})


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
