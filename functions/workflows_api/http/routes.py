"""The routing table: the single source of truth for every HTTP route.

The deployed functions, the local dev router and the OpenAPI document are all
built from ROUTES. `function` names the Cloud Function that serves a route.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Request, Response

from workflows_api.http import health

Handler = Callable[..., Response]

# Cloud Function names (entry points in functions/main.py).
API_ACCESS = "api_access"
EXECUTE = "execute"
STATUS = "status"
HTTP_FUNCTIONS = (API_ACCESS, EXECUTE, STATUS)


@dataclass(frozen=True)
class Route:
    method: str
    # Werkzeug rule syntax: "/v1/workflows/<workflow_id>".
    path: str
    function: str
    handler: Handler
    summary: str

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


ROUTES: tuple[Route, ...] = (
    Route("GET", "/healthz", STATUS, health.healthz, "Service and backend health"),
)


def routes_for(function: str | None) -> tuple[Route, ...]:
    """The routes one Cloud Function serves; every route when `function` is None."""
    if function is None:
        return ROUTES
    return tuple(r for r in ROUTES if r.function == function)


__all__ = ["HTTP_FUNCTIONS", "ROUTES", "Request", "Route", "routes_for"]
