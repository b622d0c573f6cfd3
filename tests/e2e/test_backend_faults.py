"""A frozen backend never holds a request past 12 s, and nothing accepted is lost
(issue 13, item 5). The 12 s is the target; the tests allow twice it (BOUND_SECONDS).

Each emulator is frozen (SIGSTOP on its process group) and resumed (SIGCONT) while
requests arrive. This module starts emulators and a dev router of its own, so the
session's shared stack is never frozen.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from google.cloud import bigquery

from devstack import emulators
from devstack.demo import provision_demo
from devstack.emulators import Emulators, ManagedProcess
from devstack.seed import seed_demo_tables
from tests.conftest import TEST_PROJECT
from tests.e2e.helpers import Stack, new_workflow, poll
from workflows_api.adapters import clients
from workflows_api.bootstrap import App
from workflows_api.config import Settings

pytestmark = pytest.mark.e2e

# Fault bound, the one kind of wall-clock bound the suite keeps (issue 29): the target
# is an answer within 12 s of the freeze (the 10 s request deadline, then the answer);
# twice that, so a loaded 2-core CI cannot flake it, is still far from what a request
# with no deadline waits on a frozen backend (its client's 60 s timeout, or forever).
TARGET_SECONDS = 12.0
BOUND_SECONDS = 2 * TARGET_SECONDS
# Minutes of DuckDB work. The local BigQuery runs one job at a time, so a results
# query submitted meanwhile stays queued (BigQuery answers PENDING) until it is cancelled.
BLOCKER_SQL = (
    "SELECT SUM(MOD(a * b, 7)) AS n "
    "FROM UNNEST(GENERATE_ARRAY(1, 200000)) a CROSS JOIN UNNEST(GENERATE_ARRAY(1, 200000)) b"
)
# A light workflow (one read, no parameters): the emulator runs its jobs in moments,
# which keeps the module well under 90 s once its stack is up.
LIGHT_DEFINITION: dict[str, Any] = {
    "nodes": [
        {"id": "src", "type": "read_table", "settings": {"table": "retail.stores"}},
        {"id": "out", "type": "output", "inputs": ["src"]},
    ]
}


@pytest.fixture(scope="module")
def own_emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulators, Path]]:
    log_dir = tmp_path_factory.mktemp("fault-stack-logs")
    running = emulators.start_emulators(TEST_PROJECT, log_dir)
    try:
        yield running, log_dir
    finally:
        running.stop()


@pytest.fixture(scope="module")
def faulty(own_emulators: tuple[Emulators, Path]) -> Iterator[Stack]:
    """The local stack on this module's own emulators."""
    running, log_dir = own_emulators
    settings = Settings.from_env(running.env())
    seed_demo_tables(clients.bigquery_client(settings))
    info = provision_demo(settings)
    port = emulators.free_port()
    router = emulators.start_dev_router(port, running.env(), log_dir)
    try:
        stack = Stack(f"http://127.0.0.1:{port}", settings, info, App(settings))
        with requests.Session() as http:
            light = new_workflow(http, stack, LIGHT_DEFINITION)
        yield Stack(stack.base_url, settings, {**info, "workflow_id": light}, stack.app)
    finally:
        router.stop()


def _process(running: Emulators, name: str) -> ManagedProcess:
    return next(p for p in running.processes if p.name == name)


