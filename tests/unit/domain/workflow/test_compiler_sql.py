"""Golden SQL per node type, and generated DAGs compiling deterministically to parseable SQL.

Goldens live in tests/unit/domain/workflow/golden/ (next to this file): <case>.yaml, a
definition, compiles to <case>.sql. A new node type adds its own pair. After an intended
change to the generated SQL, regenerate them and review the diff:
    WFAPI_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/domain/workflow/test_compiler_sql.py
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlglot
import yaml
from bqemulator.scripting import ast
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from tests.support.procedure_text import body_statements, walk
from tests.support.workflow_factory import definition, output, read
from workflows_api.domain.errors import WorkflowInvalid
from workflows_api.domain.workflow.compiler import CompiledProcedure, compile_procedure
from workflows_api.domain.workflow.validation import load_workflow, parse_workflow

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("WFAPI_UPDATE_GOLDEN") == "1"

# One case per node type at least: golden/<case>.yaml is the definition, <case>.sql its SQL.
CASES: dict[str, dict[str, Any]] = {
    path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))
    for path in sorted(GOLDEN.glob("*.yaml"))
}


def compile_definition(data: dict[str, Any]) -> CompiledProcedure:
    return compile_procedure(
        load_workflow(data),
        project="demo-project",
        dataset="workflows_temp",
        procedure="wfproc_test",
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_sql(case: str) -> None:
    sql = compile_definition(CASES[case]).sql
    path = GOLDEN / f"{case}.sql"
    if UPDATE:
        path.write_text(sql, encoding="utf-8")
    assert sql == path.read_text(encoding="utf-8"), (
        f"regenerate with WFAPI_UPDATE_GOLDEN=1 ({path})"
    )


def test_every_node_type_has_a_golden() -> None:
    from workflows_api.domain.workflow.model import NODE_TYPES

    assert {path.stem for path in GOLDEN.glob("*.sql")} == set(CASES)
    covered = {node["type"] for case in CASES.values() for node in case["nodes"]}
    assert covered == set(NODE_TYPES)


def test_procedure_shape() -> None:
    compiled = compile_definition(CASES["within_distance"])
    assert compiled.procedure_ref == "demo-project.workflows_temp.wfproc_test"
    assert compiled.arguments == (
        ("wfparam_lat", "FLOAT64"),
        ("wfparam_metres", "INT64"),
        ("output_table", "STRING"),
    )
    assert compiled.parameter_names == ("lat", "metres")
    assert "INTERVAL 30 DAY" in compiled.sql
    assert "INTERVAL 7 DAY" in compile_definition(CASES["output_expiration"]).sql


def test_parameter_values_never_appear_as_text() -> None:
    sql = compile_definition(CASES["filter"]).sql
    assert "`store_type` = `wfparam_kind`" in sql
    assert "`id` IN UNNEST(`wfparam_ids`)" in sql


def test_compiling_an_invalid_workflow_raises() -> None:
    with pytest.raises(WorkflowInvalid):
        compile_procedure(
            parse_workflow(definition([read()])), project="demo-project", dataset="d", procedure="p"
        )


def test_topological_order_not_declared_order() -> None:
    data = definition(
        [
            output("f"),
            {
                "id": "f",
                "type": "filter",
                "inputs": ["src"],
                "settings": {"conditions": [{"column": "id", "operator": "is_null"}]},
            },
            read(),
        ]
    )
    sql = compile_definition(data).sql
    comments = [line.strip() for line in sql.splitlines() if line.strip().startswith("-- node")]
    assert comments == ["-- node src (read_table)", "-- node f (filter)", "-- node out (output)"]


def assert_statements_parse(compiled: CompiledProcedure) -> None:
    """Every statement of the body parses as BigQuery; table-building ones as queries.

    sqlglot reads neither scripting blocks nor EXECUTE IMMEDIATE, so the script's shape
    is read with bqemulator's scripting parser and each statement in it with sqlglot.
    """
    for statement in walk(body_statements(compiled.sql)):
        if isinstance(statement, ast.SqlStmt):
            tree = sqlglot.parse_one(statement.sql, read="bigquery")
            assert isinstance(tree, exp.Create), statement.sql
            assert tree.find(exp.Select) is not None, statement.sql
        elif isinstance(statement, ast.SetStmt):
            tree = sqlglot.parse_one(statement.source_expr, read="bigquery")
            assert tree.find(exp.Select) is not None, statement.source_expr
        elif isinstance(statement, ast.IfStmt | ast.WhileStmt):
            condition = (
                statement.condition_expr
                if isinstance(statement, ast.WhileStmt)
                else statement.branches[0][0]
            )
            tree = sqlglot.parse_one(condition, read="bigquery")
            assert tree.find(exp.Select) is None, condition
        else:
            assert isinstance(
                statement, ast.DeclareStmt | ast.RaiseStmt | ast.ExecuteImmediateStmt
            ), statement


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_cases_parse(case: str) -> None:
    assert_statements_parse(compile_definition(CASES[case]))


# --- generated DAGs ---------------------------------------------------------------------

PARAMETERS: list[dict[str, Any]] = [
    {"name": "kind", "type": "STRING"},
    {"name": "radius", "type": "FLOAT64"},
    {"name": "k", "type": "INT64", "minimum": 1, "maximum": 4},
]
ONE_INPUT: list[dict[str, Any]] = [
    {
        "type": "filter",
        "settings": {
            "conditions": [{"column": "kind", "operator": "=", "value": {"param": "kind"}}]
        },
    },
    {
        "type": "select",
        "settings": {
            "columns": ["id", "geo", "kind"],
            "computed": [{"name": "x2", "expression": "id * 2"}],
        },
    },
    {
        "type": "aggregate",
        "settings": {
            "group_by": ["kind"],
            "aggregations": [{"function": "MAX", "column": "id", "alias": "id"}],
        },
    },
    {"type": "buffer", "settings": {"geography_column": "geo", "distance": {"param": "radius"}}},
    {
        "type": "within_distance",
        "settings": {"geography_column": "geo", "longitude": 1, "latitude": 2, "distance": 10},
    },
    {
        "type": "kmeans",
        "settings": {"geography_column": "geo", "k": {"param": "k"}, "max_iterations": 2},
    },
    {"type": "custom_sql", "settings": {"sql": "SELECT * FROM $a WHERE kind <> @kind"}},
]
TWO_INPUTS: list[dict[str, Any]] = [
    {"type": "join", "settings": {"join_type": "left", "on": ["id"]}},
    {"type": "union", "settings": {"distinct": False}},
    {"type": "custom_sql", "settings": {"sql": "SELECT a.id FROM $a AS a JOIN $b USING (id)"}},
]


@st.composite
def dags(draw: st.DrawFn) -> dict[str, Any]:
    size = draw(st.integers(min_value=1, max_value=12))
    nodes: list[dict[str, Any]] = [read("n0")]
    for index in range(1, size):
        earlier = [node["id"] for node in nodes]
        if draw(st.integers(0, 4)) == 0:
            nodes.append(read(f"n{index}"))
        elif len(earlier) >= 2 and draw(st.booleans()):
            first, second = draw(
                st.lists(st.sampled_from(earlier), min_size=2, max_size=2, unique=True)
            )
            nodes.append(
                {"id": f"n{index}", "inputs": [first, second], **draw(st.sampled_from(TWO_INPUTS))}
            )
        else:
            source = draw(st.sampled_from(earlier))
            nodes.append(
                {"id": f"n{index}", "inputs": [source], **draw(st.sampled_from(ONE_INPUT))}
            )
    nodes.append(output(draw(st.sampled_from([node["id"] for node in nodes]))))
    shuffled = draw(st.permutations(nodes))
    return definition(list(shuffled), PARAMETERS)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags())
def test_generated_dags_compile_deterministically_to_parseable_sql(data: dict[str, Any]) -> None:
    first = compile_definition(data)
    again = compile_definition(parse_workflow(data).model_dump(mode="json"))
    assert first.sql == again.sql
    assert first.version == again.version
    assert_statements_parse(first)
    # every node leading to the output is defined once (CTE or TEMP table), after its
    # inputs; one feeding several consumers is a TEMP table; the others are not compiled
    needed = _feeding_output(data["nodes"])
    uses = Counter(
        source
        for node in data["nodes"]
        if node["id"] in needed
        for source in node.get("inputs", [])
    )
    for node in data["nodes"]:
        name, comment = f"wf_{node['id']}", f"-- node {node['id']} ("
        if node["id"] not in needed:
            assert comment not in first.sql and f"`{name}`" not in first.sql
            continue
        if node["type"] == "output":
            continue
        as_table = first.sql.count(f"TEMP TABLE `{name}` AS")
        assert as_table + first.sql.count(f"`{name}` AS (") == 1, name
        if uses[node["id"]] > 1:
            assert as_table == 1, name
        for source in node.get("inputs", []):
            assert first.sql.index(f"-- node {source} (") < first.sql.index(comment)


def _feeding_output(nodes: list[dict[str, Any]]) -> set[str]:
    inputs = {node["id"]: node.get("inputs", []) for node in nodes}
    stack = [node["id"] for node in nodes if node["type"] == "output"]
    needed: set[str] = set()
    while stack:
        node_id = stack.pop()
        if node_id not in needed:
            needed.add(node_id)
            stack.extend(inputs[node_id])
    return needed
