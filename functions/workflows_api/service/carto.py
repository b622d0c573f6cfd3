"""CARTO's way in: a CALL of a workflow's procedure on a connection, resolved to an execute.

CARTO's callers name a connection and send `CALL `p.d.wfproc_...`(@a, @b)` with
`queryParameters`; nothing here runs that text. The CALL only says which API-enabled
workflow to run and in which order the caller passes its parameters (the procedure's
arguments are positional, so the order must be the declared one). Once checked, the
request becomes an ordinary `ExecutionAdmission.execute`: the same validation, cache,
records and BigQuery job as the native API, and nothing is written on bad input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution import states as ex
from workflows_api.domain.execution.calls import (
    CallSyntaxError,
    ProcedureCall,
    format_call,
    parse_call,
)
from workflows_api.domain.execution.states import Execution
from workflows_api.service.admission import ExecutionAdmission
from workflows_api.service.errors import ServiceError, not_found
from workflows_api.service.execution_requests import (
    ExecuteRequest,
    ExecuteResult,
    WorkflowFilter,
    any_workflow,
)
from workflows_api.service.ports import ExecutionStore, WorkflowStore
from workflows_api.service.queries import ExecutionQueries
from workflows_api.service.workflows import WorkflowService, api_disabled, deployed_definition_of


@dataclass(frozen=True)
class PreparedCall:
    """A CALL checked against the org's workflows, not yet executed (nothing written)."""

    connection: Connection
    workflow_id: str
    call: ProcedureCall
    parameters: dict[str, Any]


@dataclass(frozen=True)
class CallResult:
    connection: Connection
    result: ExecuteResult


@dataclass(frozen=True)
class ConnectionExecution:
    connection: Connection
    execution: Execution


