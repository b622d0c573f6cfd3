"""The local stack as `make run` builds it, on the session's emulators, on free ports.

`stack` seeds the retail tables (devstack.seed), provisions the demo org exactly as
`make run` does (devstack.demo) and starts the dev router; tests talk to it over HTTP only, and
look at Firestore and BigQuery directly only to check what the API did.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from google.cloud import bigquery

from devstack import emulators
from devstack.cloud_scheduler_standin import CloudSchedulerStandIn, scheduler_env
from devstack.demo import provision_demo
from devstack.emulators import Emulators
from devstack.pushed_function import start_completion_function
from devstack.seed import seed_demo_tables
from devstack.webhook_delivery import start_webhook_delivery
from tests.e2e.helpers import Stack
from tests.support.oidc_issuer import CertsServer, Issuer
from workflows_api.bootstrap import App
from workflows_api.config import Settings

# Short, so revocation shows within a test; production default is 10 s.
TOKEN_CACHE_SECONDS = 1
# What Cloud Scheduler would put in its OIDC tokens: the URL it calls.
OIDC_AUDIENCE = "https://workflows-api.test/execute"


@pytest.fixture(scope="session")
def oidc_issuer() -> Iterator[tuple[Issuer, str]]:
    """A token issuer standing in for Google, and the URL of its certificates."""
    issuer = Issuer()
    server = CertsServer(issuer)
    yield issuer, server.url
    server.stop()


@pytest.fixture(scope="session")
def scheduler_standin(oidc_issuer: tuple[Issuer, str]) -> Iterator[CloudSchedulerStandIn]:
    """Cloud Scheduler's stand-in, signing its fires with the test issuer's key."""
    standin = CloudSchedulerStandIn(oidc_issuer[0])
    yield standin
    standin.stop()


@pytest.fixture(scope="session")
def base_url(
    emulators_running: Emulators,
    stack_log_dir: Path,
    oidc_issuer: tuple[Issuer, str],
    scheduler_standin: CloudSchedulerStandIn,
) -> Iterator[str]:
    port = emulators.free_port()
    env = {
        **emulators_running.env(),
        **scheduler_env(scheduler_standin, f"http://127.0.0.1:{port}", emulators_running.project),
        "WFAPI_TOKEN_CACHE_SECONDS": str(TOKEN_CACHE_SECONDS),
        "WFAPI_OIDC_AUDIENCE": OIDC_AUDIENCE,
        "WFAPI_OIDC_CERTS_URL": oidc_issuer[1],
        # Webhook receivers in the tests listen on loopback, over plain HTTP.
        "WFAPI_WEBHOOKS_ALLOW_HTTP": "1",
    }
    # Webhook deliveries queued by the router go through the Pub/Sub emulator to the
    # delivery function, as deployed.
    delivery = start_webhook_delivery(
        emulators_running.pubsub_host, emulators_running.project, env, stack_log_dir
    )
    # BigQuery's job ends reach `bigquery_job_completed` through Cloud Logging's stand-in
    # and the completion topic, as deployed (devstack/completion_events.py).
    completions = start_completion_function(
        emulators_running.pubsub_host, emulators_running.project, env, stack_log_dir
    )
    router = emulators.start_dev_router(port, env, stack_log_dir)
    yield f"http://127.0.0.1:{port}"
    router.stop()
    completions.function.stop()
    delivery.stop()


@pytest.fixture(scope="session")
def stack(base_url: str, emulator_settings: Settings, bq_client: bigquery.Client) -> Stack:
    seeded_tables = seed_demo_tables(bq_client)
    info = {
        "base_url": base_url,
        "seeded_tables": seeded_tables,
        **provision_demo(emulator_settings),
    }
    return Stack(base_url, emulator_settings, info, App(emulator_settings))


@pytest.fixture(scope="session")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
