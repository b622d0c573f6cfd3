"""Caller-supplied parameter values: checked against the declaration, made canonical.

Used before any BigQuery call: an execution's values must pass here, and the
canonical form (typed Python values, and their JSON image) feeds the cache key.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import ParameterError, ParameterValuesInvalid
from .model import Parameter, Workflow

MAX_STRING_LENGTH = 10_000
MAX_ARRAY_ITEMS = 1_000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# NUMERIC: 38 digits of precision, 9 of them after the decimal point.
NUMERIC_MAX_INTEGER_DIGITS, NUMERIC_MAX_SCALE = 29, 9
_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WKT_PATTERN = re.compile(
    r"^\s*(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION)"
    r"\s*(EMPTY|\([0-9eE+\-.,()\s A-Z]*\))\s*$",
    re.IGNORECASE,
)
_GEOJSON_TYPES = {
    "Point": "POINT",
    "LineString": "LINESTRING",
    "Polygon": "POLYGON",
    "MultiPoint": "MULTIPOINT",
    "MultiLineString": "MULTILINESTRING",
    "MultiPolygon": "MULTIPOLYGON",
}


class _Bad(Exception):
    def __init__(self, code: str, detail: str) -> None:
        self.code = code
        self.detail = detail


def describe_value(value: object) -> str:
    """How a value is named in error messages: `the string "two"`, `the number 2.5`..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "..."
        return f"the string {json.dumps(shown, ensure_ascii=False)}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence):
        return "an array"
    return f"a {type(value).__name__}"


def bigquery_type(parameter: Parameter) -> str:
    """The BigQuery type of the procedure argument and of the job's query parameter.

    GEOGRAPHY travels as STRING (canonical WKT) because query parameters cannot be
    GEOGRAPHY; the generated SQL converts it with ST_GEOGFROMTEXT.
    """
    return "STRING" if parameter.type == "GEOGRAPHY" else parameter.type


def bigquery_parameter_types(parameters: Workflow | Iterable[Parameter]) -> dict[str, str]:
    """Parameter name -> BigQuery query-parameter type name ("INT64", "ARRAY<STRING>"), in order."""
    declared = parameters.parameters if isinstance(parameters, Workflow) else parameters
    return {p.name: bigquery_type(p) for p in declared}


def validate_parameter_values(
    parameters: Workflow | Sequence[Parameter], supplied: Mapping[str, Any]
) -> dict[str, Any]:
    """Typed canonical values for every declared parameter, in declared order.

    Missing optional parameters take their default (or None). Raises
    ParameterValuesInvalid listing every problem, each naming the parameter.
    """
    declared = list(parameters.parameters if isinstance(parameters, Workflow) else parameters)
    names = {p.name for p in declared}
    errors: list[ParameterError] = []
    if not isinstance(supplied, Mapping):
        raise ParameterValuesInvalid(
            [ParameterError("invalid_parameters", "parameters", "parameters must be an object")]
        )
    for name in sorted(set(supplied) - names, key=str):
        errors.append(
            ParameterError(
                "unknown_parameter",
                str(name),
                f"{name}: unknown parameter (declared: {', '.join(sorted(names)) or 'none'})",
            )
        )
    values: dict[str, Any] = {}
    for parameter in declared:
        if parameter.name not in supplied:
            if parameter.is_required:
                errors.append(
                    ParameterError(
                        "missing_parameter",
                        parameter.name,
                        f"{parameter.name}: required parameter of type {parameter.type} is missing",
                        parameter.type,
                    )
                )
                continue
            values[parameter.name] = (
                None if parameter.default is None else canonical_value(parameter, parameter.default)
            )
            continue
        try:
            values[parameter.name] = canonical_value(parameter, supplied[parameter.name])
        except ParameterValuesInvalid as invalid:
            errors.extend(invalid.errors)
    if errors:
        raise ParameterValuesInvalid(errors)
    return values


