"""The Nexadata dialect's routes ("Executing Workflows via the Nexadata API"): execute a
workflow (`execute`), read an execution and the retired pipeline endpoint (`status`).
Errors use the native error shape. Handlers and models are named, see routing.py: this
list imports none of them.
"""

from __future__ import annotations

from workflows_api.http.routing import EXECUTE, STATUS, Link, Route

_NEW_EXECUTION = (("execution_id", "$response.body#/id"),)
_MODELS = "workflows_api.http.nexadata.models"

ROUTES: tuple[Route, ...] = (
    # Nexadata dialect (seeds/: "Executing Workflows via the Nexadata API").
    Route(
        "POST",
        "/api/v1/workflows/<workflow_id>/execute",
        EXECUTE,
        "workflows_api.http.nexadata.execute:execute",
        "Nexadata: execute a workflow (answers `created`; poll the status)",
        responses=((200, f"{_MODELS}:NexadataExecution"),),
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
        request_body=f"{_MODELS}:NexadataExecuteBody",
        links=(
            Link(
                "GetNexadataExecution",
                "GET",
                "/api/v1/workflows/executions/<execution_id>",
                _NEW_EXECUTION,
            ),
        ),
        tag="nexadata",
    ),
    # Nexadata dialect.
    Route(
        "GET",
        "/api/v1/workflows/executions/<execution_id>",
        STATUS,
        "workflows_api.http.nexadata.status:get_execution",
        "Nexadata: execution status",
        responses=((200, f"{_MODELS}:NexadataExecution"),),
        errors=(400, 401, 403, 404, 503),
        tag="nexadata",
    ),
    *(
        Route(
            method,
            "/api/v1/pipelines/<path:rest>",
            STATUS,
            "workflows_api.http.nexadata.status:retired_pipeline_endpoint",
            "Nexadata: the retired pipeline endpoint (always 404)",
            responses=(),
            errors=(404,),
            auth="none",
            tag="nexadata",
        )
        for method in ("GET", "POST")
    ),
)
