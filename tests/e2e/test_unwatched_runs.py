"""Executions nobody watches end as deployed: BigQuery's job-completion log entries
(published on the local stack by Cloud Logging's stand-in, devstack/completion_events.py,
to the completion topic pushed to `bigquery_job_completed`) end them, and their
webhooks are delivered, with no status read.

No test here calls GET /v1/executions/{id} before the end it checks (that read
reconciles with BigQuery); they watch the listing, GET /v1/workflows/{id}/executions,
which only reads Firestore: the first test shows that it ends nothing.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from google.api_core import exceptions as api_exceptions
from google.cloud import bigquery

from devstack import emulators, pubsub
from devstack.emulators import Emulators
from tests.e2e.helpers import DEMO_DEFINITION, SEED_VALUES, Stack, execute, new_workflow
from workflows_api.bootstrap import App
from workflows_api.domain.execution.webhooks import SIGNATURE_HEADER, verify_signature
from workflows_api.service.errors import BackendUnavailable
from workflows_api.service.execution_requests import ExecuteRequest

pytestmark = pytest.mark.e2e

TERMINAL = {"succeeded", "failed", "cancelled"}
# Minutes of DuckDB work: it ends only when cancelled.
ENDLESS_SQL = (
    "SELECT @tag AS tag, SUM(MOD(a * b, 7)) AS work "
    "FROM UNNEST(GENERATE_ARRAY(1, 200000)) AS a CROSS JOIN UNNEST(GENERATE_ARRAY(1, 200000)) AS b"
)
ENDLESS_DEFINITION: dict[str, Any] = {
    "parameters": [{"name": "tag", "type": "STRING"}],
    "nodes": [
        {"id": "stores", "type": "read_table", "settings": {"table": "retail.stores"}},
        {
            "id": "work",
            "type": "custom_sql",
            "inputs": ["stores"],
            "settings": {"sql": ENDLESS_SQL},
        },
        {"id": "out", "type": "output", "inputs": ["work"]},
    ],
}


class Receiver:
    """A webhook receiver on loopback, over plain HTTP: records every POST, answers 204."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((body, dict(self.headers.items())))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.1)

    def stop(self) -> None:
        self._server.shutdown()


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made = [Receiver(), Receiver()]
    yield made
    for receiver in made:
        receiver.stop()


@pytest.fixture(scope="module")
def trigger_topic(emulators_running: Emulators, stack: Stack, stack_log_dir: Path) -> Iterator[str]:
    """A topic bound to org demo, pushed to the `pubsub_trigger` function (as make run)."""
    host = emulators_running.pubsub_host
    topic = pubsub.create_topic(
        host, emulators_running.project, f"unwatched-{uuid.uuid4().hex[:8]}"
    )
    port = emulators.free_port()
    env = {
        **emulators_running.env(),
        "WFAPI_PUBSUB_TOPICS": json.dumps({topic: "demo"}),
        "WFAPI_WEBHOOKS_ALLOW_HTTP": "1",
    }
    function = emulators.start_cloudevent_function("pubsub_trigger", port, env, stack_log_dir)
    pubsub.create_push_subscription(
        host,
        emulators_running.project,
        f"unwatched-push-{uuid.uuid4().hex[:8]}",
        topic,
        f"http://127.0.0.1:{port}/{topic}",
    )
    yield topic
    function.stop()


def configure(http: requests.Session, stack: Stack, workflow_id: str, urls: list[str]) -> str:
    answer = http.put(
        stack.url(f"/v1/workflows/{workflow_id}/webhooks"),
        json={"urls": urls},
        headers=stack.headers(),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["secret"])


def listing(http: requests.Session, stack: Stack, workflow_id: str) -> list[dict[str, Any]]:
    response = http.get(
        stack.url(f"/v1/workflows/{workflow_id}/executions"), headers=stack.headers(), timeout=60
    )
    assert response.status_code == 200, response.text
    executions: list[dict[str, Any]] = response.json()["executions"]
    return executions


