"""Reading executions: one (reconciled with its BigQuery job) or a workflow's page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from workflows_api.domain.execution import states as ex
from workflows_api.domain.execution.states import Execution, State
from workflows_api.service.errors import ServiceError, not_found
from workflows_api.service.execution_requests import WorkflowFilter, any_workflow
from workflows_api.service.lifecycle import ExecutionLifecycle
from workflows_api.service.ports import ExecutionStore
from workflows_api.service.workflows import WorkflowService

# How many executions a lookup by number reads at most: two show a collision; a few
# more let a caller limited to some workflows find its own among them.
_NUMBER_MATCHES = 5


@dataclass(frozen=True, kw_only=True)
class ExecutionQueries:
    workflows: WorkflowService
    executions: ExecutionStore
    lifecycle: ExecutionLifecycle

    def get(self, org: str, execution_id: str, may_see: WorkflowFilter = any_workflow) -> Execution:
        """An execution, reconciled with its BigQuery job when it is not terminal.

        `may_see(workflow_id)` is false for a caller limited to other workflows: to it
        the execution does not exist.
        """
        return self.positioned(self.lifecycle.reconcile(self.stored(org, execution_id, may_see)))

    def positioned(self, execution: Execution) -> Execution:
        """A queued execution with its place in the org's queue (computed now)."""
        return self.lifecycle.limits.with_position(execution)

    def stored(
        self, org: str, execution_id: str, may_see: WorkflowFilter = any_workflow
    ) -> Execution:
        """The execution as recorded (not reconciled); 404 when the caller may not see it."""
        if not ex.is_execution_id(execution_id):
            raise not_found("execution", execution_id[:64])
        execution = self.executions.get_execution(org, execution_id)
        if execution is None or not may_see(execution.workflow_id):
            raise not_found("execution", execution_id)
        return execution

    def get_by_number(
        self, org: str, number: int, may_see: WorkflowFilter = any_workflow
    ) -> Execution:
        """`get`, finding the execution by its number (domain/execution/numbers.py)."""
        return self.positioned(
            self.lifecycle.reconcile(self.stored_by_number(org, number, may_see))
        )

    def stored_by_number(
        self, org: str, number: int, may_see: WorkflowFilter = any_workflow
    ) -> Execution:
        """The execution numbered `number` as recorded; 404 when the caller may see none,
        409 when it may see more than one (a collision: detected, never guessed)."""
        found = [
            execution
            for execution in self.executions.find_executions_by_number(
                org, number, limit=_NUMBER_MATCHES
            )
            if may_see(execution.workflow_id)
        ]
        if not found:
            raise not_found("execution", str(number))
        if len(found) > 1:
            raise ServiceError(
                "conflict",
                "execution_number_ambiguous",
                f"More than one execution has the number {number}; read each by its id: "
                + ", ".join(execution.id for execution in found),
                details=[{"execution_id": e.id, "workflow_id": e.workflow_id} for e in found],
            )
        return found[0]

    def cancel(
        self, org: str, execution_id: str, may_see: WorkflowFilter = any_workflow
    ) -> Execution:
        """Cancel an execution the caller may see (ExecutionLifecycle.cancel)."""
        return self.lifecycle.cancel(lambda: self.stored(org, execution_id, may_see))

    def list_executions(
        self,
        org: str,
        workflow_id: str,
        *,
        page_size: int,
        page_token: str | None = None,
        state: State | None = None,
        created_after: dt.datetime | None = None,
        created_before: dt.datetime | None = None,
        trigger: str | None = None,
    ) -> tuple[list[Execution], str | None]:
        """A page of the workflow's executions, newest first, and the next page's token."""
        self.workflows.get(org, workflow_id)  # 404 for an unknown workflow
        if page_token is not None and not ex.is_execution_id(page_token):
            raise ServiceError(
                "invalid",
                "invalid_page_token",
                "page_token: not a token this API gave",
                "page_token",
            )
        page = self.executions.list_executions(
            org,
            workflow_id,
            limit=page_size + 1,
            state=state.value if state else None,
            created_after=created_after,
            created_before=created_before,
            after_id=page_token,
            trigger=trigger,
        )
        next_token = page[page_size - 1].id if len(page) > page_size else None
        return [self.positioned(e) for e in page[:page_size]], next_token
