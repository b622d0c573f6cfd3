"""Caller-supplied parameter values: checked against the declaration, made canonical.

Used before any BigQuery call: an execution's values must pass here, and the
canonical form (typed Python values, and their JSON image) feeds the cache key.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..errors import ParameterError, ParameterValuesInvalid
from .parameter_scalars import ValueRejected, describe_value, scalar
from .parameter_types import ParameterDeclaration
from .patterns import PatternRefused, full_match

__all__ = [
    "MAX_ARRAY_ITEMS",
    "bigquery_parameter_types",
    "bigquery_type",
    "canonical_value",
    "describe_value",
    "to_json_values",
    "validate_parameter_values",
]

MAX_ARRAY_ITEMS = 1_000


def bigquery_type(parameter: ParameterDeclaration) -> str:
    """The BigQuery type of the procedure argument and of the job's query parameter.

    GEOGRAPHY travels as STRING (canonical WKT) because query parameters cannot be
    GEOGRAPHY; the generated SQL converts it with ST_GEOGFROMTEXT.
    """
    return "STRING" if parameter.type == "GEOGRAPHY" else parameter.type


def bigquery_parameter_types(parameters: Iterable[ParameterDeclaration]) -> dict[str, str]:
    """Parameter name -> BigQuery query-parameter type name ("INT64", "ARRAY<STRING>"), in order."""
    return {p.name: bigquery_type(p) for p in parameters}


def validate_parameter_values(
    parameters: Sequence[ParameterDeclaration], supplied: Mapping[str, Any]
) -> dict[str, Any]:
    """Typed canonical values for every declared parameter, in declared order.

    Missing optional parameters take their default (or None). Raises
    ParameterValuesInvalid listing every problem, each naming the parameter.
    """
    declared = list(parameters)
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


def canonical_value(parameter: ParameterDeclaration, value: Any) -> Any:
    """One value, checked and canonicalised; raises ParameterValuesInvalid (one error)."""
    try:
        if value is None:
            if parameter.is_required:
                raise ValueRejected("invalid_type", f"expected {parameter.type}, got null")
            return None
        if parameter.element_type is not None:
            return _array(parameter, value)
        result = scalar(parameter.type, value)
        _check_constraints(parameter, result)
        return result
    except ValueRejected as bad:
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


def _array(parameter: ParameterDeclaration, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise ValueRejected(
            "invalid_type", f"expected {parameter.type}, got {describe_value(value)}"
        )
    limit = min(parameter.max_items or MAX_ARRAY_ITEMS, MAX_ARRAY_ITEMS)
    if len(value) > limit:
        raise ValueRejected("too_many_items", f"at most {limit} items allowed, got {len(value)}")
    element_type = parameter.element_type or ""
    result = []
    for index, item in enumerate(value):
        if item is None:
            raise ValueRejected("invalid_type", f"item {index}: expected {element_type}, got null")
        try:
            canonical = scalar(element_type, item)
            _check_constraints(parameter, canonical)
        except ValueRejected as bad:
            raise ValueRejected(bad.code, f"item {index}: {bad.detail}") from None
        result.append(canonical)
    return result


def _check_constraints(parameter: ParameterDeclaration, value: Any) -> None:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        bounds = (
            (parameter.minimum, lambda v, b: v >= b, "at least"),
            (parameter.maximum, lambda v, b: v <= b, "at most"),
            (parameter.exclusive_minimum, lambda v, b: v > b, "greater than"),
            (parameter.exclusive_maximum, lambda v, b: v < b, "less than"),
        )
        for bound, holds, words in bounds:
            if bound is not None and not holds(Decimal(str(value)), Decimal(str(bound))):
                raise ValueRejected("out_of_range", f"must be {words} {bound}, got {value}")
    if isinstance(value, str):
        limit = parameter.max_length
        if limit is not None and len(value) > limit:
            raise ValueRejected("too_long", f"at most {limit} characters allowed, got {len(value)}")
        if parameter.pattern is not None and not _matches(parameter.pattern, value):
            raise ValueRejected(
                "invalid_value",
                f"must match the pattern {parameter.pattern}, got {describe_value(value)}",
            )
    if parameter.allowed_values is not None:
        allowed = [_scalar_or_none(parameter, item) for item in parameter.allowed_values]
        if value not in allowed:
            shown = ", ".join(json.dumps(_json_value(a)) for a in allowed)
            raise ValueRejected(
                "not_allowed", f"must be one of {shown}, got {describe_value(value)}"
            )


def _matches(pattern: str, value: str) -> bool:
    try:
        return full_match(pattern, value)
    except PatternRefused as refused:
        # Checked when the definition was saved; one saved before RE2 may not compile.
        raise ValueRejected("invalid_pattern", f"the declared pattern {refused}") from None


def _scalar_or_none(parameter: ParameterDeclaration, item: Any) -> Any:
    try:
        return scalar(parameter.element_type or parameter.type, item)
    except ValueRejected:
        return None
