"""Use cases on workflow definitions and their API access (CARTO's enable/update/disable)."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from workflows_api.domain.access.connections import Connection
from workflows_api.domain.access.identifiers import CONNECTION_PATTERN, WORKFLOW_ID_PATTERN
from workflows_api.domain.errors import Issue, WorkflowInvalid
from workflows_api.domain.workflow.records import ApiState, ExportedSql, WorkflowRecord, kept_sql
from workflows_api.service.definition_checks import check_definition_size, checked, workflow_invalid
from workflows_api.service.errors import ServiceError, WarehouseError, not_found
from workflows_api.service.ports import ConnectionStore, Warehouse, WorkflowStore
from workflows_api.service.workflow_refusals import (
    api_connection_changed,
    api_disabled,
    check_workflow_id,
)

if TYPE_CHECKING:
    from workflows_api.domain.workflow.compiler import CompiledProcedure
    from workflows_api.domain.workflow.model import Workflow
    from workflows_api.domain.workflow.signature import ExecutionSignature

# The compiler, the definition model, its validation and the execution signature are
# imported in the functions that use them: a process that only reads executions never
# loads them, one that runs them never loads the compiler.
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class SavedWorkflow:
    record: WorkflowRecord
    created: bool
    warnings: list[Issue]


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
    if record.connection_changed:
        raise api_connection_changed(record)
    if record.api.signature is not None:
        return ExecutionSignature.from_json(record.api.signature)
    return ExecutionSignature.of(deployed_definition_of(record))


@dataclass(frozen=True, kw_only=True)
class WorkflowService:
    connections: ConnectionStore
    workflows: WorkflowStore
    warehouse: Warehouse
    clock: Callable[[], dt.datetime]
    # Connections without a service account run as the runtime identity only here.
    single_org: bool = False

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
        self,
        org: str,
        page_size: int,
        page_token: str | None,
        only: tuple[str, ...] | None = None,
    ) -> tuple[list[WorkflowRecord], str | None]:
        """One page ordered by id, and the token of the next page (None at the end).

        `only` (a caller limited to listed workflows): the page holds those alone, and
        the token is the last id of the page, never of a workflow the caller may not see."""
        if page_token is not None and not WORKFLOW_ID_PATTERN.fullmatch(page_token):
            # Tokens are workflow ids; anything else could not address a document.
            raise ServiceError(
                "invalid",
                "invalid_page_token",
                "page_token: not a token this API gave",
                "page_token",
            )
        if only is not None:
            records = list(self._listed(org, sorted(set(only)), page_size + 1, page_token))
        else:
            records = self.workflows.list_workflows(org, limit=page_size + 1, after=page_token)
        if len(records) > page_size:
            return records[:page_size], records[page_size - 1].id
        return records, None

    def _listed(
        self, org: str, ids: Sequence[str], limit: int, after: str | None
    ) -> Sequence[WorkflowRecord]:
        """Up to `limit` of the workflows `ids` names that exist, by id, after `after`."""
        found: builtins.list[WorkflowRecord] = []
        for workflow_id in ids:
            if len(found) == limit:
                break
            if after is None or workflow_id > after:
                record = self.stored(org, workflow_id)
                found.extend([record] if record is not None else [])
        return found

    def delete(self, org: str, workflow_id: str) -> None:
        """Delete a definition, dropping its procedure first if its API is enabled."""
        record = self.get(org, workflow_id)
        if record.api is not None and record.api.enabled:
            self.disable_api(org, workflow_id)
        self.workflows.delete_workflow(org, workflow_id)

    def compiled(self, org: str, workflow_id: str) -> ExportedSql:
        """The procedure the current definition compiles to (CARTO's "Export"): the
        deployed text, kept with the API state, while the definition is that version."""
        record = self.get(org, workflow_id)
        connection = self.connection(record.org, record.connection)
        kept = kept_sql(record, connection.project, connection.dataset)
        if kept is not None:
            return kept
        compiled = self._compile(record, definition_of(record), connection)
        return ExportedSql(
            compiled.procedure_ref, compiled.version, compiled.arguments, compiled.sql
        )

    def connection(self, org: str, connection_id: str) -> Connection:
        """The org's connection; 404 (and no store read) for a name that cannot be one."""
        if not CONNECTION_PATTERN.fullmatch(connection_id):
            raise not_found("connection", connection_id[:140])
        return self.read_connection(
            connection_id, self.connections.get_connection(org, connection_id)
        )

    def read_connection(self, connection_id: str, read: Connection | None) -> Connection:
        """A connection read with other documents (None: there is none): 404, or it."""
        if read is None:
            raise not_found("connection", connection_id)
        return self._usable(read)

    def _usable(self, connection: Connection) -> Connection:
        """409 for a connection without a service account outside single-org mode (an
        older document, registered before one was required): nothing runs for it as the
        runtime identity, which is every org's and no org's."""
        if connection.service_account is None and not self.single_org:
            raise ServiceError(
                "conflict",
                "connection_without_service_account",
                f"connection: {connection.id!r} names no service account to run as, and "
                "this deployment serves several orgs, so nothing runs on it as the runtime "
                "identity; an operator must register it again with one (wfapi connection "
                "create ... --service-account).",
                "connection",
            )
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
        from workflows_api.domain.workflow.procedure_calls import drop_procedure_statement

        record = self.get(org, workflow_id)
        if record.api is None or not record.api.enabled:
            return record
        # Dropped as (and where) it was deployed, whichever connection the workflow has now.
        deployed_on = self.connection(org, record.deployed_connection or record.connection)
        self._run_ddl(deployed_on, drop_procedure_statement(record.api.procedure))
        updated = replace(record, api=replace(record.api, enabled=False, updated_at=self.clock()))
        self.workflows.put_workflow(updated)
        return updated

    def _deploy(self, record: WorkflowRecord) -> WorkflowRecord:
        connection = self.connection(record.org, record.connection)
        workflow = definition_of(record)
        checked(workflow, connection)  # the allowlist may have changed since the PUT
        compiled = self._compile(record, workflow, connection)
        if record.connection_changed and record.api is not None and record.api.enabled:
            # Moving to another connection: the old procedure goes first, dropped as the
            # old connection's identity, so nothing runs it any more whatever follows.
            from workflows_api.domain.workflow.procedure_calls import drop_procedure_statement

            old = self.connection(record.org, record.deployed_connection or record.connection)
            self._run_ddl(old, drop_procedure_statement(record.api.procedure))
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
            signature=_signature_json(workflow, connection.project),
            deployed_sql=compiled.sql,
            deployed_arguments=compiled.arguments,
            connection=connection.id,
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
            return self._usable(connection)
        available = self.connections.list_connections(org)
        if len(available) != 1:
            raise ServiceError(
                "invalid",
                "connection_required",
                "connection: name the connection to run this workflow on "
                f"({len(available)} are configured)",
                "connection",
            )
        return self._usable(available[0])


def _signature_json(workflow: Workflow, project: str) -> dict[str, Any]:
    from workflows_api.domain.workflow.signature import ExecutionSignature
    from workflows_api.domain.workflow.sources import source_tables

    return ExecutionSignature.of(workflow, source_tables(workflow, project)).to_json()
