"""The routing table: the single source of truth for every HTTP route.

The deployed functions, the local dev router and the OpenAPI document
(`http/openapi.py`) are all built from ROUTES. `function` names the Cloud Function
that serves a route; the request and response models are the ones the handlers
use, so the document cannot drift from what is served.
"""

from __future__ import annotations

from flask import Request, Response
from pydantic import BaseModel

from workflows_api.bootstrap import App
from workflows_api.domain.executions import State
from workflows_api.domain.identifiers import CONNECTION_PATTERN, WORKFLOW_ID_PATTERN
from workflows_api.http import executions, health, schemas, workflows
from workflows_api.http.dialect_routes import DIALECT_ROUTES
from workflows_api.http.executions import IDEMPOTENCY_KEY_PATTERN
from workflows_api.http.openapi import openapi_document
from workflows_api.http.requests import JSON_TYPES, YAML_TYPES
from workflows_api.http.responses import json_response
from workflows_api.http.route import (
    API_ACCESS,
    EXECUTE,
    EXECUTION_ID_PATTERN,
    HTTP_FUNCTIONS,
    STATUS,
    Link,
    Parameter,
    Route,
)

_WORKFLOW = "/v1/workflows/<workflow_id>"
_EXECUTION = "/v1/executions/<execution_id>"
_TIME = {"type": "string", "format": "date-time"}


def _page(token_pattern: str, default: int, most: int) -> tuple[Parameter, ...]:
    """page_size and page_token; `token_pattern` (anchored) matches the tokens the route
    gives, and an empty page_token reads as none (the first page)."""
    size = {"type": "integer", "minimum": 1, "maximum": most, "default": default}
    token = {"type": "string", "pattern": f"^(?:{token_pattern.strip('^$')})?$"}
    return (
        Parameter("page_size", "Items per page.", size),
        Parameter(
            "page_token",
            "The next_page_token of the previous page (any other value answers 400).",
            token,
        ),
    )


_SAME_WORKFLOW = (("workflow_id", "$request.path.workflow_id"),)
_WORKFLOW_LINKS = (
    Link("GetWorkflow", "GET", _WORKFLOW, _SAME_WORKFLOW),
    Link("GetSql", "GET", f"{_WORKFLOW}/sql", _SAME_WORKFLOW),
    Link("EnableApi", "POST", f"{_WORKFLOW}/api", _SAME_WORKFLOW),
    Link("GetApi", "GET", f"{_WORKFLOW}/api", _SAME_WORKFLOW),
    Link("ListExecutions", "GET", f"{_WORKFLOW}/executions", _SAME_WORKFLOW),
)
_NEW_EXECUTION = (("execution_id", "$response.body#/id"),)
_EXECUTION_LINKS = (
    Link("GetExecution", "GET", _EXECUTION, _NEW_EXECUTION),
    Link("CancelExecution", "POST", f"{_EXECUTION}/cancel", _NEW_EXECUTION),
    Link("GetResults", "GET", f"{_EXECUTION}/results", _NEW_EXECUTION),
)


def _workflow_model() -> type[BaseModel]:
    """The definition model, imported when the document is built, not with the table."""
    from workflows_api.domain.model import Workflow

    return Workflow


