"""Each function imports only what it serves (cold start): a fresh process imports
functions/main.py, serves one request through one function against the local stack,
and says which modules it loaded by then.

The compiler and sqlglot load only where definitions are compiled, YAML only where
one is read, Secret Manager only where webhooks are signed, pydantic's model machinery
not in `status` (its answers are plain data) nor in the native `execute` (its body and
the stored execution signature are read with pydantic-core alone).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.demo import WORKFLOW_ID
from devstack.emulators import Emulators
from tests.e2e.helpers import SEED_VALUES, Stack, execute, poll

pytestmark = pytest.mark.e2e

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
_SERVE_ONE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import main
from flask import Request
from werkzeug.test import EnvironBuilder
function, method, path, token, body = sys.argv[2:7]
builder = EnvironBuilder(
    method=method, path=path, data=body or None,
    headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"},
)
response = getattr(main, function)(Request(builder.get_environ()))
print(json.dumps({"status": response.status_code, "modules": sorted(sys.modules)}))
"""
# Never in any HTTP function serving these requests.
COMPILING = (
    "sqlglot",
    "yaml",
    "workflows_api.domain.workflow.compiler",
    "workflows_api.domain.workflow.model",
)
SECRETS = ("google.cloud.secretmanager",)
# The rarer paths' records, which the composite store's mixins load with their first read,
# and google.oauth2's user credentials (the local runtime identity is a fixed token).
RARER_PATHS = (
    "workflows_api.domain.schedules",
    "workflows_api.domain.execution.records",
    "workflows_api.domain.execution.webhooks",
    "google.oauth2.credentials",
)
# Handler modules, by the function serving them (each table names its handlers: a
# process imports a handler's module when it first serves one of its routes).
API_ACCESS_HANDLERS = ("workflows_api.http.native.workflows",)
EXECUTE_HANDLERS = (
    "workflows_api.http.native.execute",
    "workflows_api.http.carto.execute",
    "workflows_api.http.nexadata.execute",
)
STATUS_HANDLERS = ("workflows_api.http.native.status", "workflows_api.http.native.health")
DIALECT_STATUS = (
    "workflows_api.http.carto.status",
    "workflows_api.http.carto.job_requests",
    "workflows_api.http.nexadata.status",
)


def serve_cold(
    emulators_running: Emulators, function: str, method: str, path: str, token: str, body: str = ""
) -> tuple[int, set[str]]:
    """The status a fresh process answers and the modules it holds after answering."""
    arguments = [str(FUNCTIONS), function, method, path, token, body]
    env = {**os.environ, **emulators_running.env(), "LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [sys.executable, "-c", _SERVE_ONE, *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["status"], set(answer["modules"])


def loaded(modules: set[str], packages: tuple[str, ...]) -> set[str]:
    return {m for m in modules for p in packages if m == p or m.startswith(p + ".")}


@pytest.fixture(scope="module")
def finished_id(http: requests.Session, stack: Stack) -> str:
    created = execute(http, stack, WORKFLOW_ID, SEED_VALUES).json()
    assert poll(http, stack, created["id"])["state"] == "succeeded"
    return str(created["id"])


def test_status_loads_no_compiler_nor_pydantic(
    emulators_running: Emulators, stack: Stack, finished_id: str
) -> None:
    path = f"/v1/executions/{finished_id}"
    status, modules = serve_cold(emulators_running, "status", "GET", path, stack.token)
    assert status == 200
    assert loaded(modules, (*COMPILING, *SECRETS, *RARER_PATHS, "pydantic.main", "re2")) == set()
    # An ended execution calls no BigQuery API: its client library is not loaded.
    assert loaded(modules, ("google.cloud.bigquery",)) == set()
    # Spans are not exported (WFAPI_TRACE_EXPORT unset): no OpenTelemetry SDK, exporter
    # or Cloud Trace client. (google-api-core probes for opentelemetry-instrumentation,
    # which loads the OpenTelemetry API where that is installed, as in the dev install.)
    tracing = ("opentelemetry.sdk", "opentelemetry.exporter", "google.cloud.trace_v2")
    assert loaded(modules, (*tracing, "workflows_api.tracing_export")) == set()
    # Only the handlers it served: none of execute's or api_access's, nor the dialects'.
    assert loaded(modules, (*EXECUTE_HANDLERS, *API_ACCESS_HANDLERS, *DIALECT_STATUS)) == set()


def test_status_serves_the_console_without_pydantic_nor_a_backend_call(
    emulators_running: Emulators, stack: Stack
) -> None:
    status, modules = serve_cold(emulators_running, "status", "GET", "/console/", "")
    assert status == 200
    assert loaded(modules, (*COMPILING, "pydantic.main", "re2", "google.cloud.bigquery")) == set()
    assert loaded(modules, (*EXECUTE_HANDLERS, *API_ACCESS_HANDLERS, *DIALECT_STATUS)) == set()


def test_execute_loads_no_compiler_nor_pydantic(
    emulators_running: Emulators, stack: Stack, finished_id: str
) -> None:
    path = f"/v1/workflows/{WORKFLOW_ID}/executions"
    body = json.dumps({"parameters": SEED_VALUES})
    status, modules = serve_cold(emulators_running, "execute", "POST", path, stack.token, body)
    assert status == 200  # the finished execution answers (a cache hit)
    assert loaded(modules, (*COMPILING, *SECRETS, *RARER_PATHS, "pydantic.main")) == set()
    assert loaded(modules, (*API_ACCESS_HANDLERS, *STATUS_HANDLERS, *DIALECT_STATUS)) == set()
    dialect_execute = ("workflows_api.http.carto.execute", "workflows_api.http.nexadata.execute")
    assert loaded(modules, dialect_execute) == set()


def test_an_execute_that_submits_a_run_loads_no_compiler_nor_pydantic(
    emulators_running: Emulators, stack: Stack
) -> None:
    path = f"/v1/workflows/{WORKFLOW_ID}/executions"
    radius = random.uniform(1, 4000)  # new parameters: a run is submitted, not a hit
    body = json.dumps({"parameters": {**SEED_VALUES, "buffer_radius": radius}})
    status, modules = serve_cold(emulators_running, "execute", "POST", path, stack.token, body)
    assert status == 202
    # (It submits the CALL with its typed arguments: domain/execution/records.py.)
    assert loaded(modules, (*COMPILING, *SECRETS, "pydantic.main")) == set()
