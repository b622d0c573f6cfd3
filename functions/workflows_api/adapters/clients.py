"""Google Cloud clients, built once per process from Settings.

Locally the BigQuery client points at the emulator with anonymous credentials;
the Firestore client library finds its emulator through FIRESTORE_EMULATOR_HOST
on its own. In production both use the function's service account.

A connection that names a service account gets BigQuery clients whose credentials
impersonate it (google-auth `impersonated_credentials`: the runtime identity asks the
IAM Credentials API's `generateAccessToken` for a token of that account), so an org's
SQL runs with its own IAM rights. The IAM Credentials endpoint is configurable: the
local stack points it at a loopback stand-in, where the runtime's anonymous
credentials are the source identity.

google-cloud-bigquery is imported with the first BigQuery client, not with this module:
the Firestore client is made here too, and a status read of an ended execution, which
calls no BigQuery API, then never loads it (about 70 ms of a cold start deployed).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import google.auth
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.cloud import firestore

from workflows_api.config import Settings
from workflows_api.domain.access.connections import Connection
from workflows_api.service.errors import WarehouseError

if TYPE_CHECKING:
    from google.cloud import bigquery

IAM_CREDENTIALS_ENDPOINT = "https://iamcredentials.googleapis.com"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
LOCAL_RUNTIME_TOKEN = "local-runtime-identity"  # noqa: S105 (emulator only, grants nothing)
TOKEN_LIFETIME_SECONDS = 3600  # google-auth refreshes shortly before expiry


def bigquery_client(
    settings: Settings, project: str | None = None, credentials: Credentials | None = None
) -> bigquery.Client:
    """A client as the runtime identity, or with `credentials` (impersonated ones)."""
    from google.cloud import bigquery

    project = project or settings.project
    if settings.bigquery_emulator_host:
        return bigquery.Client(
            project=project,
            location=settings.bigquery_location,
            credentials=credentials or AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=f"http://{settings.bigquery_emulator_host}"),
        )
    return bigquery.Client(
        project=project, location=settings.bigquery_location, credentials=credentials
    )


def generate_access_token_url(endpoint: str, service_account: str) -> str:
    """The `generateAccessToken` URL for one account (google-auth wants it whole)."""
    base = endpoint.rstrip("/")
    return f"{base}/v1/projects/-/serviceAccounts/{service_account}:generateAccessToken"


class BigQueryClients:
    """BigQuery clients per (project, service account), built on first use and kept.

    `service_account=None` is the runtime identity (whether that is allowed is the
    service layer's decision: single-org deployments only)."""

    def __init__(
        self,
        settings: Settings,
        *,
        iam_credentials_endpoint: str = IAM_CREDENTIALS_ENDPOINT,
        source_credentials: Credentials | None = None,
    ) -> None:
        self._settings = settings
        self._endpoint = iam_credentials_endpoint
        self._source = source_credentials
        self._clients: dict[tuple[str, str | None], bigquery.Client] = {}
        self._lock = threading.Lock()

    def for_connection(self, connection: Connection) -> bigquery.Client:
        """The connection's client; one without a service account runs as the runtime
        identity only in a single-org deployment (the service refuses it first, 409)."""
        if connection.service_account is None and not self._settings.single_org:
            raise WarehouseError(
                "service_account_required",
                f"Connection {connection.id!r} names no service account; this deployment "
                "serves several orgs, so it does not run as the runtime identity.",
            )
        return self.client(connection.project, connection.service_account)

    def client(self, project: str, service_account: str | None) -> bigquery.Client:
        key = (project, service_account)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                credentials = self._impersonated(service_account) if service_account else None
                client = bigquery_client(self._settings, project, credentials)
                self._clients[key] = client
            return client

    def _impersonated(self, service_account: str) -> Credentials:
        # Imported with the first BigQuery client of a connection (cold start: a status
        # answered from Firestore alone never loads it).
        from google.auth import impersonated_credentials

        return impersonated_credentials.Credentials(
            source_credentials=self._source_credentials(),
            target_principal=service_account,
            target_scopes=[CLOUD_PLATFORM_SCOPE],
            lifetime=TOKEN_LIFETIME_SECONDS,
            iam_endpoint_override=generate_access_token_url(self._endpoint, service_account),
        )

    def _source_credentials(self) -> Credentials:
        """The runtime identity (called under the lock: resolved once)."""
        if self._source is None:
            if self._settings.bigquery_emulator_host:
                # Anonymous credentials cannot be refreshed, which google-auth does
                # to a source without a token: locally the runtime presents a fixed
                # token to the IAM Credentials stand-in instead.
                self._source = _FixedToken(LOCAL_RUNTIME_TOKEN)
            else:
                self._source, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
        return self._source


class _FixedToken(Credentials):
    """A token that never expires and is never refreshed: the local runtime identity.
    (Not google.oauth2's user credentials, whose reauth and WebAuthn modules would load
    with every cold process's first BigQuery client; deployed, `google.auth.default()`
    gives the runtime's own credentials.)"""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def refresh(self, request: object) -> None:
        raise RuntimeError("the local runtime token is fixed: nothing refreshes it")


def firestore_client(settings: Settings) -> firestore.Client:
    if not settings.firestore_emulator_host:
        return firestore.Client(project=settings.project, database=settings.firestore_database)
    # The library reads its emulator address only from the environment, when the
    # client is built; Settings stays the one source of configuration.
    with _environment_variable("FIRESTORE_EMULATOR_HOST", settings.firestore_emulator_host):
        return firestore.Client(project=settings.project, database=settings.firestore_database)


@contextmanager
def _environment_variable(name: str, value: str) -> Iterator[None]:
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            del os.environ[name]
        else:
            os.environ[name] = previous
