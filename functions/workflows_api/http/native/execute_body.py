"""The native execute request's body as pydantic-core reads it: the core schema of
`ExecuteBody` (`native/models.py`, which the OpenAPI document shows), so a cold
`execute` instance never loads pydantic's model machinery (`body_validation.py` says
why; a unit test holds this schema to the model's)."""

from __future__ import annotations

from typing import Any

from pydantic_core import SchemaValidator
from pydantic_core import core_schema as schema

from workflows_api.http.body_validation import validated_body
from workflows_api.service.execution_requests import MAX_CACHE_AGE_SECONDS, MAX_WAIT_SECONDS


def _optional(field: schema.CoreSchema, default: Any) -> schema.TypedDictField:
    return schema.typed_dict_field(
        schema.with_default_schema(field, default=default), required=False
    )


EXECUTE_BODY_SCHEMA = schema.typed_dict_schema(
    {
        "parameters": schema.typed_dict_field(
            schema.with_default_schema(
                schema.dict_schema(schema.str_schema(), schema.any_schema()), default_factory=dict
            ),
            required=False,
        ),
        "cache": _optional(schema.nullable_schema(schema.bool_schema(strict=True)), None),
        "cache_max_age_seconds": _optional(
            schema.nullable_schema(schema.int_schema(strict=True, ge=0, le=MAX_CACHE_AGE_SECONDS)),
            None,
        ),
        "wait_seconds": _optional(schema.float_schema(ge=0, le=MAX_WAIT_SECONDS), 0),
        "dry_run": _optional(schema.bool_schema(strict=True), False),
    },
    extra_behavior="forbid",
)
_EXECUTE_BODY = SchemaValidator(EXECUTE_BODY_SCHEMA)


def execute_body(data: Any) -> dict[str, Any]:
    """POST /v1/workflows/{workflow_id}/executions's fields, defaults filled in; 400
    naming the first bad field."""
    return validated_body(_EXECUTE_BODY, data)