def _openapi(app: App, request: Request) -> Response:
    return json_response(openapi_document(ROUTES))  # this very table, read when served


ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/healthz",
        STATUS,
        health.healthz,
        "Service and backend health",
        responses=((200, schemas.Health), (503, schemas.Health)),
        errors=(),
        auth="none",
        tag="service",
    ),
    Route(
        "GET",
        "/openapi.json",
        STATUS,
        _openapi,
        "This document",
        errors=(),
        auth="none",
        tag="service",
    ),
    Route(
        "GET",
        "/v1/workflows",
        API_ACCESS,
        workflows.list_workflows,
        "List workflows by id",
        responses=((200, schemas.WorkflowList),),
        parameters=_page(WORKFLOW_ID_PATTERN.pattern, 50, 100),
    ),
    Route(
        "PUT",
        _WORKFLOW,
        API_ACCESS,
        workflows.put_workflow,
        "Create or replace a workflow definition (JSON or YAML)",
        responses=((201, schemas.SavedWorkflow), (200, schemas.SavedWorkflow)),
        errors=(400, 401, 403, 404, 413, 415, 503),
        request_body=_workflow_model,
        request_media_types=JSON_TYPES + YAML_TYPES,
        links=_WORKFLOW_LINKS,
        parameters=(
            Parameter(
                "connection",
                "Connection to run on, if the org has several.",
                {"type": "string", "pattern": CONNECTION_PATTERN.pattern},
            ),
        ),
    ),
    Route(
        "GET",
        _WORKFLOW,
        API_ACCESS,
        workflows.get_workflow,
        "Read a workflow",
        responses=((200, schemas.WorkflowResource),),
    ),
    Route(
        "DELETE",
        _WORKFLOW,
        API_ACCESS,
        workflows.delete_workflow,
        "Delete a workflow (and its procedure)",
        responses=((204, None),),
    ),
    Route(
        "GET",
        f"{_WORKFLOW}/sql",
        API_ACCESS,
        workflows.get_sql,
        "The procedure the current version compiles to (Export)",
        responses=((200, schemas.CompiledSql),),
        text_answers=("application/sql",),
        parameters=(
            Parameter(
                "format",
                "`text` for the SQL alone (application/sql), `json` (default) for the answer.",
                {"type": "string", "enum": ["json", "text"], "default": "json"},
            ),
        ),
    ),
    Route(
        "POST",
        f"{_WORKFLOW}/api",
        API_ACCESS,
        workflows.enable_api,
        "Enable API access: create the procedure",
        responses=((200, schemas.ApiState),),
        errors=(400, 401, 403, 404, 422, 503),
    ),
    Route(
        "GET",
        f"{_WORKFLOW}/api",
        API_ACCESS,
        workflows.get_api,
        "API access state",
        responses=((200, schemas.ApiState),),
    ),
    Route(
        "PUT",
        f"{_WORKFLOW}/api",
        API_ACCESS,
        workflows.update_api,
        "Update: deploy the current version",
        responses=((200, schemas.ApiState),),
        errors=(400, 401, 403, 404, 409, 422, 503),
    ),
    Route(
        "DELETE",
        f"{_WORKFLOW}/api",
        API_ACCESS,
        workflows.disable_api,
        "Disable API access: drop the procedure",
        responses=((200, schemas.ApiState),),
    ),
    Route(
        "PUT",
        f"{_WORKFLOW}/webhooks",
        API_ACCESS,
        workflows.put_webhooks,
        "Set the URLs notified when an execution ends (the secret is shown once)",
        responses=((200, schemas.WebhookSettings),),
        errors=(400, 401, 403, 404, 413, 415, 503),
        request_body=schemas.WebhooksRequest,
    ),
    Route(
        "GET",
        f"{_WORKFLOW}/webhooks",
        API_ACCESS,
        workflows.get_webhooks,
        "The URLs notified when an execution ends",
        responses=((200, schemas.WebhookSettings),),
    ),
    Route(
        "DELETE",
        f"{_WORKFLOW}/webhooks",
        API_ACCESS,
        workflows.delete_webhooks,
        "Stop notifying (and forget the signing secret)",
        responses=((204, None),),
    ),
    Route(
        "POST",
        f"{_WORKFLOW}/executions",
        EXECUTE,
        executions.execute,
        "Execute a workflow",
        responses=((202, schemas.Execution), (200, schemas.ExecuteAnswer)),
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 503),
        request_body=executions.ExecuteBody,
        links=_EXECUTION_LINKS,
        parameters=(
            Parameter(
                "Idempotency-Key",
                "A retried request with the same key returns the same execution.",
                {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
                location="header",
            ),
        ),
    ),
    Route(
        "GET",
        f"{_WORKFLOW}/executions",
        STATUS,
        executions.list_executions,
        "A workflow's executions, newest first",
        responses=((200, schemas.ExecutionList),),
        parameters=(
            *_page(EXECUTION_ID_PATTERN, 50, 100),
            Parameter(
                "state",
                "Only executions in this state.",
                {"type": "string", "enum": [state.value for state in State]},
            ),
            Parameter("created_after", "ISO 8601 time with a zone: created at or after.", _TIME),
            Parameter("created_before", "ISO 8601 time with a zone: created before.", _TIME),
        ),
    ),
    Route(
        "GET",
        _EXECUTION,
        STATUS,
        executions.get_execution,
        "Execution status",
        responses=((200, schemas.Execution),),
    ),
    Route(
        "POST",
        f"{_EXECUTION}/cancel",
        EXECUTE,
        executions.cancel_execution,
        "Cancel an execution",
        responses=((200, schemas.Execution),),
        errors=(400, 401, 403, 404, 409, 503),
    ),
    Route(
        "GET",
        f"{_EXECUTION}/results",
        STATUS,
        executions.get_results,
        "Output rows of a succeeded execution, page by page",
        responses=((200, schemas.Results),),
        errors=(400, 401, 403, 404, 409, 503),
        parameters=(
            *_page("^[A-Za-z0-9_-]+$", 1000, 10_000),
            Parameter(
                "geography_format",
                "How GEOGRAPHY values are written.",
                {"type": "string", "enum": ["geojson", "wkt"], "default": "geojson"},
            ),
        ),
    ),
    *DIALECT_ROUTES,
)


def routes_for(function: str | None) -> tuple[Route, ...]:
    """The routes one Cloud Function serves; every route when `function` is None."""
    if function is None:
        return ROUTES
    return tuple(r for r in ROUTES if r.function == function)


__all__ = [
    "API_ACCESS",
    "EXECUTE",
    "HTTP_FUNCTIONS",
    "ROUTES",
    "STATUS",
    "Parameter",
    "Route",
    "routes_for",
]
