"""The composition root: adapters wired into services, once per process.

`bootstrap(settings)` gives the real thing (Firestore, BigQuery, Secret Manager,
clients created on first use); tests pass fakes by keyword (`store=`, `warehouse=`,
`clock=`, ...). Every service is wired by keyword. The webhook payload is the
entry layer's view of an execution, handed in as `webhook_payload`.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from google.cloud import bigquery, firestore, secretmanager
from google.cloud.bigquery import Client as BigQueryClient

from workflows_api.adapters import clients, health
from workflows_api.adapters.bigquery_warehouse import BigQueryWarehouse
from workflows_api.adapters.firestore import FirestoreStore
from workflows_api.adapters.google_oidc import GoogleIdTokenVerifier
from workflows_api.adapters.secret_manager import SecretManagerSigningSecrets
from workflows_api.adapters.webhook_http import HttpWebhookSender
from workflows_api.config import Settings
from workflows_api.domain.executions import Execution
from workflows_api.service.admin import AdminService
from workflows_api.service.admission import ExecutionAdmission
from workflows_api.service.auth import Authenticator
from workflows_api.service.carto import CartoCalls
from workflows_api.service.completion import JobCompletions
from workflows_api.service.health import HealthCheck
from workflows_api.service.lifecycle import ExecutionLifecycle
from workflows_api.service.ports import (
    Connection,
    IdTokenVerifier,
    SigningSecrets,
    Store,
    Warehouse,
    WebhookSender,
)
from workflows_api.service.queries import ExecutionQueries
from workflows_api.service.results import ExecutionResults
from workflows_api.service.sweep import ExecutionSweep
from workflows_api.service.triggers import PubSubTriggers
from workflows_api.service.webhooks import Webhooks
from workflows_api.service.workflows import WorkflowService

Clock = Callable[[], dt.datetime]
Probes = Mapping[str, Callable[[], None]]
WebhookPayload = Callable[[Execution], dict[str, Any]]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _no_payload(execution: Execution) -> dict[str, Any]:
    raise RuntimeError("bootstrap(webhook_payload=...) was not given: webhooks cannot render")


class App:
    """Services built on first use from the adapters given, or from the real ones.

    `store` stands for every store port (ports.Store: the Firestore adapter implements
    them all).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        warehouse: Warehouse | None = None,
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        signing_secrets: SigningSecrets | None = None,
        webhook_sender: WebhookSender | None = None,
        webhook_payload: WebhookPayload = _no_payload,
        id_token_verifier: IdTokenVerifier | None = None,
        health_probes: Probes | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._store = store
        self._warehouse = warehouse
        self._sleep = sleep
        self._signing_secrets = signing_secrets
        self._webhook_sender = webhook_sender
        self._webhook_payload = webhook_payload
        self._id_token_verifier = id_token_verifier
        self._health_probes = health_probes
        self._bigquery_clients: dict[str, BigQueryClient] = {}
        self._lock = threading.Lock()

    # --- adapters (real ones built lazily unless given) -----------------------------

    @cached_property
    def firestore(self) -> firestore.Client:
        return clients.firestore_client(self.settings)

    @cached_property
    def bigquery(self) -> bigquery.Client:
        return clients.bigquery_client(self.settings)

    def bigquery_for(self, connection: Connection) -> BigQueryClient:
        """One client per connection project (jobs run and are billed there)."""
        with self._lock:
            client = self._bigquery_clients.get(connection.project)
            if client is None:
                client = clients.bigquery_client(self.settings, project=connection.project)
                self._bigquery_clients[connection.project] = client
            return client

    @cached_property
    def store(self) -> Store:
        return self._store if self._store is not None else FirestoreStore(self.firestore)

    @cached_property
    def warehouse(self) -> Warehouse:
        return self._warehouse or BigQueryWarehouse(self.bigquery_for)

    @cached_property
    def signing_secrets(self) -> SigningSecrets:
        if self._signing_secrets is not None:
            return self._signing_secrets
        if self.settings.webhook_secrets == "firestore":
            return self.store
        client = secretmanager.SecretManagerServiceClient()
        return SecretManagerSigningSecrets(client, self.settings.project)

    def health_probes(self) -> dict[str, Callable[[], None]]:
        if self._health_probes is not None:
            return dict(self._health_probes)
        return {
            "firestore": lambda: health.probe_firestore(self.firestore),
            "bigquery": lambda: health.probe_bigquery(self.bigquery),
        }

    @cached_property
    def health(self) -> HealthCheck:
        return HealthCheck(self.health_probes())

    # --- services -------------------------------------------------------------------

    @cached_property
    def authenticator(self) -> Authenticator:
        verifier = self._id_token_verifier
        if verifier is None and self.settings.oidc_audience:
            verifier = GoogleIdTokenVerifier(
                self.settings.oidc_audience, self.settings.oidc_certs_url
            )
        return Authenticator(
            tokens=self.store,
            clock=self.clock,
            cache_seconds=self.settings.token_cache_seconds,
            principals=self.store,
            id_tokens=verifier,
        )

    @cached_property
    def admin(self) -> AdminService:
        return AdminService(
            connections=self.store, tokens=self.store, clock=self.clock, principals=self.store
        )

    @cached_property
    def workflows(self) -> WorkflowService:
        return WorkflowService(
            connections=self.store, workflows=self.store, warehouse=self.warehouse, clock=self.clock
        )

    @cached_property
    def lifecycle(self) -> ExecutionLifecycle:
        return ExecutionLifecycle(
            workflows=self.workflows,
            executions=self.store,
            warehouse=self.warehouse,
            clock=self.clock,
            sleep=self._sleep,
            on_finished=lambda execution: self.webhooks.announce(execution),
        )

    @cached_property
    def admission(self) -> ExecutionAdmission:
        return ExecutionAdmission(
            workflows=self.workflows,
            executions=self.store,
            lifecycle=self.lifecycle,
            clock=self.clock,
        )

    @cached_property
    def queries(self) -> ExecutionQueries:
        return ExecutionQueries(
            workflows=self.workflows, executions=self.store, lifecycle=self.lifecycle
        )

    @cached_property
    def results(self) -> ExecutionResults:
        return ExecutionResults(
            executions=self.queries,
            workflows=self.workflows,
            warehouse=self.warehouse,
            clock=self.clock,
        )

    @cached_property
    def webhooks(self) -> Webhooks:
        return Webhooks(
            workflows=self.workflows,
            store=self.store,
            secrets=self.signing_secrets,
            executions=self.store,
            sender=self._webhook_sender
            or HttpWebhookSender(
                # Test-only (the receivers of the e2e suite listen on loopback over HTTP).
                allow_http=self.settings.webhooks_allow_http,
                allow_loopback=self.settings.webhooks_allow_http,
            ),
            render=self._webhook_payload,
            clock=self.clock,
            allow_http=self.settings.webhooks_allow_http,
            sleep=self._sleep,
        )

    @cached_property
    def job_completions(self) -> JobCompletions:
        return JobCompletions(
            lifecycle=self.lifecycle,
            store=self.store,
            workflows=self.workflows,
            warehouse=self.warehouse,
        )

    @cached_property
    def carto(self) -> CartoCalls:
        return CartoCalls(
            workflows=self.workflows,
            workflow_store=self.store,
            admission=self.admission,
            queries=self.queries,
        )

    @cached_property
    def pubsub_triggers(self) -> PubSubTriggers:
        return PubSubTriggers(
            executions=self.admission,
            rejections=self.store,
            topic_orgs=self.settings.pubsub_topic_orgs,
            clock=self.clock,
        )

    @cached_property
    def sweep(self) -> ExecutionSweep:
        return ExecutionSweep(executions=self.store, lifecycle=self.lifecycle, clock=self.clock)


def bootstrap(settings: Settings, **adapters: Any) -> App:
    """The services of one process, on the adapters given by keyword (see App: `store`,
    `warehouse`, `clock`, `sleep`, `signing_secrets`, `webhook_sender`,
    `webhook_payload`, `id_token_verifier`, `health_probes`); the real ones otherwise."""
    return App(settings, **adapters)
