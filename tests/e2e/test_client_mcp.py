"""`wfapi mcp` (the installed script) driven by the mcp SDK's own client: over stdio, and
over streamable HTTP with --http PORT."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import requests
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from devstack import emulators
from tests.e2e.helpers import SEED_VALUES, Stack, new_workflow

pytestmark = pytest.mark.e2e
WFAPI = str(Path(sys.executable).with_name("wfapi"))


def server_env(stack: Stack) -> dict[str, str]:
    return {"WFAPI_URL": stack.base_url, "WFAPI_TOKEN": stack.token}


async def exercise(session: ClientSession, disabled_workflow: str) -> dict[str, Any]:
    """List the tools, run store_clusters, read status and results: what an agent does."""
    await session.initialize()
    tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    ran = await session.call_tool("store_clusters", SEED_VALUES, read_timeout_seconds=300)
    assert not ran.is_error, ran.content
    execution = ran.structured_content["execution"]
    status = await session.call_tool("wfapi_status", {"execution_id": execution["id"]})
    deadline = time.monotonic() + 240
    while status.structured_content["execution"]["state"] in ("created", "running"):
        assert time.monotonic() < deadline, status.structured_content
        await anyio.sleep(1)
        status = await session.call_tool("wfapi_status", {"execution_id": execution["id"]})
    page = await session.call_tool(
        "wfapi_results", {"execution_id": execution["id"], "page_size": 5}
    )
    refused = await session.call_tool("store_clusters", {**SEED_VALUES, "number_of_clusters": 0})
    bad_page = await session.call_tool(
        "wfapi_results", {"execution_id": execution["id"], "page_size": "many"}
    )
    no_id = await session.call_tool("wfapi_cancel", {})
    return {
        "tools": tools,
        "ran": ran.structured_content,
        "status": status.structured_content,
        "page": page.structured_content,
        "refused": refused,
        "bad_input": [bad_page, no_id],
        "disabled": disabled_workflow,
    }


def check(seen: dict[str, Any]) -> None:
    tools = seen["tools"]
    assert {"store_clusters", "wfapi_status", "wfapi_results", "wfapi_cancel"} <= set(tools)
    assert seen["disabled"] not in tools  # only API-enabled workflows are tools
    schema = tools["store_clusters"].input_schema
    assert schema["properties"]["number_of_clusters"]["type"] == "integer"
    assert schema["properties"]["number_of_clusters"]["minimum"] == 1
    assert schema["properties"]["number_of_clusters"]["maximum"] == 50
    assert schema["properties"]["store_type"]["maxLength"] == 100
    assert schema["properties"]["buffer_radius"]["type"] == "number"
    assert schema["properties"]["store_type"]["type"] == "string"
    assert sorted(schema["required"]) == sorted(SEED_VALUES)
    assert "grouped into number_of_clusters clusters" in tools["store_clusters"].description

    execution = seen["ran"]["execution"]
    assert execution["workflow_id"] == "store_clusters"
    assert execution["state"] in ("created", "running", "succeeded")
    if execution["state"] == "succeeded":  # ended within the bounded wait: first rows too
        assert len(seen["ran"]["results"]["rows"]) > 0
    assert seen["status"]["execution"]["id"] == execution["id"]
    assert seen["status"]["execution"]["state"] == "succeeded"
    page = seen["page"]
    assert len(page["rows"]) == 5 and page["next_page_token"]
    assert {c["name"] for c in page["schema"]} == {"id", "name", "cluster", "geom_buffer"}
    assert seen["refused"].is_error
    assert seen["refused"].structured_content["error"]["code"] == "invalid_parameters"
    assert seen["refused"].structured_content["error"]["field"] == "number_of_clusters"
    fields = [result.structured_content["error"]["field"] for result in seen["bad_input"]]
    assert fields == ["page_size", "execution_id"]
    assert all(result.is_error for result in seen["bad_input"])


def test_mcp_over_stdio(stack: Stack, http: requests.Session) -> None:
    disabled = new_workflow(http, stack, enable=False)
    parameters = StdioServerParameters(
        command=WFAPI, args=["mcp", "--wait-seconds", "240"], env=server_env(stack)
    )

    async def scenario() -> dict[str, Any]:
        async with (
            stdio_client(parameters) as (read, write),
            ClientSession(read, write) as session,
        ):
            return await exercise(session, disabled)

    check(anyio.run(scenario))


@pytest.fixture
def mcp_http(stack: Stack) -> Iterator[str]:
    port = emulators.free_port()
    args = [WFAPI, "mcp", "--http", str(port), "--wait-seconds", "240"]
    server = subprocess.Popen(args, env={**server_env(stack), "PATH": "/usr/bin:/bin"})
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "did not start"
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_mcp_over_streamable_http(stack: Stack, http: requests.Session, mcp_http: str) -> None:
    disabled = new_workflow(http, stack, enable=False)

    async def scenario() -> dict[str, Any]:
        async with (
            streamable_http_client(mcp_http) as streams,
            ClientSession(streams[0], streams[1]) as session,
        ):
            return await exercise(session, disabled)

    check(anyio.run(scenario))
