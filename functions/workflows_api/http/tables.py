"""The routing tables: every HTTP function's routes, the single source of truth.

The deployed functions, the local dev router and the OpenAPI document
(`http/openapi.py`) are all built from these tables. Each surface lists its routes
(`native/`, `carto/`, `nexadata/`, `console/` `routes.py`); a function's table is its routes of
every surface, in this order. The lists name their handlers (`routing.resolve` imports
one on its first request), so a function process loads only the handlers it serves
(cold start). The OpenAPI document's route is defined here, beside the tables it
documents.
"""

from __future__ import annotations

import importlib
from functools import cache

from workflows_api.http.routing import API_ACCESS, EXECUTE, HTTP_FUNCTIONS, STATUS, Route

# The surfaces' route lists, in the order their routes appear in each table.
SURFACES = (
    "workflows_api.http.native.routes",
    "workflows_api.http.carto.routes",
    "workflows_api.http.nexadata.routes",
    "workflows_api.http.console.routes",
)

OPENAPI_ROUTE = Route(
    "GET",
    "/openapi.json",
    STATUS,
    "workflows_api.http.openapi:serve_document",
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
    routes = tuple(
        route
        for surface in SURFACES
        for route in importlib.import_module(surface).ROUTES
        if route.function == function
    )
    return (*routes, OPENAPI_ROUTE) if function == STATUS else routes


@cache
def all_routes() -> tuple[Route, ...]:
    return tuple(route for function in HTTP_FUNCTIONS for route in routes_for(function))


__all__ = ["API_ACCESS", "EXECUTE", "HTTP_FUNCTIONS", "STATUS", "Route", "all_routes", "routes_for"]
