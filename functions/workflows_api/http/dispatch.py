"""Match a request against the routing table and call its handler."""

from __future__ import annotations

import logging
from functools import cache

from flask import Request, Response
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from workflows_api import logs
from workflows_api.bootstrap import App
from workflows_api.config import get_settings
from workflows_api.http.app import get_app
from workflows_api.http.errors import ApiError, api_error
from workflows_api.http.responses import error_response
from workflows_api.http.route import Route
from workflows_api.http.routes import routes_for
from workflows_api.service.errors import BackendUnavailable, ServiceError

logger = logging.getLogger(__name__)


@cache
def _url_map(function: str | None) -> tuple[Map, dict[str, Route]]:
    routes = routes_for(function)
    rules = [Rule(r.path, methods=[r.method], endpoint=r.name) for r in routes]
    return Map(rules, strict_slashes=False, merge_slashes=False), {r.name: r for r in routes}


def dispatch(request: Request, function: str | None, app: App | None = None) -> Response:
    """Serve `request` with the routes of `function` (all routes when None), on `app`'s
    services (the process's own when None; tests pass one bootstrapped on fakes)."""
    settings = app.settings if app is not None else get_settings()
    logs.configure(settings.log_level)
    logs.set_trace(request.headers.get("X-Cloud-Trace-Context"), settings.project)
    url_map, by_name = _url_map(function)
    try:
        endpoint, path_args = url_map.bind_to_environ(request.environ).match()
        route = by_name[str(endpoint)]
        response = route.handler(app or get_app(), request, **path_args)
    except ApiError as error:
        response = error_response(error)
    except ServiceError as error:
        response = error_response(api_error(error))
    except BackendUnavailable as unavailable:
        logs.log(logger, logging.WARNING, str(unavailable), backend=unavailable.backend)
        response = error_response(
            ApiError(
                503,
                "backend_unavailable",
                f"{unavailable.backend} is unavailable ({unavailable.reason}); retry shortly.",
                headers={"Retry-After": "5"},
            )
        )
    except NotFound:
        response = error_response(
            ApiError(404, "route_not_found", f"No route for {request.method} {request.path}.")
        )
    except MethodNotAllowed as exc:
        allowed = sorted(exc.valid_methods or [])
        response = error_response(
            ApiError(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed on {request.path}; "
                f"allowed: {', '.join(allowed)}.",
                headers={"Allow": ", ".join(allowed)},
            )
        )
    except Exception:
        logger.exception("unhandled error serving %s %s", request.method, request.path)
        response = error_response(ApiError(500, "internal", "Internal error; it has been logged."))
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
