"""The routes the `status` function serves: health, execution status, results and lists,
natively and in the CARTO and Nexadata dialects (the OpenAPI document's route is added
by `routes.py`, which knows every table).

Nothing here imports pydantic: answers are plain data shaped like the models
`http/schemas.py` names (tests hold each view to its model), so a cold `status` instance
loads no more than it serves.
"""

from __future__ import annotations

from workflows_api.domain.execution.states import State
from workflows_api.http import carto, executions, health, nexadata
from workflows_api.http.route import (
    ACCESS_TOKEN,
    CARTO_JOBS_PATH,
    EXECUTION_ID_PATTERN,
    EXECUTION_PATH,
    STATUS,
    TIME_SCHEMA,
    WORKFLOW_PATH,
    Parameter,
    Route,
    page_parameters,
)

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/healthz",
        STATUS,
        health.healthz,
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
        executions.list_executions,
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
        ),
    ),
    Route(
        "GET",
        EXECUTION_PATH,
        STATUS,
        executions.get_execution,
        "Execution status",
        responses=((200, "Execution"),),
    ),
    Route(
        "GET",
        f"{EXECUTION_PATH}/results",
        STATUS,
        executions.get_results,
        "Output rows of a succeeded execution, page by page",
        responses=((200, "Results"),),
        errors=(400, 401, 403, 404, 409, 503),
        parameters=(
            *page_parameters("^[A-Za-z0-9_-]+$", 1000, 10_000),
            Parameter(
                "geography_format",
                "How GEOGRAPHY values are written.",
                {"type": "string", "enum": ["geojson", "wkt"], "default": "geojson"},
            ),
        ),
    ),
    # CARTO dialect: a job's status, and the org's jobs. Refusals keep the job shape.
    Route(
        "GET",
        f"{CARTO_JOBS_PATH}/<external_id>",
        STATUS,
        carto.get_job,
        "CARTO: job status",
        responses=((200, "CartoJob"),),
        errors=(400, 401, 403, 404, 503),
        error_model="CartoRefusal",
        refusal=carto.job_refusal,
        parameters=(ACCESS_TOKEN,),
        auth="bearer_or_query",
        tag="carto",
    ),
    Route(
        "GET",
        "/v3/sql/jobs",
        STATUS,
        carto.list_jobs,
        "CARTO: the org's jobs, newest first",
        responses=((200, "CartoJobList"),),
        errors=(400, 401, 403, 503),
        error_model="CartoRefusal",
        refusal=carto.job_refusal,
        # As the native list's: the page token is the last job's execution id.
        parameters=(*page_parameters(EXECUTION_ID_PATTERN, 50, 100), ACCESS_TOKEN),
        auth="bearer_or_query",
        tag="carto",
    ),
    # Nexadata dialect.
    Route(
        "GET",
        "/api/v1/workflows/executions/<execution_id>",
        STATUS,
        nexadata.get_execution,
        "Nexadata: execution status",
        responses=((200, "NexadataExecution"),),
        errors=(400, 401, 403, 404, 503),
        tag="nexadata",
    ),
    *(
        Route(
            method,
            "/api/v1/pipelines/<path:rest>",
            STATUS,
            nexadata.retired_pipeline_endpoint,
            "Nexadata: the retired pipeline endpoint (always 404)",
            responses=(),
            errors=(404,),
            auth="none",
            tag="nexadata",
        )
        for method in ("GET", "POST")
    ),
)
