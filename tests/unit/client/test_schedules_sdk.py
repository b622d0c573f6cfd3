"""The SDK's and `wfapi schedules`' calls, against the real dispatcher on fakes (an httpx
transport into tests/support/http_client.py): what they send is what the routes take."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from typer.testing import CliRunner

import workflows_api_client.cli_schedules as cli_schedules
from tests.support.apps import GOOD, with_demo_workflow
from tests.support.http_client import HttpClient
from workflows_api.http.tables import all_routes
from workflows_api_client import AsyncClient, Client
from workflows_api_client.cli import app

URL = "https://api.test"


@pytest.fixture
def server() -> HttpClient:
    return HttpClient(with_demo_workflow(workflow_id="store_clusters"), all_routes())


def transport(server: HttpClient) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        answer = server.call(
            request.method,
            request.url.path,
            data=request.content or None,
            content_type=request.headers.get("Content-Type"),
            query=dict(request.url.params) or None,
            headers={k: v for k, v in request.headers.items() if k.lower() != "content-type"},
        )
        content = b"" if answer.body is None else json.dumps(answer.body).encode()
        return httpx.Response(answer.status, content=content, headers=answer.headers)

    return httpx.MockTransport(handle)


def test_the_sdk_manages_schedules(server: HttpClient) -> None:
    client = Client(URL, server.token(), transport=transport(server))
    made = client.schedules.create(
        "store_clusters", "0 6 * * MON-FRI", time_zone="Europe/Madrid", parameters=GOOD
    )
    assert made.next_run_at is not None and made.parameters == GOOD
    assert [s.id for s in client.schedules.list()] == [made.id]
    assert [s.id for s in client.schedules.list("store_clusters")] == [made.id]
    assert client.schedules.pause("store_clusters", made.id).next_run_at is None
    assert client.schedules.resume("store_clusters", made.id).paused is False
    execution = client.schedules.run("store_clusters", made.id, idempotency_key="k")
    assert execution.trigger == f"schedule:{made.id}"
    assert client.schedules.get("store_clusters", made.id).last_runs[0].execution_id == (
        execution.id
    )
    client.schedules.delete("store_clusters", made.id)
    assert list(client.schedules.list()) == []


def test_the_async_sdk_has_the_same_methods(server: HttpClient) -> None:
    async def scenario() -> None:
        client = AsyncClient(URL, server.token(), transport=transport(server))
        made = await client.schedules.create("store_clusters", "* * * * *", parameters=GOOD)
        assert [s.id for s in await client.schedules.list()] == [made.id]
        assert (
            await client.schedules.update("store_clusters", made.id, cron="0 * * * *")
        ).cron == ("0 * * * *")
        await client.schedules.delete("store_clusters", made.id)

    asyncio.run(scenario())


def test_wfapi_schedules_commands(server: HttpClient, monkeypatch: pytest.MonkeyPatch) -> None:
    token = server.token()
    monkeypatch.setattr(
        cli_schedules, "connect", lambda *args: Client(URL, token, transport=transport(server))
    )
    runner = CliRunner()
    created = runner.invoke(
        app,
        ["schedules", "create", "store_clusters", "--cron", "* * * * *"]
        + [arg for name, value in GOOD.items() for arg in ("-p", f"{name}={value}")],
    )
    assert created.exit_code == 0, created.output
    schedule_id = json.loads(created.output)["id"]
    assert json.loads(created.output)["parameters"] == GOOD  # typed by the workflow
    listed = runner.invoke(app, ["schedules", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and schedule_id in listed.output
    for command in ("pause", "resume", "get"):
        done = runner.invoke(app, ["schedules", command, "store_clusters", schedule_id])
        assert done.exit_code == 0, done.output
    ran = runner.invoke(app, ["schedules", "run", "store_clusters", schedule_id])
    assert ran.exit_code == 0 and len(ran.output.strip()) == 32
    bad = runner.invoke(app, ["schedules", "create", "store_clusters", "--cron", "* * *"])
    assert bad.exit_code == 2 and "cron" in bad.output
    deleted = runner.invoke(app, ["schedules", "delete", "store_clusters", schedule_id])
    assert deleted.exit_code == 0
