"""Use cases on executions: execute, read status (reconciling with BigQuery), wait.

How N identical concurrent requests make one BigQuery job: each request writes its
own execution record, then races to *create* the cache entry `orgs/{org}/
cache_entries/{key}` (an atomic create-if-absent). The winner submits the job; every
loser deletes its unreturned record and answers with the winner's execution. An
entry whose execution failed, was cancelled or whose table expired is replaced by
compare-and-swap. No read-then-write race remains, and no contended transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from workflows_api import logs
from workflows_api.domain import executions as ex
from workflows_api.domain.compiler import OUTPUT_TABLE_QUERY_PARAMETER, call_statement
from workflows_api.domain.errors import ParameterValuesInvalid
from workflows_api.domain.executions import Execution, JobError, State
from workflows_api.domain.model import Workflow
from workflows_api.domain.parameters import (
    bigquery_parameter_types,
    to_json_values,
    validate_parameter_values,
)
from workflows_api.service.errors import (
    BackendUnavailable,
    ServiceError,
    WarehouseError,
    not_found,
)
from workflows_api.service.ports import (
    Connection,
    ExecutionStore,
    JobStatus,
    QueryArgument,
    Warehouse,
)
from workflows_api.service.workflows import WorkflowService, deployed_definition_of

logger = logging.getLogger(__name__)

# Execution records (and idempotency keys) are kept this long (Firestore TTL).
RECORD_RETENTION = dt.timedelta(days=90)
# A non-terminal execution is compared with its BigQuery job at most this often.
RECONCILE_INTERVAL = dt.timedelta(seconds=1)
MAX_WAIT_SECONDS = 60.0
_CLAIM_ATTEMPTS = 5


WorkflowFilter = Callable[[str], bool]


def any_workflow(workflow_id: str) -> bool:
    return True


@dataclass(frozen=True)
class ExecuteRequest:
    parameters: Mapping[str, Any]
    cache: bool | None = None  # None: the workflow's setting
    wait_seconds: float = 0.0
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ExecuteResult:
    execution: Execution
    # True when an earlier request's execution answered this one (no new job).
    reused: bool


class ExecutionService:
    def __init__(
        self,
        workflows: WorkflowService,
        executions: ExecutionStore,
        warehouse: Warehouse,
        clock: Callable[[], dt.datetime],
        sleep: Callable[[float], None] = time.sleep,
        on_finished: Callable[[Execution], object] | None = None,
    ) -> None:
        self._workflows = workflows
        self._executions = executions
        self._warehouse = warehouse
        self._clock = clock
        self._sleep = sleep
        # Called once per execution, by whoever wrote its terminal state (webhooks).
        self._on_finished = on_finished

    # --- execute --------------------------------------------------------------------

    def execute(self, org: str, workflow_id: str, request: ExecuteRequest) -> ExecuteResult:
        record = self._workflows.get(org, workflow_id)
        workflow = deployed_definition_of(record)
        assert record.api is not None  # deployed_definition_of checked it
        values = parameter_values(workflow, request.parameters)
        use_cache = workflow.settings.cache if request.cache is None else request.cache
        key = ex.cache_key(record.api.procedure, record.api.deployed_version, values)
        fingerprint = _fingerprint(workflow_id, key, use_cache)

        if request.idempotency_key is not None:
            replayed = self._replay(org, request.idempotency_key, fingerprint)
            if replayed is not None:
                return self._finish(ExecuteResult(replayed, True), request.wait_seconds)

        connection = self._workflows.connection(org, record.connection)
        procedure = record.api.procedure
        project, dataset, routine = procedure.split(".")
        now = self._clock()
        execution_id = ex.new_execution_id()
        execution = Execution(
            id=execution_id,
            org=org,
            workflow_id=workflow_id,
            version=record.api.deployed_version,
            parameters=values,
            cache_key=key,
            output_table=ex.output_table(
                project, dataset, routine, key, None if use_cache else execution_id
            ),
            procedure=procedure,
            connection=connection.id,
            created_at=now,
            bigquery_job_id=ex.job_id(execution_id),
            cache_enabled=use_cache,
            output_expires_at=ex.output_expiry(now, workflow.settings.output_expiration_days),
            labels=ex.job_labels(org, workflow_id, execution_id),
        )
        # The record comes first: once written, the execution cannot be lost.
        self._executions.create_execution(execution, now + RECORD_RETENTION)
        holder = self._claim_cache_entry(execution) if use_cache else None
        answer = holder or execution
        if request.idempotency_key is not None:
            # A concurrent retry with the same key may have recorded its execution first.
            answer = (
                self._claim_idempotency_key(org, request.idempotency_key, answer, fingerprint)
                or answer
            )
        if holder is not None or (answer is not execution and not use_cache):
            # Nobody can have joined ours: it was never the holder of a cache key.
            self._executions.delete_execution(org, execution.id)
        else:
            # Ours holds its cache key: submit it, even when a concurrent retry's
            # execution answers this request, because others may have joined ours.
            submitted = self._submit(execution, connection, workflow)
            answer = submitted if answer is execution else answer
        return self._finish(ExecuteResult(answer, answer.id != execution.id), request.wait_seconds)

    def _claim_cache_entry(self, execution: Execution) -> Execution | None:
        """None when `execution` now holds its cache key, else the reusable holder."""
        expire_at = execution.output_expires_at or execution.created_at + RECORD_RETENTION
        for _ in range(_CLAIM_ATTEMPTS):
            holder_id = self._executions.claim_cache_entry(
                execution.org, execution.cache_key, execution.id, expire_at
            )
            if holder_id is None or holder_id == execution.id:
                return None
            holder = self._executions.get_execution(execution.org, holder_id)
            if holder is not None and holder.reusable_at(self._clock()):
                return holder
            if self._executions.replace_cache_entry(
                execution.org, execution.cache_key, holder_id, execution.id, expire_at
            ):
                return None
        raise ServiceError(
            "unavailable", "cache_contention", "Too many concurrent writers on one cache key."
        )

    def _replay(self, org: str, idempotency_key: str, fingerprint: str) -> Execution | None:
        found = self._executions.get_idempotency_key(org, _hash(idempotency_key))
        if found is None:
            return None
        execution_id, recorded = found
        if recorded != fingerprint:
            raise ServiceError(
                "unprocessable",
                "idempotency_key_reused",
                "Idempotency-Key was already used for a different request.",
                "Idempotency-Key",
            )
        return self._executions.get_execution(org, execution_id)

    def _claim_idempotency_key(
        self, org: str, idempotency_key: str, execution: Execution, fingerprint: str
    ) -> Execution | None:
        """None when the key now names `execution`; else the execution it named before."""
        earlier = self._executions.claim_idempotency_key(
            org, _hash(idempotency_key), execution.id, fingerprint, self._clock() + RECORD_RETENTION
        )
        if earlier is None:
            return None
        return self._executions.get_execution(org, earlier[0])

    def _finish(self, result: ExecuteResult, wait_seconds: float) -> ExecuteResult:
        if wait_seconds <= 0 or result.execution.state.is_terminal:
            return result
        return replace(result, execution=self.wait(result.execution, wait_seconds))

    # --- status ---------------------------------------------------------------------

    def get(self, org: str, execution_id: str, may_see: WorkflowFilter = any_workflow) -> Execution:
        """An execution, reconciled with its BigQuery job when it is not terminal.

        `may_see(workflow_id)` is false for a caller limited to other workflows: to it
        the execution does not exist.
        """
        return self.reconcile(self._stored(org, execution_id, may_see))

    def _stored(self, org: str, execution_id: str, may_see: WorkflowFilter) -> Execution:
        if not ex.is_execution_id(execution_id):
            raise not_found("execution", execution_id[:64])
        execution = self._executions.get_execution(org, execution_id)
        if execution is None or not may_see(execution.workflow_id):
            raise not_found("execution", execution_id)
        return execution

    def wait(self, execution: Execution, seconds: float) -> Execution:
        deadline = time.monotonic() + min(seconds, MAX_WAIT_SECONDS)
        while not execution.state.is_terminal:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._sleep(min(RECONCILE_INTERVAL.total_seconds(), left))
            execution = self.reconcile(execution, force=True)
        return execution

    def reconcile(self, execution: Execution, force: bool = False) -> Execution:
        """Bring a non-terminal execution up to date with BigQuery.

        A job BigQuery does not know was never submitted (the process died after
        writing the record) and is submitted now under the same job id.
        """
        if execution.state.is_terminal:
            return execution
        now = self._clock()
        if (
            not force
            and execution.reconciled_at is not None
            and now - execution.reconciled_at < RECONCILE_INTERVAL
        ):
            return execution
        connection = self._workflows.connection(execution.org, execution.connection)
        try:
            status = self._warehouse.get_job(connection, execution.bigquery_job_id)
        except BackendUnavailable as unavailable:
            _log_unavailable(execution, unavailable)
            return execution
        if status is None:
            return self._resubmit(execution, connection)
        return self._apply(execution, status)

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
    ) -> tuple[list[Execution], str | None]:
        """A page of the workflow's executions, newest first, and the next page's token."""
        self._workflows.get(org, workflow_id)  # 404 for an unknown workflow
        if page_token is not None and not ex.is_execution_id(page_token):
            raise ServiceError(
                "invalid",
                "invalid_page_token",
                "page_token: not a token this API gave",
                "page_token",
            )
        page = self._executions.list_executions(
            org,
            workflow_id,
            limit=page_size + 1,
            state=state.value if state else None,
            created_after=created_after,
            created_before=created_before,
            after_id=page_token,
        )
        if len(page) > page_size:
            return page[:page_size], page[page_size - 1].id
        return page, None

    def cancel(
        self, org: str, execution_id: str, may_see: WorkflowFilter = any_workflow
    ) -> Execution:
        """Ask BigQuery to cancel the job and record `cancelled`; 409 if it already ended.

        The record is final once cancelled, as BigQuery's cancel is best effort: a job
        that finishes anyway leaves a table an identical later request may reuse.
        """
        for _ in range(_CLAIM_ATTEMPTS):
            # No reconciling first: the caller wants it stopped whatever BigQuery says now.
            execution = self._stored(org, execution_id, may_see)
            if execution.state.is_terminal:
                raise ServiceError(
                    "conflict",
                    "execution_finished",
                    f"Execution {execution_id!r} already ended: {execution.state.value}.",
                    "execution_id",
                )
            connection = self._workflows.connection(org, execution.connection)
            self._warehouse.cancel_job(connection, execution.bigquery_job_id)
            cancelled = execution.transition(State.CANCELLED, at=self._clock())
            if self._executions.save_execution(cancelled, expected_state=execution.state):
                self._finished(cancelled)
                return cancelled
        raise ServiceError("unavailable", "busy", "The execution keeps changing; retry.")

    def record_job_status(self, org: str, execution_id: str, status: JobStatus) -> Execution | None:
        """Apply what BigQuery reported about an execution's job (a completion event).

        Idempotent and order-proof: a terminal execution never changes, and a report
        older than what is recorded (RUNNING after DONE) is ignored. None when the
        org has no such execution.
        """
        if not ex.is_execution_id(execution_id):
            return None
        execution = self._executions.get_execution(org, execution_id)
        return None if execution is None else self.apply_job_status(execution, status)

    def apply_job_status(self, execution: Execution, status: JobStatus) -> Execution:
        """`record_job_status` for an execution already read."""
        target = _state_of(status)
        if target == execution.state or not ex.can_transition(execution.state, target):
            return execution
        return self._apply(execution, status)

    # --- BigQuery jobs --------------------------------------------------------------

    def _resubmit(self, execution: Execution, connection: Connection) -> Execution:
        record = self._workflows.get(execution.org, execution.workflow_id)
        if record.api is None or record.api.deployed_version != execution.version:
            # The procedure it was meant to call is gone or different: do not run another.
            return self._apply(
                execution,
                JobStatus(
                    execution.bigquery_job_id,
                    "DONE",
                    JobError(
                        "workflowChanged",
                        "The workflow's API was disabled or updated before this execution "
                        "could be submitted; execute it again.",
                    ),
                ),
            )
        return self._submit(execution, connection, deployed_definition_of(record))

    def _submit(
        self, execution: Execution, connection: Connection, workflow: Workflow
    ) -> Execution:
        types = bigquery_parameter_types(workflow)
        typed = validate_parameter_values(workflow, execution.parameters)
        arguments = [QueryArgument(name, types[name], value) for name, value in typed.items()]
        arguments.append(
            QueryArgument(OUTPUT_TABLE_QUERY_PARAMETER, "STRING", execution.output_table)
        )
        sql = call_statement(execution.procedure, list(typed))
        attempted = replace(execution, submit_attempts=execution.submit_attempts + 1)
        try:
            status = self._warehouse.submit_query(
                connection,
                job_id=execution.bigquery_job_id,
                sql=sql,
                arguments=arguments,
                labels=execution.labels,
            )
        except BackendUnavailable as unavailable:
            # Accepted and recorded: reading its status submits it again.
            _log_unavailable(execution, unavailable)
            return self._save(attempted, execution.state)
        except WarehouseError as refused:
            # BigQuery refused the job itself (no job exists): that is this run's outcome.
            error = JobError(refused.reason, refused.message, refused.location)
            return self._apply(
                attempted,
                JobStatus(execution.bigquery_job_id, "DONE", error),
                stored_state=execution.state,
            )
        logs.log(
            logger,
            logging.INFO,
            "execution submitted",
            execution_id=execution.id,
            workflow_id=execution.workflow_id,
            job_id=execution.bigquery_job_id,
        )
        return self._apply(attempted, status, stored_state=execution.state)

    def _apply(
        self, execution: Execution, status: JobStatus, stored_state: State | None = None
    ) -> Execution:
        """Record `status` on `execution` by compare-and-swap on its stored state. When
        another writer moved it first, the report is applied again to what it wrote,
        unless that is already as far as the report goes (a terminal state never moves)."""
        expected = stored_state or execution.state
        target = _state_of(status)
        for _ in range(_CLAIM_ATTEMPTS):
            now = self._clock()
            updated = replace(execution, reconciled_at=now)
            if target != execution.state:
                updated = updated.transition(
                    target,
                    at=now,
                    started_at=status.started_at,
                    ended_at=status.ended_at,
                    error=status.error,
                )
            if self._executions.save_execution(updated, expected_state=expected):
                if updated.state.is_terminal and not expected.is_terminal:
                    self._finished(updated)
                return updated
            stored = self._executions.get_execution(execution.org, execution.id)
            if stored is None:
                return updated
            if target == stored.state or not ex.can_transition(stored.state, target):
                return stored  # the other writer got as far, or further
            execution, expected = stored, stored.state
        raise ServiceError("unavailable", "busy", "The execution keeps changing; retry.")

    def _save(self, execution: Execution, expected_state: State) -> Execution:
        """Write a change that moves no state (a submit attempt) if nobody moved it."""
        if self._executions.save_execution(execution, expected_state=expected_state):
            return execution
        stored = self._executions.get_execution(execution.org, execution.id)
        return stored or execution

    def _finished(self, execution: Execution) -> None:
        if self._on_finished is not None:
            self._on_finished(execution)


def parameter_values(workflow: Workflow, supplied: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical JSON values of the supplied parameters; 400 listing every problem."""
    try:
        return to_json_values(validate_parameter_values(workflow, supplied))
    except ParameterValuesInvalid as invalid:
        raise ServiceError(
            "invalid",
            "invalid_parameters",
            "; ".join(error.message for error in invalid.errors),
            invalid.errors[0].parameter if len(invalid.errors) == 1 else "parameters",
            details=[error.to_dict() for error in invalid.errors],
        ) from None


def _state_of(status: JobStatus) -> State:
    if status.state != "DONE":
        return State.RUNNING if status.state == "RUNNING" else State.CREATED
    if status.error is None:
        return State.SUCCEEDED
    return State.CANCELLED if status.error.reason == ex.CANCELLED_REASON else State.FAILED


def _fingerprint(workflow_id: str, key: str, use_cache: bool) -> str:
    return _hash(f"{workflow_id}\x00{key}\x00{use_cache}")


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _log_unavailable(execution: Execution, unavailable: BackendUnavailable) -> None:
    logs.log(
        logger,
        logging.WARNING,
        "BigQuery unavailable; the execution stays recorded and is retried on status reads",
        execution_id=execution.id,
        reason=unavailable.reason,
    )
