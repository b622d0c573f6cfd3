"""The adapters of one process: the real ones, built on first use, or the ones a test
hands in by keyword (`Adapters`). `bootstrap.App` wires services on top of them.

Each adapter module is imported where it is first built, not here (cold start).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from workflows_api.config import Settings
from workflows_api.domain.execution.states import Execution

if TYPE_CHECKING:
    from google.cloud import bigquery, firestore
    from google.cloud.bigquery import Client as BigQueryClient

    from workflows_api.adapters.clients import BigQueryClients
    from workflows_api.domain.access.connections import Connection
    from workflows_api.service.ports import (
        DeliveryQueue,
        IdTokenVerifier,
        SigningSecrets,
        Store,
        Warehouse,
        WebhookSender,
    )
    from workflows_api.service.schedule_ports import SchedulerJobs

Clock = Callable[[], dt.datetime]
Probes = Mapping[str, Callable[[], None]]
WebhookPayload = Callable[[Execution], dict[str, Any]]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _no_payload(execution: Execution) -> dict[str, Any]:
    raise RuntimeError("bootstrap(webhook_payload=...) was not given: webhooks cannot render")


class Adapters(TypedDict, total=False):
    """What `bootstrap` takes instead of the real adapters, by keyword (see App)."""

    store: Store | None
    warehouse: Warehouse | None
    clock: Clock
    sleep: Callable[[float], None]
    signing_secrets: SigningSecrets | None
    webhook_sender: WebhookSender | None
    webhook_payload: WebhookPayload
    delivery_queue: DeliveryQueue | None
    id_token_verifier: IdTokenVerifier | None
    health_probes: Probes | None
    scheduler_jobs: SchedulerJobs | None


class ProcessAdapters:
    """The adapters given, or the real ones (built lazily). `store` stands for every store
    port (ports.Store: the Firestore adapter implements them all)."""

    def __init__(self, settings: Settings, **adapters: Unpack[Adapters]) -> None:
        self.settings = settings
        self.clock = adapters.get("clock", utc_now)
        self._store = adapters.get("store")
        self._warehouse = adapters.get("warehouse")
        self._sleep = adapters.get("sleep", time.sleep)
        self._signing_secrets = adapters.get("signing_secrets")
        self._webhook_sender = adapters.get("webhook_sender")
        self._webhook_payload = adapters.get("webhook_payload", _no_payload)
        self._delivery_queue = adapters.get("delivery_queue")
        self._id_token_verifier = adapters.get("id_token_verifier")
        self._health_probes = adapters.get("health_probes")
        self._scheduler_jobs = adapters.get("scheduler_jobs")

    @cached_property
    def firestore(self) -> firestore.Client:
        from workflows_api.adapters import clients

        return clients.firestore_client(self.settings)

    @cached_property
    def bigquery(self) -> bigquery.Client:
        from workflows_api.adapters import clients

        return clients.bigquery_client(self.settings)

    @cached_property
    def bigquery_clients(self) -> BigQueryClients:
        from workflows_api.adapters import clients

        return clients.BigQueryClients(
            self.settings, iam_credentials_endpoint=self.settings.iam_credentials_endpoint
        )

    def bigquery_for(self, connection: Connection) -> BigQueryClient:
        """The connection's client: its project, as its service account (impersonated;
        the runtime identity when it names none). Every BigQuery call goes through it."""
        return self.bigquery_clients.for_connection(connection)

    @cached_property
    def store(self) -> Store:
        from workflows_api.adapters.firestore import FirestoreStore

        return self._store if self._store is not None else FirestoreStore(self.firestore)

    @cached_property
    def warehouse(self) -> Warehouse:
        if self._warehouse is not None:
            return self._warehouse
        from workflows_api.adapters.bigquery_warehouse import BigQueryWarehouse

        return BigQueryWarehouse(self.bigquery_for)

    @cached_property
    def signing_secrets(self) -> SigningSecrets:
        if self._signing_secrets is not None:
            return self._signing_secrets
        if self.settings.webhook_secrets == "firestore":
            return self.store
        from google.cloud import secretmanager

        from workflows_api.adapters.secret_manager import SecretManagerSigningSecrets

        client = secretmanager.SecretManagerServiceClient()
        return SecretManagerSigningSecrets(
            client, self.settings.project, self.settings.webhook_secret_prefix
        )

    @cached_property
    def delivery_queue(self) -> DeliveryQueue:
        if self._delivery_queue is not None:
            return self._delivery_queue
        from workflows_api.adapters.pubsub_queue import delivery_queue
        from workflows_api.config import delivery_topic

        return delivery_queue(delivery_topic(self.settings), self.settings.pubsub_emulator_host)

    def health_probes(self) -> dict[str, Callable[[], None]]:
        if self._health_probes is not None:
            return dict(self._health_probes)
        from workflows_api.adapters import health

        return {
            "firestore": lambda: health.probe_firestore(self.firestore),
            "bigquery": lambda: health.probe_bigquery(self.bigquery),
        }
