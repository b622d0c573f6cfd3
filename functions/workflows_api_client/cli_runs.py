"""`wfapi run WORKFLOW ...` and `wfapi runs list|get|cancel|output`."""

from __future__ import annotations

import json
import sys
import time
from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

import workflows_api_client.output as output
from workflows_api_client.cli_common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_TIMEOUT,
    ProfileOption,
    TokenOption,
    UrlOption,
    api_errors,
    connect,
    err,
    table_console,
)
from workflows_api_client.client import Client
from workflows_api_client.errors import Forbidden, WaitTimeout
from workflows_api_client.models import Execution
from workflows_api_client.params import ParameterInputError, parse_assignments
from workflows_api_client.protocol import DEFAULT_WAIT_TIMEOUT, PollSchedule

runs_app = typer.Typer(help="Executions: list, status, cancel, output rows.", no_args_is_help=True)
ExecutionId = Annotated[str, typer.Argument(help="The execution id.")]


def _parameters(client: Client, workflow_id: str, assignments: list[str], file: Path | None):
    values: dict[str, Any] = {}
    if file is not None:
        try:
            loaded = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ParameterInputError("--params-file", f"expected a JSON object: {error}") from None
        if not isinstance(loaded, dict):
            raise ParameterInputError("--params-file", "expected a JSON object")
        values.update(loaded)
    if assignments:
        try:
            schema = client.workflows.api(workflow_id).parameters
        except Forbidden:  # a token without workflows:read: the server still types-checks
            schema = None
        values.update(parse_assignments(assignments, schema))
    return values


# Over 50 lines only through its typer option declarations; the body is 20 lines.
def run(
    workflow_id: Annotated[str, typer.Argument(help="The workflow id.")],
    param: Annotated[
        list[str] | None,
        typer.Option("-p", "--param", help="name=value, typed by the workflow (repeatable)."),
    ] = None,
    params_file: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="A JSON object of parameter values."),
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Run anew.")] = False,
    idempotency_key: Annotated[
        str | None, typer.Option(help="Reuse the execution started with this key.")
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Show progress until it ends.")] = False,
    timeout: Annotated[
        float, typer.Option(min=0, help="With --wait: stop waiting after this many seconds.")
    ] = DEFAULT_WAIT_TIMEOUT,
    cancel_on_interrupt: Annotated[
        bool, typer.Option("--cancel-on-interrupt", help="Ctrl-C while waiting cancels it.")
    ] = False,
    url: UrlOption = None,
    token: TokenOption = None,
    profile: ProfileOption = "default",
) -> None:
    """Execute a workflow and print the execution id at once.

    With --wait: exit 0 when it succeeded, 1 when it failed (printing BigQuery's
    errorResult), 3 when --timeout passed first; 2 on bad input (field errors printed).
    """
    started = time.monotonic()
    with api_errors(), connect(url, token, profile) as client:
        values = _parameters(client, workflow_id, param or [], params_file)
        execution = client.execute(
            workflow_id,
            values,
            cache=False if no_cache else None,
            idempotency_key=idempotency_key,
        )
        typer.echo(execution.id)
        if not wait:
            return
        try:
            execution = _wait_live(client, execution, timeout, started)
        except KeyboardInterrupt:
            _interrupted(client, execution.id, cancel_on_interrupt)
        except WaitTimeout as late:
            err.print(
                f"still {late.execution.state} after {timeout:g} s; "
                f"follow it with `wfapi runs get {execution.id}`"
            )
            raise typer.Exit(EXIT_TIMEOUT) from None
    raise typer.Exit(_report_end(execution))


def _status_line(execution: Execution, started: float) -> str:
    return f"{execution.id}  [bold]{execution.state}[/bold]  {time.monotonic() - started:.0f} s"


