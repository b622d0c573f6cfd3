"""The "add a node type" recipe, followed once with a test-only `limit` node.

Everything a node type brings is defined here, as its module under domain/workflow/nodes/ would
(settings model, checks, compile rule), and registered through the registry's public
function; no other module is edited. It validates, compiles and appears in the JSON
Schema, and unregistering it restores the published schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import jsonschema
import pytest
from pydantic import StrictInt

from tests.support.workflow_factory import definition, output, single
from workflows_api.domain.errors import WorkflowInvalid
from workflows_api.domain.workflow import model
from workflows_api.domain.workflow.compiler import compile_procedure
from workflows_api.domain.workflow.nodes import registry
from workflows_api.domain.workflow.nodes.base import NodeBase
from workflows_api.domain.workflow.nodes.checks import NodeChecker
from workflows_api.domain.workflow.nodes.compiling import CompileContext, NodeSql, Query, relation
from workflows_api.domain.workflow.nodes.spec import NodeType
from workflows_api.domain.workflow.parts import Strict
from workflows_api.domain.workflow.validation import (
    load_workflow,
    parse_workflow,
    validate_workflow,
)

SCHEMA = Path(__file__).resolve().parents[4] / "schemas" / "workflow.schema.json"


# --- what would be domain/workflow/nodes/limit.py -------------------------------------------------


class LimitSettings(Strict):
    rows: StrictInt


class LimitNode(NodeBase):
    type: Literal["limit"]
    settings: LimitSettings


def check(node: LimitNode, checker: NodeChecker) -> None:
    checker.number(node.settings.rows, "settings.rows", "a row count", low=1)


def compile_rule(node: LimitNode, context: CompileContext) -> NodeSql:
    return relation(Query(["*"], context.inputs[0], limit=node.settings.rows))


LIMIT = NodeType(LimitNode, inputs=(1, 1), check=check, compile_rule=compile_rule)

# ------------------------------------------------------------------------------------------


@pytest.fixture
def limit_registered() -> Iterator[None]:
    registry.register_node_type(LIMIT)
    try:
        yield
    finally:
        registry.unregister_node_type("limit")


def limit(rows: object) -> dict[str, Any]:
    return single({"id": "l", "type": "limit", "settings": {"rows": rows}})


def test_an_unregistered_type_is_refused() -> None:
    with pytest.raises(WorkflowInvalid) as refused:
        parse_workflow(limit(5))
    assert [(i.code, i.node) for i in refused.value.issues] == [("invalid_field", "l")]
    assert "limit" not in model.NODE_TYPES


@pytest.mark.usefixtures("limit_registered")
def test_a_registered_type_validates() -> None:
    assert "limit" in model.NODE_TYPES
    assert registry.input_counts()["limit"] == (1, 1)
    assert validate_workflow(load_workflow(limit(5))) == []
    [issue] = validate_workflow(parse_workflow(limit(0)))
    assert (issue.code, issue.node, issue.field) == ("out_of_range", "l", "settings.rows")
    assert issue.message == "a row count must be at least 1, got 0"
    unfed = {"id": "l", "type": "limit", "settings": {"rows": 5}}
    [issue] = validate_workflow(parse_workflow(definition([unfed, output("l")])))
    assert (issue.code, issue.node, issue.field) == ("missing_input", "l", "inputs")
    assert issue.message == "limit needs exactly 1 input, got 0"
    with pytest.raises(WorkflowInvalid) as refused:
        parse_workflow(limit("5"))
    assert [(i.node, i.field) for i in refused.value.issues] == [("l", "settings.rows")]


@pytest.mark.usefixtures("limit_registered")
def test_a_registered_type_compiles() -> None:
    compiled = compile_procedure(
        load_workflow(limit(5)), project="demo-project", dataset="d", procedure="p"
    )
    # the output's input: a TEMP table, with its own input chained in as a CTE
    assert (
        "CREATE OR REPLACE TEMP TABLE `wf_l` AS\nWITH\n  -- node src (read_table)\n"
        "  `wf_src` AS (\n    SELECT *\n    FROM `demo-project`.`retail`.`stores`\n  )\n"
        "-- node l (limit)\nSELECT *\nFROM `wf_src`\nLIMIT 5;"
    ) in compiled.statements
    assert "AS SELECT * FROM `wf_l`'" in compiled.statements[-1]


@pytest.mark.usefixtures("limit_registered")
def test_a_registered_type_is_in_the_json_schema() -> None:
    schema = model.workflow_json_schema()
    assert schema["$defs"]["LimitNode"]["properties"]["type"]["const"] == "limit"
    assert schema["$defs"]["LimitSettings"]["required"] == ["rows"]
    jsonschema.validate(limit(5), schema, cls=jsonschema.Draft202012Validator)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(limit("5"), schema, cls=jsonschema.Draft202012Validator)


def test_unregistering_restores_the_published_schema() -> None:
    with_limit = _schema_text_with_limit()
    assert with_limit != SCHEMA.read_text(encoding="utf-8")
    assert model.workflow_json_schema_text() == SCHEMA.read_text(encoding="utf-8")
    assert "LimitNode" not in json.loads(model.workflow_json_schema_text())["$defs"]
    with pytest.raises(WorkflowInvalid):
        parse_workflow(limit(5))


def _schema_text_with_limit() -> str:
    registry.register_node_type(LIMIT)
    try:
        return model.workflow_json_schema_text()
    finally:
        registry.unregister_node_type("limit")


@pytest.mark.usefixtures("limit_registered")
def test_a_name_is_registered_once() -> None:
    with pytest.raises(ValueError, match="already registered"):
        registry.register_node_type(LIMIT)
    with pytest.raises(ValueError, match="already registered"):
        registry.register_node_type(registry.node_type("filter"))
