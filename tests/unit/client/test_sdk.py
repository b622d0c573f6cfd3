"""The SDK's retry, paging, waiting and error parsing, against an in-memory transport.

The end-to-end behaviour against the real API is in tests/e2e/test_client_sdk.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from workflows_api_client import (
    AsyncClient,
    BadRequest,
    Client,
    ConnectionFailed,
    RateLimited,
    RetryPolicy,
    ServiceUnavailable,
    WaitTimeout,
)
from workflows_api_client.models import Execution
from workflows_api_client.protocol import PollSchedule, retry_after_seconds

URL = "https://api.test"


def execution(state: str = "running", execution_id: str = "ex1", **extra: Any) -> dict[str, Any]:
    return {
        "id": execution_id,
        "workflow_id": "wf",
        "state": state,
        "created_at": "2026-01-01T00:00:00Z",
        "started_at": None,
        "ended_at": None,
        "parameters": {},
        "output_table": "p.d.t",
        "cached": False,
        "cache_enabled": True,
        "bigquery_job_id": "job",
        "error": None,
        "version": "v",
        "links": {"status": f"/v1/executions/{execution_id}"},
        **extra,
    }


class Recorder:
    """A transport answering from a list of handlers, one per request, recording each."""

    def __init__(self, *answers: Callable[[httpx.Request], httpx.Response] | httpx.Response):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        return answer(request) if callable(answer) else answer


def client_for(recorder: Recorder, sleeps: list[float], **options: Any) -> Client:
    return Client(
        URL, "tok", transport=httpx.MockTransport(recorder), sleep=sleeps.append, **options
    )


def test_503_is_retried_after_the_servers_retry_after() -> None:
    recorder = Recorder(
        httpx.Response(
            503, headers={"Retry-After": "2"}, json={"error": {"code": "x", "message": "m"}}
        ),
        httpx.Response(200, json=execution("succeeded")),
    )
    sleeps: list[float] = []
    got = client_for(recorder, sleeps).get("ex1")
    assert got.state == "succeeded"
    assert sleeps == [2.0]
    assert len(recorder.requests) == 2
    assert recorder.requests[0].headers["Authorization"] == "Bearer tok"


def test_429_backs_off_then_gives_up_with_the_apis_error() -> None:
    refusal = httpx.Response(429, json={"error": {"code": "rate_limited", "message": "slow down"}})
    recorder = Recorder(*[refusal] * 3)
    sleeps: list[float] = []
    client = client_for(recorder, sleeps, retry=RetryPolicy(attempts=3, backoff=1.0))
    with pytest.raises(RateLimited) as raised:
        client.get("ex1")
    assert raised.value.code == "rate_limited" and raised.value.status == 429
    assert len(recorder.requests) == 3
    # Exponential with jitter: attempt n waits within [backoff*2^n/2, backoff*2^n].
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0


def test_a_retry_after_beyond_the_longest_delay_is_raised_not_waited() -> None:
    recorder = Recorder(httpx.Response(503, headers={"Retry-After": "3600"}))
    sleeps: list[float] = []
    with pytest.raises(ServiceUnavailable) as raised:
        client_for(recorder, sleeps).get("ex1")
    assert raised.value.retry_after == 3600 and sleeps == []


def test_other_refusals_are_not_retried_and_carry_field_and_details() -> None:
    details = [{"parameter": "n", "code": "invalid_type", "message": "expected INT64"}]
    body = {
        "error": {"code": "invalid_parameters", "message": "bad", "field": "n", "details": details}
    }
    recorder = Recorder(httpx.Response(400, json=body))
    with pytest.raises(BadRequest) as raised:
        client_for(recorder, []).execute("wf", {"n": "x"})
    assert (raised.value.code, raised.value.field, raised.value.details) == (
        "invalid_parameters",
        "n",
        details,
    )
    assert len(recorder.requests) == 1


def test_a_non_json_refusal_still_raises_a_typed_error() -> None:
    recorder = Recorder(httpx.Response(502, text="<html>bad gateway</html>"))
    with pytest.raises(ServiceUnavailable) as raised:
        client_for(recorder, []).get("ex1")
    assert raised.value.code == "http_502" and "bad gateway" in raised.value.message


def test_idempotent_calls_are_retried_after_a_broken_connection() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset", request=request)

    recorder = Recorder(broken, httpx.Response(200, json=execution()))
    sleeps: list[float] = []
    assert client_for(recorder, sleeps).get("ex1").id == "ex1"
    assert len(sleeps) == 1


def test_cancel_is_not_resent_after_a_broken_connection_but_is_when_never_connected() -> None:
    def reset(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ConnectionFailed):
        client_for(Recorder(reset, httpx.Response(200, json=execution())), []).cancel("ex1")
    recorder = Recorder(refused, httpx.Response(200, json=execution("cancelled")))
    assert client_for(recorder, []).cancel("ex1").state == "cancelled"
    assert [r.url.path for r in recorder.requests] == ["/v1/executions/ex1/cancel"] * 2


def test_every_execute_carries_an_idempotency_key_kept_across_retries() -> None:
    recorder = Recorder(
        httpx.Response(503),
        httpx.Response(202, json=execution()),
        httpx.Response(202, json=execution(execution_id="ex2")),
        httpx.Response(202, json=execution(execution_id="ex3")),
    )
    client = client_for(recorder, [])
    client.execute("wf", {"a": 1}, cache=False)
    client.execute("wf", {"a": 1})
    client.execute("wf", {"a": 1}, idempotency_key="mine")
    keys = [r.headers["Idempotency-Key"] for r in recorder.requests]
    assert keys[0] == keys[1]  # the retry of the first execute
    assert keys[1] != keys[2] and keys[3] == "mine"
    first_body = json.loads(recorder.requests[0].content)
    assert first_body == {"parameters": {"a": 1}, "cache": False}
    assert "cache" not in json.loads(recorder.requests[2].content)


def test_ids_cannot_reach_another_route() -> None:
    recorder = Recorder(httpx.Response(200, json=execution()))
    client_for(recorder, []).get("../workflows/x")
    assert recorder.requests[0].url.raw_path == b"/v1/executions/..%2Fworkflows%2Fx"


def test_results_iterate_every_page_once() -> None:
    def page(rows: list[int], token: str | None) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "execution_id": "ex1",
                "schema": [{"name": "n", "type": "INT64", "mode": "NULLABLE"}],
                "rows": [{"n": n} for n in rows],
                "next_page_token": token,
            },
        )

    recorder = Recorder(page([1, 2], "t1"), page([3], "t2"), page([4], None))
    rows = list(client_for(recorder, []).results("ex1", page_size=2))
    assert rows == [{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}]
    tokens = [r.url.params.get("page_token") for r in recorder.requests]
    assert tokens == [None, "t1", "t2"]
    assert recorder.requests[0].url.params["page_size"] == "2"


def test_execute_with_wait_asks_the_server_to_wait_then_polls_until_the_end() -> None:
    recorder = Recorder(
        httpx.Response(202, json=execution("created")),
        httpx.Response(200, json=execution("running")),
        httpx.Response(200, json=execution("succeeded")),
    )
    sleeps: list[float] = []
    done = client_for(recorder, sleeps).execute("wf", {}, wait=True, timeout=100)
    assert done.state == "succeeded"
    assert json.loads(recorder.requests[0].content)["wait_seconds"] == 20
    assert sleeps == [0.5, 0.75]


def test_wait_gives_up_after_the_timeout_with_the_last_state() -> None:
    now = [0.0]
    schedule = PollSchedule(2.0, clock=lambda: now[0])
    running = Execution.model_validate(execution())
    delays = []
    with pytest.raises(WaitTimeout) as raised:
        while True:
            delays.append(schedule.next_delay(running))
            now[0] += delays[-1]
    assert raised.value.execution is running
    assert sum(delays) == pytest.approx(2.0)


def test_unknown_fields_from_a_newer_server_are_ignored() -> None:
    error = {"reason": "invalidQuery", "location": None, "message": "m", "new": 1}
    recorder = Recorder(httpx.Response(200, json=execution("failed", error=error, new=1)))
    got = client_for(recorder, []).get("ex1")
    assert got.error is not None and got.error.reason == "invalidQuery"


def test_retry_after_as_an_http_date() -> None:
    now = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30
    assert retry_after_seconds("soon", now) is None


def test_the_async_client_retries_pages_and_waits_alike() -> None:
    def results(token: str | None) -> httpx.Response:
        body = {
            "execution_id": "ex1",
            "schema": [],
            "rows": [{"t": token}],
            "next_page_token": token and None,
        }
        return httpx.Response(200, json=body)

    recorder = Recorder(
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.Response(202, json=execution("running")),
        httpx.Response(200, json=execution("succeeded")),
        lambda request: httpx.Response(
            200,
            json={"execution_id": "ex1", "schema": [], "rows": [{"p": 1}], "next_page_token": "t"},
        ),
        results("t"),
    )
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async def scenario() -> tuple[str, list[dict[str, Any]]]:
        async with AsyncClient(
            URL, "tok", transport=httpx.MockTransport(recorder), sleep=sleep
        ) as client:
            done = await client.execute("wf", {}, wait=True)
            return done.state, [row async for row in client.results(done.id)]

    state, rows = asyncio.run(scenario())
    assert state == "succeeded"
    assert rows == [{"p": 1}, {"t": "t"}]
    assert sleeps[0] == 1.0
    keys = {r.headers["Idempotency-Key"] for r in recorder.requests[:2]}
    assert len(keys) == 1
