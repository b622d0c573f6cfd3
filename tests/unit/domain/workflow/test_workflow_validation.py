"""One test per validation rule: each names the node and field at fault."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.workflow_factory import definition, output, read, single
from workflows_api.domain.errors import Issue, WorkflowInvalid
from workflows_api.domain.workflow.validation import (
    load_workflow,
    parse_workflow,
    validate_workflow,
)


def issues_of(data: dict[str, Any]) -> list[Issue]:
    return validate_workflow(parse_workflow(data))


def only_error(data: dict[str, Any]) -> Issue:
    errors = [i for i in issues_of(data) if i.severity == "error"]
    assert len(errors) == 1, errors
    return errors[0]


def filter_node(value: Any, operator: str = "=", column: str = "store_type") -> dict[str, Any]:
    return {
        "id": "f",
        "type": "filter",
        "settings": {"conditions": [{"column": column, "operator": operator, "value": value}]},
    }


def test_valid_workflow_has_no_issues() -> None:
    assert issues_of(single(filter_node("Supermarket"))) == []


def test_duplicate_node_ids() -> None:
    issue = only_error(definition([read("a"), read("a"), output("a")]))
    assert (issue.code, issue.node, issue.field) == ("duplicate_node_id", "a", "id")


def test_invalid_node_id() -> None:
    issue = only_error(definition([read("1bad"), output("1bad")]))
    assert (issue.code, issue.node, issue.field) == ("invalid_identifier", "1bad", "id")


def test_unknown_input() -> None:
    data = definition([read(), {**filter_node("x"), "inputs": ["nowhere"]}, output("f")])
    issue = only_error(data)
    assert (issue.code, issue.node, issue.field) == ("unknown_input", "f", "inputs.0")


def test_missing_input() -> None:
    issue = only_error(definition([read(), filter_node("x"), output("src")]))
    assert (issue.code, issue.node, issue.field) == ("missing_input", "f", "inputs")


def test_wrong_number_of_inputs() -> None:
    join = {"id": "j", "type": "join", "inputs": ["src"], "settings": {"on": ["id"]}}
    issue = only_error(definition([read(), join, output("j")]))
    assert (issue.code, issue.node, issue.field) == ("wrong_input_count", "j", "inputs")
    assert "exactly 2 inputs" in issue.message


def test_read_table_takes_no_inputs() -> None:
    issue = only_error(definition([read("a"), {**read("b"), "inputs": ["a"]}, output("b")]))
    assert (issue.code, issue.node) == ("wrong_input_count", "b")


def test_cycle() -> None:
    data = definition(
        [
            read(),
            {**filter_node("x"), "id": "a", "inputs": ["b"]},
            {**filter_node("x"), "id": "b", "inputs": ["a"]},
            output("b"),
        ]
    )
    issue = only_error(data)
    assert issue.code == "cycle"
    assert issue.node == "a"
    assert issue.message.endswith("a -> b -> a")


def test_self_loop_is_a_cycle() -> None:
    issue = only_error(definition([{**filter_node("x"), "inputs": ["f"]}, output("f")]))
    assert issue.code == "cycle"


def test_missing_output() -> None:
    issue = only_error(definition([read()]))
    assert issue.code == "missing_output"


def test_more_than_one_output() -> None:
    second = {"id": "out2", "type": "output", "inputs": ["src"]}
    issue = only_error(definition([read(), output("src"), second]))
    assert (issue.code, issue.node) == ("multiple_outputs", "out2")


def test_unknown_parameter() -> None:
    issue = only_error(single(filter_node({"param": "nope"})))
    assert (issue.code, issue.node, issue.field) == (
        "unknown_parameter",
        "f",
        "settings.conditions.0.value",
    )


def test_parameter_type_not_fitting_the_setting() -> None:
    kmeans = {
        "id": "k",
        "type": "kmeans",
        "settings": {"geography_column": "geom", "k": {"param": "n"}},
    }
    issue = only_error(single(kmeans, [{"name": "n", "type": "STRING"}]))
    assert (issue.code, issue.node, issue.field) == ("parameter_type_mismatch", "k", "settings.k")
    assert "STRING" in issue.message and "INT64" in issue.message


def test_in_operator_needs_an_array_parameter() -> None:
    issue = only_error(single(filter_node({"param": "t"}, "in"), [{"name": "t", "type": "STRING"}]))
    assert issue.code == "parameter_type_mismatch"


def test_buffer_distance_needs_a_number_parameter() -> None:
    buffer = {
        "id": "b",
        "type": "buffer",
        "settings": {"geography_column": "geom", "distance": {"param": "d"}},
    }
    issue = only_error(single(buffer, [{"name": "d", "type": "BOOL"}]))
    assert (issue.code, issue.field) == ("parameter_type_mismatch", "settings.distance")


def test_k_parameter_must_be_bounded() -> None:
    kmeans = {
        "id": "k",
        "type": "kmeans",
        "settings": {"geography_column": "geom", "k": {"param": "n"}},
    }
    issue = only_error(single(kmeans, [{"name": "n", "type": "INT64"}]))
    assert (issue.code, issue.field) == ("parameter_unbounded", "settings.k")


def test_invalid_column_identifier() -> None:
    issue = only_error(single(filter_node("x", column="store type; DROP")))
    assert (issue.code, issue.node, issue.field) == (
        "invalid_identifier",
        "f",
        "settings.conditions.0.column",
    )


def test_reserved_column_prefix() -> None:
    issue = only_error(single(filter_node("x", column="__wf_x")))
    assert issue.code == "reserved_identifier"


@pytest.mark.parametrize(
    "table", ["stores", "a.b.c.d", "retail.stores`x", "Bad_Project.retail.stores"]
)
def test_invalid_table_reference(table: str) -> None:
    issue = only_error(definition([read(table=table), output("src")]))
    assert (issue.code, issue.node, issue.field) == ("invalid_identifier", "src", "settings.table")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM $a; DROP TABLE retail.stores",
        "DELETE FROM retail.stores WHERE TRUE",
        "CREATE TABLE x AS SELECT 1",
    ],
)
def test_custom_sql_must_be_one_select(sql: str) -> None:
    issue = only_error(single({"id": "c", "type": "custom_sql", "settings": {"sql": sql}}))
    assert (issue.code, issue.node, issue.field) == (
        "custom_sql_not_one_select",
        "c",
        "settings.sql",
    )


def test_custom_sql_that_does_not_parse() -> None:
    issue = only_error(single({"id": "c", "type": "custom_sql", "settings": {"sql": "SELECT (("}}))
    assert issue.code == "custom_sql_parse_error"


def test_custom_sql_placeholder_without_input() -> None:
    node = {
        "id": "c",
        "type": "custom_sql",
        "settings": {"sql": "SELECT * FROM $a JOIN $b USING (id)"},
    }
    issue = only_error(single(node))
    assert (issue.code, issue.field) == ("unknown_input", "settings.sql")


def test_computed_expression_cannot_hold_a_subquery() -> None:
    node = {
        "id": "s",
        "type": "select",
        "settings": {
            "computed": [{"name": "x", "expression": "(SELECT MAX(id) FROM retail.stores)"}]
        },
    }
    issue = only_error(single(node))
    assert (issue.code, issue.field) == ("expression_not_scalar", "settings.computed.0.expression")


def test_unused_parameter_is_a_warning() -> None:
    issues = issues_of(single(filter_node("x"), [{"name": "spare", "type": "INT64"}]))
    assert [(i.code, i.severity, i.field) for i in issues] == [
        ("unused_parameter", "warning", "parameters.spare")
    ]
    load_workflow(single(filter_node("x"), [{"name": "spare", "type": "INT64"}]))  # no raise


def test_invalid_parameter_name() -> None:
    issue = only_error(single(filter_node({"param": "a-b"}), [{"name": "a-b", "type": "STRING"}]))
    assert (issue.code, issue.field) == ("invalid_identifier", "parameters.a-b.name")


def test_invalid_default() -> None:
    params = [{"name": "n", "type": "INT64", "default": "two"}]
    issue = only_error(single(filter_node({"param": "n"}, column="id"), params))
    assert (issue.code, issue.field) == ("invalid_default", "parameters.n.default")
    assert 'got the string "two"' in issue.message


def test_constraint_must_fit_the_type() -> None:
    params = [{"name": "s", "type": "STRING", "minimum": 1}]
    issue = only_error(single(filter_node({"param": "s"}), params))
    assert (issue.code, issue.field) == ("constraint_not_applicable", "parameters.s.minimum")


def test_shape_errors_name_node_and_field() -> None:
    data = single(
        {
            "id": "f",
            "type": "filter",
            "settings": {"conditions": [{"column": "a", "operator": "~"}]},
        }
    )
    with pytest.raises(WorkflowInvalid) as raised:
        parse_workflow(data)
    fields = {(i.node, i.field) for i in raised.value.issues}
    assert ("f", "settings.conditions.0.operator") in fields


def test_unknown_node_type() -> None:
    with pytest.raises(WorkflowInvalid) as raised:
        parse_workflow(definition([{"id": "x", "type": "teleport"}, output("x")]))
    assert raised.value.issues[0].node == "x"


def test_load_workflow_raises_with_every_error() -> None:
    data = definition([read("a"), read("a")])
    with pytest.raises(WorkflowInvalid) as raised:
        load_workflow(data)
    assert {i.code for i in raised.value.issues} == {"duplicate_node_id", "missing_output"}


def test_yaml_text_is_accepted() -> None:
    workflow = load_workflow(
        "nodes:\n  - {id: s, type: read_table, settings: {table: retail.stores}}\n"
        "  - {id: out, type: output, inputs: [s]}\n"
    )
    assert [n.id for n in workflow.nodes] == ["s", "out"]


def test_reserved_parameter_prefix() -> None:
    parameters = [{"name": "wfapi_output_table", "type": "STRING"}]
    errors = [
        i
        for i in issues_of(single(filter_node({"param": "wfapi_output_table"}), parameters))
        if i.severity == "error"
    ]
    assert [(i.code, i.field) for i in errors] == [
        ("reserved_identifier", "parameters.wfapi_output_table.name")
    ]
