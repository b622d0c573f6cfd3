"""What every surface's pydantic models share: the strict base (no unknown fields), and
reading a request body into a request model (`parse_model`: a 400 naming the first bad
field, as `body_validation.py` shapes it).

Each surface keeps its own models (`native/models.py`, `carto/models.py`,
`nexadata/models.py`); the routes name them, and only the handlers that parse bodies,
api_access's answers and the OpenAPI document load them (a cold `status` instance does
not, nor a cold native `execute`: `native/execute_body.py`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from workflows_api.http.body_validation import invalid_request, json_object


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


Model = TypeVar("Model", bound=BaseModel)


def parse_model(model: type[Model], data: Any) -> Model:
    """A request model from parsed JSON; 400 naming the first bad field (all in details)."""
    try:
        return model.model_validate(json_object(data))
    except ValidationError as invalid:
        raise invalid_request(invalid) from None
