"""What every surface's pydantic models share: the strict base (no unknown fields), and
reading a request body into a request model (`parse_model`: a 400 naming the first bad
field).

Each surface keeps its own models (`native/models.py`, `carto/models.py`,
`nexadata/models.py`); the routes name them, and only the handlers that parse bodies,
api_access's answers and the OpenAPI document load them (a cold `status` instance does
not).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from workflows_api.http.errors import ApiError


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