def listed_until_terminal(
    http: requests.Session, stack: Stack, workflow_id: str, timeout: float = 180
) -> dict[str, Any]:
    """The workflow's one execution, from the listing only, once it is terminal."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        executions = listing(http, stack, workflow_id)
        if executions and executions[0]["state"] in TERMINAL:
            assert len(executions) == 1, executions
            return executions[0]
        time.sleep(0.2)
    raise AssertionError(
        f"{workflow_id}'s execution did not end: {listing(http, stack, workflow_id)}"
    )


def completion_log(log_dir: Path, execution_id: str) -> list[dict[str, Any]]:
    """What `bigquery_job_completed` logged about the execution (its JSON lines)."""
    found = []
    for path in log_dir.rglob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            line = line.strip("\0")
            if execution_id not in line or "BigQuery job event" not in line:
                continue
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


def until_logged(log_dir: Path, execution_id: str, timeout: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = completion_log(log_dir, execution_id)
        if found:
            return found
        time.sleep(0.2)
    return []


def test_the_listing_reconciles_nothing(
    http: requests.Session, stack: Stack, bq_client: bigquery.Client
) -> None:
    """An execution whose job was never submitted (BigQuery unreachable when it was
    accepted) stays as recorded however often it is listed; a status read would submit
    it (shown last, so the check is known to be able to fail)."""
    workflow_id = new_workflow(http, stack)
    offline = App(stack.settings)

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise BackendUnavailable("bigquery", "unreachable (test)")

    offline.warehouse.submit_query = unreachable  # type: ignore[method-assign]
    request = ExecuteRequest(SEED_VALUES, cache=False)
    execution = offline.admission.execute("demo", workflow_id, request).execution
    before = stack.app.store.get_execution("demo", execution.id)
    for _ in range(3):
        [listed] = listing(http, stack, workflow_id)
        assert (listed["id"], listed["state"]) == (execution.id, "created")
        time.sleep(0.3)
    assert stack.app.store.get_execution("demo", execution.id) == before
    with pytest.raises(api_exceptions.NotFound):
        bq_client.get_job(execution.bigquery_job_id)

    read = http.get(
        stack.url(f"/v1/executions/{execution.id}"), headers=stack.headers(), timeout=60
    )
    assert read.status_code == 200, read.text
    assert bq_client.get_job(execution.bigquery_job_id).job_id == execution.bigquery_job_id


def test_a_pubsub_run_ends_and_is_announced_with_nobody_polling(
    http: requests.Session,
    stack: Stack,
    trigger_topic: str,
    receivers: list[Receiver],
    emulators_running: Emulators,
    stack_log_dir: Path,
) -> None:
    workflow_id = new_workflow(http, stack, DEMO_DEFINITION)
    secret = configure(http, stack, workflow_id, [r.url for r in receivers])
    pubsub.publish(
        emulators_running.pubsub_host,
        trigger_topic,
        {"workflow": workflow_id, "parameters": SEED_VALUES, "cache": False},
    )
    done = listed_until_terminal(http, stack, workflow_id)
    assert done["state"] == "succeeded", done

    for receiver in receivers:
        receiver.wait_for(1)
    time.sleep(2)  # nothing more arrives
    for receiver in receivers:
        [(body, headers)] = receiver.received  # exactly once per URL
        assert verify_signature(secret, headers[SIGNATURE_HEADER], body, int(time.time()))
        assert headers["Workflows-Event"] == "execution.succeeded"
        assert json.loads(body)["id"] == done["id"]
        assert json.loads(body)["state"] == "succeeded"

    # The completion event ended it (nobody read its status; no sweep runs here).
    applied = [
        entry
        for entry in until_logged(stack_log_dir, done["id"])
        if entry["message"].startswith("BigQuery job event applied")
    ]
    assert [entry["state"] for entry in applied] == ["succeeded"], applied


def test_a_cancel_through_the_api_is_announced_once_and_its_job_event_changes_nothing(
    http: requests.Session, stack: Stack, receivers: list[Receiver], stack_log_dir: Path
) -> None:
    """The cancel API records `cancelled` itself (lifecycle.cancel); the job's own end,
    reported afterwards by its completion event, leaves the execution as it was."""
    workflow_id = new_workflow(http, stack, ENDLESS_DEFINITION)
    configure(http, stack, workflow_id, [receivers[0].url])
    started = execute(http, stack, workflow_id, {"tag": uuid.uuid4().hex}, cache=False).json()
    cancel = http.post(
        stack.url(f"/v1/executions/{started['id']}/cancel"), headers=stack.headers(), timeout=60
    )
    assert cancel.status_code == 200, cancel.text
    recorded = cancel.json()
    assert recorded["state"] == "cancelled"

    logged = until_logged(stack_log_dir, started["id"])
    assert [entry["message"] for entry in logged] == [
        "BigQuery job event unchanged: the execution already ended"
    ], logged
    [listed] = listing(http, stack, workflow_id)
    assert (listed["state"], listed["ended_at"]) == ("cancelled", recorded["ended_at"])
    receivers[0].wait_for(1)
    time.sleep(1)
    [(_, headers)] = receivers[0].received
    assert headers["Workflows-Event"] == "execution.cancelled"


def test_a_job_cancelled_in_bigquery_ends_its_execution_cancelled_by_the_event(
    http: requests.Session,
    stack: Stack,
    bq_client: bigquery.Client,
    receivers: list[Receiver],
    stack_log_dir: Path,
) -> None:
    """Cancelled outside the API (bq cancel, the console): only the job's completion
    event can tell, and it does, with nobody reading the status."""
    workflow_id = new_workflow(http, stack, ENDLESS_DEFINITION)
    configure(http, stack, workflow_id, [receivers[0].url])
    started = execute(http, stack, workflow_id, {"tag": uuid.uuid4().hex}, cache=False).json()
    assert started["state"] in ("created", "running"), started
    bq_client.cancel_job(started["bigquery_job_id"], location="US")

    done = listed_until_terminal(http, stack, workflow_id, timeout=60)
    assert done["state"] == "cancelled", done
    applied = [
        entry
        for entry in until_logged(stack_log_dir, started["id"])
        if entry["message"].startswith("BigQuery job event applied")
    ]
    assert [entry["state"] for entry in applied] == ["cancelled"], applied
    receivers[0].wait_for(1)
    time.sleep(1)
    [(_, headers)] = receivers[0].received
    assert headers["Workflows-Event"] == "execution.cancelled"
