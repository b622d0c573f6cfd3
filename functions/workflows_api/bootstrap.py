"""Wire adapters into services, once per process (a Cloud Function instance)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from functools import cached_property, lru_cache

from google.cloud import bigquery, firestore, secretmanager
from google.cloud.bigquery import Client as BigQueryClient

from workflows_api.adapters import clients, health
from workflows_api.adapters.bigquery_warehouse import BigQueryWarehouse
from workflows_api.adapters.firestore import FirestoreStore
from workflows_api.adapters.google_oidc import GoogleIdTokenVerifier
from workflows_api.adapters.secret_manager import SecretManagerSigningSecrets
from workflows_api.adapters.webhook_http import HttpWebhookSender
from workflows_api.config import Settings, get_settings
from workflows_api.http.views import execution_view
from workflows_api.service.admin import AdminService
from workflows_api.service.auth import Authenticator
from workflows_api.service.completion import JobCompletions
from workflows_api.service.dialects import DialectService
from workflows_api.service.executions import ExecutionService
from workflows_api.service.ports import Connection, SigningSecrets
from workflows_api.service.results import ExecutionResults
from workflows_api.service.triggers import PubSubTriggers
from workflows_api.service.webhooks import Webhooks
from workflows_api.service.workflows import WorkflowService


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class App:
    """The composition root: one per process, clients created on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._bigquery_clients: dict[str, BigQueryClient] = {}
        self._lock = threading.Lock()

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
    def store(self) -> FirestoreStore:
        return FirestoreStore(self.firestore)

    @cached_property
    def warehouse(self) -> BigQueryWarehouse:
        return BigQueryWarehouse(self.bigquery_for)

    @cached_property
    def authenticator(self) -> Authenticator:
        verifier = (
            GoogleIdTokenVerifier(self.settings.oidc_audience, self.settings.oidc_certs_url)
            if self.settings.oidc_audience
            else None
        )
        return Authenticator(
            self.store, utc_now, self.settings.token_cache_seconds, self.store, verifier
        )

    @cached_property
    def admin(self) -> AdminService:
        return AdminService(self.store, self.store, utc_now, self.store)

    @cached_property
    def workflows(self) -> WorkflowService:
        return WorkflowService(self.store, self.store, self.warehouse, utc_now)

    @cached_property
    def executions(self) -> ExecutionService:
        return ExecutionService(
            self.workflows,
            self.store,
            self.warehouse,
            utc_now,
            on_finished=lambda execution: self.webhooks.announce(execution),
        )

    @cached_property
    def signing_secrets(self) -> SigningSecrets:
        if self.settings.webhook_secrets == "firestore":
            return self.store
        client = secretmanager.SecretManagerServiceClient()
        return SecretManagerSigningSecrets(client, self.settings.project)

    @cached_property
    def results(self) -> ExecutionResults:
        return ExecutionResults(self.executions, self.workflows, self.warehouse, utc_now)

    @cached_property
    def webhooks(self) -> Webhooks:
        return Webhooks(
            self.workflows,
            self.store,
            self.signing_secrets,
            self.store,
            HttpWebhookSender(),
            execution_view,
            utc_now,
            allow_http=self.settings.webhooks_allow_http,
        )

    @cached_property
    def job_completions(self) -> JobCompletions:
        return JobCompletions(self.executions, self.store, self.workflows, self.warehouse)

    @cached_property
    def dialects(self) -> DialectService:
        return DialectService(self.workflows, self.store, self.executions)

    @cached_property
    def pubsub_triggers(self) -> PubSubTriggers:
        return PubSubTriggers(self.executions, self.store, self.settings.pubsub_topic_orgs, utc_now)

    def health_probes(self) -> dict[str, Callable[[], None]]:
        return {
            "firestore": lambda: health.probe_firestore(self.firestore),
            "bigquery": lambda: health.probe_bigquery(self.bigquery),
        }


@lru_cache(maxsize=1)
def get_app() -> App:
    return App(get_settings())
