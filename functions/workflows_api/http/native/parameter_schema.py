"""A workflow's parameters as a JSON Schema (2020-12): the `parameters` object an execute
request may carry, so callers and fuzzers can generate valid and invalid values.

Derived from the declarations only, and no looser than the checks in
`domain/workflow/parameters.py` where JSON Schema can say them (types, ranges, lengths,
patterns, allowed values, array sizes). What it cannot say (NUMERIC's digit limits
when given as a number) is in the property's description.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workflows_api.domain.errors import ParameterValuesInvalid
from workflows_api.domain.workflow.model import Parameter
from workflows_api.domain.workflow.parameter_scalars import (
    INT64_MAX,
    INT64_MIN,
    MAX_STRING_LENGTH,
    NUMERIC_MAX_INTEGER_DIGITS,
    NUMERIC_MAX_SCALE,
)
from workflows_api.domain.workflow.parameters import (
    MAX_ARRAY_ITEMS,
    canonical_value,
    to_json_values,
)

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# No control characters but tab, newline and carriage return (parameter_scalars._check_text).
_TEXT = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
_NUMERIC_TEXT = f"^-?[0-9]{{1,{NUMERIC_MAX_INTEGER_DIGITS}}}(\\.[0-9]{{1,{NUMERIC_MAX_SCALE}}})?$"
_GEOJSON_TYPES = [
    "Point",
    "LineString",
    "Polygon",
    "MultiPoint",
    "MultiLineString",
    "MultiPolygon",
]
_WKT = (
    "^\\s*(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|"
    "GEOMETRYCOLLECTION)\\s*(EMPTY|\\([0-9eE+\\-.,()\\s A-Z]*\\))\\s*$"
)
_NUMBER_BOUNDS = {
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusive_minimum": "exclusiveMinimum",
    "exclusive_maximum": "exclusiveMaximum",
}


def parameters_schema(parameters: Sequence[Parameter]) -> dict[str, Any]:
    """The JSON Schema of an execute request's `parameters` object."""
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "type": "object",
        "properties": {p.name: parameter_schema(p) for p in parameters},
        "required": [p.name for p in parameters if p.is_required],
        "additionalProperties": False,
    }


def parameter_schema(parameter: Parameter) -> dict[str, Any]:
    """One declared parameter's values; optional ones may also be null (the default)."""
    if parameter.element_type is not None:
        limit = min(parameter.max_items or MAX_ARRAY_ITEMS, MAX_ARRAY_ITEMS)
        schema: dict[str, Any] = {
            "type": "array",
            "items": _constrained(parameter, parameter.element_type),
            "maxItems": limit,
        }
    else:
        schema = _constrained(parameter, parameter.type)
    if not parameter.is_required:
        schema = {"anyOf": [schema, {"type": "null"}]}
    schema["description"] = parameter.description or parameter.type
    schema["x-bigquery-type"] = parameter.type
    if parameter.default is not None:
        schema["default"] = _json(parameter, parameter.default)
    return schema


def _constrained(parameter: Parameter, type_name: str) -> dict[str, Any]:
    """One scalar of `type_name`, with the declaration's constraints."""
    if parameter.allowed_values is not None:
        allowed = [_json(parameter, value, scalar=True) for value in parameter.allowed_values]
        return {"enum": [value for value in allowed if value is not None]}
    schema = _scalar(type_name)
    bounds = {
        keyword: getattr(parameter, name)
        for name, keyword in _NUMBER_BOUNDS.items()
        if getattr(parameter, name) is not None
    }
    if type_name == "NUMERIC" and bounds:
        # Bounds apply to the value, which JSON Schema compares only for numbers.
        schema = {"type": "number", "description": "NUMERIC: up to 29 integer, 9 decimal digits"}
    schema.update(bounds)
    if type_name == "STRING":
        if parameter.max_length is not None:
            schema["maxLength"] = min(parameter.max_length, MAX_STRING_LENGTH)
        if parameter.pattern is not None:
            # The whole value must match (re.fullmatch); JSON Schema patterns search.
            schema = {"allOf": [schema, {"pattern": f"^(?:{parameter.pattern})$"}]}
    return schema


def _scalar(type_name: str) -> dict[str, Any]:
    text = {"type": "string", "maxLength": MAX_STRING_LENGTH, "pattern": _TEXT}
    if type_name == "STRING":
        return text
    if type_name == "INT64":
        return {"type": "integer", "minimum": INT64_MIN, "maximum": INT64_MAX}
    if type_name == "FLOAT64":
        return {"type": "number"}
    if type_name == "BOOL":
        return {"type": "boolean"}
    if type_name == "NUMERIC":
        bound = 10**NUMERIC_MAX_INTEGER_DIGITS - 1
        return {
            "anyOf": [
                {"type": "integer", "minimum": -bound, "maximum": bound},
                {"type": "string", "pattern": _NUMERIC_TEXT},
            ]
        }
    if type_name == "DATE":
        return {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
    if type_name == "TIMESTAMP":
        return {"type": "string", "format": "date-time"}
    return {  # GEOGRAPHY: WKT, or a GeoJSON geometry (as an object)
        "anyOf": [
            {"type": "string", "maxLength": MAX_STRING_LENGTH, "pattern": _WKT},
            {
                "type": "object",
                "properties": {
                    "type": {"enum": _GEOJSON_TYPES},
                    "coordinates": {"type": "array"},
                },
                "required": ["type", "coordinates"],
            },
        ]
    }


def _json(parameter: Parameter, value: Any, scalar: bool = False) -> Any:
    """A declared value (default, allowed value) as the JSON a caller would send."""
    declared = parameter.model_copy(update={"allowed_values": None, "type": _type(parameter)})
    try:
        canonical = canonical_value(declared if scalar else parameter, value)
    except ParameterValuesInvalid:  # an allowed value of another type can never be given
        return None
    return to_json_values({"value": canonical})["value"]


def _type(parameter: Parameter) -> str:
    return parameter.element_type or parameter.type
