"""The native API's request and answer bodies, as pydantic models: what the routes name
(a bare name, `"Execution"`, is a model of this module) and the OpenAPI document is
generated from. The error body is every surface's but CARTO's.

Answers are built as plain data by the views, so only the document, api_access and the
handlers that parse a body load these (a cold `status` instance does not); tests hold
every view to its model here, so the document cannot drift from what is served.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from workflows_api.http.models import StrictModel
from workflows_api.http.native.execute_body import ExecuteBody

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
