"""An execute's reads across aggregates, each set in one BatchGetDocuments (one round
trip, one snapshot): what `service/admission.py` needs before it decides. The
documents stay their own modules' (workflows.py, slots.py, executions.py); this only
reads them together."""

from __future__ import annotations

from typing import Any

from google.cloud import firestore

from workflows_api.adapters.firestore.documents import FirestoreCollections, read_all
from workflows_api.adapters.firestore.executions import holder_of
from workflows_api.adapters.firestore.slots import LIMITS_DOCUMENT, limits_from_doc
from workflows_api.adapters.firestore.workflows import connection_from_doc, workflow_from_doc
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.limits import OrgLimits
from workflows_api.domain.workflow.records import WorkflowRecord


class FirestoreAdmissionReads(FirestoreCollections):
    def cache_entry_with_connection(
        self, org: str, key: str, connection_id: str
    ) -> tuple[str | None, Connection | None]:
        entry, connection = read_all(
            self._client, self._entry_and_connection(org, key, connection_id)
        )
        return _decoded(org, connection_id, entry, connection)

    def workflow_with_cache_entry(
        self, org: str, workflow_id: str, key: str, connection_id: str
    ) -> tuple[WorkflowRecord | None, OrgLimits | None, str | None, Connection | None]:
        refs = [
            self._org(org, "workflows").document(workflow_id),
            self._org(org, "limits").document(LIMITS_DOCUMENT),
            *self._entry_and_connection(org, key, connection_id),
        ]
        workflow, limits, entry, connection = read_all(self._client, refs)
        return (
            None if workflow is None else workflow_from_doc(org, workflow_id, workflow),
            None if limits is None else limits_from_doc(org, limits),
            *_decoded(org, connection_id, entry, connection),
        )

    def _entry_and_connection(
        self, org: str, key: str, connection_id: str
    ) -> list[firestore.DocumentReference]:
        return [
            self._org(org, "cache_entries").document(key),
            self._org(org, "connections").document(connection_id),
        ]


def _decoded(
    org: str, connection_id: str, entry: dict[str, Any] | None, connection: dict[str, Any] | None
) -> tuple[str | None, Connection | None]:
    """The cache entry's holder and the connection, from their documents (None: absent)."""
    found = None if connection is None else connection_from_doc(org, connection_id, connection)
    return holder_of(entry), found
