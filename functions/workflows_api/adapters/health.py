"""Cheap liveness probes of the backends, for /healthz."""

from __future__ import annotations

from google.cloud import bigquery, firestore

PROBE_TIMEOUT_SECONDS = 5.0


def probe_firestore(client: firestore.Client) -> None:
    """Read one (probably absent) document: proves the database answers."""
    client.collection("_health").document("probe").get(timeout=PROBE_TIMEOUT_SECONDS)


def probe_bigquery(client: bigquery.Client) -> None:
    """List at most one dataset: proves the API answers without running a job."""
    list(client.list_datasets(max_results=1, timeout=PROBE_TIMEOUT_SECONDS))
