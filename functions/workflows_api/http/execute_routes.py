"""The routes the `execute` function serves: start and cancel executions, natively and
in the CARTO and Nexadata dialects. Models are named (`http/schemas.py`), see route.py."""

from __future__ import annotations

from workflows_api.domain.execution.calls import MAX_QUERY_CHARS
from workflows_api.http import carto, carto_execute, executing, nexadata_execute
from workflows_api.http.executing import IDEMPOTENCY_KEY_PATTERN
from workflows_api.http.route import (
    ACCESS_TOKEN,
    CARTO_JOBS_PATH,
    EXECUTE,
    EXECUTION_PATH,
    WORKFLOW_PATH,
    Link,
    Parameter,
    Route,
)

_NEW_EXECUTION = (("execution_id", "$response.body#/id"),)
_EXECUTION_LINKS = (
    Link("GetExecution", "GET", EXECUTION_PATH, _NEW_EXECUTION),
    Link("CancelExecution", "POST", f"{EXECUTION_PATH}/cancel", _NEW_EXECUTION),
    Link("GetResults", "GET", f"{EXECUTION_PATH}/results", _NEW_EXECUTION),
)

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        f"{WORKFLOW_PATH}/executions",
        EXECUTE,
        executing.execute,
        "Execute a workflow",
        responses=((202, "Execution"), (200, "ExecuteAnswer")),
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 503),
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
        executing.cancel_execution,
        "Cancel an execution",
        responses=((200, "Execution"),),
        errors=(400, 401, 403, 404, 409, 503),
    ),
    # CARTO dialect (seeds/: "Executing workflows via API").
    Route(
        "POST",
        CARTO_JOBS_PATH,
        EXECUTE,
        carto_execute.create_job,
        "CARTO: run an API-enabled workflow's CALL",
        responses=((200, "CartoJob"),),
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
        request_body="CartoJobBody",
        links=(
            Link(
                "GetJob",
                "GET",
                f"{CARTO_JOBS_PATH}/<external_id>",
                (
                    ("connection", "$request.path.connection"),
                    ("external_id", "$response.body#/externalId"),
                ),
            ),
        ),
        error_model="CartoRefusal",
        refusal=carto.job_refusal,  # CARTO's refusals keep the job shape
        tag="carto",
    ),
    Route(
        "GET",
        CARTO_JOBS_PATH,
        EXECUTE,
        carto_execute.create_job,
        "CARTO: the same, as a GET with URL parameters",
        responses=((200, "CartoJob"),),
        errors=(400, 401, 403, 404, 409, 503),
        parameters=(
            Parameter(
                "query",
                "CALL `project.dataset.procedure`(@a, @b)",
                {"type": "string", "maxLength": MAX_QUERY_CHARS},
                required=True,
            ),
            Parameter(
                "queryParameters",
                "The parameters' values, as a JSON object.",
                {"type": "string", "contentMediaType": "application/json"},
            ),
            ACCESS_TOKEN,
        ),
        auth="bearer_or_query",
        error_model="CartoRefusal",
        refusal=carto.job_refusal,  # CARTO's refusals keep the job shape
        tag="carto",
    ),
    Route(
        "DELETE",
        f"{CARTO_JOBS_PATH}/<external_id>",
        EXECUTE,
        carto_execute.cancel_job,
        "CARTO: cancel a job (409 once it ended)",
        responses=((200, "CartoJob"),),
        errors=(400, 401, 403, 404, 409, 503),
        parameters=(ACCESS_TOKEN,),
        auth="bearer_or_query",
        error_model="CartoRefusal",
        refusal=carto.job_refusal,  # CARTO's refusals keep the job shape
        tag="carto",
    ),
    # Nexadata dialect (seeds/: "Executing Workflows via the Nexadata API").
    Route(
        "POST",
        "/api/v1/workflows/<workflow_id>/execute",
        EXECUTE,
        nexadata_execute.execute,
        "Nexadata: execute a workflow (answers `created`; poll the status)",
        responses=((200, "NexadataExecution"),),
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
        request_body="NexadataExecuteBody",
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
)
