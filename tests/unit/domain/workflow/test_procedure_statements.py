"""Few statements: chains of nodes compile to one statement, k-means to a bounded loop.

Counted by parsing the compiled procedure (tests/support/procedure_text.py). The executed
count of the demo is checked against the local BigQuery's child jobs in
tests/integration/test_demo_procedure_on_bigquery.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlglot
import yaml
from bqemulator.scripting import ast
from sqlglot import exp

from tests.support.procedure_text import body_statements, most_executed, statement_count, walk
from tests.support.workflow_factory import definition, output, read
from workflows_api.domain.workflow.compiler import CompiledProcedure, compile_procedure
from workflows_api.domain.workflow.validation import load_workflow

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"
DEMO = EXAMPLES / "store_clusters.yaml"


def _compile(data: dict[str, Any]) -> CompiledProcedure:
    return compile_procedure(
        load_workflow(data), project="demo-project", dataset="workflows_temp", procedure="p"
    )


def _demo(max_iterations: int | None = None) -> dict[str, Any]:
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    if max_iterations is not None:
        [kmeans] = [node for node in data["nodes"] if node["type"] == "kmeans"]
        kmeans["settings"]["max_iterations"] = max_iterations
    return data


def test_the_demo_procedure_has_at_most_12_statements() -> None:
    statements = body_statements(_compile(_demo()).sql)
    assert statement_count(statements) <= 12
    kinds = [type(s).__name__ for s in statements]
    assert kinds == [
        "DeclareStmt",  # the k-means state
        "IfStmt",  # the output-table guard
        "SqlStmt",  # read + filter + the k-means points, one TEMP table
        "SetStmt",  # the start centres
        "WhileStmt",  # Lloyd rounds, one SET each
        "SqlStmt",  # k-means assignment + buffer + select, one TEMP table
        "ExecuteImmediateStmt",  # the copy into output_table
    ]


def test_the_demo_runs_at_most_15_statements_whatever_the_number_of_clusters() -> None:
    # k is an argument: it changes no statement, only the rows (checked up to 10 on the
    # local BigQuery). The bound comes from the default max_iterations (10).
    statements = body_statements(_compile(_demo()).sql)
    assert most_executed(statements) == 15
    assert most_executed(body_statements(_compile(_demo(max_iterations=3)).sql)) == 8


def test_loop_conditions_read_only_variables() -> None:
    # On BigQuery a condition with a subquery would be one more job per round.
    loops = [s for s in walk(body_statements(_compile(_demo()).sql)) if type(s) is ast.WhileStmt]
    assert len(loops) == 1
    assert "SELECT" not in loops[0].condition_expr.upper()
    [round_statement] = loops[0].body
    assert isinstance(round_statement, ast.SetStmt)


def test_a_chain_of_one_input_nodes_is_one_statement() -> None:
    chain: list[dict[str, Any]] = [read("n0")]
    for i in range(1, 8):
        chain.append(
            {
                "id": f"n{i}",
                "type": "filter",
                "inputs": [f"n{i - 1}"],
                "settings": {"conditions": [{"column": "id", "operator": "is_not_null"}]},
            }
        )
    compiled = _compile(definition([*chain, output("n7")]))
    statements = body_statements(compiled.sql)
    # the guard, the chain as one TEMP table, the copy
    assert [type(s).__name__ for s in statements] == ["IfStmt", "SqlStmt", "ExecuteImmediateStmt"]
    tree = sqlglot.parse_one(compiled.statements[1], read="bigquery")
    assert [cte.alias for cte in tree.find_all(exp.CTE)] == [f"wf_n{i}" for i in range(7)]


def test_a_node_feeding_two_consumers_is_materialised_once() -> None:
    nodes = [
        read("src"),
        {"id": "a", "type": "select", "inputs": ["src"], "settings": {"columns": ["id"]}},
        {"id": "b", "type": "select", "inputs": ["src"], "settings": {"columns": ["id"]}},
        {"id": "both", "type": "union", "inputs": ["a", "b"]},
        output("both"),
    ]
    compiled = _compile(definition(nodes))
    built = [s for s in compiled.statements if "CREATE OR REPLACE TEMP TABLE" in s]
    assert [s.split("`")[1] for s in built] == ["wf_src", "wf_both"]
    assert compiled.sql.count("FROM `demo-project`.`retail`.`stores`") == 1


def test_nodes_not_leading_to_the_output_are_not_compiled() -> None:
    nodes = [
        read("src"),
        read("unused"),
        {"id": "dead_end", "type": "select", "inputs": ["src"], "settings": {"columns": ["id"]}},
        output("src"),
    ]
    compiled = _compile(definition(nodes))
    assert "unused" not in compiled.sql and "dead_end" not in compiled.sql
    assert len(body_statements(compiled.sql)) == 3  # guard, src, copy


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_compiles_to_a_bounded_script(path: Path) -> None:
    compiled = _compile(yaml.safe_load(path.read_text(encoding="utf-8")))
    statements = body_statements(compiled.sql)
    assert statement_count(statements) == len(list(walk(statements)))
    assert most_executed(statements) >= 2  # at least the table and the copy
