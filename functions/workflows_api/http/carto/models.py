"""CARTO's request and answer bodies, as pydantic models: what `carto/routes.py` names
(`"workflows_api.http.carto.models:CartoJob"`) and the OpenAPI document shows. The
answers themselves are built as plain data (`carto/views.py`); tests hold them to these."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictStr

from workflows_api.http.models import StrictModel
from workflows_api_client.models import ErrorDetail, JobErrorResult


class CartoJobBody(StrictModel):
    """POST /v3/sql/{connection}/job."""

    query: StrictStr
    query_parameters: dict[str, Any] = Field(default_factory=dict, alias="queryParameters")


class CartoJobMetadata(StrictModel):
    location: str
    workflowOutputTableName: str = Field(description="Complete once the job is DONE.")


class CartoJobStatus(StrictModel):
    state: Literal["PENDING", "RUNNING", "DONE"]
    errorResult: JobErrorResult | None = Field(
        default=None, description="BigQuery's errorResult when the job failed."
    )


class CartoJob(StrictModel):
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


class CartoJobList(StrictModel):
    """A page of the org's jobs, newest first."""

    jobs: list[CartoJob]
    next_page_token: str | None = Field(description="The next page's page_token; null at the end.")


class CartoRefusal(StrictModel):
    """A refusal in CARTO's shape: a finished job with an errorResult, plus our code."""

    status: CartoJobStatus
    query: str | None
    error: ErrorDetail
