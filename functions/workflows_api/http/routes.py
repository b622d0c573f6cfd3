"""The routing table: the single source of truth for every HTTP route.

The deployed functions, the local dev router and the OpenAPI document are all
built from ROUTES. `function` names the Cloud Function that serves a route.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Request, Response

from workflows_api.http import carto, executions, health, nexadata, workflows

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


_WORKFLOW = "/v1/workflows/<workflow_id>"
_CARTO_JOBS = "/v3/sql/<connection>/job"

ROUTES: tuple[Route, ...] = (
    Route("GET", "/healthz", STATUS, health.healthz, "Service and backend health"),
    Route("GET", "/v1/workflows", API_ACCESS, workflows.list_workflows, "List workflows"),
    Route("PUT", _WORKFLOW, API_ACCESS, workflows.put_workflow, "Create or replace a workflow"),
    Route("GET", _WORKFLOW, API_ACCESS, workflows.get_workflow, "Read a workflow"),
    Route("DELETE", _WORKFLOW, API_ACCESS, workflows.delete_workflow, "Delete a workflow"),
    Route("GET", f"{_WORKFLOW}/sql", API_ACCESS, workflows.get_sql, "The compiled procedure"),
    Route("POST", f"{_WORKFLOW}/api", API_ACCESS, workflows.enable_api, "Enable API access"),
    Route("GET", f"{_WORKFLOW}/api", API_ACCESS, workflows.get_api, "API access state"),
    Route(
        "PUT", f"{_WORKFLOW}/api", API_ACCESS, workflows.update_api, "Deploy the current version"
    ),
    Route("DELETE", f"{_WORKFLOW}/api", API_ACCESS, workflows.disable_api, "Disable API access"),
    Route("POST", f"{_WORKFLOW}/executions", EXECUTE, executions.execute, "Execute a workflow"),
    Route(
        "GET", "/v1/executions/<execution_id>", STATUS, executions.get_execution, "Execution status"
    ),
    Route(
        "GET",
        f"{_WORKFLOW}/executions",
        STATUS,
        executions.list_executions,
        "List a workflow's executions, newest first",
    ),
    Route(
        "POST",
        "/v1/executions/<execution_id>/cancel",
        EXECUTE,
        executions.cancel_execution,
        "Cancel an execution",
    ),
    Route(
        "GET",
        "/v1/executions/<execution_id>/results",
        STATUS,
        executions.get_results,
        "Output rows of a succeeded execution, page by page",
    ),
    # CARTO dialect (seeds/: "Executing workflows via API").
    Route("POST", _CARTO_JOBS, EXECUTE, carto.create_job, "CARTO: run a workflow's CALL"),
    Route("GET", _CARTO_JOBS, EXECUTE, carto.create_job, "CARTO: the same, as a GET"),
    Route("GET", f"{_CARTO_JOBS}/<external_id>", STATUS, carto.get_job, "CARTO: job status"),
    # Nexadata dialect (seeds/: "Executing Workflows via the Nexadata API").
    Route(
        "POST",
        "/api/v1/workflows/<workflow_id>/execute",
        EXECUTE,
        nexadata.execute,
        "Nexadata: execute a workflow",
    ),
    Route(
        "GET",
        "/api/v1/workflows/executions/<execution_id>",
        STATUS,
        nexadata.get_execution,
        "Nexadata: execution status",
    ),
    Route(
        "GET",
        "/api/v1/pipelines/<path:rest>",
        STATUS,
        nexadata.retired_pipeline_endpoint,
        "Nexadata: the retired pipeline endpoint (404)",
    ),
    Route(
        "POST",
        "/api/v1/pipelines/<path:rest>",
        STATUS,
        nexadata.retired_pipeline_endpoint,
        "Nexadata: the retired pipeline endpoint (404)",
    ),
)


def routes_for(function: str | None) -> tuple[Route, ...]:
    """The routes one Cloud Function serves; every route when `function` is None."""
    if function is None:
        return ROUTES
    return tuple(r for r in ROUTES if r.function == function)


__all__ = ["HTTP_FUNCTIONS", "ROUTES", "Request", "Route", "routes_for"]
