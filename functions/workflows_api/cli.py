"""`wfapi`: command-line tools.

`wfapi compile FILE --project P` prints the procedure a workflow compiles to
(CARTO's "Export") without running anything; `wfapi token ...`,
`wfapi connection ...` and `wfapi secrets migrate` administer the deployment the
environment points at (locally: `make token ARGS="..."` points them at the running stack).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from workflows_api.bootstrap import get_app
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.access.tokens import ALL_GRANTS, Token
from workflows_api.domain.errors import WorkflowInvalid
from workflows_api.domain.workflow.compiler import compile_procedure, procedure_name
from workflows_api.domain.workflow.model import workflow_json_schema_text
from workflows_api.domain.workflow.validation import load_workflow, validate_workflow
from workflows_api.service.admin import parse_grants
from workflows_api.service.errors import ServiceError
from workflows_api.service.secret_migration import migrate_signing_secrets
from workflows_api_client.cli import register as register_caller_commands

T = TypeVar("T")
ALL_GRANT_NAMES = [grant.value for grant in ALL_GRANTS]

app = typer.Typer(help="Workflows API command-line tools.", no_args_is_help=True)
# Caller commands, for any deployment over HTTP: workflows, run, runs, login, mcp.
register_caller_commands(app)


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


token_app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)
connection_app = typer.Typer(help="Register where an org's workflows run.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(connection_app, name="connection")
secrets_app = typer.Typer(help="Webhook signing secrets.", no_args_is_help=True)
app.add_typer(secrets_app, name="secrets")


@token_app.command("create")
def token_create(
    org: Annotated[str, typer.Option(help="Organization the token belongs to.")],
    grant: Annotated[
        list[str] | None,
        typer.Option(
            help="A grant (repeatable); default: every grant. " + ", ".join(ALL_GRANT_NAMES)
        ),
    ] = None,
    workflow: Annotated[
        list[str] | None, typer.Option(help="Limit the token to this workflow (repeatable).")
    ] = None,
    expires_in_days: Annotated[int | None, typer.Option(min=1, help="Expire after N days.")] = None,
    name: Annotated[str, typer.Option(help="A label to recognise the token by.")] = "",
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a token. Its secret is printed once and cannot be shown again."""
    new = _admin_call(
        lambda: get_app().admin.create_token(
            org,
            parse_grants(grant or ALL_GRANT_NAMES),
            name=name,
            workflows=tuple(workflow) if workflow else None,
            expires_in=dt.timedelta(days=expires_in_days) if expires_in_days else None,
        )
    )
    if json_output:
        typer.echo(json.dumps({**_token_json(new.token), "token": new.secret}))
        return
    typer.echo(new.secret)
    typer.echo(
        f"token id {new.token.token_id} for org {org}; store the secret now: it is shown once.",
        err=True,
    )


@token_app.command("list")
def token_list(org: Annotated[str, typer.Option(help="Organization.")]) -> None:
    """List an org's tokens (ids and grants, never secrets)."""
    table = Table("id", "name", "grants", "workflows", "created", "expires", "revoked")
    for column in table.columns:
        column.overflow = "fold"
    for token in _admin_call(lambda: get_app().admin.list_tokens(org)):
        row = _token_json(token)
        table.add_row(
            *(
                "\n".join(value) if isinstance(value, list) else str(value or "")
                for key, value in row.items()
                if key != "org"
            )
        )
    Console().print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token id (not the secret).")],
) -> None:
    """Revoke a token; it stops working within the token cache time (10 s by default)."""
    _admin_call(lambda: get_app().admin.revoke_token(token_id))
    typer.echo(f"revoked {token_id}")


