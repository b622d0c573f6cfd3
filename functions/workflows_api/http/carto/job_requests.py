"""Reading CARTO's job requests, for both functions' handlers: the token (the
Authorization header or CARTO's `access_token` URL argument), a job's `externalId`, and
the query a refusal echoes; and that refusal, in CARTO's job shape (every CARTO route
names `job_refusal` as its envelope).
"""

from __future__ import annotations

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.domain.access.tokens import Caller, Grant
from workflows_api.domain.execution.calls import MAX_QUERY_CHARS
from workflows_api.http.auth import authorized, presented_credential
from workflows_api.http.carto.views import error_body, execution_id_of
from workflows_api.http.errors import ApiError
from workflows_api.http.responses import json_response
from workflows_api.service.errors import ServiceError

ACCESS_TOKEN_ARGUMENT = "access_token"  # noqa: S105 (a URL argument's name, not a secret)


# Where a handler notes the query it has read, for its refusal to echo (request.environ).
QUERY_SEEN = "workflows_api.carto.query"


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
