"""An execute's reads across aggregates, each set in one BatchGetDocuments (one round
trip, one snapshot): what `service/admission.py` needs before it decides. The
documents stay their own modules' (workflows.py, executions.py); this only reads them
together."""

from __future__ import annotations

from workflows_api.adapters.firestore.documents import FirestoreCollections, read_all
from workflows_api.adapters.firestore.executions import holder_of
from workflows_api.adapters.firestore.workflows import connection_from_doc, workflow_from_doc
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.workflow.records import WorkflowRecord


class FirestoreAdmissionReads(FirestoreCollections):
    def cache_entry_with_connection(
        self, org: str, key: str, connection_id: str
    ) -> tuple[str | None, Connection | None]:
        entry_ref = self._org(org, "cache_entries").document(key)
        connection_ref = self._org(org, "connections").document(connection_id)
        entry, connection = read_all(self._client, [entry_ref, connection_ref])
        return (
            holder_of(entry),
            None if connection is None else connection_from_doc(org, connection_id, connection),
        )

    def workflow_with_cache_entry(
        self, org: str, workflow_id: str, key: str, connection_id: str
    ) -> tuple[WorkflowRecord | None, str | None, Connection | None]:
        refs = [
            self._org(org, "workflows").document(workflow_id),
            self._org(org, "cache_entries").document(key),
            self._org(org, "connections").document(connection_id),
        ]
        workflow, entry, connection = read_all(self._client, refs)
        return (
            None if workflow is None else workflow_from_doc(org, workflow_id, workflow),
            holder_of(entry),
            None if connection is None else connection_from_doc(org, connection_id, connection),
        )
