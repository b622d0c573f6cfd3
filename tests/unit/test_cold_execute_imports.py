"""What a cold `execute` answered by the cache loads, checked without a stack (cold start).

A fresh process imports functions/main.py, the execute function's table and handler, and
builds what that request builds on the real adapters: the App's authenticator and
admission (the composite Firestore store, the BigQuery warehouse, the lifecycle) and a
connection's BigQuery client, whose impersonated credentials read the sources' metadata.
Nothing connects: building a client sends no request. tests/e2e/test_cold_imports.py
serves the request itself on the local stack.

Every function builds the composite store, so its mixins load their aggregate's domain
module with their first read: the rarer paths' records (schedules, trigger rejections,
webhook settings) load with those paths, not here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
_BUILD_A_COLD_EXECUTE = """
import sys
sys.path.insert(0, sys.argv[1])
import main
from workflows_api.config import Settings
from workflows_api.http.routing import EXECUTE
from workflows_api.http.tables import routes_for

native = "workflows_api.http.native.execute:execute"
(execute,) = {r for r in routes_for(EXECUTE) if r.handler == native}
execute.serve()
app = main.App(Settings(
    project="p", firestore_emulator_host="127.0.0.1:9", bigquery_emulator_host="127.0.0.1:9"
))
app.authenticator, app.admission, app.warehouse
app.bigquery_clients.client("p", "runner@p.iam.gserviceaccount.com")
print("\\n".join(sorted(sys.modules)))
"""

# Loaded only on the paths that use them, never by a cold execute answered by the cache.
NOT_ON_THE_CACHE_HIT = (
    "workflows_api.domain.schedules",  # schedule routes and fires
    "workflows_api.domain.execution.records",  # submitting a job, results, Pub/Sub triggers
    "workflows_api.domain.execution.webhooks",  # webhook settings, signatures, deliveries
    # The local runtime identity is a fixed token, not google.oauth2's user credentials
    # (whose reauth and WebAuthn modules would load with the first connection client).
    "google.oauth2.credentials",
    "google.oauth2.reauth",
    "google.oauth2.webauthn_types",
    "workflows_api.domain.workflow.compiler",
    "workflows_api.domain.workflow.model",
    # Its body and the execution signature are read by pydantic-core alone.
    "pydantic.main",
    "sqlglot",
    "yaml",
)
# What it does load: the check above is about the request's own modules.
ON_THE_CACHE_HIT = (
    "workflows_api.http.native.execute",
    "workflows_api.service.admission",
    "pydantic_core",
    "workflows_api.adapters.firestore.schedules",
    "workflows_api.adapters.firestore.trigger_rejections",
    "workflows_api.adapters.firestore.webhooks",
    "workflows_api.adapters.bigquery_warehouse",
    "workflows_api.domain.execution.delivery_attempts",
    "google.auth.impersonated_credentials",
)


def test_a_cold_execute_loads_none_of_the_rarer_paths_modules() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _BUILD_A_COLD_EXECUTE, str(FUNCTIONS)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    modules = set(done.stdout.split())
    assert set(ON_THE_CACHE_HIT) <= modules
    loaded = {m for m in modules for p in NOT_ON_THE_CACHE_HIT if m == p or m.startswith(p + ".")}
    assert loaded == set()
