"""Identifier quoting, procedure names, version hashes, the published JSON Schema, the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from workflows_api.cli import app
from workflows_api.domain.workflow.compiler import procedure_name
from workflows_api.domain.workflow.model import NODE_TYPES, workflow_json_schema_text
from workflows_api.domain.workflow.sql_render import (
    OUTPUT_TABLE_PATTERN,
    UnsafeIdentifier,
    literal,
    quote_identifier,
    quote_table_reference,
)
from workflows_api.domain.workflow.validation import load_workflow
from workflows_api.domain.workflow.version import workflow_version

ROOT = Path(__file__).resolve().parents[4]
DEMO = ROOT / "examples" / "store_clusters.yaml"
SCHEMA = ROOT / "schemas" / "workflow.schema.json"


def test_quote_identifier_quotes_valid_names() -> None:
    assert quote_identifier("store_type") == "`store_type`"
    assert quote_table_reference("demo-project", "retail", "stores") == (
        "`demo-project`.`retail`.`stores`"
    )


@pytest.mark.parametrize(
    "name", ["", "a`b", "a b", "1abc", "a;b", "a\nb", "ä", "x" * 301, "a\\b", "a.b"]
)
def test_quote_identifier_refuses_anything_else(name: str) -> None:
    with pytest.raises(UnsafeIdentifier):
        quote_identifier(name)


def test_quote_table_reference_checks_each_part() -> None:
    with pytest.raises(UnsafeIdentifier):
        quote_table_reference("Demo_Project", "retail", "stores")
    with pytest.raises(UnsafeIdentifier):
        quote_table_reference("demo-project", "re-tail", "stores")


def test_string_literals_escape_quotes_and_backslashes() -> None:
    assert literal("it's a \\ test\n") == "'it\\'s a \\\\ test\\n'"
    with pytest.raises(ValueError, match="control character"):
        literal("a\x00")


def test_output_table_pattern() -> None:
    assert OUTPUT_TABLE_PATTERN.match("demo-project.workflows_temp.wfproc_x_out_1")
    for bad in ["ds.table", "demo-project.ds.t`; DROP", "demo-project.ds.t x", "P.ds.t"]:
        assert not OUTPUT_TABLE_PATTERN.match(bad)


def test_procedure_name_is_valid_and_collision_safe() -> None:
    name = procedure_name("demo", "Store Clusters (v2)!")
    assert re.fullmatch(r"wfproc_store_clusters_v2_[0-9a-f]{16}", name)
    assert procedure_name("demo", "a-b") != procedure_name("demo", "a_b")
    assert procedure_name("org1", "x") != procedure_name("org2", "x")
    assert procedure_name("demo", "x") == procedure_name("demo", "x")
    long_name = procedure_name("demo", "w" * 500)
    assert len(long_name) <= 64
    assert re.fullmatch(r"wfproc_[0-9a-f]{16}", procedure_name("demo", "!!!"))


def test_version_ignores_key_order_formatting_and_explicit_defaults() -> None:
    data = yaml.safe_load(DEMO.read_text())
    reordered = json.loads(json.dumps(data, sort_keys=True, indent=4))
    reordered["nodes"] = [dict(reversed(list(node.items()))) for node in reordered["nodes"]]
    reordered["settings"]["cache"] = True  # the default, spelled out
    as_json_text = json.dumps(reordered)
    first = workflow_version(load_workflow(DEMO.read_text()))
    assert workflow_version(load_workflow(as_json_text)) == first
    assert re.fullmatch(r"[0-9a-f]{64}", first)


def test_version_changes_with_meaning() -> None:
    data = yaml.safe_load(DEMO.read_text())
    before = workflow_version(load_workflow(data))
    data["parameters"][0]["maximum"] = 40
    assert workflow_version(load_workflow(data)) != before


def test_published_schema_is_current() -> None:
    # Regenerate with: .venv/bin/wfapi schema > schemas/workflow.schema.json
    assert SCHEMA.read_text(encoding="utf-8") == workflow_json_schema_text()


def test_schema_describes_every_node_type() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    node_types = {
        definition["properties"]["type"]["const"]
        for definition in schema["$defs"].values()
        if "type" in definition.get("properties", {})
        and "const" in definition["properties"]["type"]
    }
    assert node_types == set(NODE_TYPES)
    assert {"read_table", "filter", "kmeans", "custom_sql", "output"} <= node_types


def test_cli_compile_prints_the_procedure() -> None:
    result = CliRunner().invoke(
        app, ["compile", str(DEMO), "--project", "demo-project", "--dataset", "workflows_temp"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "CREATE OR REPLACE PROCEDURE `demo-project`.`workflows_temp`.`wfproc_store_clusters_"
    )
    assert "`wfparam_number_of_clusters` INT64, `wfparam_buffer_radius` FLOAT64, " in result.stdout
    assert result.stdout.rstrip().endswith("END;")


def test_cli_compile_reports_invalid_definitions(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("nodes:\n  - {id: s, type: read_table, settings: {table: stores}}\n")
    result = CliRunner().invoke(app, ["compile", str(bad), "--project", "demo-project"])
    assert result.exit_code == 1
    assert "node s.settings.table" in result.output
