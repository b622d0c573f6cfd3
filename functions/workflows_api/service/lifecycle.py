"""An execution's life after admission: submit its job, reconcile it with BigQuery,
apply job reports (completion events), wait for it, cancel it; with `limits`, submit
only while it holds its concurrency slots (service/limits.py), free them when it ends
and move the org's queue (`promote`).

Every state change is a compare-and-swap on the stored state; a writer that loses
re-reads and applies its report again to what won (`compare_and_swap.until_settled`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from workflows_api import deadlines, logs
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution import limits as lim
from workflows_api.domain.execution import states as ex
from workflows_api.domain.execution.states import Execution, JobError, JobStatus, State
from workflows_api.service.compare_and_swap import Settled, until_settled
from workflows_api.service.errors import BackendUnavailable, ServiceError
from workflows_api.service.execution_requests import MAX_WAIT_SECONDS
from workflows_api.service.job_calls import call_of, insert_job, log_unavailable
from workflows_api.service.ports import ExecutionStore, Warehouse
from workflows_api.service.workflows import WorkflowService, execution_signature_of

if TYPE_CHECKING:
    from workflows_api.domain.workflow.signature import ExecutionSignature
    from workflows_api.service.limits import ConcurrencyLimits

logger = logging.getLogger(__name__)

# What a job whose workflow changed before it could be submitted ends with.
WORKFLOW_CHANGED = JobError(
    "workflowChanged",
    "The workflow's API was disabled or updated, or the workflow deleted, before this "
    "execution could be submitted; execute it again.",
)

# A non-terminal execution is compared with its BigQuery job at most this often.
RECONCILE_INTERVAL = dt.timedelta(seconds=1)
# The orgs whose queue this thread is moving: an execution ending inside (a job done at
# once) frees its slot, and the loop already running fills it.
_promoting = threading.local()


@dataclass(frozen=True, kw_only=True)
class ExecutionLifecycle:
    workflows: WorkflowService
    executions: ExecutionStore
    warehouse: Warehouse
    clock: Callable[[], dt.datetime]
    sleep: Callable[[float], None] = time.sleep
    # Called once per execution, by whoever wrote its terminal state (webhooks).
    on_finished: Callable[[Execution], object] | None = None
    # The concurrency slots an execution holds while submitted (service/limits.py).
    limits: ConcurrencyLimits

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
        if execution.state == State.QUEUED:
            # No job yet: move the org's queue (a slot may be free) and show where it is.
            self._promote_safely(execution.org)
            return self.executions.get_execution(execution.org, execution.id) or execution
        now = self.clock()
        if (
            not force
            and not execution.awaiting_report  # its first report is due at once
            and execution.reconciled_at is not None
            and now - execution.reconciled_at < RECONCILE_INTERVAL
        ):
            return execution
        connection = self.workflows.connection(execution.org, execution.connection)
        try:
            status = self.warehouse.get_job(connection, execution.bigquery_job_id)
        except BackendUnavailable as unavailable:
            log_unavailable(execution, unavailable)
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

        asked: list[str] = []  # job ids BigQuery was asked to cancel

        def attempt() -> Settled[Execution] | None:
            execution = stored()
            if execution.state == State.CANCELLED and asked:
                return Settled(execution)  # its job's event recorded our cancel first
            if not execution.may_be_cancelled:
                raise ServiceError(
                    "conflict",
                    "execution_finished",
                    f"Execution {execution.id!r} already ended: {execution.state.value}.",
                    "execution_id",
                )
            if execution.state != State.QUEUED:  # a queued one has no job
                connection = self.workflows.connection(execution.org, execution.connection)
                self.warehouse.cancel_job(connection, execution.bigquery_job_id)
                asked.append(execution.bigquery_job_id)
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
        sql, arguments = call_of(execution, workflow)
        return self.warehouse.estimate_query(connection, sql=sql, arguments=arguments)

    def reserve(self, execution: Execution, workflow: ExecutionSignature) -> lim.QueueReason | None:
        """Claim the execution's concurrency slots; None when it holds them, else why it
        must wait (it then holds none)."""
        return self.limits.acquire(execution, workflow.settings.max_concurrent_executions)

    def start(
        self, execution: Execution, connection: Connection, workflow: ExecutionSignature
    ) -> Execution:
        """What admission does with its recorded execution: submit it (it holds its
        slots), or, queued, move the org's queue (a slot may have freed since it looked).

        Admitted at once, its record already says its submission began
        (`Execution.submitting`): a job BigQuery accepted is then not recorded here (one
        write fewer on execute's path) but by whoever reads it next (a status read, its
        completion event, the sweep's recheck); a submission that did not answer is
        recorded as not confirmed, for the sweep."""
        if execution.state != State.QUEUED:
            return self.submit(
                execution, connection, workflow, record_accepted=not execution.awaiting_report
            )
        self._promote_safely(execution.org)
        return self.executions.get_execution(execution.org, execution.id) or execution

    def promote(self, org: str) -> int:
        """Give the org's free slots to its queued executions (domain fair_order) and
        submit them; how many left the queue. A queued execution whose workflow is at
        its own limit is passed over, never blocking the org's queue."""
        if org in getattr(_promoting, "orgs", set()):
            return 0
        _promoting.orgs = {*getattr(_promoting, "orgs", set()), org}
        try:
            if self.limits.free_org_slots(org) <= 0:
                return 0
            return sum(self._promote_one(c) for c in self.limits.candidates(org))
        except _OrgFull:
            return 0
        finally:
            _promoting.orgs = getattr(_promoting, "orgs", set()) - {org}

    def _promote_one(self, queued: Execution) -> bool:
        record = self.workflows.stored(queued.org, queued.workflow_id)
        workflow_limit = None
        if record is not None and record.api is not None and record.api.enabled:
            workflow_limit = execution_signature_of(record).settings.max_concurrent_executions
        reason = self.limits.acquire(queued, workflow_limit)
        if reason == lim.ORG_LIMIT:
            raise _OrgFull
        if reason is not None:
            return False
        created = queued.transition(State.CREATED, at=self.clock())
        if not self.executions.save_execution(created, expected_state=State.QUEUED):
            stored = self.executions.get_execution(queued.org, queued.id)
            if stored is None or stored.is_terminal or stored.state == State.QUEUED:
                self.limits.release(queued)  # cancelled meanwhile: the slot is not its own
            return False  # else another instance promoted it (and holds that slot)
        connection = self.workflows.connection(created.org, created.connection)
        self._resubmit(created, connection)  # ends it when its workflow changed
        return True

    def _promote_safely(self, org: str) -> None:
        """Promote, leaving what a backend failure leaves to the sweep."""
        try:
            self.promote(org)
        except (BackendUnavailable, ServiceError) as failed:
            logs.log(logger, logging.WARNING, "queue not moved", org=org, reason=str(failed))

    def submit(
        self,
        execution: Execution,
        connection: Connection,
        workflow: ExecutionSignature,
        *,
        record_accepted: bool = True,
    ) -> Execution:
        """Submit the execution's job (idempotent: the job id is the execution's) and
        record BigQuery's answer; when it did not answer, only the attempt (and that no
        job is confirmed). Without `record_accepted`, an answer that ends nothing (the
        job is pending or running) is returned, not recorded."""
        attempted = replace(execution, submit_attempts=execution.submit_attempts + 1)
        status = insert_job(self.warehouse, attempted, connection, workflow)
        if status is None:
            # Not confirmed: the sweep looks for it (reconciled_at None) and submits it.
            unconfirmed = replace(attempted, reconciled_at=None, awaiting_report=False)
            return self._save(unconfirmed, execution.state)
        if not record_accepted and not status.execution_state.is_terminal:
            return attempted.with_job_report(status, at=self.clock())
        return self._apply(attempted, status, stored_state=execution.state)

    def _resubmit(self, execution: Execution, connection: Connection) -> Execution:
        record = self.workflows.stored(execution.org, execution.workflow_id)
        if (
            record is None
            or record.api is None
            or record.api.deployed_version != execution.version
            or record.api.procedure != execution.procedure
            or record.deployed_connection != execution.connection
        ):
            # The procedure it was meant to call is gone or different: do not run another.
            changed = JobStatus(execution.bigquery_job_id, "DONE", WORKFLOW_CHANGED)
            return self._apply(execution, changed)
        workflow = execution_signature_of(record)
        reason = self.reserve(execution, workflow)
        if reason is not None:
            # It holds no slot (recorded before limits were kept): it waits its turn.
            queued = replace(
                execution.transition(State.QUEUED, at=self.clock()), queue_reason=reason
            )
            if self.executions.save_execution(queued, expected_state=execution.state):
                return self.start(queued, connection, workflow)
            return self.executions.get_execution(execution.org, execution.id) or execution
        return self.submit(execution, connection, workflow)

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
        try:  # a failure here leaves the slot to the sweep (release_leaked)
            self.limits.release(execution)
        except BackendUnavailable as unavailable:
            log_unavailable(execution, unavailable)
        else:
            self._promote_safely(execution.org)
        if self.on_finished is not None:
            self.on_finished(execution)


class _OrgFull(Exception):
    """Every org slot is held: promotion stops."""
