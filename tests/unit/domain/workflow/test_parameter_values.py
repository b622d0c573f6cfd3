"""Caller-supplied parameter values: checked against declarations, made canonical."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from workflows_api.domain.errors import ParameterValuesInvalid
from workflows_api.domain.workflow.model import Parameter
from workflows_api.domain.workflow.parameters import (
    bigquery_parameter_types,
    to_json_values,
    validate_parameter_values,
)


def p(name: str, type_: str, **kwargs: Any) -> Parameter:
    return Parameter.model_validate({"name": name, "type": type_, **kwargs})


DEMO = [
    p("number_of_clusters", "INT64", minimum=1, maximum=50),
    p("buffer_radius", "FLOAT64", exclusive_minimum=0),
    p("store_type", "STRING", max_length=20),
]


def messages(parameters: list[Parameter], supplied: dict[str, Any]) -> list[str]:
    with pytest.raises(ParameterValuesInvalid) as raised:
        validate_parameter_values(parameters, supplied)
    return [error.message for error in raised.value.errors]


def test_seed_values_are_accepted_and_canonical() -> None:
    values = validate_parameter_values(
        DEMO, {"store_type": "Supermarket", "buffer_radius": 500, "number_of_clusters": 2}
    )
    assert values == {"number_of_clusters": 2, "buffer_radius": 500.0, "store_type": "Supermarket"}
    assert list(values) == ["number_of_clusters", "buffer_radius", "store_type"]
    assert isinstance(values["buffer_radius"], float)


def test_string_for_int64_names_parameter_type_and_value() -> None:
    assert messages(DEMO, {"number_of_clusters": "two", "buffer_radius": 1, "store_type": "x"}) == [
        'number_of_clusters: expected INT64, got the string "two"'
    ]


@pytest.mark.parametrize(
    ("parameter", "value", "fragment"),
    [
        (p("n", "INT64"), True, "expected INT64, got the boolean true"),
        (p("n", "INT64"), 2.0, "expected INT64, got the number 2.0"),
        (p("n", "INT64"), 2**63, "out of range"),
        (p("x", "FLOAT64"), False, "expected FLOAT64, got the boolean false"),
        (p("x", "FLOAT64"), float("nan"), "finite"),
        (p("x", "FLOAT64"), float("inf"), "finite"),
        (p("x", "FLOAT64"), "1.5", 'got the string "1.5"'),
        (p("b", "BOOL"), 1, "expected BOOL, got the integer 1"),
        (p("s", "STRING"), 5, "expected STRING, got the integer 5"),
        (p("s", "STRING"), "a\x00b", "control character U+0000"),
        (p("s", "STRING"), "a\x1bb", "control character U+001B"),
        (p("s", "STRING"), "x" * 10_001, "at most 10000 characters"),
        (p("s", "STRING", max_length=3), "abcd", "at most 3 characters"),
        (p("s", "STRING", pattern="[A-Z]+"), "abc", "must match the pattern"),
        (p("s", "STRING", allowed_values=["a", "b"]), "c", 'must be one of "a", "b"'),
        (p("n", "INT64", minimum=1, maximum=50), 0, "must be at least 1"),
        (p("n", "INT64", minimum=1, maximum=50), 51, "must be at most 50"),
        (p("x", "FLOAT64", exclusive_minimum=0), 0, "must be greater than 0"),
        (p("d", "DATE"), "2024-02-30", "expected a DATE"),
        (p("t", "TIMESTAMP"), "yesterday", "expected a TIMESTAMP"),
        (p("m", "NUMERIC"), "1.0000000001", "9 fractional digits"),
        (p("m", "NUMERIC"), "abc", 'expected NUMERIC, got the string "abc"'),
        (p("a", "ARRAY<INT64>"), [1, "2"], 'item 1: expected INT64, got the string "2"'),
        (p("a", "ARRAY<INT64>"), 1, "expected ARRAY<INT64>, got the integer 1"),
        (p("a", "ARRAY<STRING>", max_items=2), ["a", "b", "c"], "at most 2 items"),
        (p("g", "GEOGRAPHY"), "POINT(1 2); DROP", "expected GEOGRAPHY"),
        (p("n", "INT64"), None, "expected INT64, got null"),
    ],
)
def test_bad_values_are_refused(parameter: Parameter, value: Any, fragment: str) -> None:
    (message,) = messages([parameter], {parameter.name: value})
    assert message.startswith(f"{parameter.name}: ")
    assert fragment in message


def test_unknown_and_missing_parameters_are_all_reported() -> None:
    with pytest.raises(ParameterValuesInvalid) as raised:
        validate_parameter_values(DEMO, {"number_of_clusters": 2, "colour": "red"})
    codes = sorted((e.code, e.parameter) for e in raised.value.errors)
    assert codes == [
        ("missing_parameter", "buffer_radius"),
        ("missing_parameter", "store_type"),
        ("unknown_parameter", "colour"),
    ]


def test_defaults_fill_optional_parameters() -> None:
    declared = [p("n", "INT64", default=3), p("s", "STRING", required=False)]
    assert validate_parameter_values(declared, {}) == {"n": 3, "s": None}


@pytest.mark.parametrize(
    ("type_", "value", "canonical", "json_value"),
    [
        ("NUMERIC", "1.50", Decimal("1.5"), "1.5"),
        ("NUMERIC", 2, Decimal("2"), "2"),
        ("NUMERIC", "100", Decimal("100"), "100"),
        ("DATE", "2024-01-31", dt.date(2024, 1, 31), "2024-01-31"),
        (
            "TIMESTAMP",
            "2024-01-31T13:00:00+01:00",
            dt.datetime(2024, 1, 31, 12, tzinfo=dt.UTC),
            "2024-01-31T12:00:00Z",
        ),
        ("GEOGRAPHY", "point( 1 2 )", "POINT(1 2)", "POINT(1 2)"),
        ("GEOGRAPHY", {"type": "Point", "coordinates": [1, 2]}, "POINT(1.0 2.0)", "POINT(1.0 2.0)"),
        ("ARRAY<STRING>", ("a", "b"), ["a", "b"], ["a", "b"]),
    ],
)
def test_canonical_forms(type_: str, value: Any, canonical: Any, json_value: Any) -> None:
    values = validate_parameter_values([p("v", type_)], {"v": value})
    assert values == {"v": canonical}
    assert to_json_values(values) == {"v": json_value}


def test_equal_values_have_one_canonical_json() -> None:
    declared = [p("m", "NUMERIC"), p("x", "FLOAT64")]
    first = to_json_values(validate_parameter_values(declared, {"m": "1.10", "x": 2}))
    second = to_json_values(validate_parameter_values(declared, {"m": 1.1, "x": 2.0}))
    assert first == second


def test_bigquery_types_of_parameters() -> None:
    declared = [*DEMO, p("g", "GEOGRAPHY"), p("a", "ARRAY<STRING>")]
    assert bigquery_parameter_types(declared) == {
        "number_of_clusters": "INT64",
        "buffer_radius": "FLOAT64",
        "store_type": "STRING",
        "g": "STRING",
        "a": "ARRAY<STRING>",
    }
