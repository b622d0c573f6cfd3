"""Match a request against the routing table and call its handler (imported with its
module on the first request it serves: `Route.serve`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import cache
from typing import Any

import flask
from flask import Request, Response
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from workflows_api import deadlines, logs, tracing
from workflows_api.bootstrap import App, get_app
from workflows_api.config import get_settings
from workflows_api.http.errors import ApiError, as_api_error
from workflows_api.http.responses import error_response
from workflows_api.http.routing import Route
from workflows_api.http.tables import routes_for
from workflows_api.service.errors import BackendUnavailable, ServiceError

logger = logging.getLogger(__name__)


@cache
def _url_map(routes: tuple[Route, ...]) -> tuple[Map, dict[str, Route]]:
    rules = [Rule(r.path, methods=[r.method], endpoint=r.name) for r in routes]
    return Map(rules, strict_slashes=False, merge_slashes=False), {r.name: r for r in routes}


def dispatch(
    request: Request,
    function: str | None,
    app: App | None = None,
    *,
    routes: tuple[Route, ...] | None = None,
) -> Response:
    """Serve `request` with the routes of `function` (all routes when None), on `app`'s
    services (the process's own when None; tests pass one bootstrapped on fakes).
    `routes` replaces the table (a test's own route set)."""
    settings = app.settings if app is not None else get_settings()
    logs.configure(settings.log_level)
    tracing.configure(settings.project, settings.trace_export)
    try:
        route, path_args = _match(request, routes or routes_for(function))
    except ApiError as unrouted:
        route, response = None, error_response(unrouted)
    # The request's span (named by its route) is a child of the caller's.
    with tracing.request_span(
        route.name if route else "unrouted", tracing.incoming(request.headers)
    ):
        if route is not None:
            with deadlines.within(deadlines.REQUEST_DEADLINE_SECONDS):
                response = _serve(route, app or get_app(), request, path_args)
        logs.log(
            logger,
            logging.INFO,
            f"{request.method} {request.path} {response.status_code}",
            httpRequest={
                "requestMethod": request.method,
                "requestUrl": request.path,  # the path only: query strings may carry tokens
                "status": response.status_code,
            },
        )
    return response


def _match(request: Request, routes: tuple[Route, ...]) -> tuple[Route, Mapping[str, Any]]:
    """The route and path arguments of `request`; 404 or 405 when there is none."""
    url_map, by_name = _url_map(routes)
    try:
        endpoint, path_args = url_map.bind_to_environ(request.environ).match()
    except NotFound:
        raise ApiError(
            404, "route_not_found", f"No route for {request.method} {request.path}."
        ) from None
    except MethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.valid_methods or []))
        raise ApiError(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed on {request.path}; allowed: {allowed}.",
            headers={"Allow": allowed},
        ) from None
    return by_name[str(endpoint)], path_args


def _serve(route: Route, app: App, request: Request, path_args: Mapping[str, Any]) -> Response:
    """The handler's answer; a refusal in the route's envelope; 500 for a bug."""
    try:
        _refuse_unknown_arguments(route, request)
        return route.serve()(app, request, **path_args)
    except (ApiError, ServiceError, BackendUnavailable) as error:
        return route.refuse()(as_api_error(error), request)
    except Exception:
        logger.exception("unhandled error serving %s %s", request.method, request.path)
        return error_response(ApiError(500, "internal", "Internal error; it has been logged."))


def _refuse_unknown_arguments(route: Route, request: Request) -> None:
    """400 for a query-string argument the route does not take (a misspelt `page_size`
    would otherwise be ignored): the document lists every one."""
    declared = {p.name for p in route.parameters if p.location == "query"}
    unknown = sorted(set(request.args) - declared)
    if unknown and route.auth != "none":  # health probes may add their own
        expected = ", ".join(sorted(declared)) or "none"
        raise ApiError(
            400,
            "unknown_argument",
            f"{unknown[0][:40]!r}: not an argument of this route (expected: {expected}).",
            unknown[0][:40],
        )


def framework_refusal(error: HTTPException) -> Response:
    """A request the framework refuses before `dispatch` sees it (its catch-all route does
    not match a path with a line break, for one), as a JSON error in the envelope of the
    route the path looks like. Registered with `functions_framework.errorhandler` by
    each entry-point module."""
    status = error.code or 400
    refused = (
        ApiError(404, "route_not_found", "No route for this path.")
        if status == 404
        else ApiError(status, "bad_request", f"The request was refused ({status}).")
    )
    try:
        route, _ = _match(flask.request, routes_for(None))
    except ApiError:
        return error_response(refused)
    return route.refuse()(refused, flask.request)
