"""Signed webhook deliveries to a receiver on loopback, queued on the Pub/Sub emulator
and sent by the `deliver_webhook` function: retried until the receiver answers,
dead-lettered when it never does, and never inside the API's requests."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.helpers import (
    BROKEN_DEFINITION,
    DEMO_DEFINITION,
    SEED_VALUES,
    Stack,
    execute,
    new_workflow,
    poll,
)
from workflows_api.domain.execution.webhooks import SIGNATURE_HEADER, verify_signature
from workflows_api.service.webhooks import DEFAULT_ATTEMPTS

pytestmark = pytest.mark.e2e


class Receiver:
    """Records every POST; answers 500 for the first `failures` of them. With
    `trickle`, the first answer is a 200 whose body comes one byte every half second
    (for a minute): `cut` is set when the sender hangs up on it."""

    def __init__(self, failures: int = 0, trickle: bool = False) -> None:
        self.failures = failures
        self.trickle = trickle
        self.cut = threading.Event()
        self.received: list[tuple[bytes, dict[str, str]]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((body, dict(self.headers.items())))
                if receiver.trickle and len(receiver.received) == 1:
                    self._trickle()
                    return
                failing = len(receiver.received) <= receiver.failures
                self.send_response(500 if failing else 204)
                self.end_headers()

            def _trickle(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                try:
                    for _ in range(120):
                        self.wfile.write(b".")
                        self.wfile.flush()
                        time.sleep(0.5)
                except OSError:
                    receiver.cut.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.2)

    def stop(self) -> None:
        self._server.shutdown()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.stop()


def configure(http: requests.Session, stack: Stack, workflow_id: str, url: str) -> str:
    answer = http.put(
        stack.url(f"/v1/workflows/{workflow_id}/webhooks"),
        json={"urls": [url]},
        headers=stack.headers(),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    secret = answer.json()["secret"]
    shown_again = http.get(
        stack.url(f"/v1/workflows/{workflow_id}/webhooks"), headers=stack.headers(), timeout=30
    ).json()
    assert shown_again["urls"] == [url] and "secret" not in shown_again
    return str(secret)


def test_one_correctly_signed_delivery_per_terminal_state(
    http: requests.Session, stack: Stack, receiver: Receiver
) -> None:
    workflow_id = new_workflow(http, stack)
    secret = configure(http, stack, workflow_id, receiver.url)
    done = poll(http, stack, execute(http, stack, workflow_id, SEED_VALUES).json()["id"])
    assert done["state"] == "succeeded"
    receiver.wait_for(1)
    time.sleep(1)  # nothing more arrives
    [(body, headers)] = receiver.received
    assert verify_signature(secret, headers[SIGNATURE_HEADER], body, int(time.time()))
    assert headers["Workflows-Event"] == "execution.succeeded"
    assert json.loads(body)["id"] == done["id"]
    status = poll(http, stack, done["id"])
    assert [(n["attempt"], n["status_code"]) for n in status["notifications"]] == [(1, 204)]


def test_a_failed_execution_is_announced_as_failed(
    http: requests.Session, stack: Stack, receiver: Receiver
) -> None:
    workflow_id = new_workflow(http, stack, BROKEN_DEFINITION)
    configure(http, stack, workflow_id, receiver.url)
    done = poll(http, stack, execute(http, stack, workflow_id, {}).json()["id"])
    assert done["state"] == "failed"
    receiver.wait_for(1)
    assert [h["Workflows-Event"] for _, h in receiver.received] == ["execution.failed"]


def test_a_receiver_failing_twice_gets_it_on_the_third_attempt(
    http: requests.Session, stack: Stack
) -> None:
    flaky = Receiver(failures=2)
    try:
        workflow_id = new_workflow(http, stack, DEMO_DEFINITION)
        secret = configure(http, stack, workflow_id, flaky.url)
        started = execute(http, stack, workflow_id, {**SEED_VALUES, "store_type": "Organic"})
        done = poll(http, stack, started.json()["id"])
        flaky.wait_for(3)
        assert len(flaky.received) == 3
        assert len({h["Workflows-Delivery"] for _, h in flaky.received}) == 1  # one delivery
        body, headers = flaky.received[-1]
        assert verify_signature(secret, headers[SIGNATURE_HEADER], body, int(time.time()))
        status = poll(http, stack, done["id"])
        assert [(n["attempt"], n["status_code"]) for n in status["notifications"]] == [
            (1, 500),
            (2, 500),
            (3, 204),
        ]
    finally:
        flaky.stop()


def notifications(http: requests.Session, stack: Stack, execution_id: str) -> list[Any]:
    answer = http.get(
        stack.url(f"/v1/executions/{execution_id}"), headers=stack.headers(), timeout=30
    )
    assert answer.status_code == 200, answer.text
    found: list[Any] = answer.json()["notifications"]
    return found


def wait_for_notifications(
    http: requests.Session, stack: Stack, execution_id: str, settled: Any, timeout: float = 90
) -> list[Any]:
    """The execution's notifications once `settled(notifications)` holds."""
    deadline = time.monotonic() + timeout
    while True:
        found = notifications(http, stack, execution_id)
        if settled(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_each_delivery_has_its_own_event_id_in_the_body_and_a_header(
    http: requests.Session, stack: Stack
) -> None:
    first, second = Receiver(), Receiver()
    try:
        workflow_id = new_workflow(http, stack)
        answer = http.put(
            stack.url(f"/v1/workflows/{workflow_id}/webhooks"),
            json={"urls": [first.url, second.url]},
            headers=stack.headers(),
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        secret = answer.json()["secret"]
        ids: list[str] = []
        for stores in ("Organic", "Supermarket"):
            started = execute(http, stack, workflow_id, {**SEED_VALUES, "store_type": stores})
            done = poll(http, stack, started.json()["id"])
            assert done["state"] == "succeeded"
            first.wait_for(len(ids) // 2 + 1)
            second.wait_for(len(ids) // 2 + 1)
            ids += [h["Workflows-Delivery"] for _, h in first.received[-1:] + second.received[-1:]]
        assert len(ids) == len(set(ids)) == 4
        for body, headers in first.received + second.received:
            assert json.loads(body)["event_id"] == headers["Workflows-Delivery"]
            assert verify_signature(secret, headers[SIGNATURE_HEADER], body, int(time.time()))
    finally:
        first.stop()
        second.stop()


def test_a_trickling_receiver_holds_no_request_and_is_cut_off_at_the_deadline(
    http: requests.Session, stack: Stack
) -> None:
    hostile = Receiver(trickle=True)
    try:
        workflow_id = new_workflow(http, stack)
        configure(http, stack, workflow_id, hostile.url)
        done = poll(http, stack, execute(http, stack, workflow_id, SEED_VALUES).json()["id"])
        assert done["state"] == "succeeded"
        # The status read that ended the execution answered before the sender gave up
        # on the trickle: it did not wait for the receiver (a delivery made inside that
        # request would have held it past the attempt's deadline).
        assert not hostile.cut.is_set()
        hostile.wait_for(1)
        assert hostile.received, "the delivery never arrived"
        # The attempt's total deadline cuts the trickle; the queue retries.
        assert hostile.cut.wait(60), "the sender never gave up on a trickling receiver"
        found = wait_for_notifications(
            http, stack, done["id"], lambda found: any(n["status_code"] == 204 for n in found)
        )
        assert [(n["attempt"], n["status_code"], n["error"]) for n in found] == [
            (1, None, "timeout"),
            (2, 204, None),
        ]
    finally:
        hostile.stop()


def test_a_receiver_that_always_fails_ends_dead_lettered_with_a_reason(
    http: requests.Session, stack: Stack
) -> None:
    failing = Receiver(failures=1000)
    try:
        workflow_id = new_workflow(http, stack)
        configure(http, stack, workflow_id, failing.url)
        done = poll(http, stack, execute(http, stack, workflow_id, SEED_VALUES).json()["id"])
        found = wait_for_notifications(
            http, stack, done["id"], lambda found: any(n["dead_lettered"] for n in found), 120
        )
        assert [n["attempt"] for n in found] == list(range(1, DEFAULT_ATTEMPTS + 1))
        assert [n["dead_lettered"] for n in found] == [False] * (DEFAULT_ATTEMPTS - 1) + [True]
        assert {n["error"] for n in found} == {"http_500"}
        assert len({n["event_id"] for n in found}) == 1
        time.sleep(3)  # acknowledged: no attempt after the last
        assert len(failing.received) == DEFAULT_ATTEMPTS
    finally:
        failing.stop()
