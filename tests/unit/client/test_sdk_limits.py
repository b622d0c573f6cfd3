"""The SDK's `limits()` (sync and async) against the API's own answer: each request goes
through the real dispatcher on fakes (tests/support/http_client.py), so what the SDK
parses is what the route sends. Also: a queued execution as the SDK reads it, and a
429 past the queue's bound raised as RateLimited with the server's Retry-After."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from tests.support.apps import GOOD, with_demo_workflow
from tests.support.http_client import HttpClient
from workflows_api.http.tables import all_routes
from workflows_api_client import AsyncClient, Client, RateLimited, RetryPolicy

URL = "https://api.test"


def served(api: HttpClient) -> Any:
    """An httpx handler answering each request through the dispatcher."""

    def handle(request: httpx.Request) -> httpx.Response:
        answer = api.call(
            request.method,
            request.url.path,
            body=json.loads(request.content) if request.content else None,
            query=dict(request.url.params),
            headers={"Authorization": request.headers["Authorization"]},
        )
        return httpx.Response(answer.status, json=answer.body, headers=answer.headers)

    return handle


@pytest.fixture
def api() -> HttpClient:
    world = with_demo_workflow()
    world.app.lifecycle.limits.set_limits("demo", max_concurrent=1, max_queued=2)
    return HttpClient(world, all_routes())


def _client(api: HttpClient, **options: Any) -> Client:
    transport = httpx.MockTransport(served(api))
    return Client(URL, api.token(), transport=transport, sleep=lambda _: None, **options)


def test_limits_reports_the_orgs_limits_and_use(api: HttpClient) -> None:
    client = _client(api)
    before = client.limits()
    assert (before.max_concurrent, before.max_queued) == (1, 2)
    assert (before.submitted, before.queued, before.submitted_by_workflow) == (0, 0, {})

    running = client.execute("clusters", {**GOOD, "buffer_radius": 501})
    api.world.clock.advance(0.01)
    queued = client.execute("clusters", {**GOOD, "buffer_radius": 502})
    assert running.state == "running"
    assert (queued.state, queued.queue_reason, queued.queue_position) == ("queued", "org_limit", 1)
    after = client.limits()
    assert (after.submitted, after.queued, after.submitted_by_workflow) == (1, 1, {"clusters": 1})
    assert client.get(queued.id).queue_position == 1


def test_async_limits_reads_the_same(api: HttpClient) -> None:
    _client(api).execute("clusters", GOOD)

    async def read() -> Any:
        handler = served(api)

        async def handle(request: httpx.Request) -> httpx.Response:
            return handler(request)

        async with AsyncClient(URL, api.token(), transport=httpx.MockTransport(handle)) as client:
            return await client.limits()

    limits = asyncio.run(read())
    assert (limits.max_concurrent, limits.submitted, limits.queued) == (1, 1, 0)


def test_past_the_queues_bound_execute_raises_rate_limited(api: HttpClient) -> None:
    client = _client(api, retry=RetryPolicy(attempts=1))
    for i in range(3):  # one running, two queued: the bound
        api.world.clock.advance(0.01)
        client.execute("clusters", {**GOOD, "buffer_radius": 600 + i})
    with pytest.raises(RateLimited) as raised:
        client.execute("clusters", {**GOOD, "buffer_radius": 700})
    assert raised.value.code == "queue_full" and raised.value.status == 429
    assert raised.value.retry_after == 30
    assert client.limits().queued == 2
