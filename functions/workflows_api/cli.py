"""`wfapi`: command-line tools. `wfapi compile FILE --project P --dataset D` prints the
procedure a workflow compiles to (CARTO's "Export"), without running anything."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workflows_api.domain.compiler import compile_procedure, procedure_name
from workflows_api.domain.errors import WorkflowInvalid
from workflows_api.domain.model import workflow_json_schema_text
from workflows_api.domain.validation import load_workflow, validate_workflow

app = typer.Typer(help="Workflows API command-line tools.", no_args_is_help=True)


@app.command("compile")
def compile_command(
    definition: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="Workflow YAML or JSON file.")
    ],
    project: Annotated[str, typer.Option(help="GCP project of the connection.")],
    dataset: Annotated[
        str, typer.Option(help="Dataset for generated procedures.")
    ] = "workflows_temp",
    org: Annotated[
        str, typer.Option(help="Organization owning the workflow (names the procedure).")
    ] = "demo",
    workflow_id: Annotated[
        str | None,
        typer.Option("--workflow-id", help="Workflow id; defaults to the file name's stem."),
    ] = None,
) -> None:
    """Print the CREATE OR REPLACE PROCEDURE statement for a workflow file."""
    try:
        workflow = load_workflow(definition.read_text(encoding="utf-8"))
    except WorkflowInvalid as invalid:
        for issue in invalid.issues:
            typer.echo(f"{issue.severity}: {issue.describe()} [{issue.code}]", err=True)
        raise typer.Exit(code=1) from None
    for issue in validate_workflow(workflow):
        typer.echo(f"{issue.severity}: {issue.describe()} [{issue.code}]", err=True)
    name = procedure_name(org, workflow_id or definition.stem)
    compiled = compile_procedure(workflow, project=project, dataset=dataset, procedure=name)
    typer.echo(compiled.sql, nl=False)


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of workflow definitions."""
    typer.echo(workflow_json_schema_text(), nl=False)
