"""Wire adapters into services, once per process (a Cloud Function instance)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property, lru_cache

from google.cloud import bigquery, firestore

from workflows_api.adapters import clients, health
from workflows_api.config import Settings, get_settings


class App:
    """The composition root: one per process, clients created on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def firestore(self) -> firestore.Client:
        return clients.firestore_client(self.settings)

    @cached_property
    def bigquery(self) -> bigquery.Client:
        return clients.bigquery_client(self.settings)

    def health_probes(self) -> dict[str, Callable[[], None]]:
        return {
            "firestore": lambda: health.probe_firestore(self.firestore),
            "bigquery": lambda: health.probe_bigquery(self.bigquery),
        }


@lru_cache(maxsize=1)
def get_app() -> App:
    return App(get_settings())
