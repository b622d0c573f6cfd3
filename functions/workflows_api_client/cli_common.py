"""What every caller command of `wfapi` shares: where the API is, and how refusals print.

Exit codes: 0 done (an execution succeeded), 1 failed (an execution failed or was
cancelled, or the API could not be reached), 2 bad input (the API refused the request;
its field errors are printed), 3 still running when --timeout passed, 130 interrupted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from workflows_api_client.client import Client
from workflows_api_client.config import ConfigError, Target, resolve
from workflows_api_client.errors import ApiError, ConnectionFailed
from workflows_api_client.params import ParameterInputError

EXIT_FAILED, EXIT_BAD_INPUT, EXIT_TIMEOUT, EXIT_INTERRUPTED = 1, 2, 3, 130
REQUEST_TIMEOUT = 120.0

# Messages and progress go to stderr; stdout carries only what scripts read (ids, rows).
err = Console(stderr=True, soft_wrap=True)


def table_console() -> Console:
    """stdout for tables: the terminal's width, or unbounded when piped (rich would
    otherwise cut ids to 80 columns)."""
    console = Console()
    return console if console.is_terminal else Console(width=100_000)


UrlOption = Annotated[
    str | None,
    typer.Option("--url", envvar="WFAPI_URL", help="API base URL.", show_default=False),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token", envvar="WFAPI_TOKEN", help="API token.", show_default=False, show_envvar=True
    ),
]
ProfileOption = Annotated[
    str,
    typer.Option("--profile", envvar="WFAPI_PROFILE", help="Saved profile (`wfapi login`)."),
]


def find_target(url: str | None, token: str | None, profile: str) -> Target:
    try:
        return resolve(url, token, profile)
    except ConfigError as error:
        err.print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(EXIT_BAD_INPUT) from None


def connect(url: str | None, token: str | None, profile: str) -> Client:
    target = find_target(url, token, profile)
    try:
        return Client(target.url, target.token, timeout=REQUEST_TIMEOUT)
    except ValueError as error:  # a malformed URL
        err.print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(EXIT_BAD_INPUT) from None


def print_refusal(error: ApiError) -> None:
    err.print(f"[red]error {error.status} {escape(error.code)}:[/red] {escape(error.message)}")
    if error.field:
        err.print(f"  field: {escape(error.field)}")
    for detail in error.details:
        where = detail.get("parameter") or detail.get("field") or ""
        message = detail.get("message", detail)
        err.print(f"  - {escape(str(where))}: {escape(str(message))}")


@contextmanager
def api_errors() -> Iterator[None]:
    """Refusals exit 2 with the API's field errors; an unreachable or failing API exits 1."""
    try:
        yield
    except ParameterInputError as error:
        err.print(f"[red]error:[/red] {escape(error.field)}: {escape(error.message)}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ApiError as error:
        print_refusal(error)
        raise typer.Exit(EXIT_BAD_INPUT if error.status < 500 else EXIT_FAILED) from None
    except ConnectionFailed as error:
        err.print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(EXIT_FAILED) from None
