"""The composition root: adapters wired into services, once per process.

`bootstrap(settings)` gives the real thing (Firestore, BigQuery, Secret Manager,
clients created on first use); tests pass fakes by keyword (`store=`, `warehouse=`,
`clock=`, ...). Every service is wired by keyword. The webhook payload is a view of an
execution, handed in as `webhook_payload`; `get_app()` is the process's own App (the
entry points' and the CLI's): the real adapters, the native execution view
(`execution_views.py`) as the payload, built once.

Each service and adapter module is imported where it is first built, not here: a
function process imports only what its requests use (cold start: `status` never
loads the compiler, sqlglot or Secret Manager).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from workflows_api.config import Settings, get_settings
from workflows_api.domain.execution.states import Execution

if TYPE_CHECKING:
    from google.cloud import bigquery, firestore
    from google.cloud.bigquery import Client as BigQueryClient

    from workflows_api.adapters.clients import BigQueryClients
    from workflows_api.domain.access.connections import Connection
    from workflows_api.service.admin import AdminService
    from workflows_api.service.admission import ExecutionAdmission
    from workflows_api.service.auth import Authenticator
    from workflows_api.service.carto import CartoCalls
    from workflows_api.service.completion import JobCompletions
    from workflows_api.service.health import HealthCheck
    from workflows_api.service.lifecycle import ExecutionLifecycle
    from workflows_api.service.ports import (
        DeliveryQueue,
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


class App:
    """Services built on first use from the adapters given, or from the real ones.

    `store` stands for every store port (ports.Store: the Firestore adapter implements
    them all).
    """

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

    # --- adapters (real ones built lazily unless given) -----------------------------

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

    @cached_property
    def health(self) -> HealthCheck:
        from workflows_api.service.health import HealthCheck

        return HealthCheck(self.health_probes())

    # --- services -------------------------------------------------------------------

    @cached_property
    def authenticator(self) -> Authenticator:
        from workflows_api.service.auth import Authenticator

        verifier = self._id_token_verifier
        if verifier is None and self.settings.oidc_audience:
            from workflows_api.adapters.google_oidc import GoogleIdTokenVerifier

            verifier = GoogleIdTokenVerifier(
                self.settings.oidc_audience, self.settings.oidc_certs_url
            )
        return Authenticator(
            tokens=self.store,
            clock=self.clock,
            cache_seconds=self.settings.token_cache_seconds,
            principals=self.store,
            id_tokens=verifier,
            refused_accounts=frozenset(filter(None, (self.settings.gateway_service_account,))),
        )

    @cached_property
    def admin(self) -> AdminService:
        from workflows_api.service.admin import AdminService

        return AdminService(
            connections=self.store,
            tokens=self.store,
            clock=self.clock,
            principals=self.store,
            warehouse=self.warehouse,
            single_org=self.settings.single_org,
        )

    @cached_property
    def workflows(self) -> WorkflowService:
        from workflows_api.service.workflows import WorkflowService

        return WorkflowService(
            connections=self.store, workflows=self.store, warehouse=self.warehouse, clock=self.clock
        )

    @cached_property
    def lifecycle(self) -> ExecutionLifecycle:
        from workflows_api.service.lifecycle import ExecutionLifecycle

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
        from workflows_api.service.admission import ExecutionAdmission

        return ExecutionAdmission(
            workflows=self.workflows,
            executions=self.store,
            lifecycle=self.lifecycle,
            clock=self.clock,
        )

    @cached_property
    def queries(self) -> ExecutionQueries:
        from workflows_api.service.queries import ExecutionQueries

        return ExecutionQueries(
            workflows=self.workflows, executions=self.store, lifecycle=self.lifecycle
        )

    @cached_property
    def results(self) -> ExecutionResults:
        from workflows_api.service.results import ExecutionResults

        return ExecutionResults(
            executions=self.queries,
            workflows=self.workflows,
            warehouse=self.warehouse,
            clock=self.clock,
        )

    @cached_property
    def webhooks(self) -> Webhooks:
        from workflows_api.adapters.webhook_http import HttpWebhookSender
        from workflows_api.service.webhooks import Webhooks

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
            queue=self.delivery_queue,
            render=self._webhook_payload,
            clock=self.clock,
            allow_http=self.settings.webhooks_allow_http,
        )

    @cached_property
    def job_completions(self) -> JobCompletions:
        from workflows_api.service.completion import JobCompletions

        return JobCompletions(
            lifecycle=self.lifecycle,
            store=self.store,
            workflows=self.workflows,
            warehouse=self.warehouse,
        )

    @cached_property
    def carto(self) -> CartoCalls:
        from workflows_api.service.carto import CartoCalls

        return CartoCalls(
            workflows=self.workflows,
            workflow_store=self.store,
            admission=self.admission,
            queries=self.queries,
            executions=self.store,
        )

    @cached_property
    def pubsub_triggers(self) -> PubSubTriggers:
        from workflows_api.service.triggers import PubSubTriggers

        return PubSubTriggers(
            executions=self.admission,
            rejections=self.store,
            topic_orgs=self.settings.pubsub_topic_orgs,
            clock=self.clock,
        )

    @cached_property
    def sweep(self) -> ExecutionSweep:
        from workflows_api.service.sweep import ExecutionSweep

        return ExecutionSweep(
            executions=self.store,
            lifecycle=self.lifecycle,
            clock=self.clock,
            recheck_after=dt.timedelta(seconds=self.settings.sweep_recheck_seconds),
        )


def bootstrap(settings: Settings, **adapters: Unpack[Adapters]) -> App:
    """The services of one process, on the adapters given; the real ones otherwise."""
    return App(settings, **adapters)


@cache
def get_app() -> App:
    """The process's App: real adapters, the native execution view as webhook payload."""
    # Imported here: only a process that builds its App needs the view.
    from workflows_api.execution_views import execution_view

    return bootstrap(get_settings(), webhook_payload=execution_view)
