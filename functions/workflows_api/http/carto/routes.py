"""The CARTO dialect's routes (CARTO's "Executing workflows via API"): run a workflow's
CALL as a job and cancel one (`execute`), a job's status and the org's jobs (`status`).
Every refusal keeps CARTO's job shape (`job_requests.job_refusal`). Handlers, the
refusal and the models are named, see routing.py: this list imports none of them.
"""

from __future__ import annotations

from workflows_api.domain.execution.calls import MAX_QUERY_CHARS
from workflows_api.http.routing import (
    EXECUTE,
    EXECUTION_ID_PATTERN,
    STATUS,
    Link,
    Parameter,
    Route,
    page_parameters,
)

CARTO_JOBS_PATH = "/v3/sql/<connection>/job"
ACCESS_TOKEN = Parameter(
    "access_token", "The API token (or use the Authorization header).", {"type": "string"}
)
JOB_REFUSAL = "workflows_api.http.carto.job_requests:job_refusal"
_MODELS = "workflows_api.http.carto.models"

ROUTES: tuple[Route, ...] = (
    # CARTO dialect (seeds/: "Executing workflows via API").
    Route(
        "POST",
        CARTO_JOBS_PATH,
        EXECUTE,
        "workflows_api.http.carto.execute:create_job",
        "CARTO: run an API-enabled workflow's CALL",
        responses=((200, f"{_MODELS}:CartoJob"),),
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
        request_body=f"{_MODELS}:CartoJobBody",
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
        error_model=f"{_MODELS}:CartoRefusal",
        refusal=JOB_REFUSAL,  # CARTO's refusals keep the job shape
        tag="carto",
    ),
    Route(
        "GET",
        CARTO_JOBS_PATH,
        EXECUTE,
        "workflows_api.http.carto.execute:create_job",
        "CARTO: the same, as a GET with URL parameters",
        responses=((200, f"{_MODELS}:CartoJob"),),
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
        error_model=f"{_MODELS}:CartoRefusal",
        refusal=JOB_REFUSAL,  # CARTO's refusals keep the job shape
        tag="carto",
    ),
    Route(
        "DELETE",
        f"{CARTO_JOBS_PATH}/<external_id>",
        EXECUTE,
        "workflows_api.http.carto.execute:cancel_job",
        "CARTO: cancel a job (409 once it ended)",
        responses=((200, f"{_MODELS}:CartoJob"),),
        errors=(400, 401, 403, 404, 409, 503),
        parameters=(ACCESS_TOKEN,),
        auth="bearer_or_query",
        error_model=f"{_MODELS}:CartoRefusal",
        refusal=JOB_REFUSAL,  # CARTO's refusals keep the job shape
        tag="carto",
    ),
    # CARTO dialect: a job's status, and the org's jobs. Refusals keep the job shape.
    Route(
        "GET",
        f"{CARTO_JOBS_PATH}/<external_id>",
        STATUS,
        "workflows_api.http.carto.status:get_job",
        "CARTO: job status",
        responses=((200, f"{_MODELS}:CartoJob"),),
        errors=(400, 401, 403, 404, 503),
        error_model=f"{_MODELS}:CartoRefusal",
        refusal=JOB_REFUSAL,
        parameters=(ACCESS_TOKEN,),
        auth="bearer_or_query",
        tag="carto",
    ),
    Route(
        "GET",
        "/v3/sql/jobs",
        STATUS,
        "workflows_api.http.carto.status:list_jobs",
        "CARTO: the org's jobs, newest first",
        responses=((200, f"{_MODELS}:CartoJobList"),),
        errors=(400, 401, 403, 503),
        error_model=f"{_MODELS}:CartoRefusal",
        refusal=JOB_REFUSAL,
        # As the native list's: the page token is the last job's execution id.
        parameters=(*page_parameters(EXECUTION_ID_PATTERN, 50, 100), ACCESS_TOKEN),
        auth="bearer_or_query",
        tag="carto",
    ),
)
