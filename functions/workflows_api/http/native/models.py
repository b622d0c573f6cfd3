"""The native API's request and answer bodies, as pydantic models: what the routes name
(a bare name, `"Execution"`, is a model of this module) and the OpenAPI document is
generated from. The error body is every surface's but CARTO's.

Answers are built as plain data by the views, so only the document, api_access and the
handlers that parse a body load these (a cold `status` instance does not); tests hold
every view to its model here, so the document cannot drift from what is served.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictBool, StrictInt

from workflows_api.http.models import StrictModel
from workflows_api.service.execution_requests import MAX_CACHE_AGE_SECONDS, MAX_WAIT_SECONDS

# The native API's answers are the SDK's models: one definition for server and clients.
from workflows_api_client.models import (
    ApiParameter,
    ApiState,
    Argument,
    CacheMissInfo,
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
    Limits,
    ResultColumn,
    Results,
    SavedWorkflow,
    Schedule,
    ScheduleAttempt,
    ScheduleError,
    ScheduleList,
    ScheduleRun,
    WorkflowList,
    WorkflowResource,
)

__all__ = [
    "ApiParameter",
    "ApiState",
    "Argument",
    "BackendHealth",
    "CacheMissInfo",
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
    "Limits",
    "ResultColumn",
    "Results",
    "SavedWorkflow",
    "Schedule",
    "ScheduleAttempt",
    "ScheduleError",
    "ScheduleList",
    "ScheduleRun",
    "WebhooksRequest",
    "WorkflowList",
    "WorkflowResource",
]


class ExecuteBody(StrictModel):
    """POST /v1/workflows/{workflow_id}/executions (read through its core schema,
    `execute_body.py`, which a unit test holds to this model)."""

    parameters: dict[str, Any] = Field(default_factory=dict)
    cache: StrictBool | None = Field(
        default=None, description="false: run anew even if an identical run exists."
    )
    cache_max_age_seconds: StrictInt | None = Field(
        default=None,
        ge=0,
        le=MAX_CACHE_AGE_SECONDS,
        description="Serve a cached result only if its run started at most this long ago "
        "(it is also never served once a table the workflow reads has changed).",
    )
    wait_seconds: float = Field(
        default=0,
        ge=0,
        le=MAX_WAIT_SECONDS,
        description="Wait up to this long for a terminal state before answering.",
    )
    dry_run: StrictBool = Field(
        default=False,
        description="true: answer BigQuery's estimate of the bytes the run would process, "
        "without running it or recording an execution.",
    )


class WebhooksRequest(StrictModel):
    """PUT /v1/workflows/{workflow_id}/webhooks."""

    urls: list[str] = Field(description="HTTPS URLs that get one signed POST per execution end.")
    rotate_secret: bool = Field(default=False, description="Make a new signing secret.")


class BackendHealth(StrictModel):
    ok: bool
    latency_ms: float
    error: str | None = None


class Health(StrictModel):
    status: Literal["ok", "degraded"]
    backends: dict[str, BackendHealth]


class WebhookSettings(StrictModel):
    workflow_id: str
    urls: list[str]
    secret: str | None = Field(
        default=None,
        description="The signing secret: only in the answer that created it; store it now.",
    )
    signature_header: str = Field(
        description="t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<body>' keyed by the secret>"
    )
