"""Webhooks: signatures, configuration, and one signed delivery per execution end."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.apps import GOOD, OnFakes, with_demo_workflow
from workflows_api.domain.executions import JobError, State
from workflows_api.domain.webhooks import (
    SIGNATURE_HEADER,
    signature,
    url_problem,
    verify_signature,
)
from workflows_api.service.errors import ServiceError
from workflows_api.service.executions import ExecuteRequest, ExecuteResult
from workflows_api.service.ports import WebhookSendError
from workflows_api.service.webhooks import Webhooks


def test_signature_round_trip_and_tampering() -> None:
    header = signature("whsec_x", 1_700_000_000, b'{"a":1}')
    assert verify_signature("whsec_x", header, b'{"a":1}', now=1_700_000_100)
    assert not verify_signature("whsec_x", header, b'{"a":2}', now=1_700_000_100)
    assert not verify_signature("whsec_y", header, b'{"a":1}', now=1_700_000_100)
    assert not verify_signature("whsec_x", header, b'{"a":1}', now=1_700_001_000)  # too old
    assert not verify_signature("whsec_x", "t=abc,v1=00", b"", now=0)


@pytest.mark.parametrize(
    ("url", "allow_http", "ok"),
    [
        ("https://hooks.example.com/x", False, True),
        ("http://hooks.example.com/x", False, False),
        ("http://127.0.0.1:9/x", True, True),
        ("ftp://hooks.example.com", True, False),
        ("https://user:pw@hooks.example.com", False, False),
        ("https:///nohost", False, False),
    ],
)
def test_webhook_urls(url: str, allow_http: bool, ok: bool) -> None:
    assert (url_problem(url, allow_http) is None) is ok


class Receiver:
    """Answers with the given statuses in turn (an exception for None), then 200."""

    def __init__(self, *answers: int | None) -> None:
        self.answers = list(answers)
        self.received: list[tuple[str, bytes, dict[str, str]]] = []

    def send(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        self.received.append((url, body, headers))
        answer = self.answers.pop(0) if self.answers else 200
        if answer is None:
            raise WebhookSendError("connection_failed")  # the sender's reason codes
        return answer


def wired(receiver: Receiver, outcome: Any = "succeeded") -> tuple[OnFakes, Webhooks]:
    world = with_demo_workflow(
        outcome,
        webhook_sender=receiver,
        webhook_payload=lambda e: {"id": e.id, "state": e.state.value},
    )
    return world, world.app.webhooks


def execute(world: OnFakes, parameters: dict[str, Any] = GOOD) -> ExecuteResult:
    return world.app.admission.execute("demo", "clusters", ExecuteRequest(parameters))


def test_one_signed_delivery_per_execution_end() -> None:
    receiver = Receiver()
    world, hooks = wired(receiver)
    _, secret = hooks.configure("demo", "clusters", ["https://a.example/hook"])
    assert secret is not None
    done = execute(world).execution
    assert done.state == State.SUCCEEDED
    [(url, body, headers)] = receiver.received
    assert url == "https://a.example/hook"
    assert json.loads(body) == {"id": done.id, "state": "succeeded"}
    now = int(world.clock.now.timestamp())
    assert verify_signature(secret, headers[SIGNATURE_HEADER], body, now)
    assert headers["Workflows-Event"] == "execution.succeeded"
    # Reading it again, or an identical request answered from cache, announces nothing more.
    world.app.queries.get("demo", done.id)
    execute(world)
    assert len(receiver.received) == 1
    recorded = world.store.executions[("demo", done.id)].deliveries
    assert [(d.attempt, d.status_code) for d in recorded] == [(1, 200)]


def test_a_failing_receiver_is_retried_and_every_attempt_recorded() -> None:
    receiver = Receiver(500, None)
    world, hooks = wired(receiver, outcome=JobError("invalidQuery", "boom", "query"))
    hooks.configure("demo", "clusters", ["https://a.example/hook"])
    failed = execute(world).execution
    recorded = world.store.executions[("demo", failed.id)].deliveries
    assert [(d.attempt, d.status_code, d.delivered) for d in recorded] == [
        (1, 500, False),
        (2, None, False),
        (3, 200, True),
    ]
    # Reason codes, never exception text: the receiver's status, the sender's code.
    assert [d.error for d in recorded] == ["http_500", "connection_failed", None]
    assert len({h["Workflows-Delivery"] for _, _, h in receiver.received}) == 1


def test_cancel_is_announced() -> None:
    receiver = Receiver()
    world, hooks = wired(receiver, outcome="running")
    hooks.configure("demo", "clusters", ["https://a.example/hook"])
    running = execute(world).execution
    assert receiver.received == []
    world.app.queries.cancel("demo", running.id)
    assert [h["Workflows-Event"] for _, _, h in receiver.received] == ["execution.cancelled"]


def test_configuration_rules() -> None:
    _, hooks = wired(Receiver())
    with pytest.raises(ServiceError) as bad:
        hooks.configure("demo", "clusters", ["http://insecure.example", "https://ok.example"])
    assert (bad.value.code, bad.value.field) == ("invalid_webhooks", "urls.0")
    with pytest.raises(ServiceError) as unknown:
        hooks.configure("demo", "nope", ["https://ok.example"])
    assert unknown.value.code == "workflow_not_found"
    _, first = hooks.configure("demo", "clusters", ["https://ok.example"])
    _, unchanged = hooks.configure("demo", "clusters", ["https://ok.example/2"])
    _, rotated = hooks.configure("demo", "clusters", ["https://ok.example/2"], rotate_secret=True)
    assert first and unchanged is None and rotated and rotated != first
    assert hooks.get("demo", "clusters").urls == ("https://ok.example/2",)
    hooks.remove("demo", "clusters")
    assert hooks.get("demo", "clusters").urls == ()


def test_announcing_never_breaks_the_request() -> None:
    class Broken(Receiver):
        def send(self, url: str, body: bytes, headers: dict[str, str]) -> int:
            raise RuntimeError("bug")

    world, hooks = wired(Broken())
    hooks.configure("demo", "clusters", ["https://a.example/hook"])
    assert execute(world).execution.state == State.SUCCEEDED


def test_without_webhooks_nothing_is_sent() -> None:
    receiver = Receiver()
    world, _ = wired(receiver)
    execute(world, {**GOOD, "number_of_clusters": 3})
    assert receiver.received == []


def test_a_failure_that_is_not_a_reason_code_is_recorded_as_send_failed() -> None:
    class Leaky(Receiver):
        def send(self, url: str, body: bytes, headers: dict[str, str]) -> int:
            raise WebhookSendError("Connection to 10.0.0.7 refused: secret-host.internal")

    world, hooks = wired(Leaky())
    hooks.configure("demo", "clusters", ["https://a.example/hook"])
    failed = execute(world).execution
    recorded = world.store.executions[("demo", failed.id)].deliveries
    assert [(d.status_code, d.error) for d in recorded] == [(None, "send_failed")] * 3
