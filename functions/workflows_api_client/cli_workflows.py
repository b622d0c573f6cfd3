"""`wfapi workflows ...` and `wfapi login`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from workflows_api_client.cli_common import (
    EXIT_BAD_INPUT,
    ProfileOption,
    TokenOption,
    UrlOption,
    api_errors,
    connect,
    err,
    table_console,
)
from workflows_api_client.config import Target, save_profile
from workflows_api_client.errors import Forbidden, Unauthorized
from workflows_api_client.models import ApiState

workflows_app = typer.Typer(help="Workflow definitions and their APIs.", no_args_is_help=True)
WorkflowId = Annotated[str, typer.Argument(help="The workflow id.")]


@workflows_app.command("list")
def workflows_list(
    url: UrlOption = None, token: TokenOption = None, profile: ProfileOption = "default"
) -> None:
    """List the org's workflows."""
    table = Table("id", "name", "api", "version", "updated")
    with api_errors(), connect(url, token, profile) as client:
        for workflow in client.workflows.list():
            api = "enabled" if workflow.api_enabled else "-"
            version, updated = workflow.version[:12], workflow.updated_at
            table.add_row(workflow.id, workflow.name, api, version, updated)
    table_console().print(table)


@workflows_app.command("get")
def workflows_get(
    workflow_id: WorkflowId,
    url: UrlOption = None,
    token: TokenOption = None,
    profile: ProfileOption = "default",
) -> None:
    """Print a workflow, with its definition, as JSON."""
    with api_errors(), connect(url, token, profile) as client:
        typer.echo(client.workflows.get(workflow_id).model_dump_json(indent=2))


@workflows_app.command("put")
def workflows_put(
    workflow_id: WorkflowId,
    definition: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="Workflow YAML or JSON file.")
    ],
    connection: Annotated[str | None, typer.Option(help="Connection, when several.")] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    profile: ProfileOption = "default",
) -> None:
    """Create or replace a workflow from a file."""
    text = definition.read_text(encoding="utf-8")
    with api_errors(), connect(url, token, profile) as client:
        saved = client.workflows.put(workflow_id, text, connection=connection)
    for warning in saved.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(str(warning.get('message', warning)))}")
    typer.echo(f"saved {saved.id} version {saved.version[:12]}")


@workflows_app.command("sql")
def workflows_sql(
    workflow_id: WorkflowId,
    url: UrlOption = None,
    token: TokenOption = None,
    profile: ProfileOption = "default",
) -> None:
    """Print the procedure the workflow's current version compiles to."""
    with api_errors(), connect(url, token, profile) as client:
        typer.echo(client.workflows.sql(workflow_id).sql, nl=False)


def _print_api(state: ApiState) -> None:
    status = "enabled" if state.enabled else "disabled"
    sync = "in sync" if state.in_sync else "not in sync with the current version"
    typer.echo(f"{state.workflow_id}: API {status}, {sync}; procedure {state.procedure}")
    for parameter in state.parameters:
        required = "required" if parameter.required else f"default {parameter.default!r}"
        typer.echo(f"  {parameter.name} {parameter.type} ({required}) {parameter.description}")


def _api_command(name: str, summary: str) -> None:
    """`wfapi workflows <name> ID`: one API toggle (enable, update, disable) and its state."""

    def command(
        workflow_id: WorkflowId,
        url: UrlOption = None,
        token: TokenOption = None,
        profile: ProfileOption = "default",
    ) -> None:
        with api_errors(), connect(url, token, profile) as client:
            _print_api(getattr(client.workflows, name)(workflow_id))

    command.__doc__ = summary
    workflows_app.command(name)(command)


_api_command("enable", "Enable the API: create the procedure from the current version.")
_api_command("update", "Recreate the procedure from the current version.")
_api_command("disable", "Disable the API: drop the procedure.")


def login(
    url: Annotated[str, typer.Option(prompt=True, help="API base URL.")],
    token: Annotated[
        str, typer.Option(prompt=True, hide_input=True, help="API token (prompted, hidden).")
    ],
    profile: ProfileOption = "default",
) -> None:
    """Check a URL and token against the API and save them as a profile (mode 0600)."""
    with api_errors(), connect(url, token, profile) as client:
        try:
            next(iter(client.workflows.list(page_size=1)), None)
        except Unauthorized as refused:
            err.print(f"[red]not saved:[/red] {escape(refused.message)}")
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except Forbidden:
            err.print("[yellow]note:[/yellow] this token cannot list workflows (no workflows:read)")
    path = save_profile(profile, Target(url, token))
    err.print(f"saved profile {escape(profile)} in {path}")
