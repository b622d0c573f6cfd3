"""`wfapi mcp`: the org's API-enabled workflows as MCP tools (the official `mcp` SDK).

Each API-enabled workflow the token sees is a tool named after it; its input schema is
the JSON Schema of the workflow's parameters and its description the workflow's. Calling
it starts an execution, waits a bounded time and returns the execution, with the first
page of rows when it ended. Three more tools read a status, read results page by page and
cancel. Everything goes through the SDK's AsyncClient, so the tools see exactly what the
token may see. Imported only by `wfapi mcp`: nothing else needs the `mcp` package.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import mcp_types as types
import uvicorn
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from workflows_api_client.async_client import AsyncClient
from workflows_api_client.config import Target
from workflows_api_client.errors import ApiError, WaitTimeout, WorkflowsApiError
from workflows_api_client.models import Execution
from workflows_api_client.params import parameters_json_schema

FIRST_PAGE_ROWS = 100
# GEOGRAPHY as WKT: compact text, cheaper in an agent's context than GeoJSON.
GEOGRAPHY_FORMAT = "wkt"
MAX_PAGE_ROWS = 1000
STATUS, RESULTS, CANCEL = "wfapi_status", "wfapi_results", "wfapi_cancel"
_EXECUTION_ID = {"type": "string", "description": "The execution id a workflow tool returned."}


def fixed_tools() -> list[types.Tool]:
    by_id = {"type": "object", "properties": {"execution_id": _EXECUTION_ID}}
    results = {
        "type": "object",
        "properties": {
            "execution_id": _EXECUTION_ID,
            "page_token": {"type": "string", "description": "next_page_token of the last page."},
            "page_size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_ROWS},
        },
    }
    return [
        types.Tool(
            name=STATUS,
            description="The state of an execution (created, running, succeeded, failed, "
            "cancelled), its output table and BigQuery's error when it failed.",
            input_schema={**by_id, "required": ["execution_id"]},
        ),
        types.Tool(
            name=RESULTS,
            description="One page of a succeeded execution's output rows, with the schema "
            "and the next_page_token to read the next page with; GEOGRAPHY as WKT.",
            input_schema={**results, "required": ["execution_id"]},
        ),
        types.Tool(
            name=CANCEL,
            description="Cancel an unfinished execution.",
            input_schema={**by_id, "required": ["execution_id"]},
        ),
    ]


class WorkflowTools:
    """The tools' listing and calls, over one AsyncClient."""

    def __init__(self, client: AsyncClient, wait_seconds: float) -> None:
        self.client = client
        self.wait_seconds = wait_seconds

    async def list_tools(self) -> list[types.Tool]:
        tools = fixed_tools()
        reserved = {tool.name for tool in tools}
        async for workflow in self.client.workflows.list():
            if not workflow.api_enabled or workflow.id in reserved:
                continue
            api = await self.client.workflows.api(workflow.id)
            definition = (await self.client.workflows.get(workflow.id)).definition or {}
            about = str(definition.get("description") or workflow.name or workflow.id)
            # The current definition's constraints describe the deployed procedure only
            # when both are the same version.
            constraints = _constraints(definition) if api.in_sync else None
            tools.append(
                types.Tool(
                    name=workflow.id,
                    title=workflow.name or None,
                    description=f"{about.strip()}\n\nRuns the workflow and waits up to "
                    f"{self.wait_seconds:g} s: returns the execution and, when it succeeded, "
                    f"the first {FIRST_PAGE_ROWS} output rows (more with {RESULTS}).",
                    input_schema=parameters_json_schema(api.parameters, constraints),
                )
            )
        return tools

    async def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        if name not in (STATUS, CANCEL, RESULTS):
            return await self.run_workflow(name, arguments)
        execution_id = arguments.get("execution_id")
        if not isinstance(execution_id, str) or not execution_id:
            message = "execution_id: expected an execution id"
            raise ApiError(400, "invalid_request", message, "execution_id")
        if name == STATUS:
            return {"execution": _dump(await self.client.get(execution_id))}
        if name == RESULTS:
            page_size = arguments.get("page_size") or FIRST_PAGE_ROWS
            if type(page_size) is not int or not 1 <= page_size <= MAX_PAGE_ROWS:
                message = f"page_size: expected an integer from 1 to {MAX_PAGE_ROWS}"
                raise ApiError(400, "invalid_request", message, "page_size")
            page = await self.client.results_page(
                execution_id,
                str(arguments.get("page_token") or "") or None,
                page_size=page_size,
                geography_format=GEOGRAPHY_FORMAT,
            )
            return page.model_dump(mode="json", by_alias=True)
        return {"execution": _dump(await self.client.cancel(execution_id))}

    async def run_workflow(self, workflow_id: str, arguments: dict[str, Any]) -> dict[str, Any]:
        try:
            execution = await self.client.execute(
                workflow_id, arguments, wait=True, timeout=self.wait_seconds
            )
        except WaitTimeout as late:
            execution = late.execution
        answer: dict[str, Any] = {"execution": _dump(execution)}
        if execution.state == "succeeded":
            page = await self.client.results_page(
                execution.id, page_size=FIRST_PAGE_ROWS, geography_format=GEOGRAPHY_FORMAT
            )
            answer["results"] = page.model_dump(mode="json", by_alias=True)
        elif not execution.is_terminal:
            answer["note"] = f"Still {execution.state}: ask {STATUS} later, then {RESULTS}."
        return answer


def _constraints(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    declared = definition.get("parameters")
    if not isinstance(declared, list):
        return {}
    return {str(p["name"]): p for p in declared if isinstance(p, dict) and "name" in p}


def _dump(execution: Execution) -> dict[str, Any]:
    return execution.model_dump(mode="json")


def _text_result(body: dict[str, Any], is_error: bool = False) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(text=json.dumps(body))],
        structured_content=body,
        is_error=is_error,
    )


def build_server(tools: WorkflowTools) -> Server[Any]:
    async def on_list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=await tools.list_tools())

    async def on_call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        try:
            return _text_result(await tools.call(params.name, params.arguments or {}))
        except ApiError as error:
            refusal = {"code": error.code, "message": error.message, "field": error.field}
            return _text_result({"error": {**refusal, "details": error.details}}, True)
        except WorkflowsApiError as error:
            return _text_result({"error": {"code": "unavailable", "message": str(error)}}, True)

    return Server(
        "workflows-api",
        instructions="Each workflow tool runs a warehouse workflow with typed parameters.",
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
    )


def serve(target: Target, wait_seconds: float, http_port: int | None, host: str) -> None:
    """Run until stdin closes (stdio) or the process is stopped (--http)."""
    client = AsyncClient(target.url, target.token, timeout=60.0)
    server = build_server(WorkflowTools(client, wait_seconds))
    if http_port is not None:
        app = server.streamable_http_app(host=host)
        uvicorn.run(app, host=host, port=http_port, log_level="warning")
        return

    async def over_stdio() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
        await client.close()

    anyio.run(over_stdio)
