"""Every store port of `service/ports.py` on Firestore, one module per aggregate:

    workflows.py            connections, workflows
    executions.py           executions, cache entries, idempotency keys
    admission_reads.py      an execute's reads across these, each set in one round trip
    sweep_queries.py        every org's executions the sweep looks for
    slots.py                concurrency slots, org limits, the queue's queries
    access.py               tokens, principals
    schedules.py            schedule records (Cloud Scheduler holds their jobs)
    webhooks.py             webhooks, webhook signing secrets (local stack)
    trigger_rejections.py   Pub/Sub messages that started no execution
    documents.py            shared: deadlines, retries, conditional writes, timestamps

Each module's docstring lists the collections it owns.
"""

from __future__ import annotations

from workflows_api.adapters.firestore.access import FirestoreAccess
from workflows_api.adapters.firestore.admission_reads import FirestoreAdmissionReads
from workflows_api.adapters.firestore.executions import (
    COMPOSITE_INDEXES as EXECUTION_INDEXES,
)
from workflows_api.adapters.firestore.executions import FirestoreExecutions
from workflows_api.adapters.firestore.schedules import FirestoreSchedules
from workflows_api.adapters.firestore.slots import QUEUE_INDEX, FirestoreSlots
from workflows_api.adapters.firestore.sweep_queries import (
    COLLECTION_GROUP_INDEXES as SWEEP_INDEXES,
)
from workflows_api.adapters.firestore.sweep_queries import FirestoreSweepQueries
from workflows_api.adapters.firestore.trigger_rejections import FirestoreTriggerRejections
from workflows_api.adapters.firestore.webhooks import FirestoreWebhooks
from workflows_api.adapters.firestore.workflows import FirestoreWorkflows

__all__ = ["COLLECTION_GROUP_INDEXES", "COMPOSITE_INDEXES", "FirestoreStore"]

# Every index the queries need: collection scope (per org) and collection group.
COMPOSITE_INDEXES = (*EXECUTION_INDEXES, QUEUE_INDEX)
COLLECTION_GROUP_INDEXES = (*SWEEP_INDEXES, QUEUE_INDEX)


class FirestoreStore(
    FirestoreWorkflows,
    FirestoreExecutions,
    FirestoreAdmissionReads,
    FirestoreSweepQueries,
    FirestoreSlots,
    FirestoreAccess,
    FirestoreWebhooks,
    FirestoreTriggerRejections,
    FirestoreSchedules,
):
    """ConnectionStore, WorkflowStore, ExecutionStore, TokenStore, PrincipalStore,
    WebhookStore, SigningSecrets, TriggerRejectionStore and ScheduleStore on one client, so the
    composition root wires one `store`: `FirestoreStore(client)`."""
