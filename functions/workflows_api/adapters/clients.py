"""Google Cloud clients, built once per process from Settings.

Locally the BigQuery client points at the emulator with anonymous credentials;
the Firestore client library finds its emulator through FIRESTORE_EMULATOR_HOST
on its own. In production both use the function's service account.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery, firestore

from workflows_api.config import Settings


def bigquery_client(settings: Settings, project: str | None = None) -> bigquery.Client:
    project = project or settings.project
    if settings.bigquery_emulator_host:
        return bigquery.Client(
            project=project,
            location=settings.bigquery_location,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=f"http://{settings.bigquery_emulator_host}"),
        )
    return bigquery.Client(project=project, location=settings.bigquery_location)


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
