"""FirestoreStore against the Firestore emulator: round trips, org isolation, CAS writes."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from dataclasses import replace
from typing import Any

import pytest
from google.cloud import firestore

from devstack.emulators import free_port
from workflows_api.adapters import clients, firestore_store
from workflows_api.adapters.firestore_store import FirestoreStore
from workflows_api.config import Settings
from workflows_api.domain.executions import Execution, JobError, State
from workflows_api.domain.tokens import Grant, Token
from workflows_api.service.errors import BackendUnavailable
from workflows_api.service.ports import (
    ApiState,
    Connection,
    ConnectionStore,
    ExecutionStore,
    TokenStore,
    WorkflowRecord,
    WorkflowStore,
)

pytestmark = pytest.mark.integration

ORG = "acme"
OTHER_ORG = "globex"
# Microseconds on purpose: Firestore keeps them and the round trips must too.
T0 = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.fixture
def store(firestore_client: firestore.Client) -> FirestoreStore:
    return FirestoreStore(firestore_client)


def org_doc(client: firestore.Client, org: str, collection: str, doc_id: str) -> dict[str, Any]:
    snapshot = client.collection("orgs").document(org).collection(collection).document(doc_id).get()
    assert snapshot.exists, f"orgs/{org}/{collection}/{doc_id} is missing"
    return snapshot.to_dict() or {}


def definition() -> dict[str, Any]:
    # Keys deliberately not sorted, at every level.
    return {
        "version": 1,
        "parameters": [{"name": "radius", "type": "FLOAT64"}, {"name": "city", "type": "STRING"}],
        "nodes": {"z_last": {"type": "read", "table": "p.d.t"}, "a_first": {"type": "filter"}},
        "edges": [],
    }


def workflow(workflow_id: str = "wf-1", *, org: str = ORG, api: bool = True) -> WorkflowRecord:
    return WorkflowRecord(
        org=org,
        id=workflow_id,
        connection="main",
        definition=definition(),
        version="v-abc",
        created_at=at(0),
        updated_at=at(1),
        api=ApiState(
            enabled=True,
            procedure="proj.workflows_temp.wfproc_abc",
            deployed_version="v-abc",
            deployed_definition={"zeta": 1, "alpha": {"y": 2, "b": 3}},
            enabled_at=at(2),
            updated_at=at(3),
        )
        if api
        else None,
    )


def execution(execution_id: str | None = None, *, org: str = ORG) -> Execution:
    return Execution(
        id=execution_id or uuid.uuid4().hex,
        org=org,
        workflow_id="wf-1",
        version="v-abc",
        parameters={"radius": 2.5, "city": "Madrid", "ids": [3, 1, 2]},
        cache_key="k" * 64,
        output_table="proj.workflows_temp.wfproc_abc_out_kkkk",
        procedure="proj.workflows_temp.wfproc_abc",
        connection="main",
        created_at=at(0),
        labels={"wfapi_org": org, "wfapi_workflow": "wf-1"},
    )


def token(token_id: str = "0123456789abcdef", *, org: str = ORG) -> Token:
    return Token(
        token_id=token_id,
        org=org,
        secret_hash="ab" * 32,
        grants=frozenset({Grant.EXECUTE, Grant.EXECUTIONS_READ, Grant.WORKFLOWS_READ}),
        created_at=at(0),
        name="ci",
        workflows=("wf-2", "wf-1"),
        expires_at=at(86_400),
    )


def test_implements_the_ports(store: FirestoreStore) -> None:
    # Checked by mypy through these annotations.
    stores: tuple[ConnectionStore, WorkflowStore, ExecutionStore, TokenStore] = (
        store,
        store,
        store,
        store,
    )
    assert all(s is store for s in stores)


def test_connection_round_trip_and_listing(store: FirestoreStore) -> None:
    impersonating = Connection(ORG, "b-conn", "proj-b", "EU", "wf_tmp", "sa@proj-b.iam")
    default = Connection(ORG, "a-conn", "proj-a")
    store.put_connection(impersonating)
    store.put_connection(default)

    assert store.get_connection(ORG, "b-conn") == impersonating
    assert store.get_connection(ORG, "a-conn") == default
    assert store.get_connection(ORG, "missing") is None
    assert store.list_connections(ORG) == [default, impersonating]


def test_workflow_round_trip_keeps_key_order(store: FirestoreStore) -> None:
    record = workflow()
    store.put_workflow(record)

    got = store.get_workflow(ORG, "wf-1")
    assert got == record
    assert got is not None and got.api is not None
    assert list(got.definition) == ["version", "parameters", "nodes", "edges"]
    assert list(got.definition["nodes"]) == ["z_last", "a_first"]
    assert list(got.api.deployed_definition) == ["zeta", "alpha"]
    assert list(got.api.deployed_definition["alpha"]) == ["y", "b"]
    assert type(got.created_at) is dt.datetime and got.created_at.tzinfo == dt.UTC


def test_workflow_without_api_state_and_replacement(store: FirestoreStore) -> None:
    store.put_workflow(workflow())
    replaced = replace(workflow(api=False), version="v-def", updated_at=at(10))
    store.put_workflow(replaced)
    assert store.get_workflow(ORG, "wf-1") == replaced


def test_delete_workflow_reports_whether_it_existed(store: FirestoreStore) -> None:
    store.put_workflow(workflow())
    assert store.delete_workflow(ORG, "wf-1") is True
    assert store.get_workflow(ORG, "wf-1") is None
    assert store.delete_workflow(ORG, "wf-1") is False


def test_list_workflows_pages_by_id(store: FirestoreStore) -> None:
    ids = sorted(uuid.uuid4().hex for _ in range(7))
    for workflow_id in reversed(ids):  # insertion order must not matter
        store.put_workflow(workflow(workflow_id))
    store.put_workflow(workflow("other-org-wf", org=OTHER_ORG))

    pages: list[list[str]] = []
    after: str | None = None
    while True:
        page = store.list_workflows(ORG, limit=3, after=after)
        if not page:
            break
        pages.append([record.id for record in page])
        after = page[-1].id

    assert pages == [ids[0:3], ids[3:6], ids[6:7]]
    assert store.list_workflows(ORG, limit=10)[0] == workflow(ids[0])


def test_records_are_invisible_to_other_orgs(
    store: FirestoreStore, firestore_client: firestore.Client
) -> None:
    store.put_connection(Connection(ORG, "main", "proj"))
    store.put_workflow(workflow())
    run = execution()
    store.create_execution(run, expire_at=at(3600))
    assert store.claim_idempotency_key(ORG, "h" * 64, run.id, "fp", expire_at=at(3600)) is None
    store.claim_cache_entry(ORG, run.cache_key, run.id, expire_at=at(3600))

    assert store.get_connection(OTHER_ORG, "main") is None
    assert store.list_connections(OTHER_ORG) == []
    assert store.get_workflow(OTHER_ORG, "wf-1") is None
    assert store.list_workflows(OTHER_ORG, limit=10) == []
    assert store.delete_workflow(OTHER_ORG, "wf-1") is False
    assert store.get_execution(OTHER_ORG, run.id) is None
    assert store.get_idempotency_key(OTHER_ORG, "h" * 64) is None
    # Another org's identical request claims its own entry.
    assert store.claim_cache_entry(OTHER_ORG, run.cache_key, "other", expire_at=at(3600)) is None
    # And the originals are still there for their own org.
    assert store.get_workflow(ORG, "wf-1") is not None
    assert store.get_execution(ORG, run.id) == run
    assert org_doc(firestore_client, ORG, "cache_entries", run.cache_key)["execution_id"] == run.id


def test_execution_round_trip_with_error_and_all_timestamps(
    store: FirestoreStore, firestore_client: firestore.Client
) -> None:
    run = replace(
        execution(),
        state=State.FAILED,
        bigquery_job_id="wfapi_exec_x",
        started_at=at(5),
        ended_at=at(9.000001),
        error=JobError("invalidQuery", "Syntax error: Unexpected keyword", "query"),
        cache_enabled=False,
        output_expires_at=at(7 * 86_400),
        reconciled_at=at(11),
        submit_attempts=2,
    )
    store.create_execution(run, expire_at=at(30 * 86_400))

    got = store.get_execution(ORG, run.id)
    assert got == run
    assert got is not None
    assert list(got.parameters) == ["radius", "city", "ids"]
    assert all(
        type(value) is dt.datetime
        for value in (got.created_at, got.started_at, got.ended_at, got.reconciled_at)
    )
    assert got.state is State.FAILED

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


def test_execution_without_error_or_optional_timestamps(store: FirestoreStore) -> None:
    run = execution()
    store.create_execution(run, expire_at=at(3600))
    assert store.get_execution(ORG, run.id) == run
    assert store.get_execution(ORG, "missing") is None


def test_save_execution_compares_state_and_keeps_expire_at(
    store: FirestoreStore, firestore_client: firestore.Client
) -> None:
    created = execution()
    store.create_execution(created, expire_at=at(3600))
    running = created.transition(State.RUNNING, at=at(5))

    # A stale expectation loses and changes nothing.
    assert store.save_execution(running, expected_state="running") is False
    assert store.get_execution(ORG, created.id) == created

    assert store.save_execution(running, expected_state="created") is True
    assert store.get_execution(ORG, created.id) == running

    # A second writer that also saw `created` now loses.
    failed = created.transition(State.FAILED, at=at(6), error=JobError("x", "y"))
    assert store.save_execution(failed, expected_state=State.CREATED) is False
    assert store.get_execution(ORG, created.id) == running

    done = running.transition(State.SUCCEEDED, at=at(9))
    assert store.save_execution(done, expected_state=State.RUNNING) is True
    assert store.get_execution(ORG, created.id) == done
    assert org_doc(firestore_client, ORG, "executions", created.id)["expire_at"] == at(3600)


def test_save_execution_of_a_missing_execution_is_false(store: FirestoreStore) -> None:
    ghost = execution()
    assert store.save_execution(ghost, expected_state="created") is False
    assert store.get_execution(ORG, ghost.id) is None


def test_delete_execution(store: FirestoreStore) -> None:
    run = execution()
    store.create_execution(run, expire_at=at(3600))
    store.delete_execution(ORG, run.id)
    assert store.get_execution(ORG, run.id) is None
    store.delete_execution(ORG, run.id)  # deleting again is fine


def test_claim_cache_entry_has_exactly_one_winner_under_contention(
    store: FirestoreStore, firestore_client: firestore.Client
) -> None:
    contenders = [uuid.uuid4().hex for _ in range(20)]
    results: dict[str, str | None] = {}
    failures: list[BaseException] = []
    start = threading.Barrier(len(contenders))

    def claim(execution_id: str) -> None:
        start.wait()
        try:
            results[execution_id] = store.claim_cache_entry(
                ORG, "hot-key", execution_id, expire_at=at(3600)
            )
        except Exception as exc:  # recorded, asserted below
            failures.append(exc)

    threads = [threading.Thread(target=claim, args=(c,)) for c in contenders]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began

    assert failures == []
    winners = [c for c, holder in results.items() if holder is None]
    assert len(winners) == 1
    winner = winners[0]
    assert {holder for c, holder in results.items() if c != winner} == {winner}
    assert len(results) == len(contenders)
    entry = org_doc(firestore_client, ORG, "cache_entries", "hot-key")
    assert entry["execution_id"] == winner
    assert entry["expire_at"] == at(3600)
    assert isinstance(entry["updated_at"], dt.datetime)
    # No lock waits: create-if-absent does not queue like contended transactions do.
    assert elapsed < 10, f"20 claims took {elapsed:.1f}s"


def test_replace_cache_entry_is_compare_and_swap(
    store: FirestoreStore, firestore_client: firestore.Client
) -> None:
    assert store.claim_cache_entry(ORG, "key", "exec-a", expire_at=at(60)) is None

    assert store.replace_cache_entry(ORG, "key", "exec-z", "exec-b", expire_at=at(120)) is False
    assert store.claim_cache_entry(ORG, "key", "probe", expire_at=at(60)) == "exec-a"

    assert store.replace_cache_entry(ORG, "key", "exec-a", "exec-b", expire_at=at(120)) is True
    entry = org_doc(firestore_client, ORG, "cache_entries", "key")
    assert entry["execution_id"] == "exec-b"
    assert entry["expire_at"] == at(120)
    assert isinstance(entry["expire_at"], dt.datetime)

    # The old expectation is stale now.
    assert store.replace_cache_entry(ORG, "key", "exec-a", "exec-c", expire_at=at(180)) is False
    assert store.claim_cache_entry(ORG, "key", "probe", expire_at=at(60)) == "exec-b"


def test_replace_cache_entry_races_have_one_winner(
    store: FirestoreStore, firestore_client: firestore.Client
) -> None:
    store.claim_cache_entry(ORG, "key", "stale", expire_at=at(60))
    contenders = [uuid.uuid4().hex for _ in range(10)]
    results: dict[str, bool] = {}
    start = threading.Barrier(len(contenders))

    def swap(execution_id: str) -> None:
        start.wait()
        results[execution_id] = store.replace_cache_entry(
            ORG, "key", "stale", execution_id, expire_at=at(120)
        )

    threads = [threading.Thread(target=swap, args=(c,)) for c in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [c for c, won in results.items() if won]
    assert len(results) == len(contenders)
    assert len(winners) == 1
    assert org_doc(firestore_client, ORG, "cache_entries", "key")["execution_id"] == winners[0]


def test_replace_cache_entry_without_entry_claims_it(store: FirestoreStore) -> None:
    assert store.replace_cache_entry(ORG, "gone", "expired", "exec-b", expire_at=at(60)) is True
    assert store.claim_cache_entry(ORG, "gone", "probe", expire_at=at(60)) == "exec-b"


def test_idempotency_key_round_trip(
    store: FirestoreStore, firestore_client: firestore.Client
) -> None:
    assert store.get_idempotency_key(ORG, "h1") is None
    assert store.claim_idempotency_key(ORG, "h1", "exec-1", "fingerprint-1", at(86_400)) is None
    assert store.get_idempotency_key(ORG, "h1") == ("exec-1", "fingerprint-1")
    # Create-if-absent: a second claim keeps the first and says what it holds.
    held = store.claim_idempotency_key(ORG, "h1", "exec-2", "fingerprint-2", at(86_400))
    assert held == ("exec-1", "fingerprint-1")
    assert store.claim_idempotency_key(ORG, "h1", "exec-1", "fingerprint-1", at(86_400)) is None
    assert org_doc(firestore_client, ORG, "idempotency_keys", "h1")["expire_at"] == at(86_400)


def test_token_round_trip_never_stores_a_secret(
    store: FirestoreStore, firestore_client: firestore.Client
) -> None:
    issued = token()
    everywhere = replace(token("fedcba9876543210"), workflows=None, expires_at=None, name="")
    store.create_token(issued)
    store.create_token(everywhere)
    store.create_token(token("1111111111111111", org=OTHER_ORG))

    assert store.get_token(issued.token_id) == issued
    assert store.get_token(everywhere.token_id) == everywhere
    assert store.get_token("ffffffffffffffff") is None
    assert store.list_tokens(ORG) == [issued, everywhere]

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


def test_revoke_token(store: FirestoreStore) -> None:
    issued = token()
    store.create_token(issued)
    assert store.revoke_token(issued.token_id, at(100)) is True

    revoked = store.get_token(issued.token_id)
    assert revoked == replace(issued, revoked_at=at(100))
    assert revoked is not None and not revoked.is_active(at(101))
    assert store.revoke_token("ffffffffffffffff", at(100)) is False
    assert store.get_token("ffffffffffffffff") is None


def test_naive_datetimes_are_refused(store: FirestoreStore) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.put_workflow(replace(workflow(), created_at=dt.datetime(2024, 1, 1)))


def test_unreachable_firestore_raises_backend_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Nothing listens on this port: every call fails with ServiceUnavailable.
    settings = Settings.from_env({"FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{free_port()}"})
    monkeypatch.setattr(firestore_store, "RETRY_DEADLINE_SECONDS", 1.0)
    store = FirestoreStore(clients.firestore_client(settings))

    began = time.monotonic()
    with pytest.raises(BackendUnavailable) as raised:
        store.get_workflow(ORG, "wf-1")
    assert raised.value.backend == "firestore"
    assert time.monotonic() - began < 10


def test_find_workflow_by_procedure(store: FirestoreStore) -> None:
    store.put_workflow(workflow("wf-1"))
    store.put_workflow(replace(workflow("wf-2"), api=None))
    found = store.find_workflow_by_procedure(ORG, "proj.workflows_temp.wfproc_abc")
    assert found is not None and found.id == "wf-1"
    assert store.find_workflow_by_procedure(ORG, "proj.workflows_temp.wfproc_other") is None
    assert store.find_workflow_by_procedure(OTHER_ORG, "proj.workflows_temp.wfproc_abc") is None


def test_list_executions_newest_first_with_filters_and_cursor(store: FirestoreStore) -> None:
    made = []
    for i in range(7):
        run = replace(
            execution(f"exec-{i}"),
            workflow_id="wf-1",
            created_at=at(i),
            state=State.SUCCEEDED if i % 2 else State.FAILED,
        )
        store.create_execution(run, expire_at=at(86_400))
        made.append(run)
    store.create_execution(replace(execution("elsewhere"), workflow_id="wf-2"), at(86_400))
    newest_first = [e.id for e in reversed(made)]

    seen: list[str] = []
    after = None
    while True:
        page = store.list_executions(ORG, "wf-1", limit=3, after_id=after)
        seen += [e.id for e in page]
        if len(page) < 3:
            break
        after = page[-1].id
    assert seen == newest_first
    assert store.list_executions(ORG, "wf-1", limit=10, state="succeeded") == [
        e for e in reversed(made) if e.state == State.SUCCEEDED
    ]
    window = store.list_executions(ORG, "wf-1", limit=10, created_after=at(2), created_before=at(5))
    assert [e.id for e in window] == ["exec-4", "exec-3", "exec-2"]
    assert store.list_executions(OTHER_ORG, "wf-1", limit=10) == []


def test_trigger_rejection_round_trip(store: FirestoreStore) -> None:
    from workflows_api.service.ports import TriggerRejection

    rejection = TriggerRejection(
        org=ORG,
        message_id="m-1",
        topic="projects/p/topics/t",
        code="invalid_parameters",
        message="number_of_clusters: expected INT64",
        received_at=at(5),
        workflow_id="wf-1",
    )
    store.record_trigger_rejection(rejection, expire_at=at(86_400))
    assert store.get_trigger_rejection(ORG, "m-1") == rejection
    assert store.get_trigger_rejection(OTHER_ORG, "m-1") is None


def test_principal_round_trip_listing_and_removal(store: FirestoreStore) -> None:
    from workflows_api.domain.tokens import Principal

    scheduler = Principal(
        "scheduler@p.iam.gserviceaccount.com", ORG, frozenset({Grant.EXECUTE}), at(1), ("wf-1",)
    )
    other = Principal("x@p.iam.gserviceaccount.com", OTHER_ORG, frozenset({Grant.EXECUTE}), at(2))
    store.put_principal(scheduler)
    store.put_principal(other)
    assert store.get_principal("Scheduler@p.iam.gserviceaccount.com") == scheduler
    assert store.list_principals(ORG) == [scheduler]
    assert store.delete_principal(scheduler.email) is True
    assert store.delete_principal(scheduler.email) is False
    assert store.get_principal(scheduler.email) is None


def test_webhooks_secrets_and_delivery_attempts(store: FirestoreStore) -> None:
    from workflows_api.domain.webhooks import DeliveryAttempt, WebhookConfig

    config = WebhookConfig(ORG, "wf-1", ("https://a.example/h", "https://b.example/h"), at(1))
    store.put_webhooks(config)
    store.put_signing_secret(ORG, "wf-1", "whsec_abc")
    assert store.get_webhooks(ORG, "wf-1") == config
    assert store.get_signing_secret(ORG, "wf-1") == "whsec_abc"
    assert store.get_webhooks(OTHER_ORG, "wf-1") is None
    store.delete_webhooks(ORG, "wf-1")
    assert store.get_webhooks(ORG, "wf-1") is None
    store.delete_signing_secret(ORG, "wf-1")
    assert store.get_signing_secret(ORG, "wf-1") is None

    run = execution()
    store.create_execution(run, expire_at=at(86_400))
    first = DeliveryAttempt("https://a.example/h", 1, at(2), "succeeded", 500, None)
    second = DeliveryAttempt("https://a.example/h", 2, at(3), "succeeded", None, "timeout")
    store.record_delivery_attempt(ORG, run.id, first)
    store.record_delivery_attempt(ORG, run.id, second)
    stored = store.get_execution(ORG, run.id)
    assert stored is not None and stored.deliveries == (first, second)
    # A state write afterwards keeps the recorded attempts.
    assert store.save_execution(replace(stored, deliveries=()), expected_state="created")
    again = store.get_execution(ORG, run.id)
    assert again is not None and again.deliveries == (first, second)
