"""Schedules in the SDK: `client.schedules` (and `AsyncClient.schedules`, awaited), the
calls of `/v1/workflows/{id}/schedules` and `/v1/schedules`. Each schedule is a Cloud
Scheduler job the service manages; every fire is one execution (trigger
`schedule:<id>`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import workflows_api_client.models as models
from workflows_api_client.protocol import Call, Page, _no_body, parse_body

SCHEDULE = parse_body(models.Schedule)
T = TypeVar("T")
P = TypeVar("P", bound=Page)


class Client(Protocol):
    """What the schedules take of `Client` (its sending and paging)."""

    def send(self, call: Call[T]) -> T: ...
    def pages(self, call_for: Callable[[str | None], Call[P]]) -> Iterator[P]: ...


class AsyncClient(Protocol):
    async def send(self, call: Call[T]) -> T: ...
    def pages(self, call_for: Callable[[str | None], Call[P]]) -> AsyncIterator[P]: ...


def _path(workflow_id: str, schedule_id: str | None = None, suffix: str = "") -> str:
    path = f"/v1/workflows/{quote(workflow_id, safe='')}/schedules"
    if schedule_id is not None:
        path = f"{path}/{quote(schedule_id, safe='')}"
    return path + suffix


def create_schedule(workflow_id: str, body: Mapping[str, Any]) -> Call[models.Schedule]:
    # Not idempotent: sent again, it would make a second schedule.
    return Call("POST", _path(workflow_id), SCHEDULE, json=dict(body), idempotent=False)


def schedules_page(
    workflow_id: str | None, page_token: str | None, page_size: int | None = None
) -> Call[models.ScheduleList]:
    params = {k: v for k, v in {"page_token": page_token, "page_size": page_size}.items() if v}
    path = "/v1/schedules" if workflow_id is None else _path(workflow_id)
    return Call("GET", path, parse_body(models.ScheduleList), params=params)


def get_schedule(workflow_id: str, schedule_id: str) -> Call[models.Schedule]:
    return Call("GET", _path(workflow_id, schedule_id), SCHEDULE)


def update_schedule(
    workflow_id: str, schedule_id: str, changes: Mapping[str, Any]
) -> Call[models.Schedule]:
    return Call("PATCH", _path(workflow_id, schedule_id), SCHEDULE, json=dict(changes))


def delete_schedule(workflow_id: str, schedule_id: str) -> Call[None]:
    return Call("DELETE", _path(workflow_id, schedule_id), _no_body)


def run_schedule(
    workflow_id: str, schedule_id: str, idempotency_key: str | None
) -> Call[models.Execution]:
    return Call(
        "POST",
        _path(workflow_id, schedule_id, "/run"),
        parse_body(models.Execution),
        headers={"Idempotency-Key": idempotency_key or str(uuid.uuid4())},
    )


def schedule_body(
    cron: str,
    time_zone: str,
    parameters: Mapping[str, Any] | None,
    cache: bool | None,
    description: str | None,
    paused: bool | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"cron": cron, "time_zone": time_zone}
    optional = {"parameters": parameters, "cache": cache, "description": description}
    body.update({k: v for k, v in {**optional, "paused": paused}.items() if v is not None})
    return body


class Schedules:
    """client.schedules: create, list, read, change, pause, resume, run and delete."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(
        self,
        workflow_id: str,
        cron: str,
        *,
        time_zone: str = "Etc/UTC",
        parameters: Mapping[str, Any] | None = None,
        cache: bool | None = None,
        description: str | None = None,
        paused: bool | None = None,
    ) -> models.Schedule:
        body = schedule_body(cron, time_zone, parameters, cache, description, paused)
        return self._client.send(create_schedule(workflow_id, body))

    def list(
        self, workflow_id: str | None = None, *, page_size: int | None = None
    ) -> Iterator[models.Schedule]:
        """A workflow's schedules, or the org's when `workflow_id` is None (every page)."""
        for page in self._client.pages(lambda t: schedules_page(workflow_id, t, page_size)):
            yield from page.schedules

    def get(self, workflow_id: str, schedule_id: str) -> models.Schedule:
        return self._client.send(get_schedule(workflow_id, schedule_id))

    def update(self, workflow_id: str, schedule_id: str, **changes: Any) -> models.Schedule:
        """Change cron, time_zone, parameters, cache, description or paused."""
        return self._client.send(update_schedule(workflow_id, schedule_id, changes))

    def pause(self, workflow_id: str, schedule_id: str) -> models.Schedule:
        return self.update(workflow_id, schedule_id, paused=True)

    def resume(self, workflow_id: str, schedule_id: str) -> models.Schedule:
        return self.update(workflow_id, schedule_id, paused=False)

    def run(
        self, workflow_id: str, schedule_id: str, *, idempotency_key: str | None = None
    ) -> models.Execution:
        """Run it now (paused or not): one execution per idempotency key."""
        return self._client.send(run_schedule(workflow_id, schedule_id, idempotency_key))

    def delete(self, workflow_id: str, schedule_id: str) -> None:
        self._client.send(delete_schedule(workflow_id, schedule_id))


class AsyncSchedules:
    """AsyncClient.schedules: the same methods, awaited."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def create(
        self,
        workflow_id: str,
        cron: str,
        *,
        time_zone: str = "Etc/UTC",
        parameters: Mapping[str, Any] | None = None,
        cache: bool | None = None,
        description: str | None = None,
        paused: bool | None = None,
    ) -> models.Schedule:
        body = schedule_body(cron, time_zone, parameters, cache, description, paused)
        return await self._client.send(create_schedule(workflow_id, body))

    async def list(
        self, workflow_id: str | None = None, *, page_size: int | None = None
    ) -> list[models.Schedule]:
        found: list[models.Schedule] = []
        async for page in self._client.pages(lambda t: schedules_page(workflow_id, t, page_size)):
            found.extend(page.schedules)
        return found

    async def get(self, workflow_id: str, schedule_id: str) -> models.Schedule:
        return await self._client.send(get_schedule(workflow_id, schedule_id))

    async def update(self, workflow_id: str, schedule_id: str, **changes: Any) -> models.Schedule:
        return await self._client.send(update_schedule(workflow_id, schedule_id, changes))

    async def pause(self, workflow_id: str, schedule_id: str) -> models.Schedule:
        return await self.update(workflow_id, schedule_id, paused=True)

    async def resume(self, workflow_id: str, schedule_id: str) -> models.Schedule:
        return await self.update(workflow_id, schedule_id, paused=False)

    async def run(
        self, workflow_id: str, schedule_id: str, *, idempotency_key: str | None = None
    ) -> models.Execution:
        return await self._client.send(run_schedule(workflow_id, schedule_id, idempotency_key))

    async def delete(self, workflow_id: str, schedule_id: str) -> None:
        await self._client.send(delete_schedule(workflow_id, schedule_id))
