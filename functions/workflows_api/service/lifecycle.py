"""An execution's life after admission: submit its job, reconcile it with BigQuery,
apply job reports (completion events), wait for it, cancel it.

Every state change is a compare-and-swap on the stored state; a writer that loses
re-reads and applies its report again to what won (`executions.until_settled`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from workflows_api import deadlines, logs
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution import states as ex
from workflows_api.domain.execution.records import QueryArgument
from workflows_api.domain.execution.states import Execution, JobError, JobStatus, State
from workflows_api.service.compare_and_swap import Settled, until_settled
from workflows_api.service.errors import BackendUnavailable, ServiceError, WarehouseError
from workflows_api.service.execution_requests import MAX_WAIT_SECONDS
from workflows_api.service.ports import ExecutionStore, Warehouse
from workflows_api.service.workflows import WorkflowService, execution_signature_of

if TYPE_CHECKING:
    from workflows_api.domain.workflow.signature import ExecutionSignature

logger = logging.getLogger(__name__)

# What a job whose workflow changed before it could be submitted ends with.
WORKFLOW_CHANGED = JobError(
    "workflowChanged",
    "The workflow's API was disabled or updated, or the workflow deleted, before this "
    "execution could be submitted; execute it again.",
)

# A non-terminal execution is compared with its BigQuery job at most this often.
RECONCILE_INTERVAL = dt.timedelta(seconds=1)


@dataclass(frozen=True, kw_only=True)
class ExecutionLifecycle:
    workflows: WorkflowService
    executions: ExecutionStore
    warehouse: Warehouse
    clock: Callable[[], dt.datetime]
    sleep: Callable[[float], None] = time.sleep
    # Called once per execution, by whoever wrote its terminal state (webhooks).
    on_finished: Callable[[Execution], object] | None = None

    def wait(self, execution: Execution, seconds: float) -> Execution:
        seconds = min(seconds, MAX_WAIT_SECONDS)
        deadline = time.monotonic() + seconds
        # The caller asked to be held this long: the request's deadline moves with it.
        with deadlines.paused(seconds):
            while not execution.is_terminal:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.sleep(min(RECONCILE_INTERVAL.total_seconds(), left))
                execution = self.reconcile(execution, force=True)
        return execution

    def reconcile(self, execution: Execution, force: bool = False) -> Execution:
        """Bring a non-terminal execution up to date with BigQuery.

        A job BigQuery does not know was never submitted (the process died after
        writing the record) and is submitted now under the same job id.
        """
        if execution.is_terminal:
            return execution
        now = self.clock()
        if (
            not force
            and execution.reconciled_at is not None
            and now - execution.reconciled_at < RECONCILE_INTERVAL
        ):
            return execution
        connection = self.workflows.connection(execution.org, execution.connection)
        try:
            status = self.warehouse.get_job(connection, execution.bigquery_job_id)
        except BackendUnavailable as unavailable:
            _log_unavailable(execution, unavailable)
            return execution
        if status is None:
            return self._resubmit(execution, connection)
        return self._apply(execution, status)

    def cancel(self, stored: Callable[[], Execution]) -> Execution:
        """Ask BigQuery to cancel the job and record `cancelled`; 409 if it already ended.

        `stored` reads the execution (404 for one the caller may not see). No reconciling
        first: the caller wants it stopped whatever BigQuery says now. The record is final
        once cancelled, as BigQuery's cancel is best effort: a job that finishes anyway
        leaves a table an identical later request may reuse.
        """

        def attempt() -> Settled[Execution] | None:
            execution = stored()
            if not execution.may_be_cancelled:
                raise ServiceError(
                    "conflict",
                    "execution_finished",
                    f"Execution {execution.id!r} already ended: {execution.state.value}.",
                    "execution_id",
                )
            connection = self.workflows.connection(execution.org, execution.connection)
            self.warehouse.cancel_job(connection, execution.bigquery_job_id)
            cancelled = execution.transition(State.CANCELLED, at=self.clock())
            if not self.executions.save_execution(cancelled, expected_state=execution.state):
                return None
            self._finished(cancelled)
            return Settled(cancelled)

        return until_settled(attempt)

    def record_job_status(self, org: str, execution_id: str, status: JobStatus) -> Execution | None:
        """Apply what BigQuery reported about an execution's job (a completion event).

        Idempotent and order-proof: a terminal execution never changes, and a report
        older than what is recorded (RUNNING after DONE) is ignored. None when the
        org has no such execution.
        """
        if not ex.is_execution_id(execution_id):
            return None
        execution = self.executions.get_execution(org, execution_id)
        return None if execution is None else self.apply_job_status(execution, status)

    def apply_job_status(self, execution: Execution, status: JobStatus) -> Execution:
        """`record_job_status` for an execution already read."""
        if not execution.advances_to(status.execution_state):
            return execution
        return self._apply(execution, status)

    def estimate(
        self, execution: Execution, connection: Connection, workflow: ExecutionSignature
    ) -> int | None:
        """The bytes the execution's job would process (a dry run of its CALL)."""
        sql, arguments = _call(execution, workflow)
        return self.warehouse.estimate_query(connection, sql=sql, arguments=arguments)

    def submit(
        self, execution: Execution, connection: Connection, workflow: ExecutionSignature
    ) -> Execution:
        """Submit the execution's job (idempotent: the job id is the execution's)."""
        sql, arguments = _call(execution, workflow)
        attempted = replace(execution, submit_attempts=execution.submit_attempts + 1)
        try:
            status = self.warehouse.submit_query(
                connection,
                job_id=execution.bigquery_job_id,
                sql=sql,
                arguments=arguments,
                labels=execution.labels,
                maximum_bytes_billed=bytes_billed_cap(
                    workflow.settings.maximum_bytes_billed, connection.maximum_bytes_billed
                ),
            )
        except BackendUnavailable as unavailable:
            # Accepted and recorded: reading its status (or the sweep, as no job report
            # confirmed it: reconciled_at unchanged) submits it again.
            _log_unavailable(execution, unavailable)
            return self._save(attempted, execution.state)
        except WarehouseError as refused:
            # BigQuery refused the job itself (no job exists): that is this run's outcome.
            error = JobError(refused.reason, refused.message, refused.location)
            done = JobStatus(execution.bigquery_job_id, "DONE", error)
            return self._apply(attempted, done, stored_state=execution.state)
        logs.log(
            logger,
            logging.INFO,
            "execution submitted",
            execution_id=execution.id,
            workflow_id=execution.workflow_id,
            job_id=execution.bigquery_job_id,
        )
        return self._apply(attempted, status, stored_state=execution.state)

    def _resubmit(self, execution: Execution, connection: Connection) -> Execution:
        record = self.workflows.stored(execution.org, execution.workflow_id)
        if record is None or record.api is None or record.api.deployed_version != execution.version:
            # The procedure it was meant to call is gone or different: do not run another.
            changed = JobStatus(execution.bigquery_job_id, "DONE", WORKFLOW_CHANGED)
            return self._apply(execution, changed)
        return self.submit(execution, connection, execution_signature_of(record))

    def _apply(
        self, execution: Execution, status: JobStatus, stored_state: State | None = None
    ) -> Execution:
        """Record `status` on `execution` by compare-and-swap on its stored state. When
        another writer moved it first, the report is applied again to what it wrote,
        unless that is already as far as the report goes (a terminal state never moves)."""
        target = status.execution_state
        seen = [(execution, stored_state or execution.state)]

        def attempt() -> Settled[Execution] | None:
            current, expected = seen[-1]
            updated = current.with_job_report(status, at=self.clock())
            if self.executions.save_execution(updated, expected_state=expected):
                if updated.is_terminal and not expected.is_terminal:
                    self._finished(updated)
                return Settled(updated)
            stored = self.executions.get_execution(current.org, current.id)
            if stored is None:
                return Settled(updated)
            if not stored.advances_to(target):
                return Settled(stored)  # the other writer got as far, or further
            seen.append((stored, stored.state))
            return None

        return until_settled(attempt)

    def _save(self, execution: Execution, expected_state: State) -> Execution:
        """Write a change that moves no state (a submit attempt) if nobody moved it."""
        if self.executions.save_execution(execution, expected_state=expected_state):
            return execution
        stored = self.executions.get_execution(execution.org, execution.id)
        return stored or execution

    def _finished(self, execution: Execution) -> None:
        if self.on_finished is not None:
            self.on_finished(execution)


