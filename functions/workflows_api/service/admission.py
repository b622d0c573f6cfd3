"""Admitting an execution: validate, then claim its slots, cache entry and idempotency key.

Uncontended (the usual case: new parameters, a free slot), one atomic commit creates the
execution record with everything it claims (`_admit_at_once`), each create-if-absent.
When any of them exists, nothing is written and each is claimed on its own
(`_admit_one_by_one`). How N identical concurrent requests make one BigQuery job there:
each request writes its own execution record, then races to *create* the cache entry
`orgs/{org}/cache_entries/{key}` (an atomic create-if-absent). The winner submits the
job; every loser deletes its unreturned record and answers with the winner's execution.
An entry whose execution failed, was cancelled or whose table expired is replaced by
compare-and-swap. No read-then-write race remains, and no contended transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

from workflows_api import parallel
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution import freshness
from workflows_api.domain.execution import states as ex
from workflows_api.domain.execution.admissions import Admission, IdempotencyClaim
from workflows_api.domain.execution.limits import OrgLimits, Slot
from workflows_api.domain.execution.states import Execution
from workflows_api.domain.workflow.records import WorkflowRecord
from workflows_api.domain.workflow.signature import ExecutionSignature
from workflows_api.service import idempotency
from workflows_api.service.cache_freshness import RequestFreshness, sources_of
from workflows_api.service.compare_and_swap import Settled, until_settled
from workflows_api.service.errors import BackendUnavailable, ServiceError
from workflows_api.service.execute_plans import ExecutePlan, ExecutePlanner
from workflows_api.service.execution_requests import CostEstimate, ExecuteRequest, ExecuteResult
from workflows_api.service.job_calls import bytes_billed_cap
from workflows_api.service.lifecycle import ExecutionLifecycle
from workflows_api.service.output_tables import expire_output
from workflows_api.service.ports import ExecutionStore
from workflows_api.service.workflows import WorkflowService

# Execution records (and idempotency keys) are kept this long (Firestore TTL).
RECORD_RETENTION = dt.timedelta(days=90)
Room = tuple[OrgLimits, list[Slot]]  # the org's limits and held slots (limits.room)


@dataclass(frozen=True, kw_only=True)
class ExecutionAdmission:
    planner: ExecutePlanner
    workflows: WorkflowService
    executions: ExecutionStore
    lifecycle: ExecutionLifecycle
    clock: Callable[[], dt.datetime]

    def execute(self, org: str, workflow_id: str, request: ExecuteRequest) -> ExecuteResult:
        limits = self.lifecycle.limits
        guess = self.planner.guess(org, workflow_id, request)
        # The org's limits and held slots depend on the org alone: read beside the
        # workflow (with a guess, the limits in its round, and the slots only if needed:
        # `_room`). A run needs them, a hit not at all (a request with a key, from a
        # trigger that does not wait, reads them after its replay check).
        no_key = request.idempotency_key is None
        read_room = limits.room_reader(org) if no_key and guess is None else None
        plan = self.planner.plan(org, workflow_id, request, guess)
        record, workflow, execution = plan.record, plan.workflow, plan.execution
        use_cache, looks_up = plan.use_cache, plan.looked_up
        fingerprint = idempotency.fingerprint(workflow_id, execution.cache_key, use_cache)
        # The connection: a cache hit reads its sources as it, a run submits as it. Read
        # with the cache entry when there is one to look up, else beside what follows.
        if looks_up:
            holder_id, read = plan.holder_id, plan.connection
            connection = lambda: self.workflows.read_connection(record.connection, read)  # noqa: E731
        else:
            connection = parallel.start(
                lambda: self.workflows.connection(org, record.connection)
            ).result
        fresh = self._freshness(record, workflow, connection, request, execution.output_table)
        entry_seen = False
        if looks_up:
            # A cache hit writes nothing: its holder answers, as the claim below would.
            holder_id, reusable = self._reusable_holder(org, holder_id, fresh)
            if reusable is not None:
                hit = ExecuteResult(reusable, True, cached_at=freshness.as_of(reusable))
                return self._finish(hit, request.wait_seconds)
            if fresh.miss is not None:  # the holder's table holds stale rows: not ours
                execution = _with_own_table(execution)
            entry_seen = holder_id is not None
        if request.idempotency_key is not None:
            replayed = idempotency.replay(
                self.executions, org, request.idempotency_key, fingerprint
            )
            if replayed is not None:
                return self._finish(ExecuteResult(replayed, True), request.wait_seconds)
        room, listed = self._room(plan, read_room)
        claims = _Claims(use_cache, request.idempotency_key, fingerprint, fresh)
        submitting = execution.submitting()
        admitted = not entry_seen and self._admit_at_once(submitting, workflow, room, claims)
        if not admitted and not listed:
            # The slot chosen unlisted is held (or the limit is full): list them, again.
            room = limits.room(org)
            admitted = not entry_seen and self._admit_at_once(submitting, workflow, room, claims)
        if admitted:
            # Nobody else was there: ours holds its slots, cache key and idempotency key.
            submitted = self.lifecycle.start(submitting, connection(), workflow)
            result = ExecuteResult(submitted, False, cache_miss=fresh.miss)
        else:
            result = self._admit_one_by_one(execution, workflow, connection(), room, claims)
        return self._finish(result, request.wait_seconds)

    def _room(self, plan: ExecutePlan, read_room: Callable[[], Room] | None) -> tuple[Room, bool]:
        """The org's limits and held slots, and whether the slots were listed. Not when
        the plan read the limits, no slot past them can be held and the workflow has no
        limit of its own: the admission then claims an org slot chosen at random, and its
        create-if-absent decides (one read fewer; listed only when that slot is held)."""
        if read_room is not None:
            return read_room(), True
        known, own_limit = plan.limits, plan.workflow.settings.max_concurrent_executions
        if known is not None and known.settled and own_limit is None:
            return (known, []), False
        return self.lifecycle.limits.room(plan.record.org), True

    def _admit_at_once(
        self, execution: Execution, workflow: ExecutionSignature, room: Room, claims: _Claims
    ) -> bool:
        """Create its record, slots, cache entry and idempotency key in one commit; False
        (nothing written) when a limit is full or any of them exists already."""
        limit = workflow.settings.max_concurrent_executions
        slots = self.lifecycle.limits.free_slots(execution, limit, room)
        if slots is None:
            return False  # it queues: one by one
        key = claims.idempotency_key
        return self.executions.admit_execution(
            Admission(
                execution,
                execution.created_at + RECORD_RETENTION,
                slots,
                cache_entry_expire_at=_entry_expiry(execution) if claims.use_cache else None,
                idempotency_key=None
                if key is None
                else IdempotencyClaim(
                    idempotency.key_hash(key), claims.fingerprint, self.clock() + RECORD_RETENTION
                ),
            )
        )

    def _admit_one_by_one(
        self,
        execution: Execution,
        workflow: ExecutionSignature,
        connection: Connection,
        room: Room,
        claims: _Claims,
    ) -> ExecuteResult:
        """Admission under contention, or over a limit: each claim on its own."""
        org, limits = execution.org, self.lifecycle.limits
        # 429 past the org's queue bound (nothing written); then its slots (a crash before
        # the record leaves a slot the sweep frees); without one it is recorded `queued`,
        # and nothing submits it but a promotion.
        waits_for = limits.admit(execution, workflow.settings.max_concurrent_executions, room)
        if waits_for is not None:
            execution = replace(execution, state=ex.State.QUEUED, queue_reason=waits_for)
        # The record comes first: once written, the execution cannot be lost.
        self.executions.create_execution(execution, execution.created_at + RECORD_RETENTION)
        holder = None
        if claims.use_cache:
            holder, execution = self._claim_cache_entry(execution, claims.fresh)
        answer = holder or execution
        key_reused: ServiceError | None = None
        if claims.idempotency_key is not None:
            # A concurrent request with the same key may have recorded its execution
            # first: a retry of this request joins it, any other request is refused.
            try:
                earlier = idempotency.claim(
                    self.executions,
                    claims.idempotency_key,
                    answer,
                    claims.fingerprint,
                    self.clock() + RECORD_RETENTION,
                )
                answer = earlier or answer
            except ServiceError as reused:
                key_reused = reused
        if holder is not None or (not claims.use_cache and (answer is not execution or key_reused)):
            # Nobody can have joined ours: it was never the holder of a cache key.
            self.executions.delete_execution(org, execution.id)
            if waits_for is None:
                limits.release(execution)
        else:
            # Ours holds its cache key: submit it (or queue it), even when a concurrent
            # retry's execution answers this request, because others may have joined ours.
            submitted = self.lifecycle.start(execution, connection, workflow)
            answer = submitted if answer is execution else answer
        if key_reused is not None:
            raise key_reused
        joined = answer.id != execution.id
        return ExecuteResult(
            answer,
            joined,
            cached_at=freshness.as_of(answer) if joined and holder is not None else None,
            cache_miss=claims.fresh.miss,
        )

    def _freshness(
        self,
        record: WorkflowRecord,
        workflow: ExecutionSignature,
        connection: Callable[[], Connection],
        request: ExecuteRequest,
        output_table: str,
    ) -> RequestFreshness:
        max_age = request.cache_max_age_seconds
        return RequestFreshness(
            self.lifecycle.warehouse,
            connection,
            lambda: sources_of(record, workflow, connection().project),
            now=self.clock(),
            max_age=None if max_age is None else dt.timedelta(seconds=max_age),
            output_table=output_table,
        )

    def estimate(self, org: str, workflow_id: str, request: ExecuteRequest) -> CostEstimate:
        """A dry run: what the execution would process, without running it or writing
        anything (no execution, no cache entry, no idempotency key)."""
        plan = self.planner.worked_out(self.workflows.get(org, workflow_id), request)
        workflow, would_run = plan.workflow, plan.execution
        connection = self.workflows.connection(org, plan.record.connection)
        return CostEstimate(
            workflow_id=workflow_id,
            parameters=would_run.parameters,
            bytes_processed=self.lifecycle.estimate(would_run, connection, workflow),
            maximum_bytes_billed=bytes_billed_cap(
                workflow.settings.maximum_bytes_billed, connection.maximum_bytes_billed
            ),
        )

    def _reusable_holder(
        self, org: str, holder_id: str | None, fresh: RequestFreshness
    ) -> tuple[str | None, Execution | None]:
        """(the id the cache entry names, None without one; that holder, if it may answer)."""
        if holder_id is None:
            return None, None
        fresh.prefetch()  # most holders have run: read their sources beside the holder
        holder = self.executions.get_execution(org, holder_id)
        if holder is None or not self._reusable(holder, fresh):
            return holder_id, None
        return holder_id, holder if fresh.refusal(holder) is None else None

    def _reusable(self, holder: Execution, fresh: RequestFreshness) -> bool:
        """Can the cache key's holder answer? A succeeded one only while its output table
        is still there (issue 23): one found gone is recorded expired, never served."""
        if not holder.reusable_at(self.clock()):
            return False
        if holder.state != ex.State.SUCCEEDED:
            return True
        if fresh.output_found(holder.output_table):
            return True
        expire_output(self.executions, holder, self.clock())
        return False

    def _claim_cache_entry(
        self, execution: Execution, fresh: RequestFreshness
    ) -> tuple[Execution | None, Execution]:
        """(None, ours) when ours now holds its cache key, else (the reusable and fresh
        holder, ours). Ours moves to a table of its own before replacing a holder whose
        sources changed (that holder's table keeps its stale rows)."""
        expire_at = _entry_expiry(execution)
        ours = [execution]

        def attempt() -> Settled[Execution | None] | None:
            holder_id = self.executions.claim_cache_entry(
                execution.org, execution.cache_key, execution.id, expire_at
            )
            if holder_id is None or holder_id == execution.id:
                return Settled(None)
            holder = self.executions.get_execution(execution.org, holder_id)
            if holder is not None and self._reusable(holder, fresh):
                if fresh.refusal(holder) is None:
                    return Settled(holder)
                if ours[-1].output_table == holder.output_table:
                    ours.append(self._move_to_own_table(ours[-1]))
            if self.executions.replace_cache_entry(
                execution.org, execution.cache_key, holder_id, execution.id, expire_at
            ):
                return Settled(None)
            return None

        holder = until_settled(
            attempt, "cache_contention", "Too many concurrent writers on one cache key."
        )
        return holder, ours[-1]

    def _move_to_own_table(self, execution: Execution) -> Execution:
        """Nobody knows ours yet (it holds no key): rewrite its record's output table."""
        moved = _with_own_table(execution)
        if not self.executions.save_execution(moved, expected_state=execution.state):
            raise BackendUnavailable("firestore", "the new execution changed under its writer")
        return moved

    def _finish(self, result: ExecuteResult, wait_seconds: float) -> ExecuteResult:
        if wait_seconds > 0 and not result.execution.is_terminal:
            result = replace(result, execution=self.lifecycle.wait(result.execution, wait_seconds))
        positioned = self.lifecycle.limits.with_position(result.execution)
        return replace(result, execution=positioned)


@dataclass(frozen=True)
class _Claims:
    """What a request's admission claims besides slots, and how it judged the cache."""

    use_cache: bool
    idempotency_key: str | None
    fingerprint: str
    fresh: RequestFreshness


def _entry_expiry(execution: Execution) -> dt.datetime:
    """A cache entry lives as long as its holder's output table."""
    return execution.output_expires_at or execution.created_at + RECORD_RETENTION


def _with_own_table(execution: Execution) -> Execution:
    """The execution writing a table of its own run (as with the cache off)."""
    project, dataset, routine = execution.procedure.split(".")
    table = ex.output_table(project, dataset, routine, execution.cache_key, execution.id)
    return replace(execution, output_table=table)
