"""Checks of a workflow's parameter declarations: names, constraints that fit the type,
defaults that pass their own declaration."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import Issue, ParameterValuesInvalid
from .parameter_types import NUMBER_TYPES
from .parameters import canonical_value
from .parts import Parameter
from .patterns import PatternRefused, check_pattern
from .sql_render import IDENTIFIER_PATTERN

# Query parameters the service adds to every CALL (the output table) use this prefix.
RESERVED_PARAMETER_PREFIX = "wfapi_"
_NUMBER_CONSTRAINTS = ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum")
_STRING_CONSTRAINTS = ("pattern", "max_length")


def parameter_issues(parameters: Sequence[Parameter]) -> list[Issue]:
    """Every issue in the declarations, in declared order; `field` is parameters.<name>..."""
    issues = []
    seen: set[str] = set()
    for parameter in parameters:
        field = f"parameters.{parameter.name}"
        if parameter.name in seen:
            issues.append(
                Issue(
                    "duplicate_parameter",
                    f"parameter {parameter.name} is declared twice",
                    field=field,
                )
            )
        seen.add(parameter.name)
        issues += _name_issues(parameter, field)
        constraint_issues = _constraint_issues(parameter, field)
        issues += constraint_issues
        if not any(issue.code == "invalid_pattern" for issue in constraint_issues):
            # A default cannot be checked against a pattern that does not compile.
            issues += _default_issues(parameter, field)
    return issues


def _name_issues(parameter: Parameter, field: str) -> list[Issue]:
    issues = []
    if not IDENTIFIER_PATTERN.fullmatch(parameter.name) or len(parameter.name) > 128:
        issues.append(
            Issue(
                "invalid_identifier",
                "parameter names hold letters, digits and _ and start with a letter or _",
                field=field + ".name",
            )
        )
    if parameter.name.lower().startswith(RESERVED_PARAMETER_PREFIX):
        issues.append(
            Issue(
                "reserved_identifier",
                f"parameter names starting with {RESERVED_PARAMETER_PREFIX} are reserved "
                "(the service adds its own query parameters, such as the output table)",
                field=field + ".name",
            )
        )
    return issues


def _constraint_issues(parameter: Parameter, field: str) -> list[Issue]:
    kind = parameter.element_type or parameter.type
    misplaced = [
        (name, f"{name} applies only to numbers, not {parameter.type}")
        for name in _NUMBER_CONSTRAINTS
        if getattr(parameter, name) is not None and kind not in NUMBER_TYPES
    ]
    misplaced += [
        (name, f"{name} applies only to STRING, not {parameter.type}")
        for name in _STRING_CONSTRAINTS
        if getattr(parameter, name) is not None and kind != "STRING"
    ]
    if parameter.max_items is not None and parameter.element_type is None:
        misplaced.append(("max_items", "max_items applies only to ARRAY types"))
    issues = [
        Issue("constraint_not_applicable", message, field=f"{field}.{name}")
        for name, message in misplaced
    ]
    if parameter.pattern is not None:
        try:
            check_pattern(parameter.pattern)
        except PatternRefused as refused:
            message = f"pattern {refused} (patterns use RE2 syntax, as BigQuery's REGEXP functions)"
            issues.append(Issue("invalid_pattern", message, field=f"{field}.pattern"))
    return issues


def _default_issues(parameter: Parameter, field: str) -> list[Issue]:
    issues = []
    if parameter.required and parameter.default is not None:
        issues.append(
            Issue(
                "required_with_default",
                "a parameter with a default is optional",
                field=f"{field}.required",
            )
        )
    if parameter.default is not None:
        try:
            canonical_value(parameter, parameter.default)
        except ParameterValuesInvalid as invalid:
            message = invalid.errors[0].message.split(": ", 1)[-1]
            issues.append(Issue("invalid_default", message, field=f"{field}.default"))
    return issues
