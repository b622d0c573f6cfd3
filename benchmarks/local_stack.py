"""The local stack the benchmarks measure, and the client they measure it through.

`running_stack` starts the emulators and the dev router on free ports exactly as the e2e
tests do (devstack), seeds and provisions the demo, and the completion function;
`Bench` calls it over HTTP and reaches its backends directly (the floors' calls).
Shared by `make bench` (bench.py, honest_floors.py), `make bench-peers` (peers.py) and
`make bench-fairness` (fairness.py).
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from google.api_core.exceptions import NotFound

from devstack import emulators
from devstack.demo import provision_demo
from devstack.pushed_function import start_completion_function
from devstack.seed import seed_demo_tables
from workflows_api.adapters import clients
from workflows_api.config import Settings

PROJECT = "workflows-bench"


def concurrently(call: Callable[[], object], calls: int) -> list[float]:
    """Seconds each of `calls` simultaneous calls took."""

    def one(_: int) -> float:
        started = time.perf_counter()
        call()
        return time.perf_counter() - started

    with ThreadPoolExecutor(calls) as pool:
        return list(pool.map(one, range(calls)))


class Bench:
    def __init__(self, base_url: str, settings: Settings, info: dict[str, Any]) -> None:
        self.base = base_url
        self.settings = settings
        self.token = str(info["token"])
        self.http = requests.Session()
        self.headers = {"Authorization": f"Bearer {self.token}"}
        self.bigquery = clients.bigquery_client(settings)
        self.firestore = clients.firestore_client(settings)

    def execute(
        self,
        workflow: str,
        parameters: dict[str, Any],
        *,
        session: requests.Session | None = None,  # one per thread (`concurrently`)
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        response = self.post_execute(workflow, parameters, session=session, headers=headers)
        response.raise_for_status()
        return dict(response.json())

    def post_execute(
        self,
        workflow: str,
        parameters: dict[str, Any],
        *,
        session: requests.Session | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """The answer as it came, refusals included."""
        return (session or self.http).post(
            f"{self.base}/v1/workflows/{workflow}/executions",
            json={"parameters": parameters},
            headers={**self.headers, **(headers or {})},
            timeout=60,
        )

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = self.http.get(f"{self.base}{path}", headers=self.headers, params=params)
        response.raise_for_status()
        return dict(response.json())

    def cancel(self, execution_id: str) -> None:
        url = f"{self.base}/v1/executions/{execution_id}/cancel"
        self.http.post(url, headers=self.headers, timeout=60)  # 409 once it ended: fine

    def execute_cancel_and_wait(self, execution_id: str, timeout: float = 120) -> str:
        """Cancel the execution and wait until its BigQuery job (if any) is DONE; its
        state. Outside any timing: no job is left running while the next call is timed."""
        self.cancel(execution_id)
        body = self.get(f"/v1/executions/{execution_id}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                job = self.bigquery.get_job(body["bigquery_job_id"])
            except NotFound:
                break  # never submitted (queued): nothing runs
            if job.state == "DONE":
                break
            time.sleep(0.05)
        return str(body["state"])

    def finished(self, execution_id: str, timeout: float = 300) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            body = self.get(f"/v1/executions/{execution_id}")
            if body["state"] in ("succeeded", "failed", "cancelled"):
                return body
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {execution_id} still {body['state']}")
            time.sleep(0.5)

    # --- floors ---------------------------------------------------------------------

    def firestore_read(self) -> None:
        self.firestore.collection("bench").document("floor").get()

    def firestore_create(self) -> None:
        self.firestore.collection("bench").document(uuid.uuid4().hex).create({"n": 1})

    def jobs_insert(self) -> None:
        self.bigquery.query("SELECT 1", job_id=f"bench_{uuid.uuid4().hex}", job_retry=None)


@contextmanager
def running_stack(
    log_dir: Path, project: str = PROJECT
) -> Iterator[tuple[str, Settings, dict[str, Any], emulators.Emulators]]:
    """The emulators and the dev router on free ports, as the e2e tests start them, the
    demo seeded and provisioned, and the completion function; all stopped on exit. Yields
    the router's URL, the settings, the demo's provisioning info and the emulators."""
    print(f"Starting the local stack (logs in {log_dir})...", file=sys.stderr)
    running = emulators.start_emulators(project, log_dir)
    router = completions = None
    try:
        settings = Settings.from_env(running.env())
        seed_demo_tables(clients.bigquery_client(settings))
        info = provision_demo(settings)
        port = emulators.free_port()
        router = emulators.start_dev_router(port, running.env(), log_dir)
        completions = start_completion_function(
            running.pubsub_host, project, running.env(), log_dir
        ).function
        yield f"http://127.0.0.1:{port}", settings, info, running
    finally:
        if router is not None:
            router.stop()
        if completions is not None:
            completions.stop()
        running.stop()


@contextmanager
def local_stack(log_dir: Path) -> Iterator[tuple[Bench, emulators.Emulators]]:
    """`running_stack`, measured through a Bench."""
    with running_stack(log_dir) as (url, settings, info, running):
        yield Bench(url, settings, info), running