def canonical_value(parameter: Parameter, value: Any) -> Any:
    """One value, checked and canonicalised; raises ParameterValuesInvalid (one error)."""
    try:
        if value is None:
            if parameter.is_required:
                raise _Bad("invalid_type", f"expected {parameter.type}, got null")
            return None
        if parameter.element_type is not None:
            return _array(parameter, value)
        result = _scalar(parameter.type, value)
        _check_constraints(parameter, result)
        return result
    except _Bad as bad:
        raise ParameterValuesInvalid(
            [
                ParameterError(
                    bad.code, parameter.name, f"{parameter.name}: {bad.detail}", parameter.type
                )
            ]
        ) from None


def to_json_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON image of canonical values (NUMERIC as string, dates ISO 8601, UTC 'Z')."""
    return {name: _json_value(value) for name, value in values.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    return value


def _array(parameter: Parameter, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _Bad("invalid_type", f"expected {parameter.type}, got {describe_value(value)}")
    limit = min(parameter.max_items or MAX_ARRAY_ITEMS, MAX_ARRAY_ITEMS)
    if len(value) > limit:
        raise _Bad("too_many_items", f"at most {limit} items allowed, got {len(value)}")
    element_type = parameter.element_type or ""
    result = []
    for index, item in enumerate(value):
        if item is None:
            raise _Bad("invalid_type", f"item {index}: expected {element_type}, got null")
        try:
            canonical = _scalar(element_type, item)
            _check_constraints(parameter, canonical)
        except _Bad as bad:
            raise _Bad(bad.code, f"item {index}: {bad.detail}") from None
        result.append(canonical)
    return result


def _scalar(type_name: str, value: Any) -> Any:
    expected = f"expected {type_name}, got {describe_value(value)}"
    if type_name == "BOOL":
        if isinstance(value, bool):
            return value
        raise _Bad("invalid_type", expected)
    if isinstance(value, bool):
        raise _Bad("invalid_type", expected)
    if type_name == "INT64":
        if not isinstance(value, int):
            raise _Bad("invalid_type", expected)
        if not INT64_MIN <= value <= INT64_MAX:
            raise _Bad("out_of_range", f"expected INT64, got {value} (out of range)")
        return value
    if type_name == "FLOAT64":
        if not isinstance(value, int | float):
            raise _Bad("invalid_type", expected)
        number = float(value)
        if not math.isfinite(number):
            raise _Bad("invalid_value", f"expected a finite FLOAT64, got {value!r}")
        return number
    if type_name == "NUMERIC":
        return _numeric(value, expected)
    if not isinstance(value, str) or type_name not in ("STRING", "DATE", "TIMESTAMP"):
        if type_name == "GEOGRAPHY":
            return _geography(value, expected)
        raise _Bad("invalid_type", expected)
    _check_text(value)
    if type_name == "STRING":
        return value
    if type_name == "DATE":
        try:
            if not _DATE_PATTERN.match(value):
                raise ValueError
            return dt.date.fromisoformat(value)
        except ValueError:
            raise _Bad(
                "invalid_value", f"expected a DATE as YYYY-MM-DD, got {describe_value(value)}"
            ) from None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _Bad(
            "invalid_value",
            "expected a TIMESTAMP in ISO 8601 (e.g. 2024-01-31T12:00:00Z), got "
            + describe_value(value),
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)  # BigQuery reads zone-less timestamps as UTC
    return parsed.astimezone(dt.UTC)


def _numeric(value: Any, expected: str) -> Decimal:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Bad("invalid_value", f"expected a finite NUMERIC, got {value!r}")
        text = repr(value)
    elif isinstance(value, int | str):
        text = str(value).strip()
    else:
        raise _Bad("invalid_type", expected)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _Bad("invalid_type", expected) from None
    if not number.is_finite():
        raise _Bad("invalid_value", f"expected a finite NUMERIC, got {describe_value(value)}")
    _sign, digits, exponent = number.as_tuple()
    scale = -int(exponent) if int(exponent) < 0 else 0
    integer_digits = len(digits) - scale if len(digits) > scale else 0
    if scale > NUMERIC_MAX_SCALE or integer_digits > NUMERIC_MAX_INTEGER_DIGITS:
        raise _Bad(
            "out_of_range",
            f"expected NUMERIC (29 integer and 9 fractional digits at most), got {text}",
        )
    # One canonical spelling per value: 1.50 and 1.5 are the same NUMERIC.
    normalised = number.normalize()
    return normalised.quantize(Decimal(1)) if normalised == normalised.to_integral() else normalised


def _check_text(value: str) -> None:
    if len(value) > MAX_STRING_LENGTH:
        raise _Bad("too_long", f"at most {MAX_STRING_LENGTH} characters allowed, got {len(value)}")
    for char in value:
        code = ord(char)
        if (code < 0x20 and char not in "\t\n\r") or 0x7F <= code < 0xA0:
            raise _Bad("invalid_value", f"control character U+{code:04X} is not allowed")


def _geography(value: Any, expected: str) -> str:
    if isinstance(value, str):
        _check_text(value)
        text = value.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                raise _Bad(
                    "invalid_value", "expected GEOGRAPHY as WKT or GeoJSON, got invalid JSON"
                ) from None
        else:
            if not _WKT_PATTERN.match(text) or text.count("(") != text.count(")"):
                raise _Bad(
                    "invalid_value",
                    f"expected GEOGRAPHY as WKT or GeoJSON, got {describe_value(value)}",
                )
            return " ".join(text.upper().split()).replace("( ", "(").replace(" )", ")")
    if isinstance(value, Mapping):
        return _geojson_to_wkt(value)
    raise _Bad("invalid_type", expected)


def _geojson_to_wkt(geometry: Mapping[str, Any]) -> str:
    kind = _GEOJSON_TYPES.get(str(geometry.get("type")))
    coordinates = geometry.get("coordinates")
    if kind is None or not isinstance(coordinates, list):
        raise _Bad("invalid_value", "expected a GeoJSON geometry with type and coordinates")

    def position(p: Any) -> str:
        if (
            not isinstance(p, list)
            or len(p) not in (2, 3)
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in p)
            or not all(math.isfinite(c) for c in p)
        ):
            raise _Bad("invalid_value", "GeoJSON positions must be [longitude, latitude]")
        return f"{float(p[0])!r} {float(p[1])!r}"

    def ring(points: Any) -> str:
        if not isinstance(points, list) or not points:
            raise _Bad("invalid_value", "GeoJSON coordinates are malformed")
        return "(" + ", ".join(position(p) for p in points) + ")"

    def polygon(rings: Any) -> str:
        if not isinstance(rings, list) or not rings:
            raise _Bad("invalid_value", "GeoJSON coordinates are malformed")
        return "(" + ", ".join(ring(r) for r in rings) + ")"

    if kind == "POINT":
        body = f"({position(coordinates)})"
    elif kind in ("LINESTRING", "MULTIPOINT"):
        body = ring(coordinates)
    elif kind in ("POLYGON", "MULTILINESTRING"):
        body = polygon(coordinates)
    else:
        body = "(" + ", ".join(polygon(p) for p in coordinates) + ")"
    return f"{kind}{body}"


def _check_constraints(parameter: Parameter, value: Any) -> None:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        bounds = (
            (parameter.minimum, lambda v, b: v >= b, "at least"),
            (parameter.maximum, lambda v, b: v <= b, "at most"),
            (parameter.exclusive_minimum, lambda v, b: v > b, "greater than"),
            (parameter.exclusive_maximum, lambda v, b: v < b, "less than"),
        )
        for bound, holds, words in bounds:
            if bound is not None and not holds(Decimal(str(value)), Decimal(str(bound))):
                raise _Bad("out_of_range", f"must be {words} {bound}, got {value}")
    if isinstance(value, str):
        limit = parameter.max_length
        if limit is not None and len(value) > limit:
            raise _Bad("too_long", f"at most {limit} characters allowed, got {len(value)}")
        if parameter.pattern is not None and not re.fullmatch(parameter.pattern, value):
            raise _Bad(
                "invalid_value",
                f"must match the pattern {parameter.pattern}, got {describe_value(value)}",
            )
    if parameter.allowed_values is not None:
        allowed = [_scalar_or_none(parameter, item) for item in parameter.allowed_values]
        if value not in allowed:
            shown = ", ".join(json.dumps(_json_value(a)) for a in allowed)
            raise _Bad("not_allowed", f"must be one of {shown}, got {describe_value(value)}")


def _scalar_or_none(parameter: Parameter, item: Any) -> Any:
    try:
        return _scalar(parameter.element_type or parameter.type, item)
    except _Bad:
        return None
