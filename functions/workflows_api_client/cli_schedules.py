"""`wfapi schedules create|list|get|pause|resume|run|delete`: Cloud Scheduler jobs the
service manages, each running a workflow at its cron's times (one execution per fire)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from workflows_api_client.cli_common import (
    ProfileOption,
    TokenOption,
    UrlOption,
    api_errors,
    connect,
    table_console,
)
from workflows_api_client.cli_runs import _parameters
from workflows_api_client.models import Schedule

schedules_app = typer.Typer(
    help="Schedules: Cloud Scheduler jobs that run a workflow.", no_args_is_help=True
)
WorkflowId = Annotated[str, typer.Argument(help="The workflow id.")]
ScheduleId = Annotated[str, typer.Argument(help="The schedule id.")]


def _table(schedules: list[Schedule]) -> Table:
    table = Table("id", "workflow", "cron", "zone", "paused", "next run", "last run")
    for s in schedules:
        last = s.last_runs[0] if s.last_runs else None
        table.add_row(
            s.id,
            escape(s.workflow_id),
            s.cron,
            s.time_zone,
            "yes" if s.paused else "no",
            s.next_run_at or "-",
            f"{last.execution_id} {last.state or 'gone'}" if last else "-",
        )
    return table


def _show(schedule: Schedule) -> None:
    typer.echo(schedule.model_dump_json(indent=2))


@schedules_app.command("create")
def create(
    workflow_id: WorkflowId,
    cron: Annotated[str, typer.Option(help="Unix-cron, five fields: '0 6 * * MON-FRI'.")],
    time_zone: Annotated[str, typer.Option(help="IANA time zone of the cron.")] = "Etc/UTC",
    param: Annotated[
        list[str] | None,
        typer.Option("-p", "--param", help="name=value, typed by the workflow (repeatable)."),
    ] = None,
    cache: Annotated[
        bool, typer.Option("--cache", help="Let a run reuse an identical one.")
    ] = False,
    description: Annotated[str | None, typer.Option(help="What it is for.")] = None,
    paused: Annotated[bool, typer.Option("--paused", help="Create it paused.")] = False,
    url: UrlOption = None,
    token: TokenOption = None,
    profile: ProfileOption = "default",
) -> None:
    """Create a schedule; prints it (its id, next run, Cloud Scheduler job)."""
    with api_errors(), connect(url, token, profile) as client:
        values = _parameters(client, workflow_id, param or [], None)
        _show(
            client.schedules.create(
                workflow_id,
                cron,
                time_zone=time_zone,
                parameters=values,
                cache=cache,
                description=description,
                paused=paused,
            )
        )


@schedules_app.command("list")
def list_schedules(
    workflow_id: Annotated[
        str | None, typer.Argument(help="The workflow id; none: every schedule of the org.")
    ] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    profile: ProfileOption = "default",
) -> None:
    """Schedules with their next run and last run."""
    with api_errors(), connect(url, token, profile) as client:
        table_console().print(_table(list(client.schedules.list(workflow_id))))


@schedules_app.command("get")
def get(
    workflow_id: WorkflowId,
    schedule_id: ScheduleId,
    url: UrlOption = None,
    token: TokenOption = None,
    profile: ProfileOption = "default",
) -> None:
    """A schedule as JSON: next run, last attempt (and its error), last runs."""
    with api_errors(), connect(url, token, profile) as client:
        _show(client.schedules.get(workflow_id, schedule_id))


@schedules_app.command("pause")
def pause(
    workflow_id: WorkflowId,
    schedule_id: ScheduleId,
    url: UrlOption = None,
    token: TokenOption = None,
    profile: ProfileOption = "default",
) -> None:
    """Stop its fires (run-now still runs it)."""
    with api_errors(), connect(url, token, profile) as client:
        _show(client.schedules.pause(workflow_id, schedule_id))


@schedules_app.command("resume")
def resume(
    workflow_id: WorkflowId,
    schedule_id: ScheduleId,
    url: UrlOption = None,
    token: TokenOption = None,
    profile: ProfileOption = "default",
) -> None:
    """Fire it again at its cron's times."""
    with api_errors(), connect(url, token, profile) as client:
        _show(client.schedules.resume(workflow_id, schedule_id))


@schedules_app.command("run")
def run(
    workflow_id: WorkflowId,
    schedule_id: ScheduleId,
    idempotency_key: Annotated[
        str | None, typer.Option(help="Reuse the run started with this key.")
    ] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    profile: ProfileOption = "default",
) -> None:
    """Run it now with its parameters; prints the execution id."""
    with api_errors(), connect(url, token, profile) as client:
        execution = client.schedules.run(workflow_id, schedule_id, idempotency_key=idempotency_key)
        typer.echo(execution.id)


@schedules_app.command("delete")
def delete(
    workflow_id: WorkflowId,
    schedule_id: ScheduleId,
    url: UrlOption = None,
    token: TokenOption = None,
    profile: ProfileOption = "default",
) -> None:
    """Delete it and its Cloud Scheduler job."""
    with api_errors(), connect(url, token, profile) as client:
        client.schedules.delete(workflow_id, schedule_id)
