"""A request body checked against its schema by pydantic-core, and the 400 that names
the first bad field: one shape of error for every body of every surface.

Most bodies are pydantic models (`models.parse_model`). A body read on a cold
instance's hot path (the native execute's) is checked by a `SchemaValidator` of its
core schema instead, the schema pydantic builds from a model: pydantic's model
machinery (`pydantic.main`) then never loads there, about 50 ms of wall time and
100 ms of CPU in a fresh process (benchmarks/cold_start.py, `bare+models`). A unit
test holds each such schema to its model, which the OpenAPI document shows.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import SchemaValidator, ValidationError

from workflows_api.http.errors import ApiError


def json_object(data: Any) -> dict[str, Any]:
    """`data` if it is a JSON object; else the 400 every body answers."""
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request", "The request body must be a JSON object.")
    return data


def invalid_request(invalid: ValidationError) -> ApiError:
    """400 naming the first bad field (all of them in details)."""
    details = [
        {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
        for error in invalid.errors(include_url=False, include_input=False)
    ]
    first = details[0]
    return ApiError(
        400, "invalid_request", f"{first['field']}: {first['message']}", first["field"], details
    )


def validated_body(validator: SchemaValidator, data: Any) -> dict[str, Any]:
    """The body's fields, defaults filled in, as the validator's schema reads them."""
    try:
        fields: dict[str, Any] = validator.validate_python(json_object(data))
    except ValidationError as invalid:
        raise invalid_request(invalid) from None
    return fields
