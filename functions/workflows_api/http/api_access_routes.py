"""The routes the `api_access` function serves: workflow definitions, API access and
webhooks (native API). Response models are named (`http/schemas.py`), see route.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflows_api.domain.access.identifiers import CONNECTION_PATTERN, WORKFLOW_ID_PATTERN
from workflows_api.http import workflows
from workflows_api.http.requests import JSON_TYPES, YAML_TYPES
from workflows_api.http.route import (
    API_ACCESS,
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


def _workflow_model() -> type[BaseModel]:
    """The definition model, imported when the document is built, not with the table."""
    from workflows_api.domain.workflow.model import Workflow

    return Workflow


ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/v1/workflows",
        API_ACCESS,
        workflows.list_workflows,
        "List workflows by id",
        responses=((200, "WorkflowList"),),
        parameters=page_parameters(WORKFLOW_ID_PATTERN.pattern, 50, 100),
    ),
    Route(
        "PUT",
        WORKFLOW_PATH,
        API_ACCESS,
        workflows.put_workflow,
        "Create or replace a workflow definition (JSON or YAML)",
        responses=((201, "SavedWorkflow"), (200, "SavedWorkflow")),
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
        WORKFLOW_PATH,
        API_ACCESS,
        workflows.get_workflow,
        "Read a workflow",
        responses=((200, "WorkflowResource"),),
    ),
    Route(
        "DELETE",
        WORKFLOW_PATH,
        API_ACCESS,
        workflows.delete_workflow,
        "Delete a workflow (and its procedure)",
        responses=((204, None),),
    ),
    Route(
        "GET",
        f"{WORKFLOW_PATH}/sql",
        API_ACCESS,
        workflows.get_sql,
        "The procedure the current version compiles to (Export)",
        responses=((200, "CompiledSql"),),
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
        workflows.enable_api,
        "Enable API access: create the procedure",
        responses=((200, "ApiState"),),
        errors=(400, 401, 403, 404, 422, 503),
    ),
    Route(
        "GET",
        f"{WORKFLOW_PATH}/api",
        API_ACCESS,
        workflows.get_api,
        "API access state",
        responses=((200, "ApiState"),),
    ),
    Route(
        "PUT",
        f"{WORKFLOW_PATH}/api",
        API_ACCESS,
        workflows.update_api,
        "Update: deploy the current version",
        responses=((200, "ApiState"),),
        errors=(400, 401, 403, 404, 409, 422, 503),
    ),
    Route(
        "DELETE",
        f"{WORKFLOW_PATH}/api",
        API_ACCESS,
        workflows.disable_api,
        "Disable API access: drop the procedure",
        responses=((200, "ApiState"),),
    ),
    Route(
        "PUT",
        f"{WORKFLOW_PATH}/webhooks",
        API_ACCESS,
        workflows.put_webhooks,
        "Set the URLs notified when an execution ends (the secret is shown once)",
        responses=((200, "WebhookSettings"),),
        errors=(400, 401, 403, 404, 413, 415, 503),
        request_body="WebhooksRequest",
    ),
    Route(
        "GET",
        f"{WORKFLOW_PATH}/webhooks",
        API_ACCESS,
        workflows.get_webhooks,
        "The URLs notified when an execution ends",
        responses=((200, "WebhookSettings"),),
    ),
    Route(
        "DELETE",
        f"{WORKFLOW_PATH}/webhooks",
        API_ACCESS,
        workflows.delete_webhooks,
        "Stop notifying (and forget the signing secret)",
        responses=((204, None),),
    ),
)
