"""The routing table: every HTTP function's routes, the single source of truth.

The deployed functions, the local dev router and the OpenAPI document
(`http/openapi.py`) are all built from these tables. Each function's table is its own
module and is imported only when asked for, so a function process loads only its own
handlers (cold start). The OpenAPI document's route is defined here, beside the tables
it documents.
"""

from __future__ import annotations

import importlib
from functools import cache

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.http.responses import json_response
from workflows_api.http.route import API_ACCESS, EXECUTE, HTTP_FUNCTIONS, STATUS, Route

_TABLES = {
    API_ACCESS: "workflows_api.http.api_access_routes",
    EXECUTE: "workflows_api.http.execute_routes",
    STATUS: "workflows_api.http.status_routes",
}


def _openapi(app: App, request: Request) -> Response:
    # Imported when the document is asked for: it needs pydantic and every table.
    from workflows_api.http.openapi import openapi_document

    return json_response(openapi_document(all_routes()))


OPENAPI_ROUTE = Route(
    "GET",
    "/openapi.json",
    STATUS,
    _openapi,
    "This document",
    errors=(),
    auth="none",
    tag="service",
)


@cache
def routes_for(function: str | None) -> tuple[Route, ...]:
    """The routes one Cloud Function serves; every route when `function` is None."""
    if function is None:
        return all_routes()
    routes: tuple[Route, ...] = importlib.import_module(_TABLES[function]).ROUTES
    return (*routes, OPENAPI_ROUTE) if function == STATUS else routes


@cache
def all_routes() -> tuple[Route, ...]:
    return tuple(route for function in HTTP_FUNCTIONS for route in routes_for(function))


__all__ = ["API_ACCESS", "EXECUTE", "HTTP_FUNCTIONS", "STATUS", "Route", "all_routes", "routes_for"]