@dataclass(frozen=True, kw_only=True)
class CartoCalls:
    """CARTO's jobs: a CALL on a connection run as an execute, read back per connection."""

    workflows: WorkflowService
    workflow_store: WorkflowStore
    admission: ExecutionAdmission
    queries: ExecutionQueries
    executions: ExecutionStore

    def execute_call(
        self,
        org: str,
        connection_id: str,
        query: str,
        query_parameters: Mapping[str, Any],
    ) -> CallResult:
        """Run the workflow whose procedure `query` CALLs, with `query_parameters`."""
        return self.run(org, self.prepare_call(org, connection_id, query, query_parameters))

    def prepare_call(
        self,
        org: str,
        connection_id: str,
        query: str,
        query_parameters: Mapping[str, Any],
        may_run: WorkflowFilter = any_workflow,
    ) -> PreparedCall:
        """Check a CALL without writing anything. A workflow `may_run` refuses (a token
        limited to other workflows) is answered exactly as an unknown procedure, before
        anything about it (API state, parameters) is looked at."""
        connection = self.workflows.connection(org, connection_id)
        try:
            call = parse_call(query)
        except CallSyntaxError as error:
            raise ServiceError("invalid", "invalid_query", str(error), "query") from None
        record = self.workflow_store.find_workflow_by_procedure(org, call.procedure_ref)
        if record is None or record.connection != connection.id or not may_run(record.id):
            raise ServiceError(
                "not_found",
                "procedure_not_found",
                f"query: no workflow's API procedure is {call.procedure_ref!r} on connection "
                f"{connection.id!r}",
                "query",
            )
        if record.api is None or not record.api.enabled:
            raise api_disabled(record.id)
        declared = [p.name for p in deployed_definition_of(record).parameters]
        if call.parameter_names != declared:
            raise ServiceError(
                "invalid",
                "call_parameters_mismatch",
                f"query: expected {format_call(call.procedure_ref, declared)} (arguments are "
                "positional, in the workflow's declared order); got "
                f"{format_call(call.procedure_ref, call.parameter_names)}",
                "query",
            )
        return PreparedCall(connection, record.id, call, _parameters(call, query_parameters))

    def run(self, org: str, prepared: PreparedCall) -> CallResult:
        """Execute a prepared CALL with the workflow's cache setting."""
        result = self.admission.execute(
            org, prepared.workflow_id, ExecuteRequest(parameters=prepared.parameters)
        )
        return CallResult(prepared.connection, result)

    def execution_for_connection(
        self,
        org: str,
        connection_id: str,
        execution_id: str,
        may_see: WorkflowFilter = any_workflow,
    ) -> ConnectionExecution:
        """An execution (reconciled) as seen through a connection: 404 unless it ran there."""
        connection = self.workflows.connection(org, connection_id)
        execution = self.queries.get(org, execution_id, may_see)
        if execution.connection != connection.id:
            raise not_found("execution", execution_id)
        return ConnectionExecution(connection, execution)

    def cancel_job(
        self,
        org: str,
        connection_id: str,
        execution_id: str,
        may_see: WorkflowFilter = any_workflow,
    ) -> ConnectionExecution:
        """Cancel an execution seen through a connection; 409 once it ended, as the
        native cancel. Whatever is not there for the caller (connection, execution, or
        one that ran elsewhere) is one 404 `job_not_found`: nothing to tell apart."""
        try:
            connection = self.workflows.connection(org, connection_id)
            # The record, not reconciled first, as the native cancel (lifecycle.cancel).
            if self.queries.stored(org, execution_id, may_see).connection != connection.id:
                raise not_found("execution", execution_id)
        except ServiceError as error:
            if error.kind != "not_found":
                raise
            raise ServiceError(
                "not_found",
                "job_not_found",
                f"No job of execution {execution_id[:64]!r} on connection {connection_id[:140]!r}.",
                "externalId",
            ) from None
        return ConnectionExecution(connection, self.queries.cancel(org, execution_id, may_see))

    def list_jobs(
        self,
        org: str,
        *,
        page_size: int,
        page_token: str | None,
        workflow_ids: tuple[str, ...] | None,
    ) -> tuple[list[ConnectionExecution], str | None]:
        """A page of the org's executions (of `workflow_ids` alone, when given), newest
        first, each with its connection, and the next page's token."""
        if page_token is not None and not ex.is_execution_id(page_token):
            raise ServiceError(
                "invalid",
                "invalid_page_token",
                "page_token: not a token this API gave",
                "page_token",
            )
        page = self.executions.list_org_executions(
            org, limit=page_size + 1, workflow_ids=workflow_ids, after_id=page_token
        )
        next_token = page[page_size - 1].id if len(page) > page_size else None
        connections: dict[str, Connection] = {}
        jobs = []
        for execution in page[:page_size]:
            if execution.connection not in connections:
                connections[execution.connection] = self._connection_of(org, execution)
            jobs.append(ConnectionExecution(connections[execution.connection], execution))
        return jobs, next_token

    def _connection_of(self, org: str, execution: Execution) -> Connection:
        """The execution's connection; one removed since still names the job's (its
        location then unknown: BigQuery's default)."""
        try:
            return self.workflows.connection(org, execution.connection)
        except ServiceError as error:
            if error.kind != "not_found":
                raise
            return Connection(org=org, id=execution.connection, project="")


def _parameters(call: ProcedureCall, supplied: Mapping[str, Any]) -> dict[str, Any]:
    """queryParameters must name exactly the CALL's parameters: BigQuery would refuse a
    missing one, and an extra one is a caller's mistake better said than ignored."""
    if not isinstance(supplied, Mapping):
        raise ServiceError(
            "invalid",
            "query_parameters_mismatch",
            "queryParameters: expected a JSON object of the CALL's parameters",
            "queryParameters",
        )
    named = set(call.parameter_names)
    missing = [name for name in call.parameter_names if name not in supplied]
    extra = sorted(str(name) for name in supplied if name not in named)
    if not missing and not extra:
        return dict(supplied)
    details = [
        {"parameter": name, "message": f"{name}: the CALL passes @{name}; no value given"}
        for name in missing
    ] + [{"parameter": name, "message": f"{name}: the CALL has no @{name}"} for name in extra]
    problems = [
        *([f"missing {', '.join(missing)}"] if missing else []),
        *([f"unexpected {', '.join(extra)}"] if extra else []),
    ]
    expected = ", ".join(call.parameter_names) or "none"
    raise ServiceError(
        "invalid",
        "query_parameters_mismatch",
        f"queryParameters: {'; '.join(problems)} (expected exactly: {expected})",
        "queryParameters",
        details=details,
    )
