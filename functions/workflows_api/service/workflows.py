"""Use cases on workflow definitions and their API access (CARTO's enable/update/disable)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from workflows_api.domain.access.connections import Connection
from workflows_api.domain.access.identifiers import CONNECTION_PATTERN, WORKFLOW_ID_PATTERN
from workflows_api.domain.errors import Issue, WorkflowInvalid
from workflows_api.domain.workflow.records import ApiState, WorkflowRecord
from workflows_api.service.definition_checks import (
    check_definition_size,
    checked,
    workflow_invalid,
)
from workflows_api.service.errors import ServiceError, WarehouseError, not_found
from workflows_api.service.ports import ConnectionStore, Warehouse, WorkflowStore

if TYPE_CHECKING:
    from workflows_api.domain.workflow.compiler import CompiledProcedure
    from workflows_api.domain.workflow.model import Workflow
    from workflows_api.domain.workflow.signature import ExecutionSignature

# The compiler, the definition model, its validation and the execution signature (the
# parameter declarations, pydantic models) are imported in the functions that use them:
# a process that only reads executions never loads them, one that runs them never
# loads the compiler.
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class SavedWorkflow:
    record: WorkflowRecord
    created: bool
    warnings: list[Issue]


def check_workflow_id(workflow_id: str) -> None:
    if not WORKFLOW_ID_PATTERN.fullmatch(workflow_id):
        raise ServiceError(
            "invalid",
            "invalid_workflow_id",
            "workflow_id: expected 1 to 128 letters, digits, '_' or '-', starting with a "
            f"letter or digit; got {workflow_id[:140]!r}",
            "workflow_id",
        )


def definition_of(record: WorkflowRecord) -> Workflow:
    from workflows_api.domain.workflow.validation import parse_workflow

    return parse_workflow(record.definition)


def deployed_definition_of(record: WorkflowRecord) -> Workflow:
    if record.api is None or not record.api.enabled:
        raise api_disabled(record.id)
    from workflows_api.domain.workflow.validation import parse_workflow

    return parse_workflow(record.api.deployed_definition)


def execution_signature_of(record: WorkflowRecord) -> ExecutionSignature:
    """What execute needs of the deployed definition, from the API state; a state
    written before signatures were kept has it derived from the definition (on read)."""
    from workflows_api.domain.workflow.signature import ExecutionSignature

    if record.api is None or not record.api.enabled:
        raise api_disabled(record.id)
    if record.api.signature is not None:
        return ExecutionSignature.from_json(record.api.signature)
    return ExecutionSignature.of(deployed_definition_of(record))


def api_disabled(workflow_id: str) -> ServiceError:
    return ServiceError(
        "conflict",
        "api_disabled",
        f"API access to workflow {workflow_id!r} is disabled; enable it with "
        f"POST /v1/workflows/{workflow_id}/api.",
        "workflow_id",
    )


@dataclass(frozen=True, kw_only=True)
class WorkflowService:
    connections: ConnectionStore
    workflows: WorkflowStore
    warehouse: Warehouse
    clock: Callable[[], dt.datetime]

    # --- definitions ----------------------------------------------------------------

    def put(
        self,
        org: str,
        workflow_id: str,
        definition: Mapping[str, Any] | str | bytes,
        connection_id: str | None = None,
    ) -> SavedWorkflow:
        """Create or replace a definition; the API keeps running the deployed version."""
        from workflows_api.domain.workflow.validation import parse_workflow
        from workflows_api.domain.workflow.version import canonical_definition, workflow_version

        check_workflow_id(workflow_id)
        check_definition_size(definition)
        try:
            workflow = parse_workflow(definition)
        except WorkflowInvalid as invalid:
            raise workflow_invalid(invalid.issues) from None
        existing = self.workflows.get_workflow(org, workflow_id)
        connection = self._resolve_connection(
            org, connection_id or (existing.connection if existing else None)
        )
        issues = checked(workflow, connection)
        now = self.clock()
        record = WorkflowRecord(
            org=org,
            id=workflow_id,
            connection=connection.id,
            definition=canonical_definition(workflow),
            version=workflow_version(workflow),
            created_at=existing.created_at if existing else now,
            updated_at=now,
            api=existing.api if existing else None,
        )
        self.workflows.put_workflow(record)
        warnings = [i for i in issues if i.severity == "warning"]
        return SavedWorkflow(record, existing is None, warnings)

    def get(self, org: str, workflow_id: str) -> WorkflowRecord:
        record = self.stored(org, workflow_id)
        if record is None:
            raise not_found("workflow", workflow_id[:140])
        return record

    def stored(self, org: str, workflow_id: str) -> WorkflowRecord | None:
        """The workflow, or None when there is none (no store read for an impossible id)."""
        if not WORKFLOW_ID_PATTERN.fullmatch(workflow_id):
            return None
        return self.workflows.get_workflow(org, workflow_id)

    def list(
        self, org: str, page_size: int, page_token: str | None
    ) -> tuple[list[WorkflowRecord], str | None]:
        """One page ordered by id, and the token of the next page (None at the end)."""
        if page_token is not None and not WORKFLOW_ID_PATTERN.fullmatch(page_token):
            # Tokens are workflow ids; anything else could not address a document.
            raise ServiceError(
                "invalid",
                "invalid_page_token",
                "page_token: not a token this API gave",
                "page_token",
            )
        records = self.workflows.list_workflows(org, limit=page_size + 1, after=page_token)
        if len(records) > page_size:
            return records[:page_size], records[page_size - 1].id
        return records, None

    def delete(self, org: str, workflow_id: str) -> None:
        """Delete a definition, dropping its procedure first if its API is enabled."""
        record = self.get(org, workflow_id)
        if record.api is not None and record.api.enabled:
            self.disable_api(org, workflow_id)
        self.workflows.delete_workflow(org, workflow_id)

    def compiled(self, org: str, workflow_id: str) -> CompiledProcedure:
        """The procedure the current definition compiles to (CARTO's "Export")."""
        record = self.get(org, workflow_id)
        return self._compile(record, definition_of(record))

    def connection(self, org: str, connection_id: str) -> Connection:
        """The org's connection; 404 (and no store read) for a name that cannot be one."""
        if not CONNECTION_PATTERN.fullmatch(connection_id):
            raise not_found("connection", connection_id[:140])
        connection = self.connections.get_connection(org, connection_id)
        if connection is None:
            raise not_found("connection", connection_id)
        return connection

    # --- API access -----------------------------------------------------------------

    def enable_api(self, org: str, workflow_id: str) -> WorkflowRecord:
        """Create the procedure from the current version; a no-op when already enabled."""
        record = self.get(org, workflow_id)
        if record.api is not None and record.api.enabled:
            return record
        return self._deploy(record)

    def update_api(self, org: str, workflow_id: str) -> WorkflowRecord:
        """Recreate the procedure from the current version (CARTO's "Update")."""
        record = self.get(org, workflow_id)
        if record.api is None or not record.api.enabled:
            raise api_disabled(workflow_id)
        return self._deploy(record)

    def disable_api(self, org: str, workflow_id: str) -> WorkflowRecord:
        """Drop the procedure; executions are refused until the API is enabled again."""
        from workflows_api.domain.workflow.compiler import drop_procedure_statement

        record = self.get(org, workflow_id)
        if record.api is None or not record.api.enabled:
            return record
        self._run_ddl(
            self.connection(org, record.connection), drop_procedure_statement(record.api.procedure)
        )
        updated = replace(record, api=replace(record.api, enabled=False, updated_at=self.clock()))
        self.workflows.put_workflow(updated)
        return updated

    def _deploy(self, record: WorkflowRecord) -> WorkflowRecord:
        connection = self.connection(record.org, record.connection)
        workflow = definition_of(record)
        checked(workflow, connection)  # the allowlist may have changed since the PUT
        compiled = self._compile(record, workflow, connection)
        self.warehouse.ensure_dataset(connection)
        self._run_ddl(connection, compiled.sql)
        now = self.clock()
        api = ApiState(
            enabled=True,
            procedure=compiled.procedure_ref,
            deployed_version=compiled.version,
            deployed_definition=record.definition,
            enabled_at=record.api.enabled_at if record.api and record.api.enabled else now,
            updated_at=now,
            signature=_signature_json(workflow),
        )
        updated = replace(record, api=api)
        self.workflows.put_workflow(updated)
        return updated

    def procedure_ref(self, record: WorkflowRecord) -> str:
        """`project.dataset.routine` the API runs: deployed, or what enabling would create
        (the connection is read only in that case)."""
        if record.api is not None:
            return record.api.procedure
        from workflows_api.domain.workflow.compiler import procedure_name

        connection = self.connection(record.org, record.connection)
        return f"{connection.project}.{connection.dataset}.{procedure_name(record.org, record.id)}"

    def _compile(
        self, record: WorkflowRecord, workflow: Workflow, connection: Connection | None = None
    ) -> CompiledProcedure:
        from workflows_api.domain.workflow.compiler import compile_procedure, procedure_name

        connection = connection or self.connection(record.org, record.connection)
        return compile_procedure(
            workflow,
            project=connection.project,
            dataset=connection.dataset,
            procedure=procedure_name(record.org, record.id),
        )

    def _run_ddl(self, connection: Connection, sql: str) -> None:
        try:
            self.warehouse.run_ddl(connection, sql)
        except WarehouseError as error:
            raise ServiceError(
                "unprocessable",
                "bigquery_rejected",
                f"BigQuery refused the statement: {error.message}",
                details=[
                    {"reason": error.reason, "location": error.location, "message": error.message}
                ],
            ) from None

    def _resolve_connection(self, org: str, connection_id: str | None) -> Connection:
        if connection_id is not None:
            connection = (
                self.connections.get_connection(org, connection_id)
                if CONNECTION_PATTERN.fullmatch(connection_id)
                else None  # not a name a connection can have (a/b is a document path)
            )
            if connection is None:
                raise ServiceError(
                    "invalid",
                    "unknown_connection",
                    f"connection: no connection {connection_id!r} in this organization",
                    "connection",
                )
            return connection
        available = self.connections.list_connections(org)
        if len(available) != 1:
            raise ServiceError(
                "invalid",
                "connection_required",
                "connection: name the connection to run this workflow on "
                f"({len(available)} are configured)",
                "connection",
            )
        return available[0]


def _signature_json(workflow: Workflow) -> dict[str, Any]:
    from workflows_api.domain.workflow.signature import ExecutionSignature

    return ExecutionSignature.of(workflow).to_json()
