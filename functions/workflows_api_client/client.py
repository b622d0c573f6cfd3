"""The synchronous client. Request building, parsing, retry and polling decisions live in
`protocol` (shared with AsyncClient); this module only sends and sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import httpx

import workflows_api_client.models as models
import workflows_api_client.protocol as protocol
from workflows_api_client.errors import ConnectionFailed
from workflows_api_client.protocol import DEFAULT_WAIT_TIMEOUT, Call, Page, RetryPolicy
from workflows_api_client.schedules import Schedules

T = TypeVar("T")
P = TypeVar("P", bound=Page)


class Client:
    """The Workflows API for one token.

    >>> with Client("https://api.example.com", token) as client:
    ...     run = client.execute("store_clusters", {"number_of_clusters": 2}, wait=True)
    ...     rows = list(client.results(run.id))
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._timeout = httpx.Timeout(timeout)
        self._http = httpx.Client(
            **protocol.http_settings(url, token, timeout), transport=transport
        )
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self.workflows = Workflows(self)
        self.schedules = Schedules(self)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def send(self, call: Call[T]) -> T:
        """Send one call, retrying as the policy says; the parsed answer or a typed error."""
        attempt = 0
        while True:
            try:
                response = self._http.request(**call.request(self._timeout))
            except httpx.TransportError as error:
                delay = self._retry.after_error(attempt, call, error)
                if delay is None:
                    raise ConnectionFailed(f"{call.method} {call.path}: {error}") from error
            else:
                delay = self._retry.after_response(attempt, response)
                if delay is None:
                    protocol.raise_for_error(response)
                    return call.parse(response)
            self._sleep(delay)
            attempt += 1

    def pages(self, call_for: Callable[[str | None], Call[P]]) -> Iterator[P]:
        """Every page of a listing, following next_page_token."""
        token: str | None = None
        while True:
            page = self.send(call_for(token))
            yield page
            token = page.next_page_token
            if not token:
                return

    def execute(
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
        """Start an execution (or reuse an identical one); with wait=True, return it ended
        (WaitTimeout after `timeout` seconds). A key is generated unless given, so retries
        never start a second run."""
        schedule = protocol.PollSchedule(timeout)
        call = protocol.execute(
            workflow_id,
            params or {},
            cache=cache,
            cache_max_age_seconds=cache_max_age_seconds,
            wait_seconds=protocol.first_wait(wait, timeout),
            idempotency_key=idempotency_key,
        )
        execution = self.send(call)
        if not wait or execution.is_terminal:
            return execution
        return self._wait(execution, schedule)

    def get(self, execution_id: str) -> models.Execution:
        return self.send(protocol.get_execution(execution_id))

    def wait(self, execution_id: str, timeout: float = DEFAULT_WAIT_TIMEOUT) -> models.Execution:
        """Poll until the execution ends; WaitTimeout (with its last state) after `timeout`."""
        schedule = protocol.PollSchedule(timeout)
        return self._wait(self.get(execution_id), schedule)

    def _wait(
        self, execution: models.Execution, schedule: protocol.PollSchedule
    ) -> models.Execution:
        while not execution.is_terminal:
            self._sleep(schedule.next_delay(execution))
            execution = self.get(execution.id)
        return execution

    def limits(self) -> models.Limits:
        """The org's concurrency limits and what it uses now (queued executions wait)."""
        return self.send(protocol.get_limits())

    def cancel(self, execution_id: str) -> models.Execution:
        return self.send(protocol.cancel(execution_id))

    def results_page(
        self,
        execution_id: str,
        page_token: str | None = None,
        *,
        page_size: int | None = None,
        geography_format: str = "geojson",
    ) -> models.Results:
        call = protocol.results_page(execution_id, page_token, page_size, geography_format)
        return self.send(call)

    def result_pages(
        self, execution_id: str, *, page_size: int | None = None, geography_format: str = "geojson"
    ) -> Iterator[models.Results]:
        return self.pages(
            lambda token: protocol.results_page(execution_id, token, page_size, geography_format)
        )

    def results(
        self, execution_id: str, *, page_size: int | None = None, geography_format: str = "geojson"
    ) -> Iterator[dict[str, Any]]:
        """Every output row of a succeeded execution, across every page, each once."""
        for page in self.result_pages(
            execution_id, page_size=page_size, geography_format=geography_format
        ):
            yield from page.rows

    def list(
        self, workflow_id: str, *, state: str | None = None, page_size: int | None = None
    ) -> Iterator[models.Execution]:
        """A workflow's executions, newest first, across every page."""
        for page in self.pages(
            lambda token: protocol.executions_page(workflow_id, token, page_size, state)
        ):
            yield from page.executions


class Workflows:
    """client.workflows: definitions and their APIs."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self, *, page_size: int | None = None) -> Iterator[models.WorkflowResource]:
        for page in self._client.pages(lambda token: protocol.workflows_page(token, page_size)):
            yield from page.workflows

    def get(self, workflow_id: str) -> models.WorkflowResource:
        return self._client.send(protocol.get_workflow(workflow_id))

    def put(
        self,
        workflow_id: str,
        definition: Mapping[str, Any] | str,
        *,
        connection: str | None = None,
    ) -> models.SavedWorkflow:
        return self._client.send(protocol.put_workflow(workflow_id, definition, connection))

    def delete(self, workflow_id: str) -> None:
        self._client.send(protocol.delete_workflow(workflow_id))

    def sql(self, workflow_id: str) -> models.CompiledSql:
        return self._client.send(protocol.workflow_sql(workflow_id))

    def api(self, workflow_id: str) -> models.ApiState:
        return self._client.send(protocol.api_state(workflow_id))

    def enable(self, workflow_id: str) -> models.ApiState:
        return self._client.send(protocol.enable_api(workflow_id))

    def update(self, workflow_id: str) -> models.ApiState:
        return self._client.send(protocol.update_api(workflow_id))

    def disable(self, workflow_id: str) -> models.ApiState:
        return self._client.send(protocol.disable_api(workflow_id))
