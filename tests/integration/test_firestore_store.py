"""FirestoreStore against the Firestore emulator: the store contract every store
implementation shares (tests/contract), then what only Firestore has: the documents'
layout, TTL fields, and what happens when Firestore cannot be reached."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import replace
from typing import Any

import pytest
from google.cloud import firestore

from devstack.emulators import free_port
from tests.contract.store_contract import StoreContract
from tests.contract.support import ORG, Store, at, execution, token
from workflows_api.adapters import clients
from workflows_api.adapters.firestore import FirestoreStore, documents
from workflows_api.config import Settings
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.access.identifiers import org_dataset
from workflows_api.domain.execution.records import TriggerRejection
from workflows_api.domain.execution.states import JobError, State
from workflows_api.service.errors import BackendUnavailable

pytestmark = pytest.mark.integration


@pytest.fixture
def store(firestore_client: firestore.Client) -> FirestoreStore:
    return FirestoreStore(firestore_client)


class TestFirestoreStoreContract(StoreContract):
    @pytest.fixture
    def store(self, firestore_client: firestore.Client) -> Store:
        return FirestoreStore(firestore_client)


def org_doc(client: firestore.Client, org: str, collection: str, doc_id: str) -> dict[str, Any]:
    snapshot = client.collection("orgs").document(org).collection(collection).document(doc_id).get()
    assert snapshot.exists, f"orgs/{org}/{collection}/{doc_id} is missing"
    return snapshot.to_dict() or {}


def test_execution_document_layout(
    store: FirestoreStore, firestore_client: firestore.Client
) -> None:
    run = replace(
        execution(),
        state=State.FAILED,
        error=JobError("invalidQuery", "Syntax error: Unexpected keyword", "query"),
    )
    store.create_execution(run, expire_at=at(30 * 86_400))

    raw = org_doc(firestore_client, ORG, "executions", run.id)
    # Plain top-level fields for later queries by workflow, state and time.
    assert raw["org"] == ORG
    assert raw["workflow_id"] == "wf-1"
    assert raw["state"] == "failed"
    assert raw["created_at"] == run.created_at
    assert raw["error"] == {
        "reason": "invalidQuery",
        "message": "Syntax error: Unexpected keyword",
        "location": "query",
    }
    assert isinstance(raw["expire_at"], dt.datetime)  # a timestamp, so TTL can use it
    assert raw["expire_at"] == at(30 * 86_400)


def test_save_execution_keeps_expire_at(
    store: FirestoreStore, firestore_client: firestore.Client
) -> None:
    created = execution()
    store.create_execution(created, expire_at=at(3600))
    running = created.transition(State.RUNNING, at=at(5))
    assert store.save_execution(running, expected_state=State.CREATED) is True
    done = running.transition(State.SUCCEEDED, at=at(9))
    assert store.save_execution(done, expected_state=State.RUNNING) is True
    assert org_doc(firestore_client, ORG, "executions", created.id)["expire_at"] == at(3600)


def test_cache_entry_document_layout(
    store: FirestoreStore, firestore_client: firestore.Client
) -> None:
    # Claimed by concurrent requests: the one document holds the winner.
    results: dict[str, str | None] = {}
    start = threading.Barrier(5)

    def claim(execution_id: str) -> None:
        start.wait()
        results[execution_id] = store.claim_cache_entry(ORG, "key", execution_id, at(60))

    threads = [threading.Thread(target=claim, args=(f"exec-{i}",)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winner = next(c for c, holder in results.items() if holder is None)
    entry = org_doc(firestore_client, ORG, "cache_entries", "key")
    assert entry["execution_id"] == winner
    assert entry["expire_at"] == at(60)
    assert isinstance(entry["updated_at"], dt.datetime)

    assert store.replace_cache_entry(ORG, "key", winner, "exec-b", expire_at=at(120)) is True
    entry = org_doc(firestore_client, ORG, "cache_entries", "key")
    assert entry["execution_id"] == "exec-b"
    assert entry["expire_at"] == at(120)
    assert isinstance(entry["expire_at"], dt.datetime)


def test_idempotency_key_document_has_its_ttl_field(
    store: FirestoreStore, firestore_client: firestore.Client
) -> None:
    assert store.claim_idempotency_key(ORG, "h1", "exec-1", "fingerprint-1", at(86_400)) is None
    raw = org_doc(firestore_client, ORG, "idempotency_keys", "h1")
    assert raw == {
        "execution_id": "exec-1",
        "fingerprint": "fingerprint-1",
        "expire_at": at(86_400),
    }


def test_trigger_rejection_document_has_its_expire_at(
    store: FirestoreStore, firestore_client: firestore.Client
) -> None:
    rejection = TriggerRejection(ORG, "m-1", "projects/p/topics/t", "invalid", "bad", at(5))
    store.record_trigger_rejection(rejection, expire_at=at(86_400))
    raw = org_doc(firestore_client, ORG, "trigger_rejections", "m-1")
    assert isinstance(raw["expire_at"], dt.datetime)
    assert raw["expire_at"] == at(86_400)


def test_token_document_never_holds_a_secret(
    store: FirestoreStore, firestore_client: firestore.Client
) -> None:
    issued = token()
    store.create_token(issued)

    raw = firestore_client.collection("tokens").document(issued.token_id).get().to_dict()
    assert raw is not None
    assert set(raw) == {
        "org",
        "secret_hash",
        "grants",
        "created_at",
        "name",
        "workflows",
        "expires_at",
        "revoked_at",
    }
    assert raw["grants"] == ["executions:create", "executions:read", "workflows:read"]
    assert raw["workflows"] == ["wf-2", "wf-1"]


def test_unreachable_firestore_raises_backend_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Nothing listens on this port: every call fails with ServiceUnavailable.
    settings = Settings.from_env({"FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{free_port()}"})
    monkeypatch.setattr(documents, "RETRY_DEADLINE_SECONDS", 1.0)
    store = FirestoreStore(clients.firestore_client(settings))

    began = time.monotonic()
    with pytest.raises(BackendUnavailable) as raised:
        store.get_workflow(ORG, "wf-1")
    assert raised.value.backend == "firestore"
    # Fault bound (issue 29): the retry deadline is 1 s; 10 s (10x) allows a loaded CI
    # and still fails the client library's own retries (minutes by default).
    assert time.monotonic() - began < 10


def test_a_connection_stored_before_its_newer_fields_reads_with_defaults(
    store: FirestoreStore, firestore_client: firestore.Client
) -> None:
    # As an early version wrote it: no location, dataset or service account.
    legacy = firestore_client.collection("orgs").document(ORG).collection("connections")
    legacy.document("old").set({"project": "proj-a"})
    assert store.get_connection(ORG, "old") == Connection(
        ORG, "old", "proj-a", "US", org_dataset(ORG), None
    )


def test_an_execution_stored_by_the_first_release_is_found_by_the_sweeps_query(
    store: FirestoreStore, firestore_client: firestore.Client
) -> None:
    # The fields the first FirestoreStore wrote (no statistics, no webhook deliveries):
    # `reconciled_at` was written as null from the start, so the sweep's query (which
    # Firestore could not run on a missing field) needs no migration.
    run = replace(execution("first-release"), created_at=at(10))
    legacy = {
        "id": run.id,
        "org": ORG,
        "workflow_id": run.workflow_id,
        "version": run.version,
        "parameters": '{"radius": 1.5}',
        "cache_key": run.cache_key,
        "output_table": run.output_table,
        "procedure": run.procedure,
        "connection": run.connection,
        "created_at": run.created_at,
        "state": "created",
        "bigquery_job_id": "wfapi_exec_first-release",
        "started_at": None,
        "ended_at": None,
        "error": None,
        "cache_enabled": True,
        "output_expires_at": None,
        "reconciled_at": None,
        "submit_attempts": 1,
        "labels": {},
        "expire_at": at(86_400),
    }
    firestore_client.document(f"orgs/{ORG}/executions/{run.id}").set(legacy)
    (found,) = store.list_unconfirmed_executions(at(60), limit=10)
    assert (found.id, found.state, found.job_confirmed) == (run.id, State.CREATED, False)
