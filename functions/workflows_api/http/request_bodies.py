"""The JSON bodies requests carry, as pydantic models, and reading a request body into
one (`parse_model`): a 400 naming the first bad field.

Apart from the answers' models (schemas.py), so a cold `execute` instance loads only
these few.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError

from workflows_api.http.errors import ApiError
from workflows_api.service.execution_requests import MAX_WAIT_SECONDS


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExecuteBody(_Body):
    """POST /v1/workflows/{workflow_id}/executions."""

    parameters: dict[str, Any] = Field(default_factory=dict)
    cache: StrictBool | None = Field(
        default=None, description="false: run anew even if an identical run exists."
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


class CartoJobBody(_Body):
    """POST /v3/sql/{connection}/job."""

    query: StrictStr
    query_parameters: dict[str, Any] = Field(default_factory=dict, alias="queryParameters")


class NexadataExecuteBody(_Body):
    """POST /api/v1/workflows/{id}/execute: optional; Nexadata's own calls send none."""

    parameters: dict[str, Any] = Field(default_factory=dict)


class WebhooksRequest(_Body):
    """PUT /v1/workflows/{workflow_id}/webhooks."""

    urls: list[str] = Field(description="HTTPS URLs that get one signed POST per execution end.")
    rotate_secret: bool = Field(default=False, description="Make a new signing secret.")


Model = TypeVar("Model", bound=BaseModel)


def parse_model(model: type[Model], data: Any) -> Model:
    """A request model from parsed JSON; 400 naming the first bad field (all in details)."""
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request", "The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as invalid:
        details = [
            {
                "field": ".".join(str(part) for part in error["loc"]),
                "message": error["msg"],
            }
            for error in invalid.errors(include_url=False, include_input=False)
        ]
        first = details[0]
        raise ApiError(
            400,
            "invalid_request",
            f"{first['field']}: {first['message']}",
            first["field"],
            details,
        ) from None