@contextmanager
def frozen(process: ManagedProcess) -> Iterator[None]:
    """The process group stopped for the block; always resumed."""
    os.killpg(process.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(process.process.pid, signal.SIGCONT)


def timed(call: Callable[[], requests.Response]) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _execute(http: requests.Session, stack: Stack) -> requests.Response:
    """A new execution each time (no cache)."""
    return http.post(
        stack.url(f"/v1/workflows/{stack.info['workflow_id']}/executions"),
        json={"parameters": {}, "cache": False},
        headers=stack.headers(),
        timeout=60,
    )


def _status(http: requests.Session, stack: Stack, execution_id: str) -> requests.Response:
    return http.get(
        stack.url(f"/v1/executions/{execution_id}"), headers=stack.headers(), timeout=60
    )


def _health(http: requests.Session, stack: Stack) -> requests.Response:
    return http.get(stack.url("/healthz"), timeout=60)


def _results(stack: Stack, execution_id: str) -> requests.Response:
    """The first page of an execution's rows (on a session of its own: thread-safe)."""
    with requests.Session() as http:
        return http.get(
            stack.url(f"/v1/executions/{execution_id}/results"),
            headers=stack.headers(),
            timeout=60,
        )


def _until_its_rows_query_waits(client: bigquery.Client, output_table: str) -> None:
    """Until BigQuery holds a results query of `output_table` that is not DONE: the
    results request is then waiting on it."""
    table = output_table.split(".")[-1]
    started = time.monotonic()
    while time.monotonic() - started < 60:
        for job in client.list_jobs(max_results=50):
            query = getattr(job, "query", None) or ""
            if table in query and "LIMIT @" in query and job.state != "DONE":
                return
        time.sleep(0.2)
    raise AssertionError("the results request never submitted its query")


def _assert_no_backend_text(response: requests.Response, running: Emulators) -> None:
    """A 503 names the backend, never the address or words of its client library."""
    for host in (running.bigquery_host, running.firestore_host):
        for part in (host, host.rsplit(":", 1)[-1]):
            assert part not in response.text, response.text
    assert "Timeout" not in response.text and "kept failing" not in response.text


def test_bigquery_frozen_execute_and_status_answer_in_time_and_nothing_is_lost(
    faulty: Stack, own_emulators: tuple[Emulators, Path]
) -> None:
    bigquery = _process(own_emulators[0], "BigQuery emulator")
    with requests.Session() as http, ThreadPoolExecutor(4) as pool:
        # Warm up the router (clients, token cache) on Firestore only.
        assert _status(http, faulty, "0" * 32).status_code == 404

        with frozen(bigquery):
            first, second = pool.map(lambda _: timed(lambda: _execute(http, faulty)), (1, 2))
            accepted = [first[0].json(), second[0].json()]
            read_and_health = [
                pool.submit(timed, lambda: _status(http, faulty, accepted[0]["id"])),
                pool.submit(timed, lambda: _health(http, faulty)),
            ]
            (status, status_seconds), (health, health_seconds) = (
                f.result() for f in read_and_health
            )

        for response, seconds in (first, second):
            assert response.status_code == 202, response.text
            assert response.json()["state"] == "created"
            assert seconds <= BOUND_SECONDS, seconds
        assert status.status_code == 200, status.text
        assert status.json()["state"] == "created"
        assert status_seconds <= BOUND_SECONDS, status_seconds
        assert health.status_code == 503, health.text
        assert health.json()["backends"]["bigquery"]["ok"] is False
        assert health.json()["backends"]["firestore"]["ok"] is True
        assert health_seconds <= BOUND_SECONDS, health_seconds

        # BigQuery is back: the sweep (without waiting for its minimum age) submits
        # what is still `created` (or finds the submission that landed after all); then
        # every accepted execution succeeds.
        report = faulty.app.sweep.sweep(older_than=dt.timedelta(0))
        assert report.found >= 1 and report.left == 0, report
        swept = faulty.app.store.get_execution("demo", accepted[1]["id"])
        # BigQuery reported its job (pending, running or done): the sweep reconciled it.
        assert swept is not None and swept.reconciled_at is not None
        for execution in accepted:
            done = poll(http, faulty, execution["id"], timeout=120)
            assert done["state"] == "succeeded", done


def test_firestore_frozen_is_a_503_with_retry_after_in_time(
    faulty: Stack, own_emulators: tuple[Emulators, Path]
) -> None:
    firestore = _process(own_emulators[0], "Firestore emulator")
    with requests.Session() as http, ThreadPoolExecutor(2) as pool:
        assert _status(http, faulty, "0" * 32).status_code == 404
        with frozen(firestore):
            answers: list[Any] = list(
                pool.map(
                    timed,
                    (lambda: _execute(http, faulty), lambda: _status(http, faulty, "1" * 32)),
                )
            )
        for response, seconds in answers:
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"].isdigit()
            assert response.json()["error"]["code"] == "backend_unavailable"
            assert response.json()["error"]["message"] == (
                f"firestore is unavailable; retry after {response.headers['Retry-After']} seconds."
            )
            _assert_no_backend_text(response, own_emulators[0])
            assert seconds <= BOUND_SECONDS, seconds

        # Firestore is back: the service is too.
        again = _execute(http, faulty)
        assert again.status_code in (200, 202), again.text
        assert poll(http, faulty, again.json()["id"], timeout=120)["state"] == "succeeded"


def test_bigquery_frozen_while_results_wait_is_a_503_in_time_then_the_page_reads(
    faulty: Stack, own_emulators: tuple[Emulators, Path]
) -> None:
    bigquery_process = _process(own_emulators[0], "BigQuery emulator")
    client = clients.bigquery_client(faulty.settings)
    with requests.Session() as http, ThreadPoolExecutor(1) as pool:
        executed = _execute(http, faulty).json()
        assert poll(http, faulty, executed["id"], timeout=120)["state"] == "succeeded"
        blocker = client.query(BLOCKER_SQL, job_id=f"fault_{uuid.uuid4().hex}", job_retry=None)
        try:
            waiting = pool.submit(timed, lambda: _results(faulty, executed["id"]))
            # The request waits on a job BigQuery reports queued (not charged to its
            # deadline), then BigQuery freezes: the next poll goes unanswered.
            _until_its_rows_query_waits(client, executed["output_table"])
            with frozen(bigquery_process):
                frozen_at = time.monotonic()
                answer, _ = waiting.result(timeout=60)
                seconds = time.monotonic() - frozen_at
        finally:
            client.cancel_job(blocker.job_id)

        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"].isdigit()
        assert answer.json()["error"]["code"] == "backend_unavailable"
        assert answer.json()["error"]["message"].startswith("bigquery is unavailable")
        _assert_no_backend_text(answer, own_emulators[0])
        assert seconds <= BOUND_SECONDS, seconds

        # BigQuery answers again: the same request reads the page.
        again = _results(faulty, executed["id"])
        assert again.status_code == 200, again.text
        assert len(again.json()["rows"]) > 0
