"""The execute request's body, apart from the answer models (`models.py`): a cold
`execute` instance parses bodies with this one model and builds answers as plain data,
so it never builds the answer models (cold start)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictBool, StrictInt

from workflows_api.http.models import StrictModel
from workflows_api.service.execution_requests import MAX_CACHE_AGE_SECONDS, MAX_WAIT_SECONDS


class ExecuteBody(StrictModel):
    """POST /v1/workflows/{workflow_id}/executions."""

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
