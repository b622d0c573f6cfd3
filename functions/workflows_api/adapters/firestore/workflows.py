"""ConnectionStore and WorkflowStore on Firestore.

Collections owned (partitioned by org):

    orgs/{org}/connections/{connection_id}
    orgs/{org}/workflows/{workflow_id}

and, across orgs, which org owns each generated dataset:

    dataset_owners/{project}.{dataset}

A workflow's definition and deployed definition are kept as JSON strings, so their
key order survives.
"""

from __future__ import annotations

import json
from typing import Any

from google.api_core import exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.field_path import FieldPath

from workflows_api.adapters.firestore.documents import (
    ONE_ATTEMPT,
    FirestoreCollections,
    call,
    delete_existing,
    read,
    run_query,
    timestamp,
    to_json,
    utc,
    write,
)
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.workflow.records import ApiState, WorkflowRecord


class FirestoreWorkflows(FirestoreCollections):
    """ConnectionStore and WorkflowStore."""

    # Connections

    def get_connection(self, org: str, connection_id: str) -> Connection | None:
        data = read(self._org(org, "connections").document(connection_id))
        return None if data is None else connection_from_doc(org, connection_id, data)

    def put_connection(self, connection: Connection) -> None:
        ref = self._org(connection.org, "connections").document(connection.id)
        write(ref, _connection_to_doc(connection))

    def list_connections(self, org: str) -> list[Connection]:
        query = self._org(org, "connections").order_by(FieldPath.document_id())
        return [connection_from_doc(org, s.id, s.to_dict() or {}) for s in run_query(query)]

    def claim_dataset(self, project: str, dataset: str, org: str) -> str:
        ref = self._client.collection("dataset_owners").document(f"{project}.{dataset}")
        try:
            # create() fails when the document exists: the first org to claim keeps it.
            call(lambda: ref.create({"org": org}, **ONE_ATTEMPT))
        except exceptions.Conflict:  # AlreadyExists
            data = read(ref)
            return org if data is None else str(data["org"])
        return org

    # Workflows

    def get_workflow(self, org: str, workflow_id: str) -> WorkflowRecord | None:
        data = read(self._org(org, "workflows").document(workflow_id))
        return None if data is None else workflow_from_doc(org, workflow_id, data)

    def put_workflow(self, record: WorkflowRecord) -> None:
        ref = self._org(record.org, "workflows").document(record.id)
        write(ref, _workflow_to_doc(record))

    def list_workflows(
        self, org: str, *, limit: int, after: str | None = None
    ) -> list[WorkflowRecord]:
        query = self._org(org, "workflows").order_by(FieldPath.document_id()).limit(limit)
        if after is not None:
            query = query.start_after({FieldPath.document_id(): after})
        return [workflow_from_doc(org, s.id, s.to_dict() or {}) for s in run_query(query)]

    def find_workflow_by_procedure(self, org: str, procedure: str) -> WorkflowRecord | None:
        query = (
            self._org(org, "workflows")
            .where(filter=firestore.FieldFilter("api.procedure", "==", procedure))
            .limit(1)
        )
        found = run_query(query)
        return next((workflow_from_doc(org, s.id, s.to_dict() or {}) for s in found), None)

    def delete_workflow(self, org: str, workflow_id: str) -> bool:
        return delete_existing(self._org(org, "workflows").document(workflow_id))


def _connection_to_doc(connection: Connection) -> dict[str, Any]:
    return {
        "project": connection.project,
        "location": connection.location,
        "dataset": connection.dataset,
        "service_account": connection.service_account,
        "read_allowlist": list(connection.read_allowlist),
        "maximum_bytes_billed": connection.maximum_bytes_billed,
    }


def connection_from_doc(org: str, connection_id: str, data: dict[str, Any]) -> Connection:
    # Documents written before a field existed read as its default (the org's own
    # dataset, no service account).
    return Connection(
        org=org,
        id=connection_id,
        project=data["project"],
        location=data.get("location") or "US",
        dataset=data.get("dataset") or "",
        service_account=data.get("service_account") or None,
        read_allowlist=tuple(data.get("read_allowlist") or ()),  # absent before issue 12
        maximum_bytes_billed=data.get("maximum_bytes_billed"),  # absent on older records
    )


def _workflow_to_doc(record: WorkflowRecord) -> dict[str, Any]:
    return {
        "connection": record.connection,
        "definition": to_json(record.definition),
        "version": record.version,
        "created_at": timestamp(record.created_at),
        "updated_at": timestamp(record.updated_at),
        "api": None if record.api is None else _api_to_doc(record.api),
    }


def workflow_from_doc(org: str, workflow_id: str, data: dict[str, Any]) -> WorkflowRecord:
    return WorkflowRecord(
        org=org,
        id=workflow_id,
        connection=data["connection"],
        definition=json.loads(data["definition"]),
        version=data["version"],
        created_at=utc(data["created_at"]),
        updated_at=utc(data["updated_at"]),
        api=None if data["api"] is None else _api_from_doc(data["api"]),
    )


def _api_to_doc(api: ApiState) -> dict[str, Any]:
    return {
        "enabled": api.enabled,
        "procedure": api.procedure,
        "deployed_version": api.deployed_version,
        "deployed_definition": to_json(api.deployed_definition),
        "enabled_at": timestamp(api.enabled_at),
        "updated_at": timestamp(api.updated_at),
        "signature": None if api.signature is None else to_json(api.signature),
        "deployed_sql": api.deployed_sql,
        "deployed_arguments": json.dumps([list(argument) for argument in api.deployed_arguments]),
        "connection": api.connection,
    }


def _api_from_doc(data: dict[str, Any]) -> ApiState:
    return ApiState(
        enabled=data["enabled"],
        procedure=data["procedure"],
        deployed_version=data["deployed_version"],
        deployed_definition=json.loads(data["deployed_definition"]),
        enabled_at=utc(data["enabled_at"]),
        updated_at=utc(data["updated_at"]),
        signature=json.loads(signature) if (signature := data.get("signature")) else None,
        deployed_sql=data.get("deployed_sql"),  # absent before issue 23: compiled on read
        deployed_arguments=tuple(
            (str(name), str(kind))
            for name, kind in json.loads(data.get("deployed_arguments") or "[]")
        ),
        connection=data.get("connection"),  # absent before issue 23: the workflow's
    )
