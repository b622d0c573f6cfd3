"""Concurrency limits: slots claimed before a job is submitted, freed when it ends.

Exact by construction: a slot is a document created only if absent (one holder), an
execution is submitted only while it holds its org slot (and its workflow slot, when the
workflow has a limit), and a slot is freed only after its execution's terminal state is
written. So at no moment does an org have more executions submitted and not terminal
than its limit, however many instances admit at once. No hot document: an admission
creates one of N slot documents chosen at random, among the free ones once it has
listed the held ones (a query: reads scale); an execute that read the org's limits with
its workflow chooses without listing, and lists only when that slot was held, while a
lowered limit drains (`_drain_ended`) or for a workflow with a limit of its own
(service/admission.py). A slot document is written twice per execution (claimed,
freed). Freed slots go to the oldest queued executions (domain fair_order),
by whoever wrote the terminal state (ExecutionLifecycle), by status reads of queued
executions, and by the sweep, which also frees slots whose execution ended or is gone
(a crash between the terminal write and the release). See ARCHITECTURE.md.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from workflows_api import parallel
from workflows_api.domain.execution import limits as lim
from workflows_api.domain.execution.limits import OrgLimits, QueueReason, Slot
from workflows_api.domain.execution.states import Execution, State
from workflows_api.service.errors import ServiceError
from workflows_api.service.ports import ExecutionStore, SlotStore

# A slot younger than this may belong to an admission or promotion still under way.
LEASE_GRACE = dt.timedelta(seconds=60)
# How many queued executions one promotion considers (fairness looks at their heads).
PROMOTION_WINDOW = 100
_CLAIM_ROUNDS = 5
# What a caller over the queue's bound is told to wait.
QUEUE_FULL_RETRY_AFTER = 30


@dataclass(frozen=True)
class LimitsReport:
    limits: OrgLimits
    submitted: int
    queued: int
    workflows: dict[str, int]  # workflow id -> org slots its executions hold


class QueueFull(ServiceError):
    """The org's queue is at its bound: HTTP 429 with Retry-After; Pub/Sub redelivers."""

    retry_after = QUEUE_FULL_RETRY_AFTER


def _queue_full(bound: int) -> QueueFull:
    return QueueFull(
        "too_many",
        "queue_full",
        f"This organization has {bound} executions queued, its bound; retry after "
        f"{QUEUE_FULL_RETRY_AFTER} seconds.",
    )