def _call(execution: Execution, workflow: ExecutionSignature) -> tuple[str, list[QueryArgument]]:
    """The CALL of the execution's procedure and its typed query parameters."""
    # Imported here: reading an execution (status) never needs the compiler.
    from workflows_api.domain.workflow.compiler import OUTPUT_TABLE_QUERY_PARAMETER, call_statement
    from workflows_api.domain.workflow.parameters import (
        bigquery_parameter_types,
        validate_parameter_values,
    )

    types = bigquery_parameter_types(workflow.parameters)
    typed = validate_parameter_values(workflow.parameters, execution.parameters)
    arguments = [QueryArgument(name, types[name], value) for name, value in typed.items()]
    arguments.append(QueryArgument(OUTPUT_TABLE_QUERY_PARAMETER, "STRING", execution.output_table))
    return call_statement(execution.procedure, list(typed)), arguments


def bytes_billed_cap(workflow_cap: int | None, connection_cap: int | None) -> int | None:
    """The cap a run is submitted with: the lower of the workflow's and the connection's."""
    caps = [cap for cap in (workflow_cap, connection_cap) if cap is not None]
    return min(caps) if caps else None


def _log_unavailable(execution: Execution, unavailable: BackendUnavailable) -> None:
    logs.log(
        logger,
        logging.WARNING,
        "BigQuery unavailable; the execution stays recorded and is retried on status reads",
        execution_id=execution.id,
        reason=unavailable.reason,
    )