def _wait_live(client: Client, execution: Execution, timeout: float, started: float) -> Execution:
    """Poll until the end, on a live status line (state, time since the run began)."""
    schedule = PollSchedule(timeout)
    with err.status(_status_line(execution, started)) as status:
        while not execution.is_terminal:
            wake = time.monotonic() + schedule.next_delay(execution)
            while (left := wake - time.monotonic()) > 0:
                time.sleep(min(left, 0.2))
                status.update(_status_line(execution, started))
            execution = client.get(execution.id)
            status.update(_status_line(execution, started))
    err.print(f"{execution.state} in {time.monotonic() - started:.1f} s")
    return execution


def _interrupted(client: Client, execution_id: str, cancel: bool) -> None:
    if cancel:
        state = client.cancel(execution_id).state
        err.print(f"interrupted: execution {execution_id} {state}")
    else:
        err.print(
            f"stopped waiting; execution {execution_id} goes on "
            f"(`wfapi runs get {execution_id}`, `wfapi runs cancel {execution_id}`)"
        )
    raise typer.Exit(EXIT_INTERRUPTED)


def _report_end(execution: Execution) -> int:
    if execution.state == "succeeded":
        err.print(f"output table {execution.output_table}; rows: wfapi runs output {execution.id}")
        return 0
    if execution.error is not None:
        err.print_json(execution.error.model_dump_json())
    return EXIT_FAILED


@runs_app.command("list")
def runs_list(
    workflow_id: Annotated[str, typer.Argument(help="The workflow id.")],
    state: Annotated[str | None, typer.Option(help="Only executions in this state.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many.")] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    profile: ProfileOption = "default",
) -> None:
    """A workflow's executions, newest first."""
    table = Table("id", "state", "created", "ended", "cached", "queue")
    with api_errors(), connect(url, token, profile) as client:
        for execution in islice(client.list(workflow_id, state=state), limit):
            ended = execution.ended_at or ""
            cache = "yes" if execution.cached else ""
            queue = (
                f"#{execution.queue_position} ({execution.queue_reason})"
                if execution.state == "queued"
                else ""
            )
            table.add_row(execution.id, execution.state, execution.created_at, ended, cache, queue)
    table_console().print(table)


@runs_app.command("get")
def runs_get(
    execution_id: ExecutionId,
    url: UrlOption = None,
    token: TokenOption = None,
    profile: ProfileOption = "default",
) -> None:
    """Print an execution as JSON."""
    with api_errors(), connect(url, token, profile) as client:
        typer.echo(client.get(execution_id).model_dump_json(indent=2))


@runs_app.command("cancel")
def runs_cancel(
    execution_id: ExecutionId,
    url: UrlOption = None,
    token: TokenOption = None,
    profile: ProfileOption = "default",
) -> None:
    """Cancel an unfinished execution."""
    with api_errors(), connect(url, token, profile) as client:
        typer.echo(f"{execution_id} {client.cancel(execution_id).state}")


@runs_app.command("output")
def runs_output(
    execution_id: ExecutionId,
    output_format: Annotated[
        output.OutputFormat, typer.Option("--format", help="How to print the rows.")
    ] = "table",
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many rows.")] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    profile: ProfileOption = "default",
) -> None:
    """Print the output rows of a succeeded execution, streaming every page."""
    with api_errors(), connect(url, token, profile) as client:
        pages = client.result_pages(
            execution_id,
            page_size=min(limit, 1000) if limit else None,
            geography_format=output.geography_format_for(output_format),
        )
        columns, rows = output.limited_rows(pages, limit)
        try:
            if output_format == "csv":
                output.write_csv(columns, rows, sys.stdout)
            elif output_format == "json":
                output.write_json(rows, sys.stdout)
            elif output_format == "geojson":
                output.write_geojson(columns, rows, sys.stdout)
            else:
                output.write_table(columns, rows, table_console())
        except output.OutputError as error:
            err.print(f"[red]error:[/red] {escape(str(error))}")
            raise typer.Exit(EXIT_BAD_INPUT) from None
