"""Admitting an execution: validate, then claim the cache entry and idempotency key.

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
from collections.abc import Callable
from dataclasses import dataclass, replace

from workflows_api import tracing
from workflows_api.domain.execution import states as ex
from workflows_api.domain.execution.states import Execution
from workflows_api.domain.workflow.records import WorkflowRecord
from workflows_api.domain.workflow.signature import ExecutionSignature
from workflows_api.service.compare_and_swap import Settled, until_settled
from workflows_api.service.errors import ServiceError
from workflows_api.service.execution_requests import CostEstimate, ExecuteRequest, ExecuteResult
from workflows_api.service.lifecycle import ExecutionLifecycle, bytes_billed_cap
from workflows_api.service.parameter_values import parameter_values
from workflows_api.service.ports import ExecutionStore
from workflows_api.service.workflows import WorkflowService, execution_signature_of

# Execution records (and idempotency keys) are kept this long (Firestore TTL).
RECORD_RETENTION = dt.timedelta(days=90)


@dataclass(frozen=True, kw_only=True)
class ExecutionAdmission:
    workflows: WorkflowService
    executions: ExecutionStore
    lifecycle: ExecutionLifecycle
    clock: Callable[[], dt.datetime]

    def execute(self, org: str, workflow_id: str, request: ExecuteRequest) -> ExecuteResult:
        record = self.workflows.get(org, workflow_id)
        workflow = execution_signature_of(record)
        values = parameter_values(workflow.parameters, request.parameters)
        use_cache = workflow.settings.cache if request.cache is None else request.cache
        execution = self._new_execution(record, workflow, values, use_cache)
        fingerprint = _fingerprint(workflow_id, execution.cache_key, use_cache)
        if use_cache and request.idempotency_key is None:
            # A cache hit writes nothing: its holder answers, as the claim below would.
            reusable = self._reusable_holder(org, execution.cache_key)
            if reusable is not None:
                return self._finish(ExecuteResult(reusable, True), request.wait_seconds)
        if request.idempotency_key is not None:
            replayed = self._replay(org, request.idempotency_key, fingerprint)
            if replayed is not None:
                return self._finish(ExecuteResult(replayed, True), request.wait_seconds)

        connection = self.workflows.connection(org, record.connection)
        # The record comes first: once written, the execution cannot be lost.
        self.executions.create_execution(execution, execution.created_at + RECORD_RETENTION)
        holder = self._claim_cache_entry(execution) if use_cache else None
        answer = holder or execution
        key_reused: ServiceError | None = None
        if request.idempotency_key is not None:
            # A concurrent request with the same key may have recorded its execution
            # first: a retry of this request joins it, any other request is refused.
            try:
                answer = (
                    self._claim_idempotency_key(org, request.idempotency_key, answer, fingerprint)
                    or answer
                )
            except ServiceError as reused:
                key_reused = reused
        if holder is not None or (not use_cache and (answer is not execution or key_reused)):
            # Nobody can have joined ours: it was never the holder of a cache key.
            self.executions.delete_execution(org, execution.id)
        else:
            # Ours holds its cache key: submit it, even when a concurrent retry's
            # execution answers this request, because others may have joined ours.
            submitted = self.lifecycle.submit(execution, connection, workflow)
            answer = submitted if answer is execution else answer
        if key_reused is not None:
            raise key_reused
        return self._finish(ExecuteResult(answer, answer.id != execution.id), request.wait_seconds)

    def estimate(self, org: str, workflow_id: str, request: ExecuteRequest) -> CostEstimate:
        """A dry run: what the execution would process, without running it or writing
        anything (no execution, no cache entry, no idempotency key)."""
        record = self.workflows.get(org, workflow_id)
        workflow = execution_signature_of(record)
        values = parameter_values(workflow.parameters, request.parameters)
        use_cache = workflow.settings.cache if request.cache is None else request.cache
        would_run = self._new_execution(record, workflow, values, use_cache)
        connection = self.workflows.connection(org, record.connection)
        return CostEstimate(
            workflow_id=workflow_id,
            parameters=values,
            bytes_processed=self.lifecycle.estimate(would_run, connection, workflow),
            maximum_bytes_billed=bytes_billed_cap(
                workflow.settings.maximum_bytes_billed, connection.maximum_bytes_billed
            ),
        )

    def _new_execution(
        self,
        record: WorkflowRecord,
        workflow: ExecutionSignature,
        values: dict[str, object],
        use_cache: bool,
    ) -> Execution:
        api = record.api
        assert api is not None  # execution_signature_of checked it
        key = ex.cache_key(api.procedure, api.deployed_version, values)
        project, dataset, routine = api.procedure.split(".")
        now = self.clock()
        execution_id = ex.new_execution_id()
        trace = tracing.trace_id()  # the request's: its job and later work carry it
        return Execution(
            id=execution_id,
            org=record.org,
            workflow_id=record.id,
            version=api.deployed_version,
            parameters=values,
            cache_key=key,
            output_table=ex.output_table(
                project, dataset, routine, key, None if use_cache else execution_id
            ),
            procedure=api.procedure,
            connection=record.connection,
            created_at=now,
            bigquery_job_id=ex.job_id(execution_id),
            cache_enabled=use_cache,
            output_expires_at=ex.output_expiry(now, workflow.settings.output_expiration_days),
            labels=ex.job_labels(record.org, record.id, execution_id, trace),
            trace_id=trace,
        )

    def _reusable_holder(self, org: str, key: str) -> Execution | None:
        holder_id = self.executions.get_cache_entry(org, key)
        holder = None if holder_id is None else self.executions.get_execution(org, holder_id)
        return holder if holder is not None and holder.reusable_at(self.clock()) else None

    def _claim_cache_entry(self, execution: Execution) -> Execution | None:
        """None when `execution` now holds its cache key, else the reusable holder."""
        expire_at = execution.output_expires_at or execution.created_at + RECORD_RETENTION

        def attempt() -> Settled[Execution | None] | None:
            holder_id = self.executions.claim_cache_entry(
                execution.org, execution.cache_key, execution.id, expire_at
            )
            if holder_id is None or holder_id == execution.id:
                return Settled(None)
            holder = self.executions.get_execution(execution.org, holder_id)
            if holder is not None and holder.reusable_at(self.clock()):
                return Settled(holder)
            if self.executions.replace_cache_entry(
                execution.org, execution.cache_key, holder_id, execution.id, expire_at
            ):
                return Settled(None)
            return None

        return until_settled(
            attempt, "cache_contention", "Too many concurrent writers on one cache key."
        )

    def _replay(self, org: str, idempotency_key: str, fingerprint: str) -> Execution | None:
        found = self.executions.get_idempotency_key(org, _hash(idempotency_key))
        if found is None:
            return None
        execution_id, recorded = found
        if recorded != fingerprint:
            raise _key_reused()
        return self.executions.get_execution(org, execution_id)

    def _claim_idempotency_key(
        self, org: str, idempotency_key: str, execution: Execution, fingerprint: str
    ) -> Execution | None:
        """None when the key now names `execution`; else the execution it named before,
        if that was the same request (422 otherwise: checked as on a replay)."""
        earlier = self.executions.claim_idempotency_key(
            org, _hash(idempotency_key), execution.id, fingerprint, self.clock() + RECORD_RETENTION
        )
        if earlier is None:
            return None
        if earlier[1] != fingerprint:
            raise _key_reused()
        return self.executions.get_execution(org, earlier[0])

    def _finish(self, result: ExecuteResult, wait_seconds: float) -> ExecuteResult:
        if wait_seconds <= 0 or result.execution.is_terminal:
            return result
        return replace(result, execution=self.lifecycle.wait(result.execution, wait_seconds))


def _key_reused() -> ServiceError:
    return ServiceError(
        "unprocessable",
        "idempotency_key_reused",
        "Idempotency-Key was already used for a different request.",
        "Idempotency-Key",
    )


def _fingerprint(workflow_id: str, key: str, use_cache: bool) -> str:
    return _hash(f"{workflow_id}\x00{key}\x00{use_cache}")


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
