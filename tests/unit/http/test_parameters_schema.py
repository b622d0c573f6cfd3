"""A workflow's parameters_schema agrees with the checks an execute request meets."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from tests.support.apps import DEMO, GOOD, with_demo_workflow
from tests.support.http_client import HttpClient
from workflows_api.domain.errors import ParameterValuesInvalid
from workflows_api.domain.workflow.model import Parameter
from workflows_api.domain.workflow.parameters import validate_parameter_values
from workflows_api.domain.workflow.validation import parse_workflow
from workflows_api.http.native.parameter_schema import parameters_schema
from workflows_api.http.tables import all_routes

DECLARED = [
    Parameter(name="n", type="INT64", minimum=1, maximum=50),
    Parameter(name="radius", type="FLOAT64", exclusive_minimum=0, default=1.5),
    Parameter(name="kind", type="STRING", allowed_values=["a", "b"], default="a"),
    Parameter(name="code", type="STRING", pattern="[A-Z]{2}[0-9]+", max_length=6, default="AB1"),
    Parameter(name="amount", type="NUMERIC", default="0"),
    Parameter(name="day", type="DATE", default="2026-01-31"),
    Parameter(name="at", type="TIMESTAMP", default="2026-01-31T12:00:00Z"),
    Parameter(name="ids", type="ARRAY<INT64>", max_items=3, default=[1]),
    Parameter(name="flag", type="BOOL", default=False),
]
BASE = {"n": 2}
CASES: list[dict[str, Any]] = [
    {},
    {"n": 0},
    {"n": 51},
    {"n": 2.5},
    {"n": "2"},
    {"radius": 0},
    {"radius": 0.1},
    {"kind": "c"},
    {"kind": "b"},
    {"kind": None},
    {"code": "AB12"},
    {"code": "AB"},
    {"code": "xAB12"},
    {"code": "AB12345"},
    {"amount": "12.5"},
    {"amount": "1.1234567891"},
    {"amount": 10**30},
    {"amount": 7},
    {"day": "2026-02-30x"},
    {"day": "2026-02-03"},
    {"at": "not a time"},
    {"ids": [1, 2, 3, 4]},
    {"ids": [1, "2"]},
    {"ids": [1, 2]},
    {"flag": 1},
    {"flag": True},
    {"other": 1},
    {"code": "AB\u00071"},
]


def _valid_for_service(values: dict[str, Any]) -> bool:
    try:
        validate_parameter_values(DECLARED, values)
    except ParameterValuesInvalid:
        return False
    return True


def _valid_for_schema(values: dict[str, Any]) -> bool:
    schema = parameters_schema(DECLARED)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return validator.is_valid(values)


@pytest.mark.parametrize("change", CASES, ids=repr)
def test_the_schema_accepts_what_the_service_accepts(change: dict[str, Any]) -> None:
    values = {**BASE, **change}
    assert _valid_for_schema(values) == _valid_for_service(values), values


def test_required_parameters_are_required_and_defaults_published() -> None:
    schema = parameters_schema(DECLARED)
    assert schema["required"] == ["n"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["radius"]["default"] == 1.5
    assert schema["properties"]["ids"]["x-bigquery-type"] == "ARRAY<INT64>"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_the_api_state_publishes_the_demo_schema() -> None:
    client = HttpClient(with_demo_workflow(), all_routes())
    answer = client.call("GET", "/v1/workflows/clusters/api", token=client.token())
    assert answer.status == 200, answer.body
    schema = answer.body["parameters_schema"]
    assert schema == parameters_schema(parse_workflow(DEMO).parameters)
    assert jsonschema.Draft202012Validator(schema).is_valid(GOOD)
    assert not jsonschema.Draft202012Validator(schema).is_valid({**GOOD, "number_of_clusters": 0})
