"""The peer `make bench-peers` measures against: a Prefect server (pinned) on SQLite.

Prefect is installed into a virtual environment of its own, outside the project's
(`$XDG_CACHE_HOME/wfapi-bench-peers/prefect-<version>/`, or `~/.cache/...`), once, and
reused. Its server runs on a free port with a fresh SQLite file, analytics and UI off,
its background services on as `prefect server start` has them. The demo workflow's
deployment is made over the REST API (a flow, then a deployment whose
`parameter_openapi_schema` is the JSON Schema our API publishes for the demo's parameters,
with `enforce_parameter_schema`), so nothing of Prefect is imported here: both servers are
called over HTTP with the same client (requests, as `make bench` calls ours).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from devstack import emulators

PREFECT_VERSION = "3.9.1"
HEALTH_TIMEOUT = 180  # seconds: the first start runs the database migrations
CLIENT_RETRY_CODES = frozenset({429, 502, 503})  # what Prefect's client retries by default
CLIENT_MAX_RETRIES = 5  # PREFECT_CLIENT_MAX_RETRIES' default


def venv_dir(version: str = PREFECT_VERSION) -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "wfapi-bench-peers" / f"prefect-{version}"


def install(version: str = PREFECT_VERSION) -> Path:
    """The `prefect` command of the pinned version's own virtual environment, made (a
    minute or two, from PyPI) unless an earlier run already made it."""
    home = venv_dir(version)
    prefect, marker = home / "bin" / "prefect", home / ".installed"
    if marker.exists() and prefect.exists():
        return prefect
    python = shutil.which("python3.11") or sys.executable
    print(f"Installing prefect=={version} into {home} (first run only)...", file=sys.stderr)
    subprocess.run([python, "-m", "venv", "--clear", str(home)], check=True)
    # Outside the checkout and without its PYTHONPATH: pip sees only the new environment.
    alone = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    pip = [str(home / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    command = [*pip, "--disable-pip-version-check", f"prefect=={version}"]
    subprocess.run(command, check=True, cwd=home, env=alone)
    marker.touch()
    return prefect


@dataclass
class PrefectServer:
    process: emulators.ManagedProcess
    api: str  # http://127.0.0.1:<port>/api

    def wait_healthy(self) -> None:
        health = f"{self.api}/health"
        emulators.wait_until(lambda: emulators.http_ok(health), self.process, HEALTH_TIMEOUT)

    def stop(self) -> None:
        self.process.stop()

    def version(self) -> str:
        """The version the running server reports."""
        answer = requests.get(f"{self.api}/admin/version", timeout=60)
        answer.raise_for_status()
        return str(answer.json())


def start_server(prefect: Path, log_dir: Path, *, services: bool = True) -> PrefectServer:
    """`prefect server start` on a free port and a fresh SQLite file, with its background
    services unless told (`--no-services`); not waited for."""
    home = log_dir / "prefect-home"
    home.mkdir(parents=True, exist_ok=True)
    port = emulators.free_port()
    env = {
        "PREFECT_HOME": str(home),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PYTHONPATH": "",  # its own environment's packages only, not the project's
    }
    command = [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    if not services:
        command.append("--no-services")
    process = emulators.start_process("Prefect server", command, log_dir / "prefect.log", env)
    return PrefectServer(process, f"http://127.0.0.1:{port}/api")


def retried(send: Callable[[], requests.Response]) -> tuple[requests.Response, int]:
    """`send`'s answer, a 429, 502 or 503 retried as Prefect's client does; how many times."""
    for attempt in range(1, CLIENT_MAX_RETRIES + 1):
        response = send()
        if response.status_code not in CLIENT_RETRY_CODES:
            return response, attempt - 1
        time.sleep(2**attempt)  # no Retry-After from the server: the client's backoff
    return send(), CLIENT_MAX_RETRIES


class Prefect:
    """One deployment on a running Prefect server, called over its REST API. `created`,
    `read_run` and `refused` retry a 429, 502 or 503 as Prefect's own client does (after
    2, 4, 8... s, up to 5 times: the server sends 503 when SQLite is locked) and count the
    retries; `create_run` gives the first answer as it came."""

    def __init__(self, api: str, deployment_id: str) -> None:
        self.api = api
        self.deployment_id = deployment_id
        self.http = requests.Session()
        self.retries = 0

    def create_run(
        self,
        parameters: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        session: requests.Session | None = None,  # one per thread
    ) -> requests.Response:
        """POST create_flow_run (201 new, 200 replay, 409 refused, 503 SQLite locked)."""
        body: dict[str, Any] = {"parameters": parameters}
        if idempotency_key is not None:
            body["idempotency_key"] = idempotency_key
        url = f"{self.api}/deployments/{self.deployment_id}/create_flow_run"
        return (session or self.http).post(url, json=body, timeout=60)

    def retried(self, send: Callable[[], requests.Response]) -> requests.Response:
        response, retries = retried(send)
        self.retries += retries
        return response

    def created(self, parameters: dict[str, Any], idempotency_key: str | None = None) -> str:
        response = self.retried(
            lambda: self.create_run(parameters, idempotency_key=idempotency_key)
        )
        response.raise_for_status()
        return str(response.json()["id"])

    def refused(self, parameters: dict[str, Any]) -> int:
        """The status a creation of `parameters` finally got (409: refused by the schema)."""
        return self.retried(lambda: self.create_run(parameters)).status_code

    def read_run(self, run_id: str) -> dict[str, Any]:
        url = f"{self.api}/flow_runs/{run_id}"
        response = self.retried(lambda: self.http.get(url, timeout=60))
        response.raise_for_status()
        return dict(response.json())

    def completed_run(self, parameters: dict[str, Any]) -> str:
        """A run created and then set Completed (forced: no worker ever runs it)."""
        run_id = self.created(parameters)
        state = {"state": {"type": "COMPLETED", "name": "Completed"}, "force": True}
        url = f"{self.api}/flow_runs/{run_id}/set_state"
        self.retried(lambda: self.http.post(url, json=state, timeout=60)).raise_for_status()
        assert self.read_run(run_id)["state"]["type"] == "COMPLETED"
        return run_id


def deploy(server: PrefectServer, name: str, parameters_schema: dict[str, Any]) -> Prefect:
    """Flow `name` and a deployment of it that validates every run's parameters against
    `parameters_schema` (Prefect's validator is JSON Schema 2020-12, as ours publishes)."""
    server.wait_healthy()
    http = requests.Session()
    flow, _ = retried(lambda: http.post(f"{server.api}/flows/", json={"name": name}, timeout=60))
    flow.raise_for_status()
    deployment = {
        "name": f"{name}-bench",
        "flow_id": flow.json()["id"],
        "enforce_parameter_schema": True,
        "parameter_openapi_schema": parameters_schema,
    }
    url = f"{server.api}/deployments/"
    created, _ = retried(lambda: http.post(url, json=deployment, timeout=60))
    created.raise_for_status()
    return Prefect(server.api, str(created.json()["id"]))
