"""`wfapi`'s caller commands, for any deployment: `workflows`, `run`, `runs`, `login`, `mcp`.

They talk to the API over HTTP through the SDK only; `register` mounts them on the `wfapi`
app (workflows_api.cli), beside the admin commands.
"""

from __future__ import annotations

from typing import Annotated

import typer

from workflows_api_client.cli_common import (
    EXIT_FAILED,
    ProfileOption,
    TokenOption,
    UrlOption,
    err,
    find_target,
)
from workflows_api_client.cli_runs import run, runs_app
from workflows_api_client.cli_schedules import schedules_app
from workflows_api_client.cli_workflows import login, workflows_app


def mcp(
    http: Annotated[
        int | None,
        typer.Option("--http", min=1, max=65535, help="Serve streamable HTTP on this port."),
    ] = None,
    host: Annotated[str, typer.Option(help="With --http: the address to listen on.")] = (
        "127.0.0.1"
    ),
    wait_seconds: Annotated[
        float, typer.Option(min=0, max=600, help="How long a workflow tool waits for the end.")
    ] = 30.0,
    url: UrlOption = None,
    token: TokenOption = None,
    profile: ProfileOption = "default",
) -> None:
    """Serve the org's API-enabled workflows as MCP tools (stdio, or --http PORT)."""
    try:
        from workflows_api_client import mcp_server  # the optional `mcp` dependency
    except ImportError:
        err.print("[red]error:[/red] `wfapi mcp` needs the mcp package: pip install 'mcp==2.3.0'")
        raise typer.Exit(EXIT_FAILED) from None
    mcp_server.serve(find_target(url, token, profile), wait_seconds, http, host)


def register(app: typer.Typer) -> None:
    """Mount the caller commands on a Typer app."""
    app.add_typer(workflows_app, name="workflows")
    app.add_typer(runs_app, name="runs")
    app.add_typer(schedules_app, name="schedules")
    app.command("run")(run)
    app.command("login")(login)
    app.command("mcp")(mcp)


app = typer.Typer(help="Workflows API caller commands.", no_args_is_help=True)
register(app)
