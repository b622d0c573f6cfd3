"""SlotStore on Firestore: concurrency slots, an org's limits, and queries of its queue.

Collections owned (slots exist only while held, so an org has at most its limit of them):

    orgs/{org}/slots/{slot_id}          a lease: execution_id, workflow_id, claimed_at
    orgs/{org}/limits/concurrency       max_concurrent, max_queued (draining_from,
                                        lowered_at: while a lowered limit drains)

A slot is claimed by create() (atomic create-if-absent: one holder, no transaction, no
lock waits) and freed by a delete conditioned on the update time of the read that saw it
name its execution. The queue is the org's `executions` whose state is `queued`: listed
and counted (a count() aggregation, billed per 1,000 index entries) through
QUEUE_INDEXES, declared in infra/ like the other indexes.
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
    optional_timestamp,
    optional_utc,
    read,
    run_query,
    timestamp,
    utc,
    write,
)
from workflows_api.adapters.firestore.execution_documents import execution_from_document
from workflows_api.domain.execution.limits import OrgLimits, Slot
from workflows_api.domain.execution.states import Execution, State

# The org's queue, oldest first (collection scope), and every org's (the sweep's group).
LIMITS_DOCUMENT = "concurrency"  # orgs/{org}/limits/concurrency
QUEUE_INDEX = ("executions", (("state", "ASCENDING"), ("created_at", "ASCENDING")))


class FirestoreSlots(FirestoreCollections):
    """SlotStore."""

    def list_slots(self, org: str) -> list[Slot]:
        slots = self._org(org, "slots")
        held = call(lambda: slots.get(**ONE_ATTEMPT))
        return [_slot(s.id, s.to_dict() or {}) for s in held]

    def claim_slot(self, org: str, slot: Slot) -> bool:
        ref = self._org(org, "slots").document(slot.slot_id)
        doc = slot_document(slot)
        try:
            call(lambda: ref.create(doc, **ONE_ATTEMPT))
            return True
        except exceptions.Conflict:
            held = read(ref)
            # Our own id: an earlier attempt of this create went through.
            return held is not None and held.get("execution_id") == slot.execution_id

    def release_slot(self, org: str, slot_id: str, execution_id: str) -> bool:
        ref = self._org(org, "slots").document(slot_id)
        snapshot = call(lambda: ref.get(**ONE_ATTEMPT))
        if not snapshot.exists or snapshot.get("execution_id") != execution_id:
            return False
        unchanged = firestore.Client.write_option(last_update_time=snapshot.update_time)
        try:
            call(lambda: ref.delete(option=unchanged, **ONE_ATTEMPT))
        except (exceptions.FailedPrecondition, exceptions.NotFound):
            return False
        return True

    def _queue(self, org: str) -> firestore.Query:
        return self._org(org, "executions").where(
            filter=firestore.FieldFilter("state", "==", State.QUEUED.value)
        )

    def list_queued_executions(self, org: str, limit: int) -> list[Execution]:
        query = self._queue(org).order_by("created_at").order_by(FieldPath.document_id())
        return [execution_from_document(s.to_dict() or {}) for s in run_query(query.limit(limit))]

    def count_queued_executions(self, org: str, before: dt.datetime | None = None) -> int:
        query = self._queue(org)
        if before is not None:
            query = query.where(filter=firestore.FieldFilter("created_at", "<", timestamp(before)))
        counted = query.count(alias="queued")
        results: Any = call(lambda: counted.get(**ONE_ATTEMPT))
        return int(results[0][0].value)

    def list_queued_orgs(self, limit: int) -> list[str]:
        query = (
            self._client.collection_group("executions")
            .where(filter=firestore.FieldFilter("state", "==", State.QUEUED.value))
            .order_by("created_at")
            .limit(limit)
        )
        return list(dict.fromkeys(str(s.get("org")) for s in run_query(query)))

    def get_org_limits(self, org: str) -> OrgLimits | None:
        data = read(self._org(org, "limits").document(LIMITS_DOCUMENT))
        return None if data is None else limits_from_doc(org, data)

    def put_org_limits(self, limits: OrgLimits) -> None:
        write(self._org(limits.org, "limits").document(LIMITS_DOCUMENT), _limits_document(limits))

    def replace_org_limits(self, expected: OrgLimits, limits: OrgLimits) -> bool:
        ref = self._org(limits.org, "limits").document(LIMITS_DOCUMENT)
        snapshot = call(lambda: ref.get(**ONE_ATTEMPT))
        if not snapshot.exists or limits_from_doc(limits.org, snapshot.to_dict() or {}) != expected:
            return False
        unchanged = firestore.Client.write_option(last_update_time=snapshot.update_time)
        try:
            call(lambda: ref.update(_limits_document(limits), option=unchanged, **ONE_ATTEMPT))
        except (exceptions.FailedPrecondition, exceptions.NotFound):
            return False
        return True


def limits_from_doc(org: str, data: dict[str, Any]) -> OrgLimits:
    draining_from = data.get("draining_from")
    return OrgLimits(
        org,
        int(data["max_concurrent"]),
        int(data["max_queued"]),
        None if draining_from is None else int(draining_from),
        optional_utc(data.get("lowered_at")),
    )


def _limits_document(limits: OrgLimits) -> dict[str, Any]:
    return {
        "max_concurrent": limits.max_concurrent,
        "max_queued": limits.max_queued,
        "draining_from": limits.draining_from,
        "lowered_at": optional_timestamp(limits.lowered_at),
    }


def slot_create(
    org: firestore.DocumentReference, slot: Slot
) -> tuple[firestore.DocumentReference, dict[str, Any]]:
    """The slot's document under the org's, and what creating it writes (for a batch of
    creates that holds other aggregates' too: ExecutionStore.admit_execution)."""
    return org.collection("slots").document(slot.slot_id), slot_document(slot)


def slot_document(slot: Slot) -> dict[str, Any]:
    return {
        "execution_id": slot.execution_id,
        "workflow_id": slot.workflow_id,
        "claimed_at": timestamp(slot.claimed_at),
    }


def _slot(slot_id: str, data: dict[str, Any]) -> Slot:
    return Slot(slot_id, data["execution_id"], data["workflow_id"], utc(data["claimed_at"]))
