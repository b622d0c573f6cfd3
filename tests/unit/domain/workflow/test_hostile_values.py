"""Hostile values in the domain: every one refused with an error naming where it is,
never an exception of another kind (issue 13 item 1), and RE2 patterns (item 2)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from workflows_api.domain import plain_data
from workflows_api.domain.errors import (
    Issue,
    ParameterError,
    ParameterValuesInvalid,
    WorkflowInvalid,
)
from workflows_api.domain.workflow import fragment_parsing
from workflows_api.domain.workflow.model import Parameter
from workflows_api.domain.workflow.parameters import validate_parameter_values
from workflows_api.domain.workflow.patterns import PatternRefused, check_pattern, full_match
from workflows_api.domain.workflow.validation import (
    load_workflow,
    parse_definition_text,
    parse_workflow,
)

NODES: list[dict[str, Any]] = [
    {"id": "src", "type": "read_table", "settings": {"table": "retail.stores"}},
    {"id": "out", "type": "output", "inputs": ["src"]},
]


def refusal(type_name: str, value: Any, **constraints: Any) -> ParameterError:
    parameter = Parameter.model_validate(
        {"name": "p", "type": type_name, "required": False, **constraints}
    )
    with pytest.raises(ParameterValuesInvalid) as refused:
        validate_parameter_values([parameter], {"p": value})
    (error,) = refused.value.errors
    assert error.parameter == "p"
    json.dumps(error.to_dict()).encode("utf-8")  # an answerable message
    return error


def accepted(type_name: str, value: Any, **constraints: Any) -> Any:
    parameter = Parameter.model_validate(
        {"name": "p", "type": type_name, "required": False, **constraints}
    )
    return validate_parameter_values([parameter], {"p": value})["p"]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1e40", "out_of_range"),
        (1e30, "out_of_range"),
        ("1e999999999", "out_of_range"),
        ("-1e999999999", "out_of_range"),
        ("1e-999999999", "out_of_range"),
        ("1" * 30, "out_of_range"),
        ("0.0000000001", "out_of_range"),
        (10**400, "out_of_range"),
        ("NaN", "invalid_value"),
        ("1e", "invalid_type"),
    ],
)
def test_numeric_beyond_its_range_or_digits_is_refused(value: Any, code: str) -> None:
    assert refusal("NUMERIC", value).code == code


def test_numeric_keeps_all_38_digits() -> None:
    biggest = "9" * 29 + "." + "9" * 9
    assert accepted("NUMERIC", biggest) == Decimal(biggest)
    assert accepted("NUMERIC", "1e28") == Decimal("1" + "0" * 28)
    assert accepted("NUMERIC", "0") == Decimal(0)
    assert accepted("NUMERIC", "1.50") == Decimal("1.5")


def test_float64_of_400_digits_is_out_of_range() -> None:
    error = refusal("FLOAT64", int("9" * 400))
    assert error.code == "out_of_range" and "400 digits" in error.message
    assert accepted("FLOAT64", 10**300) == 1e300


@pytest.mark.parametrize(
    "value", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "10000-01-01T00:00:00Z"]
)
def test_timestamps_outside_years_1_to_9999_are_refused(value: str) -> None:
    assert refusal("TIMESTAMP", value).code in ("out_of_range", "invalid_value")


def test_timestamp_at_the_edge_is_kept() -> None:
    assert accepted("TIMESTAMP", "9999-12-31T23:59:59Z") == dt.datetime(
        9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC
    )


@pytest.mark.parametrize(
    "value",
    [
        {"type": "Point", "coordinates": [10**400, 1]},
        {"type": "Point", "coordinates": [181, 0]},
        {"type": "Point", "coordinates": [0, -90.5]},
        '{"type": "Point", "coordinates": ' + "[" * 3000 + "0" + "]" * 3000 + "}",
        '{"type": "Point", "coordinates": [1' + "0" * 400 + ", 1]}",
        {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 1], [True, 0]]]]},
    ],
    ids=["huge", "longitude", "latitude", "nested string", "huge in string", "boolean"],
)
def test_geojson_out_of_the_globe_or_nested_is_refused(value: Any) -> None:
    assert refusal("GEOGRAPHY", value).code in ("out_of_range", "invalid_value")


def test_geojson_on_the_globe_is_kept() -> None:
    assert accepted("GEOGRAPHY", {"type": "Point", "coordinates": [-180, 90]}) == (
        "POINT(-180.0 90.0)"
    )


@pytest.mark.parametrize("type_name", ["STRING", "DATE", "TIMESTAMP", "GEOGRAPHY"])
def test_a_lone_surrogate_is_refused_and_the_message_is_text(type_name: str) -> None:
    error = refusal(type_name, "x\ud800")
    assert error.code == "invalid_value"
    assert "surrogate" in error.message


def test_a_lone_surrogate_in_an_array_item_and_a_parameter_name() -> None:
    assert refusal("ARRAY<STRING>", ["ok", "\udfff"]).message.startswith("p: item 1")
    with pytest.raises(ParameterValuesInvalid) as refused:
        validate_parameter_values([], {"\ud800": 1})
    (error,) = refused.value.errors
    assert error.code == "unknown_parameter"
    assert error.message.encode("utf-8") and "\\ud800" in error.message


def test_error_records_escape_surrogates_in_every_field() -> None:
    issue = Issue("c", "bad \ud800", node="n\udc00", field="f\ud800")
    assert json.dumps(issue.to_dict(), ensure_ascii=False).encode("utf-8")
    assert issue.node == "n\\udc00" and issue.field == "f\\ud800"


def test_issue_order_is_total_with_missing_nodes_and_fields() -> None:
    issues = [Issue("x", "m", node="b"), Issue("x", "m"), Issue("x", "m", field="f")]
    assert sorted(issues, key=Issue.sort_key)[0] == Issue("x", "m")


def invalid(definition: Any) -> list[Issue]:
    with pytest.raises(WorkflowInvalid) as refused:
        load_workflow(definition)
    return refused.value.issues


def test_extra_fields_at_several_levels_are_all_reported() -> None:
    issues = invalid(
        {
            "colour": "red",
            "nodes": [{**NODES[0], "shade": 1, "settings": {"table": "t", "hue": 2}}, NODES[1]],
        }
    )
    named = {(i.node, i.field) for i in issues}
    assert {(None, "colour"), ("src", "shade"), ("src", "settings.hue")} <= named


@pytest.mark.parametrize("number", [".nan", ".inf", "-.inf"])
def test_yaml_nan_and_infinity_are_refused_in_definitions(number: str) -> None:
    text = (
        "nodes:\n"
        "  - {id: src, type: read_table, settings: {table: retail.stores}}\n"
        "  - {id: buf, type: buffer, inputs: [src],"
        f" settings: {{geography_column: geom, distance: {number}, output_column: b}}}}\n"
        "  - {id: out, type: output, inputs: [buf]}\n"
    )
    issues = invalid(text)
    assert issues and all(i.node == "buf" and "distance" in (i.field or "") for i in issues)
    assert any("finite" in i.message for i in issues)


def test_nan_bounds_are_refused_in_parameter_declarations() -> None:
    issues = invalid(
        {"parameters": [{"name": "p", "type": "FLOAT64", "maximum": float("nan")}], "nodes": NODES}
    )
    assert any(i.field and "maximum" in i.field for i in issues)


@pytest.mark.parametrize(
    "definition",
    [
        {"name": "\ud800", "nodes": NODES},
        {"name": "ok", "nodes": NODES, "\udc00": 1},
        'name: "\\ud800"\nnodes: []\n',
    ],
    ids=["in a value", "in a key", "yaml escape"],
)
def test_lone_surrogates_in_definitions_are_named(definition: Any) -> None:
    (issue,) = invalid(definition)
    assert issue.code == "invalid_text"
    assert issue.field in ("name", "\\udc00")


@pytest.mark.parametrize(
    "text",
    [
        "name: x\nnodes: " + "[" * 50_000 + "]" * 50_000,
        "nodes: " + "{a: " * 5_000 + "1" + "}" * 5_000,
        "".join(" " * i + "-\n" for i in range(100)),
        "[" * 100 + "]" * 100,
    ],
    ids=["flow sequences", "flow mappings", "block sequences", "json"],
)
def test_yaml_nesting_is_refused_while_parsing(text: str) -> None:
    with pytest.raises(WorkflowInvalid) as refused:
        parse_definition_text(text)
    (issue,) = refused.value.issues
    assert (issue.code, issue.field) == ("body_too_deep", "body")


def test_yaml_aliases_that_multiply_are_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    (issue,) = invalid("\n".join(lines) + "\nnodes: []\n")
    assert issue.code == "body_too_deep"


def test_mapping_data_nested_deeper_than_the_bound_is_refused() -> None:
    data: Any = "leaf"
    for _ in range(plain_data.MAX_NESTING + 5):
        data = [data]
    (issue,) = invalid({"name": "x", "nodes": NODES, "description": data})
    assert issue.code == "body_too_deep"


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ("[" * 65 + "]" * 65, True),
        ("[" * 64 + "]" * 64, False),
        ('["' + "[" * 500 + '"]', False),
        ('["\\"' + "[" * 500 + '"]', False),
        ('{"a": "' + "{" * 500, False),
        ("[]" * 10_000, False),
    ],
    ids=["65", "64", "brackets in a string", "escaped quote", "unterminated string", "wide"],
)
def test_json_nesting_is_measured_outside_strings(text: str, deep: bool) -> None:
    if deep:
        with pytest.raises(plain_data.TooDeep):
            plain_data.check_json_nesting(text)
    else:
        plain_data.check_json_nesting(text)


def test_sql_nested_too_deep_to_parse_is_a_fragment_error() -> None:
    with pytest.raises(fragment_parsing.FragmentError) as refused:
        fragment_parsing.parse_query("SELECT " + "(" * 3000 + "1" + ")" * 3000 + " AS x FROM $a")
    assert refused.value.code in ("custom_sql_too_deep", "custom_sql_parse_error")


@pytest.mark.parametrize(
    "pattern",
    [
        "a{99999999999}",
        "(" * 1000 + "a" + ")" * 1000,
        "(a{1000}){1000}",
        "((((a{1000}){10}){10}){10})",
        "x" * 1001,
        "(?=a)",
        "[",
        r"(a)\1",
    ],
    ids=[
        "huge count",
        "1000 groups",
        "too large",
        "program",
        "long",
        "lookahead",
        "bad",
        "backref",
    ],
)
def test_patterns_that_are_not_re2_or_too_costly_are_refused_at_put(pattern: str) -> None:
    with pytest.raises(PatternRefused):
        check_pattern(pattern)
    definition = {
        "parameters": [{"name": "code", "type": "STRING", "required": False, "pattern": pattern}],
        "nodes": NODES,
    }
    issues = [i for i in invalid(definition) if i.code == "invalid_pattern"]
    assert issues and issues[0].field == "parameters.code.pattern"


@pytest.mark.parametrize(
    "pattern", [r"[A-Z]{2}-\d{4}", "a{2,1000}", r"\{99999\}", "[{]9999}", "(a|b)+", "[]a]"]
)
def test_re2_patterns_within_the_limits_are_kept(pattern: str) -> None:
    check_pattern(pattern)


def test_patterns_match_the_whole_value_in_linear_time() -> None:
    assert full_match("(a+)+b", "a" * 10_000 + "b")
    assert not full_match("(a+)+b", "a" * 10_000 + "!")  # backtracking engines never return
    assert not full_match(r"\d+", "١٢٣")  # RE2's \d is ASCII, as in BigQuery
    error = refusal("STRING", "a" * 40 + "!", pattern="(a+)+b")
    assert error.code == "invalid_value" and "pattern" in error.message


def test_a_stored_pattern_that_re2_refuses_is_a_refusal_not_a_crash() -> None:
    parameter = Parameter.model_construct(name="p", type="STRING", required=False, pattern="(?=a)")
    with pytest.raises(ParameterValuesInvalid) as refused:
        validate_parameter_values([parameter], {"p": "a"})
    assert refused.value.errors[0].code == "invalid_pattern"


def test_parse_workflow_survives_everything_above_on_a_stored_mapping() -> None:
    assert parse_workflow({"name": "fine", "nodes": NODES}).name == "fine"
