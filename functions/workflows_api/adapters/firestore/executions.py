"""ExecutionStore on Firestore: executions, the cache entries and idempotency keys
that point at them.

Collections owned (partitioned by org; execution ids are random, so writes do not
hotspot):

    orgs/{org}/executions/{execution_id}       expire_at: TTL field
    orgs/{org}/cache_entries/{cache_key}       expire_at: TTL field
    orgs/{org}/idempotency_keys/{key_hash}     expire_at: TTL field

An uncontended admission creates its execution, cache entry, idempotency key and slots
(slots.py's documents, made by slot_create) in one batched commit (admit_execution).

An execution document holds the Execution's fields (parameters as a JSON string, to
keep their order), its `number` (derived from the id, written with the rest: the
single-field index on it serves find_executions_by_number), `expire_at` (set on
creation only) and `webhook_deliveries` (appended by record_delivery_attempt, never
rewritten by save_execution).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.api_core import exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.field_path import FieldPath

from workflows_api.adapters.firestore.documents import (
    ONE_ATTEMPT,
    FirestoreCollections,
    call,
    delete,
    read,
    run_query,
    timestamp,
    update_unchanged,
    update_unchanged_since,
    write,
)
from workflows_api.adapters.firestore.execution_documents import (
    delivery_to_document,
    execution_from_document,
    execution_to_document,
)
from workflows_api.adapters.firestore.own_writes import OwnWrites
from workflows_api.adapters.firestore.slots import slot_create
from workflows_api.domain.execution.admissions import Admission, IdempotencyClaim
from workflows_api.domain.execution.delivery_attempts import DeliveryAttempt
from workflows_api.domain.execution.states import Execution
from workflows_api.service.errors import BackendUnavailable

# The composite indexes list_executions needs (collection group, fields in order).
# Firestore answers these queries only once the index exists; infra/ declares them.
COMPOSITE_INDEXES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("executions", (("workflow_id", "ASCENDING"), ("created_at", "DESCENDING"))),
    (
        "executions",
        (("workflow_id", "ASCENDING"), ("state", "ASCENDING"), ("created_at", "DESCENDING")),
    ),
    (
        "executions",
        (("workflow_id", "ASCENDING"), ("trigger", "ASCENDING"), ("created_at", "DESCENDING")),
    ),
    (
        "executions",
        (
            ("workflow_id", "ASCENDING"),
            ("state", "ASCENDING"),
            ("trigger", "ASCENDING"),
            ("created_at", "DESCENDING"),
        ),
    ),
)
_CLAIM_ATTEMPTS = 3
_IN_LIMIT = 30  # Firestore's most values for an `in` filter


class FirestoreExecutions(FirestoreCollections):
    """ExecutionStore."""

    def __init__(self, client: firestore.Client) -> None:
        super().__init__(client)
        self._own_writes = OwnWrites()

    def create_execution(self, execution: Execution, expire_at: dt.datetime) -> None:
        ref = self._org(execution.org, "executions").document(execution.id)
        doc = {**execution_to_document(execution), "expire_at": timestamp(expire_at)}
        written = write(ref, doc)
        self._own_writes.wrote(execution.org, execution.id, execution.state.value, written)

    def admit_execution(self, admission: Admission) -> bool:
        execution = admission.execution
        org = self._client.collection("orgs").document(execution.org)
        record = org.collection("executions").document(execution.id)
        batch = self._client.batch()  # one commit: every create lands, or none
        batch.create(
            record,
            {**execution_to_document(execution), "expire_at": timestamp(admission.expire_at)},
        )
        for slot in admission.slots:
            batch.create(*slot_create(org, slot))
        if admission.cache_entry_expire_at is not None:
            entry = org.collection("cache_entries").document(execution.cache_key)
            batch.create(entry, _cache_entry_doc(execution.id, admission.cache_entry_expire_at))
        claim = admission.idempotency_key
        if claim is not None:
            key = org.collection("idempotency_keys").document(claim.key_hash)
            batch.create(key, _idempotency_key_doc(execution.id, claim))
        try:
            # A retried commit that had landed conflicts with itself: the caller then
            # claims one by one, and finds each claim already its own.
            written = call(lambda: batch.commit(**ONE_ATTEMPT))
        except exceptions.Conflict:
            return False
        update_time = written[0].update_time
        self._own_writes.wrote(execution.org, execution.id, execution.state.value, update_time)
        return True

    def get_execution(self, org: str, execution_id: str) -> Execution | None:
        data = read(self._org(org, "executions").document(execution_id))
        return None if data is None else execution_from_document(data)

    def find_executions_by_number(self, org: str, number: int, *, limit: int) -> list[Execution]:
        # Firestore's default single-field index on `number` serves it (ordered by id).
        query = self._org(org, "executions").where(
            filter=firestore.FieldFilter("number", "==", number)
        )
        return [execution_from_document(s.to_dict() or {}) for s in run_query(query.limit(limit))]

    def save_execution(self, execution: Execution, *, expected_state: str) -> bool:
        # An update conditioned on the update time of the write that left it in
        # `expected_state`: no transaction, so concurrent writers (status reads,
        # completion events) never wait on locks. That write is read first, unless it
        # was this process's own (own_writes.py: Firestore still checks it).
        org, execution_id = execution.org, execution.id
        ref = self._org(org, "executions").document(execution_id)
        # No expire_at nor webhook_deliveries in the doc: update() keeps the stored ones.
        doc = execution_to_document(execution)
        known = self._own_writes.update_time_if(org, execution_id, str(expected_state))
        written = None if known is None else update_unchanged_since(ref, known, doc)
        if written is None:
            snapshot = call(lambda: ref.get(**ONE_ATTEMPT))
            if not snapshot.exists or snapshot.get("state") != expected_state:
                self._own_writes.forget(org, execution_id)
                return False
            written = update_unchanged_since(ref, snapshot.update_time, doc)
        if written is None:
            self._own_writes.forget(org, execution_id)
            return False
        self._own_writes.wrote(org, execution_id, execution.state.value, written)
        return True

    def record_delivery_attempt(
        self, org: str, execution_id: str, attempt: DeliveryAttempt
    ) -> None:
        # ArrayUnion appends without reading: attempts never race with state writes,
        # which end once the execution is terminal.
        ref = self._org(org, "executions").document(execution_id)
        entry = delivery_to_document(attempt)
        call(
            lambda: ref.update({"webhook_deliveries": firestore.ArrayUnion([entry])}, **ONE_ATTEMPT)
        )

    def list_executions(
        self,
        org: str,
        workflow_id: str,
        *,
        limit: int,
        state: str | None = None,
        created_after: dt.datetime | None = None,
        created_before: dt.datetime | None = None,
        after_id: str | None = None,
        trigger: str | None = None,
    ) -> list[Execution]:
        # Served by the composite indexes in COMPOSITE_INDEXES (Terraform creates them).
        executions = self._org(org, "executions")
        query = executions.where(filter=firestore.FieldFilter("workflow_id", "==", workflow_id))
        if state is not None:
            query = query.where(filter=firestore.FieldFilter("state", "==", state))
        if trigger is not None:
            query = query.where(filter=firestore.FieldFilter("trigger", "==", trigger))
        if created_after is not None:
            query = query.where(
                filter=firestore.FieldFilter("created_at", ">=", timestamp(created_after))
            )
        if created_before is not None:
            query = query.where(
                filter=firestore.FieldFilter("created_at", "<", timestamp(created_before))
            )
        query = query.order_by("created_at", direction=firestore.Query.DESCENDING).order_by(
            FieldPath.document_id(), direction=firestore.Query.DESCENDING
        )
        if after_id is not None:
            last = call(lambda: executions.document(after_id).get(**ONE_ATTEMPT))
            if not last.exists:
                return []
            query = query.start_after(last)
        return [execution_from_document(s.to_dict() or {}) for s in run_query(query.limit(limit))]

    def list_org_executions(
        self,
        org: str,
        *,
        limit: int,
        workflow_ids: tuple[str, ...] | None = None,
        after_id: str | None = None,
    ) -> list[Execution]:
        executions = self._org(org, "executions")
        newest_first = executions.order_by(
            "created_at", direction=firestore.Query.DESCENDING
        ).order_by(FieldPath.document_id(), direction=firestore.Query.DESCENDING)
        if after_id is not None:
            last = call(lambda: executions.document(after_id).get(**ONE_ATTEMPT))
            if not last.exists:
                return []
            newest_first = newest_first.start_after(last)
        if workflow_ids is None:  # the single-field index on created_at serves it
            queries = [newest_first]
        else:  # `in` takes 30 values at most: one query per chunk, merged below
            chunks = [
                workflow_ids[i : i + _IN_LIMIT] for i in range(0, len(workflow_ids), _IN_LIMIT)
            ]
            queries = [
                newest_first.where(filter=firestore.FieldFilter("workflow_id", "in", list(chunk)))
                for chunk in chunks
            ]
        found = [
            execution_from_document(s.to_dict() or {})
            for q in queries
            for s in run_query(q.limit(limit))
        ]
        found.sort(key=lambda e: (e.created_at, e.id), reverse=True)
        return found[:limit]

    def delete_execution(self, org: str, execution_id: str) -> None:
        delete(self._org(org, "executions").document(execution_id))
        self._own_writes.forget(org, execution_id)

    # Cache entries: the execution currently answering a cache key.

    def get_cache_entry(self, org: str, key: str) -> str | None:
        return _cache_holder(self._org(org, "cache_entries").document(key))

    def claim_cache_entry(
        self, org: str, key: str, execution_id: str, expire_at: dt.datetime
    ) -> str | None:
        ref = self._org(org, "cache_entries").document(key)
        doc = _cache_entry_doc(execution_id, expire_at)
        # create() is an atomic create-if-absent: no transaction, so no lock waits
        # when many identical requests arrive at once.
        for _ in range(_CLAIM_ATTEMPTS):
            try:
                call(lambda: ref.create(doc, **ONE_ATTEMPT))
                return None
            except exceptions.Conflict:
                pass
            holder = _cache_holder(ref)
            if holder is not None:
                # Our own id: an earlier attempt of this create went through.
                return None if holder == execution_id else holder
            # Deleted between our create and our read (TTL, or its holder): try again.
        raise BackendUnavailable("firestore", f"cache entry {key!r} keeps changing")

    def replace_cache_entry(
        self,
        org: str,
        key: str,
        expected_execution_id: str,
        execution_id: str,
        expire_at: dt.datetime,
    ) -> bool:
        ref = self._org(org, "cache_entries").document(key)
        snapshot = call(lambda: ref.get(**ONE_ATTEMPT))
        if not snapshot.exists:
            return self.claim_cache_entry(org, key, execution_id, expire_at) is None
        if snapshot.get("execution_id") != expected_execution_id:
            return False
        if update_unchanged(ref, snapshot, _cache_entry_doc(execution_id, expire_at)):
            return True
        # Someone else wrote first, unless it was an earlier attempt of ours
        # (execution ids are unique to their request).
        return _cache_holder(ref) == execution_id

    # Idempotency keys

    def get_idempotency_key(self, org: str, key_hash: str) -> tuple[str, str] | None:
        data = read(self._org(org, "idempotency_keys").document(key_hash))
        return None if data is None else (data["execution_id"], data["fingerprint"])

    def claim_idempotency_key(
        self, org: str, key_hash: str, execution_id: str, fingerprint: str, expire_at: dt.datetime
    ) -> tuple[str, str] | None:
        ref = self._org(org, "idempotency_keys").document(key_hash)
        doc = _idempotency_key_doc(execution_id, IdempotencyClaim(key_hash, fingerprint, expire_at))
        try:
            call(lambda: ref.create(doc, **ONE_ATTEMPT))
            return None
        except exceptions.Conflict:
            pass
        held = self.get_idempotency_key(org, key_hash)
        # Our own id: an earlier attempt of this create went through.
        return None if held is None or held[0] == execution_id else held


def _cache_holder(ref: firestore.DocumentReference) -> str | None:
    return holder_of(read(ref))


def holder_of(entry: dict[str, Any] | None) -> str | None:
    """The execution id a cache entry's document names (None: no entry)."""
    return None if entry is None else str(entry["execution_id"])


def _idempotency_key_doc(execution_id: str, claim: IdempotencyClaim) -> dict[str, Any]:
    return {
        "execution_id": execution_id,
        "fingerprint": claim.fingerprint,
        "expire_at": timestamp(claim.expire_at),
    }


def _cache_entry_doc(execution_id: str, expire_at: dt.datetime) -> dict[str, Any]:
    return {
        "execution_id": execution_id,
        "expire_at": timestamp(expire_at),
        "updated_at": firestore.SERVER_TIMESTAMP,
    }
