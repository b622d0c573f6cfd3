"""Signed webhook deliveries to a receiver on loopback, retried until it answers."""

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
from workflows_api.domain.webhooks import SIGNATURE_HEADER, verify_signature

pytestmark = pytest.mark.e2e


class Receiver:
    """Records every POST; answers 500 for the first `failures` of them."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[tuple[bytes, dict[str, str]]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((body, dict(self.headers.items())))
                failing = len(receiver.received) <= receiver.failures
                self.send_response(500 if failing else 204)
                self.end_headers()

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
