"""The routes of the CARTO and Nexadata dialects (part of `routes.ROUTES`)."""

from __future__ import annotations

from workflows_api.domain.calls import MAX_QUERY_CHARS
from workflows_api.http import carto, nexadata, schemas
from workflows_api.http.route import (
    EXECUTE,
    EXECUTION_ID_PATTERN,
    STATUS,
    Link,
    Parameter,
    Route,
)

_CARTO_JOBS = "/v3/sql/<connection>/job"
_NEW_EXECUTION = (("execution_id", "$response.body#/id"),)
_ACCESS_TOKEN = Parameter(
    "access_token", "The API token (or use the Authorization header).", {"type": "string"}
)
# As the native list's (routes._page): the page token is the last job's execution id.
_JOBS_PAGE = (
    Parameter(
        "page_size",
        "Jobs per page.",
        {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
    ),
    Parameter(
        "page_token",
        "The next_page_token of the previous page (any other value answers 400).",
        {"type": "string", "pattern": f"^(?:{EXECUTION_ID_PATTERN.strip('^$')})?$"},
    ),
)

DIALECT_ROUTES: tuple[Route, ...] = (
    # CARTO dialect (seeds/: "Executing workflows via API"). Refusals keep the job shape.
    Route(
        "POST",
        _CARTO_JOBS,
        EXECUTE,
        carto.create_job,
        "CARTO: run an API-enabled workflow's CALL",
        responses=((200, schemas.CartoJob),),
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
        error_model=schemas.CartoRefusal,
        refusal=carto.job_refusal,
        request_body=carto.JobBody,
        links=(
            Link(
                "GetJob",
                "GET",
                f"{_CARTO_JOBS}/<external_id>",
                (
                    ("connection", "$request.path.connection"),
                    ("external_id", "$response.body#/externalId"),
                ),
            ),
        ),
        tag="carto",
    ),
    Route(
        "GET",
        _CARTO_JOBS,
        EXECUTE,
        carto.create_job,
        "CARTO: the same, as a GET with URL parameters",
        responses=((200, schemas.CartoJob),),
        errors=(400, 401, 403, 404, 409, 503),
        error_model=schemas.CartoRefusal,
        refusal=carto.job_refusal,
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
            _ACCESS_TOKEN,
        ),
        auth="bearer_or_query",
        tag="carto",
    ),
    Route(
        "GET",
        f"{_CARTO_JOBS}/<external_id>",
        STATUS,
        carto.get_job,
        "CARTO: job status",
        responses=((200, schemas.CartoJob),),
        errors=(400, 401, 403, 404, 503),
        error_model=schemas.CartoRefusal,
        refusal=carto.job_refusal,
        parameters=(_ACCESS_TOKEN,),
        auth="bearer_or_query",
        tag="carto",
    ),
    Route(
        "DELETE",
        f"{_CARTO_JOBS}/<external_id>",
        EXECUTE,
        carto.cancel_job,
        "CARTO: cancel a job (409 once it ended)",
        responses=((200, schemas.CartoJob),),
        errors=(400, 401, 403, 404, 409, 503),
        error_model=schemas.CartoRefusal,
        refusal=carto.job_refusal,
        parameters=(_ACCESS_TOKEN,),
        auth="bearer_or_query",
        tag="carto",
    ),
    Route(
        "GET",
        "/v3/sql/jobs",
        STATUS,
        carto.list_jobs,
        "CARTO: the org's jobs, newest first",
        responses=((200, schemas.CartoJobList),),
        errors=(400, 401, 403, 503),
        error_model=schemas.CartoRefusal,
        refusal=carto.job_refusal,
        parameters=(*_JOBS_PAGE, _ACCESS_TOKEN),
        auth="bearer_or_query",
        tag="carto",
    ),
    # Nexadata dialect (seeds/: "Executing Workflows via the Nexadata API").
    Route(
        "POST",
        "/api/v1/workflows/<workflow_id>/execute",
        EXECUTE,
        nexadata.execute,
        "Nexadata: execute a workflow (answers `created`; poll the status)",
        responses=((200, schemas.NexadataExecution),),
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
        request_body=nexadata.NexadataExecuteBody,
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
    Route(
        "GET",
        "/api/v1/workflows/executions/<execution_id>",
        STATUS,
        nexadata.get_execution,
        "Nexadata: execution status",
        responses=((200, schemas.NexadataExecution),),
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
