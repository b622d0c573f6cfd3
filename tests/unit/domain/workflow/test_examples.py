"""The examples gallery: together it shows every node type and filter operator, and each
example says what it answers, validates, compiles, reads only seeded tables and
documents parameter values that pass the workflow's own checks.

Node types and operators come from the workflow model's published JSON Schema, so a new
node type or operator fails here until an example shows it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from devstack.seed import DEMO_DATASET, DEMO_TABLES
from tests.support.example_files import Example, examples
from workflows_api.domain.workflow.compiler import compile_procedure, procedure_name
from workflows_api.domain.workflow.model import workflow_json_schema
from workflows_api.domain.workflow.parameters import validate_parameter_values
from workflows_api.domain.workflow.validation import parse_workflow, validate_workflow

SCHEMA_FILE = Path(__file__).resolve().parents[4] / "schemas" / "workflow.schema.json"
EXAMPLES = examples()


def node_types() -> set[str]:
    mapping = workflow_json_schema()["properties"]["nodes"]["items"]["discriminator"]["mapping"]
    return set(mapping)


def filter_operators() -> set[str]:
    return set(workflow_json_schema()["$defs"]["Condition"]["properties"]["operator"]["enum"])


def used(key: str) -> set[str]:
    values = set()
    for example in EXAMPLES:
        for node in example.definition["nodes"]:
            if key == "type":
                values.add(node["type"])
            elif node["type"] == "filter":
                values.update(c["operator"] for c in node["settings"]["conditions"])
    return values


def test_the_gallery_holds_the_demo_and_at_least_six_more() -> None:
    names = [example.name for example in EXAMPLES]
    assert "store_clusters" in names
    assert len(names) >= 7, names


def test_every_node_type_appears_in_an_example() -> None:
    types = node_types()
    assert "kmeans" in types  # the schema was read, not an empty mapping
    assert types - used("type") == set()


def test_every_filter_operator_appears_in_an_example() -> None:
    operators = filter_operators()
    assert "not_in" in operators
    assert operators - used("operator") == set()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_example_says_what_it_answers(example: Example) -> None:
    header = " ".join(example.header)
    assert "?" in header, f"{example.path.name}: the header comment should ask its question"
    definition = example.definition
    assert definition.get("name"), example.path.name
    assert definition.get("description"), example.path.name


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_example_validates_cleanly_and_compiles(example: Example) -> None:
    jsonschema.validate(example.definition, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    workflow = parse_workflow(example.text)
    assert validate_workflow(workflow) == []  # no errors, and no warnings either
    compiled = compile_procedure(
        workflow,
        project="demo-project",
        dataset="workflows_temp",
        procedure=procedure_name("demo", example.name),
    )
    assert compiled.parameter_names == tuple(p.name for p in workflow.parameters)
    for node in workflow.nodes:
        if node.type != "output":
            assert f"-- node {node.id} ({node.type})" in compiled.sql


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_example_reads_only_tables_the_local_stack_seeds(example: Example) -> None:
    seeded = {f"{DEMO_DATASET}.{table}" for table in DEMO_TABLES}
    read = {
        node["settings"]["table"]
        for node in example.definition["nodes"]
        if node["type"] == "read_table"
    }
    assert read, example.path.name
    assert read <= seeded, read - seeded
    for table in read:
        assert table in " ".join(example.header), f"the header should name {table}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_example_parameters_pass_the_workflows_checks(example: Example) -> None:
    workflow = parse_workflow(example.text)
    supplied: dict[str, Any] = example.parameters
    values = validate_parameter_values(workflow.parameters, supplied)
    assert set(supplied) == set(values), "every parameter gets an example value"


def test_the_workflows_doc_lists_every_example() -> None:
    doc = Path(__file__).resolve().parents[4] / "docs" / "workflows.md"
    section = doc.read_text(encoding="utf-8").split("## Examples\n", 1)[1].split("\n## ", 1)[0]
    for example in EXAMPLES:
        assert f"`{example.path.name}`" in section