@dataclass(frozen=True, kw_only=True)
class ConcurrencyLimits:
    slots: SlotStore
    executions: ExecutionStore
    clock: Callable[[], dt.datetime]

    def limits(self, org: str) -> OrgLimits:
        return self.slots.get_org_limits(org) or OrgLimits(org)

    def set_limits(
        self, org: str, *, max_concurrent: int | None = None, max_queued: int | None = None
    ) -> OrgLimits:
        current = self.limits(org)
        for name, value in (("max_concurrent", max_concurrent), ("max_queued", max_queued)):
            if value is not None and not 1 <= value <= lim.MOST_CONCURRENT * 1000:
                raise ServiceError("invalid", "invalid_limit", f"{name}: expected >= 1", name)
        if max_concurrent is not None and max_concurrent > lim.MOST_CONCURRENT:
            raise ServiceError(
                "invalid",
                "invalid_limit",
                f"max_concurrent: at most {lim.MOST_CONCURRENT}",
                "max_concurrent",
            )
        updated = current.changed_to(
            max_concurrent if max_concurrent is not None else current.max_concurrent,
            max_queued if max_queued is not None else current.max_queued,
            self.clock(),
        )
        self.slots.put_org_limits(updated)
        return updated

    def room(self, org: str) -> tuple[OrgLimits, list[Slot]]:
        """The org's limits and the slots it holds now, read at once (and a lowered
        limit's drain ended when they show it over: `_drain_ended`)."""
        limits, held = parallel.all_of(
            [lambda: self.limits(org), lambda: self.slots.list_slots(org)]
        )
        assert isinstance(limits, OrgLimits) and isinstance(held, list)
        return self._drain_ended(limits, held), held

    def room_reader(self, org: str) -> Callable[[], tuple[OrgLimits, list[Slot]]]:
        """Start reading the org's limits and held slots, beside what the caller does
        next (each on the pool, none nested); call what it returns to join them."""
        limits = parallel.start(lambda: self.limits(org))
        held = parallel.start(lambda: self.slots.list_slots(org))
        return lambda: (self._drain_ended(limits.result(), held.result()), held.result())

    def _drain_ended(self, limits: OrgLimits, held: list[Slot]) -> OrgLimits:
        """The limits, their drain recorded over once `held` shows no slot past them
        (compare-and-swap: a concurrent change wins). Admissions list the held slots
        only while a drain is on record, so ending it is one write, once."""
        if not limits.drained(held, self.clock(), LEASE_GRACE):
            return limits
        settled = OrgLimits(limits.org, limits.max_concurrent, limits.max_queued)
        return settled if self.slots.replace_org_limits(limits, settled) else limits

    def free_slots(
        self, execution: Execution, workflow_limit: int | None, room: tuple[OrgLimits, list[Slot]]
    ) -> tuple[Slot, ...] | None:
        """The slots the execution would take in `room` (its workflow's, when limited, and
        an org slot), chosen at random among the free ones; None when a limit is full."""
        limits, held = room
        scopes = [lim.org_slot_ids(limits.max_concurrent)]
        if workflow_limit is not None:
            scopes.insert(0, lim.workflow_slot_ids(execution.workflow_id, workflow_limit))
        chosen = [self._free_slot(execution, held, ids) for ids in scopes]
        return None if None in chosen else tuple(s for s in chosen if s is not None)

    def admit(
        self,
        execution: Execution,
        workflow_limit: int | None,
        room: tuple[OrgLimits, list[Slot]] | None = None,
    ) -> QueueReason | None:
        """`acquire` from `room` (read now when not given); when a limit is full, refuse
        (QueueFull: nothing written) if the org's queue is at its bound, else the limit
        it waits for. Not exact: concurrent admissions may pass the bound together (a
        bound, not a limit)."""
        limits, held = room or self.room(execution.org)
        reason = self.acquire(execution, workflow_limit, limits=limits, held=held)
        if reason is not None and (
            self.slots.count_queued_executions(execution.org) >= limits.max_queued
        ):
            raise _queue_full(limits.max_queued)
        return reason

    def acquire(
        self,
        execution: Execution,
        workflow_limit: int | None,
        *,
        limits: OrgLimits | None = None,
        held: list[Slot] | None = None,
    ) -> QueueReason | None:
        """Claim the execution's slots; None when it holds them (also when it already
        did: idempotent), else which limit is full (it then holds none). `limits` and
        `held`: the org's, when the caller just read them."""
        org = execution.org
        for _ in range(_CLAIM_ROUNDS):
            if held is None:
                held = self.slots.list_slots(org)
            mine = {s.scope for s in held if s.execution_id == execution.id}
            if workflow_limit is not None and "workflow" not in mine:
                got = self._claim_one(
                    execution, held, lim.workflow_slot_ids(execution.workflow_id, workflow_limit)
                )
                if got is None:
                    return lim.WORKFLOW_LIMIT
                if not got:
                    held = None
                    continue
            if "org" not in mine:
                most = (limits or self.limits(org)).max_concurrent
                got = self._claim_one(execution, held, lim.org_slot_ids(most))
                if got is None:
                    self.release(execution)  # its workflow slot, if it took one
                    return lim.ORG_LIMIT
                if not got:
                    held = None
                    continue
            return None
        self.release(execution)
        return lim.ORG_LIMIT  # heavy contention: queued, promoted once a slot frees

    def _claim_one(self, execution: Execution, held: list[Slot], ids: list[str]) -> bool | None:
        """True: claimed one of `ids`; False: lost a race (list again); None: all held."""
        slot = self._free_slot(execution, held, ids)
        return None if slot is None else self.slots.claim_slot(execution.org, slot)

    def _free_slot(self, execution: Execution, held: list[Slot], ids: list[str]) -> Slot | None:
        """One of `ids` nobody holds, for the execution; None when all are held (or as
        many held in the scope as there are ids: a lowered limit drains first)."""
        taken = {s.slot_id for s in held}
        if ids and ids[0].startswith("org-"):
            in_scope = sum(1 for s in held if s.scope == "org")
        else:
            in_scope = sum(1 for s in held if s.limited_workflow == execution.workflow_id)
        free = [i for i in ids if i not in taken]
        if not free or in_scope >= len(ids):
            return None
        return Slot(random.choice(free), execution.id, execution.workflow_id, self.clock())

    def release(self, execution: Execution) -> int:
        """Free every slot the execution holds; how many were freed."""
        held = self.slots.list_slots(execution.org)
        return sum(
            self.slots.release_slot(execution.org, s.slot_id, execution.id)
            for s in held
            if s.execution_id == execution.id
        )

    def free_org_slots(self, org: str) -> int:
        held = self.slots.list_slots(org)
        return self.limits(org).max_concurrent - sum(1 for s in held if s.scope == "org")

    def candidates(self, org: str) -> list[Execution]:
        """The org's queued executions in the order they get free slots."""
        queued = self.slots.list_queued_executions(org, PROMOTION_WINDOW)
        return lim.fair_order(queued, self.slots.list_slots(org)) if queued else []

    def with_position(self, execution: Execution) -> Execution:
        """The execution with its place in the org's queue (1: next) when it is queued:
        how many of the org's queued executions are older, plus one."""
        if execution.state != State.QUEUED:
            return execution
        ahead = self.slots.count_queued_executions(execution.org, before=execution.created_at)
        return replace(execution, queue_position=ahead + 1)

    def report(self, org: str) -> LimitsReport:
        held = [s for s in self.slots.list_slots(org) if s.scope == "org"]
        per_workflow: dict[str, int] = {}
        for slot in held:
            per_workflow[slot.workflow_id] = per_workflow.get(slot.workflow_id, 0) + 1
        return LimitsReport(
            self.limits(org), len(held), self.slots.count_queued_executions(org), per_workflow
        )

    def release_leaked(self, org: str) -> int:
        """Free the org's slots older than LEASE_GRACE whose execution is gone, ended or
        queued (a crash between a terminal write and its release, or mid-promotion)."""
        cutoff = self.clock() - LEASE_GRACE
        freed = 0
        for slot in self.slots.list_slots(org):
            if slot.claimed_at >= cutoff:
                continue
            holder = self.executions.get_execution(org, slot.execution_id)
            if holder is None or holder.is_terminal or holder.state == State.QUEUED:
                freed += self.slots.release_slot(org, slot.slot_id, slot.execution_id)
        return freed
