"""The sweep's queries on Firestore: every org's executions that may need a nudge.

They read the `executions` collection group (orgs/{org}/executions, owned by
executions.py) and are served by COLLECTION_GROUP_INDEXES, which infra/ declares.
"""

from __future__ import annotations

import datetime as dt

from google.cloud import firestore

from workflows_api.adapters.firestore.documents import FirestoreCollections, run_query, timestamp
from workflows_api.adapters.firestore.execution_documents import execution_from_document
from workflows_api.domain.execution.states import Execution, State

# Collection-group indexes (over every org's executions), one per query below.
COLLECTION_GROUP_INDEXES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "executions",
        (("state", "ASCENDING"), ("reconciled_at", "ASCENDING"), ("created_at", "ASCENDING")),
    ),
    ("executions", (("state", "ASCENDING"), ("reconciled_at", "ASCENDING"))),
)


class FirestoreSweepQueries(FirestoreCollections):
    """ExecutionStore's queries over every org (the sweep)."""

    def list_unconfirmed_executions(self, before: dt.datetime, limit: int) -> list[Execution]:
        # Every org's executions: served by COLLECTION_GROUP_INDEXES. Every record is
        # written with `reconciled_at` (null until a job report), so `== None` (IS NULL)
        # matches the records of every release, and none whose job BigQuery reported.
        query = (
            self._client.collection_group("executions")
            .where(filter=firestore.FieldFilter("state", "==", State.CREATED.value))
            .where(filter=firestore.FieldFilter("reconciled_at", "==", None))
            .where(filter=firestore.FieldFilter("created_at", "<", timestamp(before)))
            .order_by("created_at")
            .limit(limit)
        )
        return [execution_from_document(s.to_dict() or {}) for s in run_query(query)]

    def list_unsettled_executions(self, checked_before: dt.datetime, limit: int) -> list[Execution]:
        # One query per open state (equality + range on reconciled_at, served by
        # COLLECTION_GROUP_INDEXES), merged: null `reconciled_at` (never confirmed)
        # never matches a range, so those stay list_unconfirmed_executions' alone.
        found: list[Execution] = []
        for state in (State.CREATED, State.RUNNING):
            query = (
                self._client.collection_group("executions")
                .where(filter=firestore.FieldFilter("state", "==", state.value))
                .where(
                    filter=firestore.FieldFilter("reconciled_at", "<", timestamp(checked_before))
                )
                .order_by("reconciled_at")
                .limit(limit)
            )
            found.extend(execution_from_document(s.to_dict() or {}) for s in run_query(query))
        found.sort(key=lambda e: (e.reconciled_at, e.org, e.id))
        return found[:limit]
