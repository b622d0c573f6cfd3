"""Webhooks: signatures, configuration, and one signed delivery per execution end,
queued by the request that ended it and delivered from the queue."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from tests.support.apps import GOOD, OnFakes, with_demo_workflow
from tests.support.fake_queue import InMemoryDeliveryQueue
from workflows_api.domain.execution.delivery_attempts import DeliveryAttempt
from workflows_api.domain.execution.states import JobError, State
from workflows_api.domain.execution.webhook_deliveries import (
    NotADelivery,
    WebhookDelivery,
    delivery_message,
    parse_delivery_message,
)
from workflows_api.domain.execution.webhooks import (
    SIGNATURE_HEADER,
    signature,
    url_problem,
    verify_signature,
)
from workflows_api.service.errors import ServiceError, WebhookSendError
from workflows_api.service.execution_requests import ExecuteRequest, ExecuteResult
from workflows_api.service.webhooks import DEFAULT_ATTEMPTS, ENQUEUE_FAILED, Webhooks


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
    """Answers with the given statuses in turn (a send error for None), then 200."""

    def __init__(self, *answers: int | None) -> None:
        self.answers = list(answers)
        self.received: list[tuple[str, bytes, dict[str, str]]] = []

    def send(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        self.received.append((url, body, headers))
        answer = self.answers.pop(0) if self.answers else 200
        if answer is None:
            raise WebhookSendError("connection_failed")
        return answer


def wired(receiver: Receiver, outcome: Any = "succeeded") -> tuple[OnFakes, Webhooks]:
    world = with_demo_workflow(
        outcome,
        webhook_sender=receiver,
        webhook_payload=lambda e: {"id": e.id, "state": e.state.value},
    )
    return world, world.app.webhooks


def queue(world: OnFakes) -> InMemoryDeliveryQueue:
    return cast(InMemoryDeliveryQueue, world.app.delivery_queue)


def drain(world: OnFakes) -> int:
    return queue(world).drain(world.app.webhooks.deliver)


def execute(world: OnFakes, parameters: dict[str, Any] = GOOD) -> ExecuteResult:
    return world.app.admission.execute("demo", "clusters", ExecuteRequest(parameters))


def recorded(world: OnFakes, execution_id: str) -> tuple[DeliveryAttempt, ...]:
    return world.store.executions[("demo", execution_id)].deliveries


def test_ending_an_execution_queues_its_delivery_and_sends_nothing() -> None:
    receiver = Receiver()
    world, hooks = wired(receiver)
    hooks.configure("demo", "clusters", ["https://a.example/hook"])
    done = execute(world).execution
    assert done.state == State.SUCCEEDED
    # The request that ended the execution only queued: no receiver can hold it.
    assert receiver.received == []
    assert len(queue(world).messages) == 1
    assert recorded(world, done.id) == ()


def test_one_signed_delivery_per_execution_end() -> None:
    receiver = Receiver()
    world, hooks = wired(receiver)
    _, secret = hooks.configure("demo", "clusters", ["https://a.example/hook"])
    assert secret is not None
    done = execute(world).execution
    assert drain(world) == 1
    [(url, body, headers)] = receiver.received
    assert url == "https://a.example/hook"
    payload = json.loads(body)
    assert payload == {"id": done.id, "state": "succeeded", "event_id": payload["event_id"]}
    assert payload["event_id"].startswith("evt_")
    assert headers["Workflows-Delivery"] == payload["event_id"]
    now = int(world.clock.now.timestamp())
    assert verify_signature(secret, headers[SIGNATURE_HEADER], body, now)
    assert headers["Workflows-Event"] == "execution.succeeded"
    # Reading it again, or an identical request answered from cache, queues nothing more.
    world.app.queries.get("demo", done.id)
    execute(world)
    assert drain(world) == 0
    assert len(receiver.received) == 1
    [attempt] = recorded(world, done.id)
    assert (attempt.attempt, attempt.status_code, attempt.error) == (1, 200, None)
    assert attempt.event_id == payload["event_id"] and not attempt.dead_lettered


def test_a_failing_receiver_is_retried_by_the_queue_and_every_attempt_recorded() -> None:
    receiver = Receiver(500, None)
    world, hooks = wired(receiver, outcome=JobError("invalidQuery", "boom", "query"))
    hooks.configure("demo", "clusters", ["https://a.example/hook"])
    failed = execute(world).execution
    assert drain(world) == 3
    attempts = recorded(world, failed.id)
    assert [(d.attempt, d.status_code, d.error, d.delivered) for d in attempts] == [
        (1, 500, "http_500", False),
        (2, None, "connection_failed", False),
        (3, 200, None, True),
    ]
    # Every attempt sends the same bytes under the same event id.
    assert len({h["Workflows-Delivery"] for _, _, h in receiver.received}) == 1
    assert len({body for _, body, _ in receiver.received}) == 1


def test_after_the_last_attempt_the_delivery_is_dead_lettered() -> None:
    receiver = Receiver(*([503] * 20))
    world, hooks = wired(receiver)
    hooks.configure("demo", "clusters", ["https://a.example/hook"])
    done = execute(world).execution
    assert drain(world) == DEFAULT_ATTEMPTS
    attempts = recorded(world, done.id)
    assert [d.attempt for d in attempts] == list(range(1, DEFAULT_ATTEMPTS + 1))
    assert [d.dead_lettered for d in attempts] == [False] * (DEFAULT_ATTEMPTS - 1) + [True]
    assert attempts[-1].error == "http_503"
    assert queue(world).messages == []  # acknowledged: Pub/Sub stops
    # A late redelivery of a settled delivery sends nothing.
    [delivery] = world.app.webhooks.announce(world.app.queries.get("demo", done.id))
    world.app.webhooks.deliver(delivery, 1)
    assert len(receiver.received) == DEFAULT_ATTEMPTS


def test_the_attempt_number_counts_what_is_recorded_and_what_the_queue_says() -> None:
    receiver = Receiver(500, 500)
    world, hooks = wired(receiver)
    hooks.configure("demo", "clusters", ["https://a.example/hook"])
    done = execute(world).execution
    [message] = queue(world).messages
    delivery = parse_delivery_message(message.data)
    # A process that crashed before acknowledging: the attempt it recorded counts.
    with pytest.raises(Exception, match="attempt 1"):
        world.app.webhooks.deliver(delivery, 1)
    with pytest.raises(Exception, match="attempt 2"):
        world.app.webhooks.deliver(delivery, 1)
    # Pub/Sub's own count (deliveryAttempt), when higher, wins.
    world.app.webhooks.deliver(delivery, DEFAULT_ATTEMPTS)
    assert [d.attempt for d in recorded(world, done.id)] == [1, 2, DEFAULT_ATTEMPTS]


def test_event_ids_differ_per_url_and_per_execution() -> None:
    receiver = Receiver()
    world, hooks = wired(receiver)
    hooks.configure("demo", "clusters", ["https://a.example/hook", "https://b.example/hook"])
    execute(world)
    execute(world, {**GOOD, "number_of_clusters": 3})
    assert drain(world) == 4
    ids = [h["Workflows-Delivery"] for _, _, h in receiver.received]
    assert len(set(ids)) == 4
    assert [json.loads(body)["event_id"] for _, body, _ in receiver.received] == ids


def test_a_queue_that_refuses_never_breaks_the_request_and_is_recorded() -> None:
    world, hooks = wired(Receiver())
    hooks.configure("demo", "clusters", ["https://a.example/hook"])
    queue(world).refuse = True
    done = execute(world).execution
    assert done.state == State.SUCCEEDED
    [attempt] = recorded(world, done.id)
    assert (attempt.attempt, attempt.error, attempt.dead_lettered) == (0, ENQUEUE_FAILED, True)


def test_cancel_is_announced() -> None:
    receiver = Receiver()
    world, hooks = wired(receiver, outcome="running")
    hooks.configure("demo", "clusters", ["https://a.example/hook"])
    running = execute(world).execution
    assert drain(world) == 0
    world.app.queries.cancel("demo", running.id)
    drain(world)
    assert [h["Workflows-Event"] for _, _, h in receiver.received] == ["execution.cancelled"]


def test_removed_webhooks_or_expired_executions_are_not_sent() -> None:
    receiver = Receiver()
    world, hooks = wired(receiver)
    hooks.configure("demo", "clusters", ["https://a.example/hook"])
    first = execute(world).execution
    execute(world, {**GOOD, "number_of_clusters": 3})
    world.store.delete_execution("demo", first.id)
    assert drain(world) == 2
    assert len(receiver.received) == 1  # the deleted execution's delivery is dropped
    execute(world, {**GOOD, "number_of_clusters": 4})
    hooks.remove("demo", "clusters")
    assert drain(world) == 1 and len(receiver.received) == 1


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


def test_without_webhooks_nothing_is_queued() -> None:
    receiver = Receiver()
    world, _ = wired(receiver)
    execute(world, {**GOOD, "number_of_clusters": 3})
    assert queue(world).messages == [] and receiver.received == []


def test_delivery_messages_round_trip_and_refuse_what_they_are_not() -> None:
    delivery = WebhookDelivery("o", "w", "e", "https://x", "evt_1", "failed", b"\x00{}")
    assert parse_delivery_message(delivery_message(delivery)) == delivery
    assert delivery.event == "execution.failed"
    for bad in (b"not json", b"[]", b'{"org": "o"}', b"\xff"):
        with pytest.raises(NotADelivery):
            parse_delivery_message(bad)
    fields = json.loads(delivery_message(delivery))
    with pytest.raises(NotADelivery, match="base64"):
        parse_delivery_message(json.dumps({**fields, "body": "%%%"}).encode())


def test_a_failure_that_is_not_a_reason_code_is_recorded_as_send_failed() -> None:
    from workflows_api.service.webhooks import failure_reason

    assert failure_reason(WebhookSendError("timeout")) == "timeout"
    leaky = WebhookSendError("Connection to 10.0.0.7 refused: secret-host.internal")
    assert failure_reason(leaky) == "send_failed"
