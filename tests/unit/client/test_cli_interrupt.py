"""`wfapi run --wait`: Ctrl-C stops waiting and cancels only with --cancel-on-interrupt."""

from __future__ import annotations

import httpx
import pytest
from typer.testing import CliRunner

from tests.unit.client.test_sdk import execution
from workflows_api_client import Client, cli_runs
from workflows_api_client.cli import app

API_STATE = {
    "workflow_id": "wf",
    "enabled": True,
    "procedure": "p",
    "deployed_version": "v",
    "current_version": "v",
    "in_sync": True,
    "enabled_at": None,
    "updated_at": None,
    "parameters": [{"name": "n", "type": "INT64", "required": True, "description": ""}],
    "parameters_schema": {"type": "object", "properties": {"n": {"type": "integer"}}},
    "examples": None,
}


@pytest.mark.parametrize("cancel", [False, True])
def test_ctrl_c_while_waiting(cancel: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[str, str]] = []

    def api(request: httpx.Request) -> httpx.Response:
        sent.append((request.method, request.url.path))
        if request.url.path.endswith("/api"):
            return httpx.Response(200, json=API_STATE)
        if request.method == "POST" and request.url.path.endswith("/executions"):
            assert request.read() == b'{"parameters":{"n":2}}'
            return httpx.Response(202, json=execution("running"))
        if request.url.path.endswith("/cancel"):
            return httpx.Response(200, json=execution("cancelled"))
        raise KeyboardInterrupt  # the user presses Ctrl-C while a status read is under way

    client = Client("https://api.test", "tok", transport=httpx.MockTransport(api))
    monkeypatch.setattr(cli_runs, "connect", lambda *args: client)
    args = ["run", "wf", "-p", "n=2", "--wait", "--url", "https://api.test", "--token", "t"]
    result = CliRunner().invoke(app, args + (["--cancel-on-interrupt"] if cancel else []))
    assert result.exit_code == 130, result.output
    assert result.stdout.splitlines()[0] == "ex1"
    cancels = [path for method, path in sent if path.endswith("/cancel")]
    assert cancels == (["/v1/executions/ex1/cancel"] if cancel else [])
    assert ("goes on" in result.stderr) is not cancel