@connection_app.command("create")
def connection_create(
    org: Annotated[str, typer.Option(help="Organization.")],
    connection_id: Annotated[str, typer.Option("--id", help="Connection id, e.g. local.")],
    project: Annotated[str, typer.Option(help="GCP project where jobs run.")],
    dataset: Annotated[
        str, typer.Option(help="Dataset for generated objects; default: the org's own.")
    ] = "",
    location: Annotated[str, typer.Option(help="BigQuery location.")] = "US",
    service_account: Annotated[
        str | None,
        typer.Option(help="Service account every BigQuery call of the connection runs as."),
    ] = None,
    read_allowlist: Annotated[
        list[str] | None,
        typer.Option(
            "--read-allowlist",
            help="project.dataset or project.* the org's workflows may read (repeatable).",
        ),
    ] = None,
    maximum_bytes_billed: Annotated[
        int | None, typer.Option(min=1, help="Cap on the bytes any one run may bill.")
    ] = None,
) -> None:
    """Create or replace a connection, and its dataset if missing."""
    connection = Connection(org, connection_id, project, location, dataset, service_account)
    connection = replace(
        connection,
        read_allowlist=tuple(read_allowlist or ()),
        maximum_bytes_billed=maximum_bytes_billed,
    )
    stored = _admin_call(lambda: get_app().admin.put_connection(connection))
    runs_as = stored.service_account or "the runtime identity"
    typer.echo(
        f"connection {org}/{connection_id}: {project}.{stored.dataset} ({location}), "
        f"runs as {runs_as}"
    )


@secrets_app.command("migrate")
def secrets_migrate() -> None:
    """Move every webhook signing secret from its legacy id (wfapi-webhook-<org>-<workflow>)
    to its hashed id; safe to run again."""
    app_ = get_app()
    report = _admin_call(lambda: migrate_signing_secrets(app_.store, app_.signing_secrets))
    if not report.applicable:
        typer.echo("nothing to migrate: signing secrets are not kept in Secret Manager here")
        return
    for org, workflow_id in report.migrated:
        typer.echo(f"migrated {org}/{workflow_id}")
    typer.echo(f"{len(report.migrated)} migrated, {len(report.unchanged)} already current")


def _admin_call(call: Callable[[], T]) -> T:
    try:
        return call()
    except ServiceError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(code=2) from None


def _token_json(token: Token) -> dict[str, Any]:
    return {
        "id": token.token_id,
        "org": token.org,
        "name": token.name,
        "grants": sorted(g.value for g in token.grants),
        "workflows": list(token.workflows) if token.workflows is not None else None,
        "created_at": token.created_at.isoformat(),
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


principal_app = typer.Typer(
    help="Register the service accounts whose OIDC tokens (Cloud Scheduler) may call the API.",
    no_args_is_help=True,
)
app.add_typer(principal_app, name="principal")


@principal_app.command("add")
def principal_add(
    email: Annotated[str, typer.Option(help="The service account's email.")],
    org: Annotated[str, typer.Option(help="Organization it acts for.")],
    grant: Annotated[
        list[str] | None, typer.Option(help="A grant (repeatable); default: executions:create.")
    ] = None,
    workflow: Annotated[
        list[str] | None, typer.Option(help="Limit it to this workflow (repeatable).")
    ] = None,
) -> None:
    """Register (or update) a principal."""
    principal = _admin_call(
        lambda: get_app().admin.add_principal(
            email,
            org,
            parse_grants(grant or ["executions:create"]),
            tuple(workflow) if workflow else None,
        )
    )
    grants = ", ".join(sorted(g.value for g in principal.grants))
    typer.echo(f"principal {principal.email} of org {principal.org}: {grants}")


@principal_app.command("remove")
def principal_remove(
    email: Annotated[str, typer.Option(help="The service account's email.")],
) -> None:
    """Remove a principal; its tokens are refused from then on."""
    _admin_call(lambda: get_app().admin.remove_principal(email))
    typer.echo(f"removed {email}")


@principal_app.command("list")
def principal_list(org: Annotated[str, typer.Option(help="Organization.")]) -> None:
    """List an org's principals."""
    table = Table("email", "grants", "workflows", "created")
    for column in table.columns:
        column.overflow = "fold"
    for principal in _admin_call(lambda: get_app().admin.list_principals(org)):
        table.add_row(
            principal.email,
            "\n".join(sorted(g.value for g in principal.grants)),
            "\n".join(principal.workflows or ()),
            principal.created_at.isoformat(),
        )
    Console().print(table)
