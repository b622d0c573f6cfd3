"""The asynchronous client: Client's methods, awaited. Request building, parsing, retry
and polling decisions live in `protocol` (shared with Client); this module only sends and
sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeVar

import httpx

import workflows_api_client.models as models
import workflows_api_client.protocol as protocol
from workflows_api_client.errors import ConnectionFailed
from workflows_api_client.protocol import DEFAULT_WAIT_TIMEOUT, Call, Page, RetryPolicy
from workflows_api_client.schedules import AsyncSchedules

T = TypeVar("T")
P = TypeVar("P", bound=Page)


class AsyncClient:
    """The Workflows API for one token, for asyncio code (`async with AsyncClient(...)`)."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._timeout = httpx.Timeout(timeout)
        settings = protocol.http_settings(url, token, timeout)
        self._http = httpx.AsyncClient(**settings, transport=transport)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self.workflows = AsyncWorkflows(self)
        self.schedules = AsyncSchedules(self)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def send(self, call: Call[T]) -> T:
        """Send one call, retrying as the policy says; the parsed answer or a typed error."""
        attempt = 0
        while True:
            try:
                response = await self._http.request(**call.request(self._timeout))
            except httpx.TransportError as error:
                delay = self._retry.after_error(attempt, call, error)
                if delay is None:
                    raise ConnectionFailed(f"{call.method} {call.path}: {error}") from error
            else:
                delay = self._retry.after_response(attempt, response)
                if delay is None:
                    protocol.raise_for_error(response)
                    return call.parse(response)
            await self._sleep(delay)
            attempt += 1

    async def pages(self, call_for: Callable[[str | None], Call[P]]) -> AsyncIterator[P]:
        """Every page of a listing, following next_page_token."""
        token: str | None = None
        while True:
            page = await self.send(call_for(token))
            yield page
            token = page.next_page_token
            if not token:
                return

    async def execute(
        self,
        workflow_id: str,
        params: Mapping[str, Any] | None = None,
        *,
        cache: bool | None = None,
        cache_max_age_seconds: int | None = None,
        wait: bool = False,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        idempotency_key: str | None = None,
    ) -> models.Execution:
        """As Client.execute."""
        schedule = protocol.PollSchedule(timeout)
        call = protocol.execute(
            workflow_id,
            params or {},
            cache=cache,
            cache_max_age_seconds=cache_max_age_seconds,
            wait_seconds=protocol.first_wait(wait, timeout),
            idempotency_key=idempotency_key,
        )
        execution = await self.send(call)
        if not wait or execution.is_terminal:
            return execution
        return await self._wait(execution, schedule)

    async def get(self, execution_id: str) -> models.Execution:
        return await self.send(protocol.get_execution(execution_id))

    async def limits(self) -> models.Limits:
        return await self.send(protocol.get_limits())

    async def wait(
        self, execution_id: str, timeout: float = DEFAULT_WAIT_TIMEOUT
    ) -> models.Execution:
        schedule = protocol.PollSchedule(timeout)
        return await self._wait(await self.get(execution_id), schedule)

    async def _wait(
        self, execution: models.Execution, schedule: protocol.PollSchedule
    ) -> models.Execution:
        while not execution.is_terminal:
            await self._sleep(schedule.next_delay(execution))
            execution = await self.get(execution.id)
        return execution

    async def cancel(self, execution_id: str) -> models.Execution:
        return await self.send(protocol.cancel(execution_id))

    async def results_page(
        self,
        execution_id: str,
        page_token: str | None = None,
        *,
        page_size: int | None = None,
        geography_format: str = "geojson",
    ) -> models.Results:
        call = protocol.results_page(execution_id, page_token, page_size, geography_format)
        return await self.send(call)

    def result_pages(
        self, execution_id: str, *, page_size: int | None = None, geography_format: str = "geojson"
    ) -> AsyncIterator[models.Results]:
        return self.pages(
            lambda token: protocol.results_page(execution_id, token, page_size, geography_format)
        )

    async def results(
        self, execution_id: str, *, page_size: int | None = None, geography_format: str = "geojson"
    ) -> AsyncIterator[dict[str, Any]]:
        """Every output row of a succeeded execution, across every page, each once."""
        async for page in self.result_pages(
            execution_id, page_size=page_size, geography_format=geography_format
        ):
            for row in page.rows:
                yield row

    async def list(
        self, workflow_id: str, *, state: str | None = None, page_size: int | None = None
    ) -> AsyncIterator[models.Execution]:
        """A workflow's executions, newest first, across every page."""
        async for page in self.pages(
            lambda token: protocol.executions_page(workflow_id, token, page_size, state)
        ):
            for execution in page.executions:
                yield execution


class AsyncWorkflows:
    """client.workflows: definitions and their APIs."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def list(self, *, page_size: int | None = None) -> AsyncIterator[models.WorkflowResource]:
        async for page in self._client.pages(
            lambda token: protocol.workflows_page(token, page_size)
        ):
            for workflow in page.workflows:
                yield workflow

    async def get(self, workflow_id: str) -> models.WorkflowResource:
        return await self._client.send(protocol.get_workflow(workflow_id))

    async def put(
        self,
        workflow_id: str,
        definition: Mapping[str, Any] | str,
        *,
        connection: str | None = None,
    ) -> models.SavedWorkflow:
        return await self._client.send(protocol.put_workflow(workflow_id, definition, connection))

    async def delete(self, workflow_id: str) -> None:
        await self._client.send(protocol.delete_workflow(workflow_id))

    async def sql(self, workflow_id: str) -> models.CompiledSql:
        return await self._client.send(protocol.workflow_sql(workflow_id))

    async def api(self, workflow_id: str) -> models.ApiState:
        return await self._client.send(protocol.api_state(workflow_id))

    async def enable(self, workflow_id: str) -> models.ApiState:
        return await self._client.send(protocol.enable_api(workflow_id))

    async def update(self, workflow_id: str) -> models.ApiState:
        return await self._client.send(protocol.update_api(workflow_id))

    async def disable(self, workflow_id: str) -> models.ApiState:
        return await self._client.send(protocol.disable_api(workflow_id))
