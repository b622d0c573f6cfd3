"""Cheap liveness probes of the backends, for /healthz: one attempt each, no retries,
bounded by PROBE_TIMEOUT_SECONDS (a frozen backend is reported down, not waited for)."""

from __future__ import annotations

from google.api_core import retry as api_retry
from google.cloud import bigquery, firestore

PROBE_TIMEOUT_SECONDS = 2.0
# The client libraries retry for minutes by default; a probe tries once.
_NO_RETRY = api_retry.Retry(predicate=api_retry.if_exception_type())


def probe_firestore(client: firestore.Client) -> None:
    """Read one (probably absent) document: proves the database answers."""
    client.collection("_health").document("probe").get(retry=None, timeout=PROBE_TIMEOUT_SECONDS)


def probe_bigquery(client: bigquery.Client) -> None:
    """List at most one dataset: proves the API answers without running a job."""
    datasets = client.list_datasets(max_results=1, retry=_NO_RETRY, timeout=PROBE_TIMEOUT_SECONDS)
    list(datasets)
