"""The JSON bodies of the API's answers, as pydantic models (and, re-exported, the
request bodies of `request_bodies.py`): what the routes name and the OpenAPI document
is generated from.

Answers are built as plain data by the views, so only the document and api_access
load these (a cold `status` or `execute` instance does not); tests hold every view to
its model here, so the document cannot drift from what is served.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows_api.http.request_bodies import (
    CartoJobBody,
    ExecuteBody,
    NexadataExecuteBody,
    WebhooksRequest,
)

# The native API's answers are the SDK's models: one definition for server and clients.
from workflows_api_client.models import (
    ApiParameter,
    ApiState,
    Argument,
    CompiledSql,
    CostEstimate,
    Delivery,
    ErrorBody,
    ErrorDetail,
    ExecuteAnswer,
    Execution,
    ExecutionLinks,
    ExecutionList,
    ExecutionStatistics,
    JobErrorResult,
    ResultColumn,
    Results,
    SavedWorkflow,
    WorkflowList,
    WorkflowResource,
)

__all__ = [
    "ApiParameter",
    "ApiState",
    "Argument",
    "BackendHealth",
    "CartoJobBody",
    "CompiledSql",
    "CostEstimate",
    "Delivery",
    "ErrorBody",
    "ErrorDetail",
    "ExecuteAnswer",
    "ExecuteBody",
    "Execution",
    "ExecutionLinks",
    "ExecutionList",
    "ExecutionStatistics",
    "Health",
    "JobErrorResult",
    "NexadataExecuteBody",
    "ResultColumn",
    "Results",
    "SavedWorkflow",
    "WebhooksRequest",
    "WorkflowList",
    "WorkflowResource",
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BackendHealth(_Body):
    ok: bool
    latency_ms: float
    error: str | None = None


class Health(_Body):
    status: Literal["ok", "degraded"]
    backends: dict[str, BackendHealth]


# --- CARTO dialect ----------------------------------------------------------------------


class CartoJobMetadata(_Body):
    location: str
    workflowOutputTableName: str = Field(description="Complete once the job is DONE.")


class CartoJobStatus(_Body):
    state: Literal["PENDING", "RUNNING", "DONE"]
    errorResult: JobErrorResult | None = Field(
        default=None, description="BigQuery's errorResult when the job failed."
    )


class CartoJob(_Body):
    """CARTO's job, without the token CARTO repeats."""

    externalId: str
    accountId: str
    userId: str = Field(description="The calling token's public id (never its secret).")
    connectionId: str
    metadata: dict[str, Any]
    createdAt: str
    query: str
    jobMetadata: CartoJobMetadata
    status: CartoJobStatus


class CartoJobList(_Body):
    """A page of the org's jobs, newest first."""

    jobs: list[CartoJob]
    next_page_token: str | None = Field(description="The next page's page_token; null at the end.")


class CartoRefusal(_Body):
    """A refusal in CARTO's shape: a finished job with an errorResult, plus our code."""

    status: CartoJobStatus
    query: str | None
    error: ErrorDetail


# --- Nexadata dialect -------------------------------------------------------------------


class NexadataExecution(_Body):
    id: str
    workflow_id: str
    state: Literal["created", "running", "succeeded", "failed"]
    created_at: str
    start_at: str | None
    end_at: str | None
    errors: list[JobErrorResult]
    warnings: list[str]


class WebhookSettings(_Body):
    workflow_id: str
    urls: list[str]
    secret: str | None = Field(
        default=None,
        description="The signing secret: only in the answer that created it; store it now.",
    )
    signature_header: str = Field(
        description="t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<body>' keyed by the secret>"
    )
