"""Workflow parameters on the caller's side: `-p name=value` typed by the workflow's
parameter schema (GET /v1/workflows/{id}/api), and that schema as JSON Schema (MCP tools).
The server validates every value again; this only gives values their JSON type."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from workflows_api_client.models import ApiParameter

_TRUE, _FALSE = {"true", "1", "yes", "y", "on"}, {"false", "0", "no", "n", "off"}

_SCALAR_SCHEMAS: dict[str, dict[str, Any]] = {
    "STRING": {"type": "string"},
    "INT64": {"type": "integer"},
    "FLOAT64": {"type": "number"},
    # Exact decimals: as text keeps every digit.
    "NUMERIC": {"type": ["number", "string"]},
    "BOOL": {"type": "boolean"},
    "DATE": {"type": "string", "format": "date"},
    "TIMESTAMP": {"type": "string", "format": "date-time"},
    "GEOGRAPHY": {"type": ["string", "object"], "description": "WKT text or a GeoJSON geometry."},
}


class ParameterInputError(ValueError):
    """A `-p` assignment that cannot be read; `field` names the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def typed_value(type_name: str, raw: str) -> Any:
    """One command-line value as the JSON value of a parameter of that type."""
    if type_name.startswith("ARRAY<") and type_name.endswith(">"):
        element = type_name[len("ARRAY<") : -1]
        if raw.lstrip().startswith("["):
            values = json.loads(raw)
            if not isinstance(values, list):
                raise ValueError(f"expected {type_name} as a JSON array or a,b,c")
            return values
        return [typed_value(element, part.strip()) for part in raw.split(",") if part.strip()]
    if type_name == "INT64":
        return int(raw, 10)
    if type_name == "FLOAT64":
        number = float(raw)
        if not math.isfinite(number):
            raise ValueError("expected a finite number")
        return number
    if type_name == "BOOL":
        if raw.lower() in _TRUE | _FALSE:
            return raw.lower() in _TRUE
        raise ValueError("expected true or false")
    if type_name == "GEOGRAPHY" and raw.lstrip().startswith("{"):
        return json.loads(raw)
    return raw


def guessed_value(raw: str) -> Any:
    """A value whose parameter type is unknown: JSON if it reads as JSON, else text."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def parse_assignments(
    assignments: Iterable[str], parameters: list[ApiParameter] | None
) -> dict[str, Any]:
    """`name=value` pairs typed by the schema; unknown names go through as text, for the
    server to name; without a schema (no workflows:read grant) values are guessed."""
    types = {p.name: p.type for p in parameters} if parameters is not None else None
    values: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, raw = assignment.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterInputError(assignment, "expected -p name=value")
        if types is None:
            values[name] = guessed_value(raw)
            continue
        try:
            values[name] = typed_value(types[name], raw) if name in types else raw
        except ValueError as error:
            reason = str(error) if "expected" in str(error) else f"expected {types[name]}"
            raise ParameterInputError(name, f"{reason}, got {raw!r}") from None
    return values


# Constraints of a definition's parameter, as JSON Schema keywords. `pattern` is left out:
# the server's regular expressions are Python's, JSON Schema's are ECMA 262.
_ELEMENT_KEYWORDS = {
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusive_minimum": "exclusiveMinimum",
    "exclusive_maximum": "exclusiveMaximum",
    "allowed_values": "enum",
    "max_length": "maxLength",
}


def parameters_json_schema(
    parameters: list[ApiParameter], definitions: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The JSON Schema of an execution's `parameters` object; `definitions` (the workflow
    definition's parameters by name, when it is the deployed version) adds constraints."""
    properties: dict[str, Any] = {}
    for parameter in parameters:
        schema = dict(_type_schema(parameter.type))
        _add_constraints(schema, (definitions or {}).get(parameter.name, {}))
        if parameter.description:
            schema["description"] = parameter.description
        if parameter.default is not None:
            schema["default"] = parameter.default
        properties[parameter.name] = schema
    return {
        "type": "object",
        "properties": properties,
        "required": [p.name for p in parameters if p.required],
        "additionalProperties": False,
    }


def _add_constraints(schema: dict[str, Any], definition: Mapping[str, Any]) -> None:
    target = schema.get("items", schema)
    for name, keyword in _ELEMENT_KEYWORDS.items():
        if definition.get(name) is not None:
            target[keyword] = definition[name]
    if definition.get("max_items") is not None and "items" in schema:
        schema["maxItems"] = definition["max_items"]


def _type_schema(type_name: str) -> dict[str, Any]:
    if type_name.startswith("ARRAY<") and type_name.endswith(">"):
        return {"type": "array", "items": _type_schema(type_name[len("ARRAY<") : -1])}
    return _SCALAR_SCHEMAS.get(type_name, {})
