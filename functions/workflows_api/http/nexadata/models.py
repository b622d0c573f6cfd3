"""Nexadata's request and answer bodies, as pydantic models: what `nexadata/routes.py`
names and the OpenAPI document shows. The answers themselves are built as plain data
(`nexadata/views.py`); tests hold them to these."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from workflows_api.http.models import StrictModel
from workflows_api_client.models import JobErrorResult


class NexadataExecuteBody(StrictModel):
    """POST /api/v1/workflows/{id}/execute: optional; Nexadata's own calls send none."""

    parameters: dict[str, Any] = Field(default_factory=dict)


class NexadataExecution(StrictModel):
    id: str
    workflow_id: str
    state: Literal["created", "running", "succeeded", "failed"]
    created_at: str
    start_at: str | None
    end_at: str | None
    errors: list[JobErrorResult]
    warnings: list[str]
