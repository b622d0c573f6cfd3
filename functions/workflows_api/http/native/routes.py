"""The native API's routes, for every function: workflow definitions, API access and
webhooks (`api_access`), executing and cancelling (`execute`), health, executions and
their results (`status`).

Handlers are named as "module:function" and models by name (`native/models.py`), see
routing.py: importing this list imports neither, so a cold `status` instance loads no
pydantic and none of the other functions' handlers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflows_api.domain.access.identifiers import CONNECTION_PATTERN, WORKFLOW_ID_PATTERN
from workflows_api.domain.execution.states import TRIGGER_MAX_LENGTH, State
from workflows_api.http.native.schedule_routes import SCHEDULE_ROUTES
from workflows_api.http.request_parsing import JSON_TYPES, YAML_TYPES
from workflows_api.http.routing import (
    API_ACCESS,
    EXECUTE,
    EXECUTION_ID_PATTERN,
    EXECUTION_PATH,
    STATUS,
    WORKFLOW_PATH,
    Link,
    Parameter,
    Route,
    page_parameters,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

_SAME_WORKFLOW = (("workflow_id", "$request.path.workflow_id"),)
_WORKFLOW_LINKS = (
    Link("GetWorkflow", "GET", WORKFLOW_PATH, _SAME_WORKFLOW),
    Link("GetSql", "GET", f"{WORKFLOW_PATH}/sql", _SAME_WORKFLOW),
    Link("EnableApi", "POST", f"{WORKFLOW_PATH}/api", _SAME_WORKFLOW),
    Link("GetApi", "GET", f"{WORKFLOW_PATH}/api", _SAME_WORKFLOW),
    Link("ListExecutions", "GET", f"{WORKFLOW_PATH}/executions", _SAME_WORKFLOW),
)
_NEW_EXECUTION = (("execution_id", "$response.body#/id"),)
_EXECUTION_LINKS = (
    Link("GetExecution", "GET", EXECUTION_PATH, _NEW_EXECUTION),
    Link("CancelExecution", "POST", f"{EXECUTION_PATH}/cancel", _NEW_EXECUTION),
    Link("GetResults", "GET", f"{EXECUTION_PATH}/results", _NEW_EXECUTION),
)
TIME_SCHEMA = {"type": "string", "format": "date-time"}
MAX_IDEMPOTENCY_KEY_LENGTH = 200
# Printable ASCII (header values are bytes; anything else would be read as Latin-1).
IDEMPOTENCY_KEY_PATTERN = rf"^[\x20-\x7e]{{1,{MAX_IDEMPOTENCY_KEY_LENGTH}}}$"


def _workflow_model() -> type[BaseModel]:
    """The definition model, imported when the document is built, not with the table."""
    from workflows_api.domain.workflow.model import Workflow

    return Workflow


_NATIVE_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/v1/workflows",
        API_ACCESS,
        "workflows_api.http.native.workflows:list_workflows",
        "List workflows by id",
        responses=((200, "WorkflowList"),),
        parameters=page_parameters(WORKFLOW_ID_PATTERN.pattern, 50, 100),
    ),
    Route(
        "PUT",
        WORKFLOW_PATH,
        API_ACCESS,
        "workflows_api.http.native.workflows:put_workflow",
        "Create or replace a workflow definition (JSON or YAML)",
        responses=((201, "SavedWorkflow"), (200, "SavedWorkflow")),
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
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
        WORKFLOW_PATH,
        API_ACCESS,
        "workflows_api.http.native.workflows:get_workflow",
        "Read a workflow",
        responses=((200, "WorkflowResource"),),
    ),
    Route(
        "DELETE",
        WORKFLOW_PATH,
        API_ACCESS,
        "workflows_api.http.native.workflows:delete_workflow",
        "Delete a workflow (with its procedure and its schedules)",
        responses=((204, None),),
        errors=(400, 401, 403, 404, 409, 422, 503),
    ),
    Route(
        "GET",
        f"{WORKFLOW_PATH}/sql",
        API_ACCESS,
        "workflows_api.http.native.workflows:get_sql",
        "The procedure the current version compiles to (Export)",
        responses=((200, "CompiledSql"),),
        errors=(400, 401, 403, 404, 409, 503),
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
        f"{WORKFLOW_PATH}/api",
        API_ACCESS,
        "workflows_api.http.native.workflows:enable_api",
        "Enable API access: create the procedure",
        responses=((200, "ApiState"),),
        errors=(400, 401, 403, 404, 409, 422, 503),
    ),
    Route(
        "GET",
        f"{WORKFLOW_PATH}/api",
        API_ACCESS,
        "workflows_api.http.native.workflows:get_api",
        "API access state",
        responses=((200, "ApiState"),),
        errors=(400, 401, 403, 404, 409, 503),
    ),
    Route(
        "PUT",
        f"{WORKFLOW_PATH}/api",
        API_ACCESS,
        "workflows_api.http.native.workflows:update_api",
        "Update: deploy the current version",
        responses=((200, "ApiState"),),
        errors=(400, 401, 403, 404, 409, 422, 503),
    ),
    Route(
        "DELETE",
        f"{WORKFLOW_PATH}/api",
        API_ACCESS,
        "workflows_api.http.native.workflows:disable_api",
        "Disable API access: drop the procedure",
        responses=((200, "ApiState"),),
        errors=(400, 401, 403, 404, 409, 422, 503),
    ),
    Route(
        "PUT",
        f"{WORKFLOW_PATH}/webhooks",
        API_ACCESS,
        "workflows_api.http.native.workflows:put_webhooks",
        "Set the URLs notified when an execution ends (the secret is shown once)",
        responses=((200, "WebhookSettings"),),
        errors=(400, 401, 403, 404, 413, 415, 503),
        request_body="WebhooksRequest",
    ),
    Route(
        "GET",
        f"{WORKFLOW_PATH}/webhooks",
        API_ACCESS,
        "workflows_api.http.native.workflows:get_webhooks",
        "The URLs notified when an execution ends",
        responses=((200, "WebhookSettings"),),
    ),
    Route(
        "DELETE",
        f"{WORKFLOW_PATH}/webhooks",
        API_ACCESS,
        "workflows_api.http.native.workflows:delete_webhooks",
        "Stop notifying (and forget the signing secret)",
        responses=((204, None),),
    ),
    Route(
        "POST",
        f"{WORKFLOW_PATH}/executions",
        EXECUTE,
        "workflows_api.http.native.execute:execute",
        "Execute a workflow",
        responses=((202, "Execution"), (200, "ExecuteAnswer")),
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
        request_body="ExecuteBody",
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
        "POST",
        f"{EXECUTION_PATH}/cancel",
        EXECUTE,
        "workflows_api.http.native.execute:cancel_execution",
        "Cancel an execution",
        responses=((200, "Execution"),),
        errors=(400, 401, 403, 404, 409, 503),
    ),
    Route(
        "GET",
        "/healthz",
        STATUS,
        "workflows_api.http.native.health:healthz",
        "Service and backend health",
        responses=((200, "Health"), (503, "Health")),
        errors=(),
        auth="none",
        tag="service",
    ),
    Route(
        "GET",
        f"{WORKFLOW_PATH}/executions",
        STATUS,
        "workflows_api.http.native.status:list_executions",
        "A workflow's executions, newest first",
        responses=((200, "ExecutionList"),),
        parameters=(
            *page_parameters(EXECUTION_ID_PATTERN, 50, 100),
            Parameter(
                "state",
                "Only executions in this state.",
                {"type": "string", "enum": [state.value for state in State]},
            ),
            Parameter(
                "created_after", "ISO 8601 time with a zone: created at or after.", TIME_SCHEMA
            ),
            Parameter("created_before", "ISO 8601 time with a zone: created before.", TIME_SCHEMA),
            Parameter(
                "trigger",
                "Only the executions it started: http, pubsub:<topic>, schedule:<id>.",
                {"type": "string", "maxLength": TRIGGER_MAX_LENGTH},
            ),
        ),
    ),
    Route(
        "GET",
        "/v1/orgs/current/limits",
        STATUS,
        "workflows_api.http.native.status:get_limits",
        "The caller's org: concurrency limits and what it uses now",
        responses=((200, "Limits"),),
    ),
    Route(
        "GET",
        EXECUTION_PATH,
        STATUS,
        "workflows_api.http.native.status:get_execution",
        "Execution status",
        responses=((200, "Execution"),),
        errors=(400, 401, 403, 404, 409, 503),
    ),
    Route(
        "GET",
        f"{EXECUTION_PATH}/results",
        STATUS,
        "workflows_api.http.native.status:get_results",
        "Output rows of a succeeded execution, page by page",
        responses=((200, "Results"),),
        errors=(400, 401, 403, 404, 409, 422, 503),
        parameters=(
            *page_parameters("^[A-Za-z0-9_-]+$", 1000, 10_000),
            Parameter(
                "geography_format",
                "How GEOGRAPHY values are written.",
                {"type": "string", "enum": ["geojson", "wkt"], "default": "geojson"},
            ),
        ),
    ),
)

# Schedules (schedule_routes.py): a list of their own, joined here.
ROUTES: tuple[Route, ...] = (*_NATIVE_ROUTES, *SCHEDULE_ROUTES)
